//go:build tenancy

package saga

import (
	"context"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// scopeColumns are the columns, quoted, that the rows of a saga are scoped
// by besides its id: its tenant.
func scopeColumns(d database.Dialect) []string { return []string{d.Quote(tenant.Column)} }

// scopeValues are the values of the scope columns for ctx: its tenant,
// without which no saga is started, observed or read.
func scopeValues(ctx context.Context) ([]any, error) {
	id, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	return []any{id}, nil
}

// dueSaga is a saga with an action to run, and its tenant.
type dueSaga struct{ id, tenant string }

// scopeFields are the fields the scope columns scan into.
func (s *dueSaga) scopeFields() []any { return []any{&s.tenant} }

// context returns the context to advance the saga in: its tenant's.
func (s dueSaga) context(ctx context.Context) context.Context { return tenant.With(ctx, s.tenant) }

// dueOf is the saga with id started in ctx, in its tenant.
func dueOf(ctx context.Context, id string) dueSaga {
	t, _ := tenant.From(ctx)
	return dueSaga{id: id, tenant: t}
}
