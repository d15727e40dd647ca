package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: x\nservise: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, ExitOK},
		{[]string{"validate", "-f", "../../blueprints/shop.yaml"}, ExitOK},
		{[]string{"validate", "-f", bad}, ExitError},
		{[]string{"validate", "-f", "does-not-exist.yaml"}, ExitError},
		{[]string{"generate", "-f", bad, "-o", t.TempDir()}, ExitError},
		{[]string{"bogus"}, ExitUsage},
		{[]string{"validate", "--nope"}, ExitUsage},
		{[]string{"validate", "extra"}, ExitUsage},
		{[]string{"graph", "--format", "png", "-f", "../../blueprints/shop.yaml"}, ExitUsage},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != tc.want {
			t.Errorf("microforge %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
}

func TestInvalidBlueprintWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "microforge.yaml")
	src := "version: 1\nname: shop\nmodule: example.com/shop\nservices:\n  - name: orders\n    calls: [payments]\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "generate", "-f", bad, "-o", out)
	if code != ExitError {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr, "microforge.yaml:6:") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a failed generation: %v", err)
	}
}
