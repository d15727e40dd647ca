package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The documented flow — `generate -f bp -o dir`, then `generate` inside dir
// — regenerates from the repository's copy of the blueprint. When nothing
// changed, that in-place run takes the shortcut (renders nothing), and the
// full plan agrees that there is nothing to do.
func TestInPlaceNoOpTakesTheShortcut(t *testing.T) {
	t.Parallel()
	shipped, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, src, ok := strings.Cut(string(shipped), "\n") // without its schema line
	if !ok || strings.Contains(src, "yaml-language-server") {
		t.Fatal("minimal.yaml no longer starts with its schema line")
	}
	for _, tc := range []struct {
		name, blueprint string
		shortcut        bool
	}{
		{"plain", src, true},
		{"schema line", "# yaml-language-server: $schema=../elsewhere.json\n" + src, true},
		// A schema line after content: the copy rewrites it, and microforge
		// does not vouch that this leaves the meaning alone.
		{"schema line in content", src + "# yaml-language-server: $schema=x.json\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			bp, dir := filepath.Join(work, "bp.yaml"), filepath.Join(work, "repo")
			if err := os.WriteFile(bp, []byte(tc.blueprint), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out, errb := run(t, "generate", "-f", bp, "-o", dir); code != ExitOK {
				t.Fatalf("generate: exit %d\n%s%s", code, out, errb)
			}
			inPlace := generateFlags{file: filepath.Join(dir, "microforge.yaml")}
			if _, ok, err := quickPlan(inPlace); err != nil || ok != tc.shortcut {
				t.Fatalf("in place: shortcut %v (err %v), want %v", ok, err, tc.shortcut)
			}
			// The full plan in place (plan never takes the shortcut).
			code, out, errb := run(t, "plan", "--check", "-f", inPlace.file)
			if code != ExitOK || !strings.Contains(out, " 0 created, 0 updated, 0 merged,") {
				t.Fatalf("full plan in place: exit %d\n%s%s", code, out, errb)
			}
			// The same -o invocation again still takes it.
			if _, ok, err := quickPlan(generateFlags{file: bp, out: dir}); err != nil || !ok {
				t.Fatalf("same invocation: shortcut %v (err %v)", ok, err)
			}
			// An edit to the copy, even a comment, is another blueprint.
			f, err := os.OpenFile(inPlace.file, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("# a note\n")
			f.Close()
			if _, ok, err := quickPlan(inPlace); err != nil || ok {
				t.Fatalf("edited copy: shortcut %v (err %v)", ok, err)
			}
		})
	}
}

// The build ID read from the note is the one the go command reports.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := goBuildID(exe)
	if runtime.GOOS != "linux" {
		t.Skipf("build ID %q (read from ELF notes only)", id)
	}
	want, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if id == "" || id != strings.TrimSpace(string(want)) {
		t.Fatalf("goBuildID = %q, go tool buildid says %q", id, want)
	}
}
