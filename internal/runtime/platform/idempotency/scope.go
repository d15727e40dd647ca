//go:build !tenancy

package idempotency

import "context"

// scope returns the columns, quoted, and values that a key's rows are
// scoped by besides the key itself: none in a single-tenant system.
func scope(context.Context, Dialect) ([]string, []any, error) {
	return nil, nil, nil
}
