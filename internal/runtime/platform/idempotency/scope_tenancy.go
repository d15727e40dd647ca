//go:build tenancy

package idempotency

import (
	"context"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// scope returns the columns, quoted, and values that a key's rows are
// scoped by besides the key itself: keys are a tenant's, the same key in
// two tenants is two keys.
func scope(ctx context.Context, d Dialect) ([]string, []any, error) {
	id, err := tenant.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	return []string{d.Quote(tenant.Column)}, []any{id}, nil
}
