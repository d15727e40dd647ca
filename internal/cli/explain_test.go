package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// explain goes through the same Load path as the other commands: the
// acceptance blueprint's decisions print with what made them, the golden
// file is the same, an unknown service is a usage error and an invalid
// blueprint is reported as validate reports it.
func TestExplain(t *testing.T) {
	bp := filepath.Join("..", "..", "testdata", "blueprints", "fulfilment.yaml")
	code, stdout, stderr := run(t, "explain", "-f", bp)
	if code != ExitOK || stderr != "" {
		t.Fatalf("explain: exit %d\n%s", code, stderr)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "explain", "fulfilment.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("explain prints what testdata/explain/fulfilment.txt does not hold:\n%s", stdout)
	}

	code, stdout, _ = run(t, "explain", "-f", bp, "couriers")
	if code != ExitOK || !strings.HasPrefix(stdout, "couriers (mysql; cqrs)\n") || strings.Contains(stdout, "orders") {
		t.Errorf("explain couriers: exit %d\n%s", code, stdout)
	}

	code, _, stderr = run(t, "explain", "-f", bp, "billing")
	if code != ExitUsage || !strings.Contains(stderr, `no service "billing"`) {
		t.Errorf("explain billing: exit %d\n%s", code, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src, err := os.ReadFile(bp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(string(src), "from: [placed]", "from: [plcaed]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "explain", "-f", bad)
	if code != ExitError || !strings.Contains(stderr, `PrepareOrder starts from "plcaed", which is not a value of Order.status (hint: did you mean "placed"?)`) {
		t.Errorf("explain of an invalid blueprint: exit %d\n%s", code, stderr)
	}
}
