//go:build !tenancy

package saga_test

import "context"

// tenantColumn and tenantKey prefix the columns and keys of the tables:
// nothing in a single-tenant system.
const tenantColumn, tenantKey = "", ""

func scoped(ctx context.Context) context.Context { return ctx }

func tenantOf(context.Context) string { return "" }
