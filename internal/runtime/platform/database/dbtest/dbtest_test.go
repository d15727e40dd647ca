package dbtest

import (
	"strings"
	"testing"
)

func TestOpenGivesEachTestItsOwnDatabase(t *testing.T) {
	t.Setenv("TEST_POSTGRES_URL", "")
	a, b := Open(t, "orders", "postgres"), Open(t, "orders", "sqlite")
	if _, err := a.ExecContext(t.Context(), "CREATE TABLE t (id TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(t.Context(), "CREATE TABLE t (id TEXT)"); err != nil {
		t.Fatalf("the second database is not empty: %v", err)
	}
}

func TestUniqueName(t *testing.T) {
	a, b := uniqueName("orders"), uniqueName("orders")
	if a == b || !strings.HasPrefix(a, "test_orders_") || strings.ToLower(a) != a {
		t.Errorf("names %q and %q", a, b)
	}
}
