package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// CheckpointTable stores, per projection, the seq of the last event it
// applied: the position of its read model.
const CheckpointTable = "projection_checkpoints"

// PositionHeader is the response header of a command of a CQRS service:
// the event position that includes the command's events.
// MinPositionHeader is the request header of a query that waits until the
// read model reached that position before reading it.
// HeadPosition, as a Min-Event-Position, is the newest event committed
// when the query arrives.
const (
	PositionHeader    = "Event-Position"
	MinPositionHeader = "Min-Event-Position"
	HeadPosition      = "head"
)

// errCheckpointMoved is returned when another projector (a second replica)
// advanced the checkpoint first; the batch is rolled back and read again.
var errCheckpointMoved = errors.New("the projection checkpoint moved")

// Projector builds a read model asynchronously: it applies the events of
// the outbox after its checkpoint, oldest first, and advances the
// checkpoint in the same transaction, so each event is applied once even
// across crashes and replicas. Queries read the read model, which is
// eventually consistent: WaitFor waits until it includes a position.
//
// With several replicas, the projector of a read model runs on one of
// them: the one holding the lease LeaseName (app.Singleton, package
// lease); the others stand by and take over within seconds when it goes.
// A projector that lost its lease mid-batch cannot apply an event twice
// either: the checkpoint moved, so its transaction rolls back.
//
// Sequence numbers are handed out when an event is inserted, not when its
// transaction commits, so a seq may show up after a bigger one (a slow
// transaction) or never (a rolled-back one). The projector stops before
// such a gap and passes it only after GapTimeout.
//
// An event the projector cannot apply (a bug in its fold, a read model
// table lacking a column) stops the projection there: every later event
// waits behind it, so the read model goes stale and queries waiting for a
// Min-Event-Position time out. The projector keeps retrying, and meanwhile
// says so once: an error log naming the event, Stalled (which readiness
// reports), the projection_stalled gauge and projection_failures_total.
type Projector struct {
	DB   *database.DB
	Name string // in logs and metrics, "orders"
	// Checkpoint names its row in CheckpointTable, Name when empty. A
	// service names it after the shape of its read models
	// ("orders@3f2a9c1b0d4e"), so that read models built for another shape
	// are rebuilt (see Shapes).
	Checkpoint string
	// Apply folds one event into the read model. In a multi-tenant system
	// ctx carries the event's tenant, whose rows it changes.
	Apply  func(ctx context.Context, tx *sql.Tx, e Event) error
	Logger *slog.Logger
	// Telemetry counts failed attempts (projection_failures_total); nil
	// counts nothing. Telemetry.ObserveProjection reports Stalled.
	Telemetry *telemetry.Telemetry
	// Interval between polls of the outbox, 50ms by default.
	Interval time.Duration
	// GapTimeout is how long a missing seq holds the projection back,
	// 5s by default.
	GapTimeout time.Duration

	mu    sync.Mutex
	gaps  map[int64]time.Time // missing seq -> when first seen
	stall *stall              // nil while the projection moves
}

// stall is a failure episode: from the first failed attempt to catch up
// to the next successful one.
type stall struct {
	err      error // of the last attempt
	since    time.Time
	attempts int
}

// ApplyError is the error of an event a projection could not apply.
type ApplyError struct {
	Projection string
	Event      Event
	Err        error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("projection %s cannot apply event %d (%s, aggregate %s): %v", e.Projection, e.Event.Seq, e.Event.Type, e.Event.AggregateID, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// checkpoint is the name of the projection's row in CheckpointTable.
func (p *Projector) checkpoint() string {
	if p.Checkpoint != "" {
		return p.Checkpoint
	}
	return p.Name
}

// LeaseName is the lease under which one replica at a time runs the
// projector: "projection:" and its checkpoint's name, so that read models
// of another shape (a rolling upgrade) have a projector of their own.
func (p *Projector) LeaseName() string { return "projection:" + p.checkpoint() }

// Run applies new events until ctx is done.
func (p *Projector) Run(ctx context.Context) {
	interval := p.Interval
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	failures := 0
	for {
		wait := interval
		if _, err := p.CatchUp(ctx); err != nil && ctx.Err() == nil {
			// An event that cannot be applied holds the read model back
			// until the code or the data is fixed: retry slower and slower.
			// CatchUp reported the failure.
			failures++
			wait = min(interval<<min(failures, 7), 5*time.Second)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// CatchUp applies every event available now and returns how many it
// applied. A failure starts or continues a stall (see Stalled) and a
// success ends it.
func (p *Projector) CatchUp(ctx context.Context) (int, error) {
	n, err := p.catchUp(ctx)
	if err == nil || ctx.Err() == nil {
		p.record(ctx, err)
	}
	return n, err
}

// Stalled returns why the projection does not move on, nil while it does:
// the error of its last attempt to catch up, when that failed.
func (p *Projector) Stalled() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stall == nil {
		return nil
	}
	attempts := "1 attempt"
	if p.stall.attempts > 1 {
		attempts = strconv.Itoa(p.stall.attempts) + " attempts"
	}
	return fmt.Errorf("%w (stalled since %s, %s)", p.stall.err, p.stall.since.UTC().Format(time.RFC3339), attempts)
}

// record notes the outcome of an attempt to catch up. It logs once per
// stall, not once per retry: when the projection stalls, when it stalls
// on another event, and when it moves on again.
func (p *Projector) record(ctx context.Context, err error) {
	p.mu.Lock()
	previous := p.stall
	switch {
	case err == nil:
		p.stall = nil
	case previous == nil:
		p.stall = &stall{err: err, since: time.Now(), attempts: 1}
	default:
		p.stall = &stall{err: err, since: previous.since, attempts: previous.attempts + 1}
	}
	p.mu.Unlock()

	if err != nil {
		p.Telemetry.ProjectionFailed(ctx, p.Name)
	}
	if p.Logger == nil {
		return
	}
	switch {
	case err == nil && previous != nil:
		p.Logger.InfoContext(ctx, "projection moves on again", "projection", p.Name,
			"stalled_for", time.Since(previous.since).Round(time.Millisecond), "failed_attempts", previous.attempts)
	case err != nil && (previous == nil || failedSeq(previous.err) != failedSeq(err)):
		attrs := []any{"projection", p.Name, "error", err}
		if apply, ok := errors.AsType[*ApplyError](err); ok {
			attrs = append(attrs, "seq", apply.Event.Seq, "event_type", apply.Event.Type, "aggregate_id", apply.Event.AggregateID)
		}
		p.Logger.ErrorContext(ctx, "projection stalled: its read model stays behind until the cause is fixed; retrying", attrs...)
	}
}

// failedSeq is the seq of the event err could not apply, 0 when err is
// not about one event.
func failedSeq(err error) int64 {
	if apply, ok := errors.AsType[*ApplyError](err); ok {
		return apply.Event.Seq
	}
	return 0
}

func (p *Projector) catchUp(ctx context.Context) (int, error) {
	const batch = 500
	total := 0
	for {
		n, full, err := p.step(ctx, batch)
		total += n
		if errors.Is(err, errCheckpointMoved) {
			continue
		}
		if err != nil || !full {
			return total, err
		}
	}
}

// step applies up to limit events in one transaction and reports whether
// it applied all limit.
func (p *Projector) step(ctx context.Context, limit int) (int, bool, error) {
	applied := 0
	err := p.DB.InTx(ctx, func(tx *sql.Tx) error {
		applied = 0
		from, err := position(ctx, tx, p.DB.Dialect, p.checkpoint())
		if err != nil {
			return err
		}
		batch, err := List(ctx, tx, p.DB.Dialect, from, limit)
		if err != nil {
			return err
		}
		at := from
		for _, e := range batch {
			if e.Seq != at+1 && !p.gapPassed(at+1) {
				break
			}
			if err := p.Apply(e.context(ctx), tx, e); err != nil {
				return &ApplyError{Projection: p.Name, Event: e, Err: err}
			}
			at = e.Seq
			applied++
		}
		if at == from {
			return nil
		}
		p.forgetGaps(at)
		return advance(ctx, tx, p.DB.Dialect, p.checkpoint(), from, at)
	})
	return applied, applied == limit, err
}

// gapPassed reports whether seq has been missing for GapTimeout.
func (p *Projector) gapPassed(seq int64) bool {
	timeout := p.GapTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gaps == nil {
		p.gaps = map[int64]time.Time{}
	}
	first, ok := p.gaps[seq]
	if !ok {
		p.gaps[seq] = time.Now()
		return false
	}
	return time.Since(first) >= timeout
}

func (p *Projector) forgetGaps(upTo int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for seq := range p.gaps {
		if seq <= upTo {
			delete(p.gaps, seq)
		}
	}
}

// Position returns the seq of the last event the read model includes.
func (p *Projector) Position(ctx context.Context) (int64, error) {
	return position(ctx, p.DB.DB, p.DB.Dialect, p.checkpoint())
}

// WaitFor waits until the read model includes every event up to pos, or
// ctx is done.
func (p *Projector) WaitFor(ctx context.Context, pos int64) error {
	for {
		at, err := p.Position(ctx)
		if err != nil {
			return err
		}
		if at >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for event position %d (read model at %d): %w", pos, at, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// ParsePosition reads a position header value; empty is 0.
func ParsePosition(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	pos, err := strconv.ParseInt(v, 10, 64)
	if err != nil || pos < 0 {
		return 0, fmt.Errorf("event position %q is not a number", v)
	}
	return pos, nil
}

// Reset sets the checkpoint of projection name to pos through q: a rebuilt
// read model includes every event up to pos.
func Reset(ctx context.Context, q database.Querier, d database.Dialect, name string, pos int64) error {
	if _, err := q.ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote(CheckpointTable)+" WHERE name = ?"), name); err != nil {
		return fmt.Errorf("reset projection %s: %w", name, err)
	}
	query := d.Rebind("INSERT INTO " + d.Quote(CheckpointTable) + " (name, last_seq, updated_at) VALUES (?, ?, ?)")
	if _, err := q.ExecContext(ctx, query, name, pos, time.Now().UTC()); err != nil {
		return fmt.Errorf("reset projection %s: %w", name, err)
	}
	return nil
}

// Shapes returns the checkpoints kept for the read models of name: rows
// named name (before read models carried their shape) or name@<shape>.
func Shapes(ctx context.Context, q database.Querier, d database.Dialect, name string) ([]string, error) {
	rows, err := q.QueryContext(ctx, d.Rebind("SELECT name FROM "+d.Quote(CheckpointTable)+" WHERE name = ? OR name LIKE ?"), name, name+"@%")
	if err != nil {
		return nil, fmt.Errorf("read the checkpoints of %s: %w", name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Forget removes a checkpoint.
func Forget(ctx context.Context, q database.Querier, d database.Dialect, name string) error {
	if _, err := q.ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote(CheckpointTable)+" WHERE name = ?"), name); err != nil {
		return fmt.Errorf("forget checkpoint %s: %w", name, err)
	}
	return nil
}

func position(ctx context.Context, q database.Querier, d database.Dialect, name string) (int64, error) {
	var pos int64
	err := q.QueryRowContext(ctx, d.Rebind("SELECT last_seq FROM "+d.Quote(CheckpointTable)+" WHERE name = ?"), name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the checkpoint of projection %s: %w", name, err)
	}
	return pos, nil
}

// advance moves the checkpoint from from to to, failing with
// errCheckpointMoved when it is not at from any more.
func advance(ctx context.Context, q database.Querier, d database.Dialect, name string, from, to int64) error {
	now := time.Now().UTC()
	if from == 0 {
		var exists int
		err := q.QueryRowContext(ctx, d.Rebind("SELECT COUNT(*) FROM "+d.Quote(CheckpointTable)+" WHERE name = ?"), name).Scan(&exists)
		if err != nil {
			return fmt.Errorf("read the checkpoint of projection %s: %w", name, err)
		}
		if exists == 0 {
			query := d.Rebind("INSERT INTO " + d.Quote(CheckpointTable) + " (name, last_seq, updated_at) VALUES (?, ?, ?)")
			if _, err := q.ExecContext(ctx, query, name, to, now); err != nil {
				if database.IsUniqueViolation(err) {
					return errCheckpointMoved
				}
				return fmt.Errorf("store the checkpoint of projection %s: %w", name, err)
			}
			return nil
		}
	}
	query := d.Rebind("UPDATE " + d.Quote(CheckpointTable) + " SET last_seq = ?, updated_at = ? WHERE name = ? AND last_seq = ?")
	res, err := q.ExecContext(ctx, query, to, now, name, from)
	if err != nil {
		return fmt.Errorf("store the checkpoint of projection %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errCheckpointMoved
	}
	return nil
}
