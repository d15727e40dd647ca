//go:build !tenancy

package saga

import (
	"context"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

// scopeColumns are the columns, quoted, that the rows of a saga are scoped
// by besides its id: none in a single-tenant system.
func scopeColumns(database.Dialect) []string { return nil }

// scopeValues are the values of the scope columns for ctx.
func scopeValues(context.Context) ([]any, error) { return nil, nil }

// dueSaga is a saga with an action to run.
type dueSaga struct{ id string }

// scopeFields are the fields the scope columns scan into.
func (s *dueSaga) scopeFields() []any { return nil }

// context returns the context to advance the saga in.
func (s dueSaga) context(ctx context.Context) context.Context { return ctx }

// dueOf is the saga with id started in ctx.
func dueOf(_ context.Context, id string) dueSaga { return dueSaga{id: id} }
