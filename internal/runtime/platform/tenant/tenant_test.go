package tenant

import (
	"errors"
	"strings"
	"testing"
)

func TestContext(t *testing.T) {
	if _, err := Require(t.Context()); !errors.Is(err, ErrMissing) {
		t.Errorf("Require without a tenant: %v, want ErrMissing", err)
	}
	if _, err := Require(With(t.Context(), "")); !errors.Is(err, ErrMissing) {
		t.Errorf("Require with an empty tenant: %v, want ErrMissing", err)
	}
	ctx := With(With(t.Context(), "acme"), "globex")
	if id, err := Require(ctx); err != nil || id != "globex" {
		t.Errorf("Require = %q, %v; want the innermost tenant globex", id, err)
	}
}

func TestCheck(t *testing.T) {
	for _, ok := range []string{"acme", "tenant-1", "org:42", strings.Repeat("x", MaxLen)} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a,b", "é", "a\nb", strings.Repeat("x", MaxLen+1)} {
		if err := Check(bad); err == nil {
			t.Errorf("Check(%q) passed", bad)
		}
	}
}
