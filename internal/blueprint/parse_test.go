package blueprint

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

func TestLoadMissingFileIsNotDiagnostics(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	var diags Diagnostics
	if err == nil || errors.As(err, &diags) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want a not-exist error", err)
	}
}

func TestLoadNamesFileAsGiven(t *testing.T) {
	_, err := Load("../../testdata/invalid/09-services-empty.txtar")
	var diags Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("Load = %v, want Diagnostics", err)
	}
	if diags[0].File != "../../testdata/invalid/09-services-empty.txtar" {
		t.Errorf("File = %q", diags[0].File)
	}
}

func TestDiagnosticFormat(t *testing.T) {
	ds := Diagnostics{
		{File: "b.yaml", Line: 3, Col: 7, Msg: `unknown service "paymnts"`, Hint: `did you mean "payments"?`},
		{File: "b.yaml", Line: 4, Col: 1, Msg: "services is empty"},
	}
	want := "b.yaml:3:7: unknown service \"paymnts\" (hint: did you mean \"payments\"?)\nb.yaml:4:1: services is empty"
	if got := ds.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestInternalErrorIsDistinct(t *testing.T) {
	var err error = &InternalError{Err: errors.New("boom")}
	var diags Diagnostics
	if errors.As(err, &diags) {
		t.Fatal("InternalError is Diagnostics")
	}
	var ie *InternalError
	if !errors.As(err, &ie) {
		t.Fatal("errors.As(*InternalError) failed")
	}
}

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"paymnts", []string{"orders", "payments"}, "payments"},
		{"ReserveStok", []string{"ReserveStock", "ReleaseStock"}, "ReserveStock"},
		{"placeorder", []string{"PlaceOrder"}, "PlaceOrder"},
		{"x", []string{"orders"}, ""},
		{"inventori", []string{"orders", "payments"}, ""},
	} {
		if got := closest(tc.name, tc.cands); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
