//go:build tenancy

package client

import (
	"context"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// scopeHeaders returns the headers placing a call besides its trace: a
// service calls others in the tenant of the request, event or saga step it
// handles.
func scopeHeaders(ctx context.Context) []header {
	id, _ := tenant.From(ctx)
	return []header{{tenant.Header, id}}
}
