//go:build !tenancy

package idempotency

import "context"

const tenantColumn = ""

func scoped(ctx context.Context) context.Context { return ctx }
