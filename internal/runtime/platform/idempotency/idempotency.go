// Package idempotency makes a command run once per idempotency key. A caller
// that may repeat a call (a saga step retried after a timeout or a crash)
// sends the same key each time in the Idempotency-Key header; the service
// runs the command and stores its response under the key in the same
// transaction, and answers a repeated call with the stored response.
package idempotency

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
)

// Querier runs SQL: *sql.DB, *sql.Tx and database.Querier are Queriers.
// Dialect writes SQL for one database: database.Dialect is one. Both are
// declared here rather than imported so that platform/client, which sends
// keys, does not pull the database drivers into the gateway.
type (
	Querier interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	Dialect interface {
		Rebind(query string) string
		Quote(ident string) string
	}
)

// Header is the HTTP header carrying the key.
const Header = "Idempotency-Key"

// Table is the table responses are stored in.
const Table = "idempotency_keys"

type keyContext struct{}

// WithKey returns a copy of ctx carrying key: commands called with it run
// once per key, and outgoing calls through platform/client send it.
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyContext{}, key)
}

// Key returns the key ctx carries, or "".
func Key(ctx context.Context) string {
	k, _ := ctx.Value(keyContext{}).(string)
	return k
}

// Load reads the response stored for key and method into res and reports
// whether there was one.
func Load(ctx context.Context, q Querier, d Dialect, key, method string, res proto.Message) (bool, error) {
	cols, args, err := scope(ctx, d)
	if err != nil {
		return false, fmt.Errorf("load idempotency key: %w", err)
	}
	var payload []byte
	err = q.QueryRowContext(ctx, d.Rebind("SELECT response FROM "+d.Quote(Table)+" WHERE "+where(append(cols, "idem_key", "method"))), append(args, key, method)...).Scan(&payload)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("load idempotency key: %w", err)
	}
	if err := proto.Unmarshal(payload, res); err != nil {
		return false, fmt.Errorf("decode stored response: %w", err)
	}
	return true, nil
}

// Save stores the response of method for key.
func Save(ctx context.Context, q Querier, d Dialect, key, method string, res proto.Message) error {
	payload, err := proto.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	cols, args, err := scope(ctx, d)
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	cols = append(cols, "idem_key", "method", "response", "created_at")
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	_, err = q.ExecContext(ctx, d.Rebind("INSERT INTO "+d.Quote(Table)+" ("+strings.Join(cols, ", ")+") VALUES ("+marks+")"),
		append(args, key, method, payload, time.Now().UTC())...)
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	return nil
}

// Prune deletes the responses stored before the given time and returns how
// many it deleted: a call repeated after that runs again.
func Prune(ctx context.Context, q Querier, d Dialect, before time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote(Table)+" WHERE created_at < ?"), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ProcessedTable is where event consumers record the events they handled.
const ProcessedTable = "processed_events"

// PruneProcessed deletes the records of events handled before the given
// time and returns how many it deleted: keep them longer than the broker
// may redeliver an event.
func PruneProcessed(ctx context.Context, q Querier, d Dialect, before time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote(ProcessedTable)+" WHERE processed_at < ?"), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune processed events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// where is "a = ? AND b = ?" for cols.
func where(cols []string) string {
	return strings.Join(cols, " = ? AND ") + " = ?"
}
