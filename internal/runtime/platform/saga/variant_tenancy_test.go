//go:build tenancy

package saga_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/saga"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// testTenant is the tenant the tests start sagas in.
const testTenant = "tenant-a"

// tenantColumn and tenantKey prefix the columns and keys of the tables:
// every row is a tenant's.
const tenantColumn, tenantKey = tenant.Column + " TEXT NOT NULL, ", tenant.Column + ", "

func scoped(ctx context.Context) context.Context { return tenant.With(ctx, testTenant) }

func tenantOf(ctx context.Context) string {
	id, _ := tenant.From(ctx)
	return id
}

// A saga is its tenant's: the same saga id started in two tenants is two
// sagas, each action runs in its saga's tenant, and another tenant sees
// neither.
func TestSagasStayInTheirTenant(t *testing.T) {
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, nil))
	for _, id := range []string{"tenant-a", "tenant-b"} {
		if err := runner.Start(tenant.With(t.Context(), id), "test", "saga-1", "aggregate-1", []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := runner.Start(t.Context(), "test", "saga-2", "aggregate-2", nil); !errors.Is(err, tenant.ErrMissing) {
		t.Errorf("Start without a tenant: %v, want ErrMissing", err)
	}
	defer run(runner)()
	for _, id := range []string{"tenant-a", "tenant-b"} {
		ctx := tenant.With(t.Context(), id)
		deadline := time.Now().Add(15 * time.Second)
		for {
			st, err := runner.Get(ctx, "saga-1")
			if err != nil {
				t.Fatal(err)
			}
			if st.Status == saga.Completed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the saga of %s is %s, want completed", id, st.Status)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if list, err := runner.List(ctx, "aggregate-1"); err != nil || len(list) != 1 {
			t.Errorf("List in %s = %+v, %v; want its saga", id, list, err)
		}
	}
	r.mu.Lock()
	tenants := slices.Clone(r.tenants)
	r.mu.Unlock()
	slices.Sort(tenants)
	if want := []string{"tenant-a", "tenant-a", "tenant-a", "tenant-b", "tenant-b", "tenant-b"}; !slices.Equal(tenants, want) {
		t.Errorf("actions ran in tenants %v, want each saga's three steps in its tenant", tenants)
	}
	other := tenant.With(t.Context(), "tenant-c")
	if _, err := runner.Get(other, "saga-1"); !errors.Is(err, saga.ErrNotFound) {
		t.Errorf("Get in another tenant: %v, want ErrNotFound", err)
	}
	if list, err := runner.List(other, ""); err != nil || len(list) != 0 {
		t.Errorf("List in another tenant = %+v, %v; want none", list, err)
	}
}
