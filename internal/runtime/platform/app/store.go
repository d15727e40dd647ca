package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// ErrNotFound is returned (wrapped) when an entity does not exist; each
// service's ErrNotFound is this error.
var ErrNotFound = errors.New("not found")

// Row is a row to scan: *sql.Row and *sql.Rows are Rows.
type Row interface{ Scan(dest ...any) error }

// Entities are the statements on the table of one kind of entity T. A
// service's store declares one per entity and its methods call these.
type Entities[T any] struct {
	Table database.Table
	// Noun names an entity in errors, "order".
	Noun string
	// ID returns an entity's id; Values its column values in Table order,
	// the id first; Scan reads a row of Table.
	ID     func(T) string
	Values func(T) ([]any, error)
	Scan   func(Row) (T, error)
	// Scope, when set, returns the arguments of a statement on the rows of
	// the tenant of ctx: its tenant followed by args.
	Scope func(ctx context.Context, args ...any) ([]any, error)
}

func (e *Entities[T]) scope(ctx context.Context, args ...any) ([]any, error) {
	if e.Scope == nil {
		return args, nil
	}
	return e.Scope(ctx, args...)
}

// Insert stores a new entity; its id must be set.
func (e *Entities[T]) Insert(ctx context.Context, q database.Querier, d database.Dialect, v T) error {
	values, err := e.Values(v)
	if err == nil {
		values, err = e.scope(ctx, values...)
	}
	if err == nil {
		_, err = q.ExecContext(ctx, d.Insert(e.Table), values...)
	}
	if err != nil {
		return fmt.Errorf("insert %s %q: %w", e.Noun, e.ID(v), err)
	}
	return nil
}

// Update saves every column of an existing entity, or returns ErrNotFound.
func (e *Entities[T]) Update(ctx context.Context, q database.Querier, d database.Dialect, v T) error {
	values, err := e.Values(v)
	var key []any
	if err == nil {
		key, err = e.scope(ctx, values[0])
	}
	var res sql.Result
	if err == nil {
		res, err = q.ExecContext(ctx, d.Update(e.Table), append(values[1:], key...)...)
	}
	if err != nil {
		return fmt.Errorf("update %s %q: %w", e.Noun, e.ID(v), err)
	}
	return e.affected(res, e.ID(v))
}

// Delete deletes the entity with the id, or returns ErrNotFound.
func (e *Entities[T]) Delete(ctx context.Context, q database.Querier, d database.Dialect, id string) error {
	key, err := e.scope(ctx, id)
	var res sql.Result
	if err == nil {
		res, err = q.ExecContext(ctx, d.Delete(e.Table), key...)
	}
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", e.Noun, id, err)
	}
	return e.affected(res, id)
}

// affected returns ErrNotFound when res changed no row.
func (e *Entities[T]) affected(res sql.Result, id string) error {
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s %q: %w", e.Noun, id, ErrNotFound)
	}
	return nil
}

// Get returns the entity with the id, or ErrNotFound.
func (e *Entities[T]) Get(ctx context.Context, q database.Querier, d database.Dialect, id string) (T, error) {
	var v T
	key, err := e.scope(ctx, id)
	if err == nil {
		v, err = e.Scan(q.QueryRowContext(ctx, d.Select(e.Table, e.Table.Columns[0]), key...))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s %q: %w", e.Noun, id, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("get %s %q: %w", e.Noun, id, err)
	}
	return v, nil
}

// Select returns the entities whose columns where equal args, every
// entity without where, in id order.
func (e *Entities[T]) Select(ctx context.Context, q database.Querier, d database.Dialect, where []string, args ...any) ([]T, error) {
	out, err := e.selectRows(ctx, q, d.Select(e.Table, where...), args)
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", e.Table.Name, err)
	}
	return out, nil
}

func (e *Entities[T]) selectRows(ctx context.Context, q database.Querier, query string, args []any) ([]T, error) {
	args, err := e.scope(ctx, args...)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := e.Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Prune deletes what a service keeps only for a while: the idempotency keys
// and processed-event records older than keysBefore, and the outbox events
// published before outboxBefore (none when it is zero: an event-sourced
// service's outbox is its event store). It returns how many rows it
// deleted.
func Prune(ctx context.Context, q database.Querier, d database.Dialect, outboxBefore, keysBefore time.Time) (int64, error) {
	var total int64
	if !outboxBefore.IsZero() {
		n, err := outbox.Prune(ctx, q, d, outboxBefore)
		if err != nil {
			return total, err
		}
		total += n
	}
	for _, prune := range []func(context.Context, idempotency.Querier, idempotency.Dialect, time.Time) (int64, error){idempotency.Prune, idempotency.PruneProcessed} {
		n, err := prune(ctx, q, d, keysBefore)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
