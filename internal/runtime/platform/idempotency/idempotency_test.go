package idempotency

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
	_ "modernc.org/sqlite"
)

type sqlite struct{}

func (sqlite) Rebind(q string) string    { return q }
func (sqlite) Quote(ident string) string { return strconv.Quote(ident) }

func TestSaveLoadPrune(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := scoped(context.Background())
	if _, err := db.Exec(`CREATE TABLE idempotency_keys (` + tenantColumn + `idem_key TEXT, method TEXT, response BLOB, created_at TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	var got wrapperspb.StringValue
	if ok, err := Load(ctx, db, sqlite{}, "k1", "Place", &got); err != nil || ok {
		t.Fatalf("Load of a new key = %v, %v; want false, nil", ok, err)
	}
	if err := Save(ctx, db, sqlite{}, "k1", "Place", wrapperspb.String("order-1")); err != nil {
		t.Fatal(err)
	}
	if ok, err := Load(ctx, db, sqlite{}, "k1", "Place", &got); err != nil || !ok || got.GetValue() != "order-1" {
		t.Fatalf("Load = %v, %v, %q; want the saved response", ok, err, got.GetValue())
	}
	if ok, _ := Load(ctx, db, sqlite{}, "k1", "Cancel", &got); ok {
		t.Error("a key is per method: Cancel found Place's response")
	}
	if n, err := Prune(ctx, db, sqlite{}, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune of older keys = %d, %v; want 0", n, err)
	}
	if n, err := Prune(ctx, db, sqlite{}, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("Prune = %d, %v; want 1", n, err)
	}
	if ok, _ := Load(ctx, db, sqlite{}, "k1", "Place", &got); ok {
		t.Error("a pruned key still answers")
	}
}

func TestKeyContext(t *testing.T) {
	if Key(context.Background()) != "" {
		t.Error("a background context carries a key")
	}
	if got := Key(WithKey(context.Background(), "abc")); got != "abc" {
		t.Errorf("Key = %q", got)
	}
}
