//go:build tenancy

package identity

import (
	"context"
	"fmt"
	"net/http"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// callerHeaders are the headers besides X-User-* that Guard removes from
// every request and trusts from a verified caller only: its token and the
// tenant it calls in.
var callerHeaders = []string{Header, tenant.Header}

// inCallersScope returns ctx in the tenant the verified caller's X-Tenant
// names (the gateway read it from the user's token, a service sends the
// tenant of what it handles): every procedure is a tenant's, so a call
// without a valid one is an error.
func inCallersScope(ctx context.Context, sent http.Header) (context.Context, error) {
	id := sent.Get(tenant.Header)
	if err := tenant.Check(id); err != nil {
		return nil, fmt.Errorf("no valid tenant (header %s): %w", tenant.Header, err)
	}
	return tenant.With(ctx, id), nil
}
