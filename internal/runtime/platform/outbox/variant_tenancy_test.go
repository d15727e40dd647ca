//go:build tenancy

package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// tenantColumn and tenantKey prefix the columns and keys of the tables:
// every row is a tenant's.
const tenantColumn, tenantKey = tenant.Column + " TEXT NOT NULL, ", tenant.Column + ", "

func scoped(ctx context.Context) context.Context { return tenant.With(ctx, "tenant-a") }

// The same aggregate id in two tenants is two aggregates: versions, streams
// and snapshots of one never show in the other.
func TestTenantsAggregatesAreApart(t *testing.T) {
	db := openOutbox(t)
	a, b := tenant.With(t.Context(), "tenant-a"), tenant.With(t.Context(), "tenant-b")
	for _, ctx := range []context.Context{a, a, b} {
		if _, err := outbox.Append(ctx, db, db.Dialect, "agg", "subject", wrapperspb.String("x")); err != nil {
			t.Fatal(err)
		}
	}
	if es, err := outbox.Stream(b, db, db.Dialect, "agg", 0); err != nil || len(es) != 1 || es[0].Version != 1 || es[0].Tenant != "tenant-b" {
		t.Errorf("tenant-b's stream: %+v %v, want its one event at version 1", es, err)
	}
	if err := outbox.SaveSnapshot(a, db, db.Dialect, "agg", 2, wrapperspb.String("a's")); err != nil {
		t.Fatal(err)
	}
	var state wrapperspb.StringValue
	if v, err := outbox.LoadSnapshot(b, db, db.Dialect, "agg", &state); v != 0 || err != nil {
		t.Errorf("tenant-b loaded tenant-a's snapshot: version %d (%v)", v, err)
	}
	all, err := outbox.List(t.Context(), db, db.Dialect, 0, 10)
	if err != nil || len(all) != 3 || all[0].Tenant != "tenant-a" || all[2].Tenant != "tenant-b" {
		t.Errorf("List of every tenant: %+v %v", all, err)
	}
}

// Nothing is written or read without a tenant.
func TestTenantRequired(t *testing.T) {
	db := openOutbox(t)
	ctx := t.Context()
	if err := outbox.Record(ctx, db, db.Dialect, "agg", "subject", wrapperspb.String("x")); !errors.Is(err, tenant.ErrMissing) {
		t.Errorf("Record without a tenant: %v", err)
	}
	if _, err := outbox.Append(ctx, db, db.Dialect, "agg", "subject", wrapperspb.String("x")); err == nil {
		t.Error("Append without a tenant succeeded")
	}
	if _, err := outbox.Stream(ctx, db, db.Dialect, "agg", 0); err == nil {
		t.Error("Stream without a tenant succeeded")
	}
	if _, err := outbox.LoadSnapshot(ctx, db, db.Dialect, "agg", new(wrapperspb.StringValue)); err == nil {
		t.Error("LoadSnapshot without a tenant succeeded")
	}
	if err := outbox.SaveSnapshot(ctx, db, db.Dialect, "agg", 1, new(wrapperspb.StringValue)); err == nil {
		t.Error("SaveSnapshot without a tenant succeeded")
	}
}

// A projector applies each event in its own tenant.
func TestProjectorAppliesInTheEventsTenant(t *testing.T) {
	db := openOutbox(t)
	for _, id := range []string{"tenant-a", "tenant-b"} {
		if err := outbox.Record(tenant.With(t.Context(), id), db, db.Dialect, id, "subject", wrapperspb.String(id)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	p := &outbox.Projector{DB: db, Name: "tenants", Apply: func(ctx context.Context, _ *sql.Tx, e outbox.Event) error {
		id, _ := tenant.From(ctx)
		mu.Lock()
		seen[e.AggregateID] = id
		mu.Unlock()
		return nil
	}}
	if _, err := p.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	if seen["tenant-a"] != "tenant-a" || seen["tenant-b"] != "tenant-b" {
		t.Errorf("events applied in tenants %v", seen)
	}
}
