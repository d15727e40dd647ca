// Package outbox records the events a service emits in its own database, in
// the same transaction as the state change that caused them (the
// transactional outbox pattern). A relay publishes recorded events to the
// broker later, so an event is published if and only if its change committed.
// With several replicas of a service on one database, one relay publishes
// and one Projector per read model applies, each on the replica holding its
// lease (package lease); the others stand by.
//
// In a multi-tenant system every event belongs to the tenant of the context
// that records it (package tenant): its aggregate's versions, stream and
// snapshots are the tenant's, so the same aggregate id in two tenants is two
// aggregates.
package outbox

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// Table is the outbox table every service's migrations create.
const Table = "outbox"

// columns are the outbox columns List and Unpublished read, in Event order.
const columns = "seq, id, aggregate_id, event_type, subject, payload, occurred_at, published_at, trace_parent, saga_context, aggregate_version"

// ErrConcurrentChange is returned when another transaction appended an
// event to the same aggregate at the same version first: the caller should
// reload the aggregate and retry.
var ErrConcurrentChange = errors.New("the aggregate changed concurrently; retry")

// Saga is the choreographed saga an event belongs to: events recorded while
// handling an event of a saga belong to it too, so every participant knows
// the saga's id and trigger.
type Saga struct {
	Name    string // "trip"
	ID      string // the id of the trigger event
	Trigger []byte // the trigger event, protobuf-encoded
	// On the saga's failure event: the step that failed and why.
	FailedStep string
	Error      string
}

type sagaKey struct{}

// WithSaga returns a copy of ctx carrying saga: events recorded with it
// belong to the saga. A saga without a name is ignored.
func WithSaga(ctx context.Context, saga Saga) context.Context {
	if saga.Name == "" {
		return ctx
	}
	return context.WithValue(ctx, sagaKey{}, saga)
}

// SagaFrom returns the saga ctx carries.
func SagaFrom(ctx context.Context) (Saga, bool) {
	saga, ok := ctx.Value(sagaKey{}).(Saga)
	return saga, ok
}

// encode stores a saga in one column: name, id, base64 trigger, failed
// step and base64 error.
func (s Saga) encode() sql.NullString {
	if s.Name == "" {
		return sql.NullString{}
	}
	b64 := base64.StdEncoding.EncodeToString
	return sql.NullString{String: strings.Join([]string{s.Name, s.ID, b64(s.Trigger), s.FailedStep, b64([]byte(s.Error))}, " "), Valid: true}
}

func decodeSaga(v sql.NullString) Saga {
	parts := strings.Split(v.String, " ")
	if !v.Valid || len(parts) != 5 {
		return Saga{}
	}
	trigger, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return Saga{}
	}
	cause, _ := base64.StdEncoding.DecodeString(parts[4])
	return Saga{Name: parts[0], ID: parts[1], Trigger: trigger, FailedStep: parts[3], Error: string(cause)}
}

func sagaOf(ctx context.Context) Saga {
	saga, _ := SagaFrom(ctx)
	return saga
}

// Record appends event to the outbox through q, which should be the
// transaction that changes the aggregate. The trace context ctx carries
// (telemetry.WithTraceParent) and its saga (WithSaga) are recorded with it,
// and in a multi-tenant system its tenant, without which it fails.
func Record(ctx context.Context, q database.Querier, d database.Dialect, aggregateID, subject string, event proto.Message) error {
	_, err := RecordEvent(ctx, q, d, aggregateID, subject, event)
	return err
}

// RecordEvent is Record returning the event as recorded (all but its Seq),
// for what starts in the same transaction: a saga the event triggers.
func RecordEvent(ctx context.Context, q database.Querier, d database.Dialect, aggregateID, subject string, event proto.Message) (Event, error) {
	return insert(ctx, q, d, aggregateID, sql.NullInt64{}, subject, event)
}

// Append records event as the next version of its aggregate: the outbox of
// an event-sourced service is its event store. It returns that version.
// Two transactions appending to the same aggregate at once both compute the
// same version, and the second to commit gets ErrConcurrentChange
// (optimistic concurrency).
func Append(ctx context.Context, q database.Querier, d database.Dialect, aggregateID, subject string, event proto.Message) (int64, error) {
	e, err := AppendEvent(ctx, q, d, aggregateID, subject, event)
	return e.Version, err
}

// AppendEvent is Append returning the event as recorded (all but its Seq),
// its Version the aggregate's new version.
func AppendEvent(ctx context.Context, q database.Querier, d database.Dialect, aggregateID, subject string, event proto.Message) (Event, error) {
	cols, args, err := scope(ctx, d)
	if err != nil {
		return Event{}, fmt.Errorf("read the version of %s: %w", aggregateID, err)
	}
	var current int64
	query := d.Rebind("SELECT COALESCE(MAX(aggregate_version), 0) FROM " + d.Quote(Table) + where(append(cols, "aggregate_id")))
	if err := q.QueryRowContext(ctx, query, append(args, aggregateID)...).Scan(&current); err != nil {
		return Event{}, fmt.Errorf("read the version of %s: %w", aggregateID, err)
	}
	return AppendEventAt(ctx, q, d, aggregateID, current+1, subject, event)
}

// AppendAt records event as the given version of its aggregate, failing
// with ErrConcurrentChange when that version exists.
func AppendAt(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, version int64, subject string, event proto.Message) error {
	_, err := AppendEventAt(ctx, q, d, aggregateID, version, subject, event)
	return err
}

// AppendEventAt is AppendAt returning the event as recorded (all but its
// Seq).
func AppendEventAt(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, version int64, subject string, event proto.Message) (Event, error) {
	return insert(ctx, q, d, aggregateID, sql.NullInt64{Int64: version, Valid: true}, subject, event)
}

func insert(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, version sql.NullInt64, subject string, event proto.Message) (Event, error) {
	name := event.ProtoReflect().Descriptor().FullName()
	payload, err := proto.Marshal(event)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s: %w", name, err)
	}
	if payload == nil {
		payload = []byte{} // an event with every field empty encodes to nothing
	}
	cols, args, err := scope(ctx, d)
	if err != nil {
		return Event{}, fmt.Errorf("record %s in the outbox: %w", name, err)
	}
	e := Event{
		ID:          uuid.Must(uuid.NewV7()).String(),
		AggregateID: aggregateID,
		Type:        string(name),
		Subject:     subject,
		Payload:     payload,
		OccurredAt:  time.Now().UTC(),
		TraceParent: telemetry.TraceParent(ctx),
		Saga:        sagaOf(ctx),
		Version:     version.Int64,
	}
	e.setScope(args)
	cols = append(cols, "id", "aggregate_id", "event_type", "subject", "payload", "occurred_at", "trace_parent", "saga_context", "aggregate_version")
	args = append(args, e.ID, e.AggregateID, e.Type, e.Subject, e.Payload, e.OccurredAt, e.TraceParent, e.Saga.encode(), version)
	res, err := q.ExecContext(ctx, d.Rebind("INSERT INTO "+d.Quote(Table)+" ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")"), args...)
	if err != nil && version.Valid && conflict(err) {
		return Event{}, fmt.Errorf("append %s to %s at version %d: %w", name, aggregateID, version.Int64, ErrConcurrentChange)
	}
	if err != nil {
		return Event{}, fmt.Errorf("record %s in the outbox: %w", name, err)
	}
	trackSeq(ctx, q, d, res)
	return e, nil
}

// Position is the greatest seq of the events recorded with a context
// TrackPosition returned, once their transaction committed: what a
// command answers as its Event-Position without reading the outbox head.
type Position struct{ seq atomic.Int64 }

type positionKey struct{}

// TrackPosition returns a copy of ctx whose recorded events raise the
// returned Position to their seq when their transaction commits (a
// transaction that rolls back leaves it as it was). On PostgreSQL, whose
// INSERT reports no seq without RETURNING, it stays 0.
func TrackPosition(ctx context.Context) (context.Context, *Position) {
	p := new(Position)
	return context.WithValue(ctx, positionKey{}, p), p
}

// TrackedPosition returns the Position ctx tracks, nil when none.
func TrackedPosition(ctx context.Context) *Position {
	p, _ := ctx.Value(positionKey{}).(*Position)
	return p
}

// Seq returns the position: 0 when no event was recorded, or its seq is
// not known.
func (p *Position) Seq() int64 { return p.seq.Load() }

func (p *Position) raise(seq int64) {
	for {
		cur := p.seq.Load()
		if seq <= cur || p.seq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// trackSeq raises the Position ctx tracks, if any, to the seq of the event
// res inserted with q, once q's transaction commits.
func trackSeq(ctx context.Context, q database.Querier, d database.Dialect, res sql.Result) {
	p := TrackedPosition(ctx)
	if p == nil || d == database.Postgres {
		return
	}
	seq, err := res.LastInsertId() // the seq: SQLite's rowid, MySQL's AUTO_INCREMENT
	if err != nil || seq <= 0 {
		return
	}
	if tx, ok := q.(*sql.Tx); ok {
		database.AfterCommit(database.WithTx(ctx, tx), func() { p.raise(seq) })
		return
	}
	p.raise(seq) // outside a transaction: committed already
}

// List returns up to limit recorded events after seq, oldest first (of
// every tenant in a multi-tenant system: projectors and the relay follow
// them all, handling each event in its own tenant).
func List(ctx context.Context, q database.Querier, d database.Dialect, afterSeq int64, limit int) ([]Event, error) {
	query := d.Rebind("SELECT " + readColumns(d) + " FROM " + d.Quote(Table) + " WHERE seq > ? ORDER BY seq LIMIT ?")
	return list(ctx, q, query, afterSeq, limit)
}

// Unpublished returns up to limit events the relay has not published yet,
// oldest first (of every tenant in a multi-tenant system).
func Unpublished(ctx context.Context, q database.Querier, d database.Dialect, limit int) ([]Event, error) {
	query := d.Rebind("SELECT " + readColumns(d) + " FROM " + d.Quote(Table) + " WHERE published_at IS NULL ORDER BY seq LIMIT ?")
	return list(ctx, q, query, limit)
}

func list(ctx context.Context, q database.Querier, query string, args ...any) ([]Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e                   Event
			occurred, published database.NullTime
			traceParent, saga   sql.NullString
			version             sql.NullInt64
		)
		dest := append([]any{&e.Seq, &e.ID, &e.AggregateID, &e.Type, &e.Subject, &e.Payload, &occurred, &published, &traceParent, &saga, &version}, e.scopeFields()...)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		e.Version = version.Int64
		e.OccurredAt, e.PublishedAt, e.TraceParent, e.Saga = occurred.Time, published.Time, traceParent.String, decodeSaga(saga)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// Lag returns how many events wait to be published and when the oldest of
// them was recorded (zero when none): the relay's backlog.
func Lag(ctx context.Context, q database.Querier, d database.Dialect) (pending int64, oldest time.Time, err error) {
	var first database.NullTime
	query := "SELECT COUNT(*), MIN(occurred_at) FROM " + d.Quote(Table) + " WHERE published_at IS NULL"
	if err := q.QueryRowContext(ctx, query).Scan(&pending, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("read the outbox lag: %w", err)
	}
	return pending, first.Time, nil
}

// MarkPublished records that the relay published the event with seq.
func MarkPublished(ctx context.Context, q database.Querier, d database.Dialect, seq int64) error {
	query := d.Rebind("UPDATE " + d.Quote(Table) + " SET published_at = ? WHERE seq = ?")
	if _, err := q.ExecContext(ctx, query, time.Now().UTC(), seq); err != nil {
		return fmt.Errorf("mark outbox event %d published: %w", seq, err)
	}
	return nil
}

// MarkPublishedSeqs records that the relay published the events with seqs,
// in one statement.
func MarkPublishedSeqs(ctx context.Context, q database.Querier, d database.Dialect, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, 0, len(seqs)+1)
	args = append(args, time.Now().UTC())
	marks := make([]string, len(seqs))
	for i, seq := range seqs {
		marks[i] = "?"
		args = append(args, seq)
	}
	query := d.Rebind("UPDATE " + d.Quote(Table) + " SET published_at = ? WHERE seq IN (" + strings.Join(marks, ", ") + ")")
	if _, err := q.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("mark %d outbox events published: %w", len(seqs), err)
	}
	return nil
}

// Head returns the seq of the newest recorded event, 0 when there is none:
// the position a read model has to reach to include every committed event.
func Head(ctx context.Context, q database.Querier, d database.Dialect) (int64, error) {
	var head sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(seq) FROM "+d.Quote(Table)).Scan(&head); err != nil {
		return 0, fmt.Errorf("read the outbox head: %w", err)
	}
	return head.Int64, nil
}

// Prune deletes the events published before the given time and returns how
// many it deleted. Services whose outbox is their event store never prune.
func Prune(ctx context.Context, q database.Querier, d database.Dialect, before time.Time) (int64, error) {
	query := d.Rebind("DELETE FROM " + d.Quote(Table) + " WHERE published_at IS NOT NULL AND published_at < ?")
	res, err := q.ExecContext(ctx, query, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune the outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Stream returns the events of aggregateID (of the tenant of ctx in a
// multi-tenant system) after version afterVersion, in version order: what
// folds into the aggregate's current state.
func Stream(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, afterVersion int64) ([]Event, error) {
	cols, args, err := scope(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("read the events of %s: %w", aggregateID, err)
	}
	query := d.Rebind("SELECT " + readColumns(d) + " FROM " + d.Quote(Table) + where(append(cols, "aggregate_id")) + " AND aggregate_version > ? ORDER BY aggregate_version")
	return list(ctx, q, query, append(args, aggregateID, afterVersion)...)
}

// SnapshotTable holds the newest snapshot of each aggregate of an
// event-sourced service: its state at a version, so loading it folds only
// the events after that version.
const SnapshotTable = "snapshots"

// LoadSnapshot reads the newest snapshot of aggregateID into state and
// returns its version, or 0 (state untouched) when there is none.
func LoadSnapshot(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, state proto.Message) (int64, error) {
	cols, args, err := scope(ctx, d)
	if err != nil {
		return 0, fmt.Errorf("load the snapshot of %s: %w", aggregateID, err)
	}
	var (
		version int64
		payload []byte
	)
	query := d.Rebind("SELECT version, state FROM " + d.Quote(SnapshotTable) + where(append(cols, "aggregate_id")))
	err = q.QueryRowContext(ctx, query, append(args, aggregateID)...).Scan(&version, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load the snapshot of %s: %w", aggregateID, err)
	}
	if err := proto.Unmarshal(payload, state); err != nil {
		return 0, fmt.Errorf("decode the snapshot of %s: %w", aggregateID, err)
	}
	return version, nil
}

// SaveSnapshot replaces the snapshot of aggregateID with state at version.
// Two transactions saving one at once conflict like two appending events:
// the second gets ErrConcurrentChange.
func SaveSnapshot(ctx context.Context, q database.Querier, d database.Dialect, aggregateID string, version int64, state proto.Message) error {
	payload, err := proto.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode the snapshot of %s: %w", aggregateID, err)
	}
	if payload == nil {
		payload = []byte{}
	}
	cols, args, err := scope(ctx, d)
	if err != nil {
		return snapshotError(aggregateID, err)
	}
	key := append(cols, "aggregate_id")
	if _, err := q.ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote(SnapshotTable)+where(key)), append(args, aggregateID)...); err != nil {
		return snapshotError(aggregateID, err)
	}
	cols = append(key, "version", "state", "taken_at")
	args = append(args, aggregateID, version, payload, time.Now().UTC())
	if _, err := q.ExecContext(ctx, d.Rebind("INSERT INTO "+d.Quote(SnapshotTable)+" ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")"), args...); err != nil {
		return snapshotError(aggregateID, err)
	}
	return nil
}

// conflict reports whether err is another transaction's concurrent write:
// a unique violation, or a deadlock the database broke by failing this one.
func conflict(err error) bool {
	msg := err.Error()
	return database.IsUniqueViolation(err) ||
		strings.Contains(msg, "Error 1213") || // MySQL, MariaDB: deadlock
		strings.Contains(msg, "SQLSTATE 40P01") // PostgreSQL: deadlock
}

func snapshotError(aggregateID string, err error) error {
	if conflict(err) {
		return fmt.Errorf("snapshot %s: %w", aggregateID, ErrConcurrentChange)
	}
	return fmt.Errorf("snapshot %s: %w", aggregateID, err)
}

// where is " WHERE a = ? AND b = ?" for cols, quoted as needed.
func where(cols []string) string {
	return " WHERE " + strings.Join(cols, " = ? AND ") + " = ?"
}

// marks is n placeholders, "?, ?, ?".
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
