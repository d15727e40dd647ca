//go:build tenancy

package idempotency

import (
	"context"
	"database/sql"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

const tenantColumn = tenant.Column + " TEXT, "

func scoped(ctx context.Context) context.Context { return tenant.With(ctx, "acme") }

func TestKeysAreATenants(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE idempotency_keys (` + tenantColumn + `idem_key TEXT, method TEXT, response BLOB, created_at TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	acme, globex := tenant.With(context.Background(), "acme"), tenant.With(context.Background(), "globex")
	if err := Save(acme, db, sqlite{}, "k", "Place", wrapperspb.String("acme's")); err != nil {
		t.Fatal(err)
	}
	var got wrapperspb.StringValue
	if ok, _ := Load(globex, db, sqlite{}, "k", "Place", &got); ok {
		t.Error("another tenant's key answered")
	}
	if _, err := Load(context.Background(), db, sqlite{}, "k", "Place", &got); err == nil {
		t.Error("Load without a tenant succeeded")
	}
}
