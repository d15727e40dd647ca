//go:build tenancy

package client

import (
	"context"
	"net/http"
	"testing"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

func scoped(ctx context.Context) context.Context { return tenant.With(ctx, "acme") }

// checkScope checks a call carries the tenant of its context.
func checkScope(t *testing.T, got http.Header) {
	t.Helper()
	if id := got.Get(tenant.Header); id != "acme" {
		t.Errorf("%s %q, want the context's acme", tenant.Header, id)
	}
}
