// Package saga runs orchestrated sagas: multi-step business transactions
// whose steps call services' commands and, when a step fails, undo the
// completed steps with their compensations in reverse order, then run the
// saga's on_failure call.
//
// Every transition is persisted (tables sagas and saga_log) before the next
// action starts, so a saga interrupted by a crash resumes from its last
// persisted state when the process restarts. An action may therefore run
// again after a crash; each one is sent with an idempotency key derived from
// the saga id, so the called command runs once per saga and step.
//
// Several replicas of a service may run a Runner each on one database.
// Each saga is then advanced by one of them at a time, under a lease: a
// runner takes a saga by compare-and-set of its lease_owner and lease_until
// columns (free, expired or its own), renews the lease with every
// transition it saves and before an action when less than CallTimeout of it
// is left, and releases its leases when Run returns. A runner that dies
// holding a lease loses it Lease after its last renewal, and another runner
// takes the saga over. Every transition is saved only over the version of
// the saga it was computed from (UPDATE ... WHERE version = ? AND
// lease_owner = ?): a runner whose lease was taken over, or whose state is
// stale for any other reason, loses the write (errStale), reads the saga
// again and never moves it backwards. The action it ran meanwhile may run
// again under the new holder; its idempotency key makes the command run once.
// Leases compare times of the runners' clocks: keep them in sync (NTP)
// within a fraction of Lease.
//
// The runner advances up to Workers sagas at once, each by one goroutine at a
// time. A saga started in this process is advanced at once; the runner also
// looks for due sagas every Interval (retries, sagas of a previous process).
// While more than MaxBacklog sagas are unfinished, Admit (and the Backpressure
// interceptor on the commands that start sagas) refuses new work with
// ResourceExhausted and a Retry-After hint, so overload shows at the door
// instead of as a backlog that grows without bound.
//
// A step's call is retried with backoff while it fails for reasons that may
// pass (unavailable, timeout, internal); when it keeps failing for
// MaxAttempts, or fails for a business reason (invalid argument, failed
// precondition, not found, ...), the saga compensates. Compensations and
// on_failure are retried until they succeed.
//
// In a multi-tenant system a saga belongs to the tenant of the context that
// starts (or observes) it: it is stored with it and every action runs in it,
// so its calls and the events they record are that tenant's. Get, List and
// GET /sagas show the sagas of the tenant of the request only.
package saga

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// Saga statuses.
const (
	Running      = "running"      // running its steps
	Compensating = "compensating" // a step failed: undoing the completed ones
	Completed    = "completed"    // every step succeeded
	Failed       = "failed"       // compensated and on_failure done
)

// Actions of the log.
const (
	ActionCall       = "call"
	ActionCompensate = "compensate"
	ActionOnFailure  = "on_failure"
)

// Outcomes of the log.
const (
	OutcomeDone     = "done"
	OutcomeRetrying = "retrying"
	OutcomeFailed   = "failed"
)

// Run is what an action gets to build its call.
type Run struct {
	ID      string // saga id: the id of the trigger event
	Trigger []byte // the trigger event, protobuf-encoded
	Error   string // why the saga failed, for compensations and on_failure
}

// Action calls one command.
type Action struct {
	Name string // "inventory.ReserveStock"
	Do   func(ctx context.Context, run Run) error
}

// Step is one step of a saga and its optional compensation.
type Step struct {
	Name       string // "reserve_stock"
	Call       Action
	Compensate *Action
}

// Definition is a saga.
type Definition struct {
	Name      string // "checkout"
	Steps     []Step
	OnFailure *Action
}

// State is a saga instance as persisted.
type State struct {
	ID         string    `json:"id"`
	Saga       string    `json:"saga"`
	Subject    string    `json:"subject"` // id of the aggregate the trigger event is about
	Status     string    `json:"status"`
	Step       int       `json:"-"` // running: next step; compensating: step to compensate next, -1: on_failure next
	FailedStep string    `json:"failed_step,omitempty"`
	Error      string    `json:"error,omitempty"`
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Log        []Entry   `json:"log"`

	nextAttempt time.Time
	trigger     []byte
	traceParent string // the trace context Start was called with
	version     int64  // counts the saga's saved transitions: a save is over the version read
	leaseOwner  string // the runner holding the saga, "" for none
	leaseUntil  time.Time
}

// Entry is one transition of a saga.
type Entry struct {
	Step    string    `json:"step"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
}

// Compensated returns the steps whose compensation ran, in order.
func (s *State) Compensated() []string {
	var out []string
	for _, e := range s.Log {
		if e.Action == ActionCompensate && e.Outcome == OutcomeDone {
			out = append(out, e.Step)
		}
	}
	return out
}

// Runner persists and advances the sagas of one service.
type Runner struct {
	DB     *database.DB
	Logger *slog.Logger
	Sagas  []*Definition
	// CallTimeout bounds each action, 10s by default.
	CallTimeout time.Duration
	// MaxAttempts is how often a step's call is tried before the saga
	// compensates, 3 by default.
	MaxAttempts int
	// Backoff is the delay before an action's first retry, doubled for each
	// next one up to 30s; 200ms by default.
	Backoff time.Duration
	// Interval is how often the runner looks for due sagas besides those
	// started in this process, which it advances at once: retries whose
	// backoff passed and sagas a previous process left unfinished. 100ms by
	// default.
	Interval time.Duration
	// Workers bounds how many sagas advance at once, 64 by default. Each
	// due saga gets a goroutine of its own while fewer than Workers run,
	// so an idle runner holds none; a saga is never advanced by two at once.
	Workers int
	// MaxBacklog is how many unfinished sagas (running or compensating) the
	// runner's sagas may have before Admit refuses new ones, 1000 by
	// default; negative for no bound. A saga admitted waits behind at most
	// that many: at the few hundred sagas a second one runner finishes on
	// two cores, a few seconds.
	MaxBacklog int
	// Telemetry traces each action as a child of the span that started the
	// saga and counts transitions; nil for none.
	Telemetry *telemetry.Telemetry
	// Owner names the runner in the leases it takes (column lease_owner):
	// unique among the replicas sharing the database. The host name and a
	// random suffix by default.
	Owner string
	// Lease is how long a saga stays the runner's after its last renewal,
	// 30s by default: how long the sagas of a runner that died wait before
	// another takes them over. It is renewed with every transition, so a
	// live runner keeps its sagas.
	Lease time.Duration

	setupOnce sync.Once
	started   chan dueSaga     // sagas started in this process, to advance at once
	saves     chan *transition // while Run runs: to its committer

	running atomic.Bool  // Run is running: sagas started here are leased to it
	loads   atomic.Int64 // sagas read to advance them, for tests

	mu   sync.Mutex
	busy map[dueSaga]bool // sagas a worker is advancing
	// fresh holds the state of sagas Start wrote, until a worker claims
	// them: no worker advanced them yet, so it is the state stored, and
	// the worker does not read it back.
	fresh   map[dueSaga]*State
	backlog backlog
	// started lately in this process (committed): the newest up to
	// maxRecent in recent, the ones before in older.
	recent, older map[dueSaga]struct{}
}

// maxRecent is how many committed starts remember makes Started know
// without a read, times one or two: 16 to 32 seconds' worth at a thousand
// sagas a second, far longer than an event takes from the outbox to its
// consumer. Beyond it (a broker down for longer), Started reads.
const maxRecent = 1 << 14

// remember records that the saga due was started and committed.
func (r *Runner) remember(due dueSaga) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) >= maxRecent || r.recent == nil {
		r.older, r.recent = r.recent, map[dueSaga]struct{}{}
	}
	r.recent[due] = struct{}{}
}

// knows reports whether remember recorded due lately.
func (r *Runner) knows(due dueSaga) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.recent[due]
	if !ok {
		_, ok = r.older[due]
	}
	return ok
}

// Defaults of the Runner's settings.
const (
	DefaultWorkers    = 64
	DefaultMaxBacklog = 1000
	DefaultLease      = 30 * time.Second
)

// retryAfter is the Retry-After hint of a refusal: the backlog is counted
// again after backlogTTL, so a retry after a second sees a fresh count.
const (
	retryAfter = time.Second
	backlogTTL = 250 * time.Millisecond
)

// setup applies the defaults, once, before the runner is first used.
func (r *Runner) setup() {
	r.setupOnce.Do(func() {
		if r.CallTimeout <= 0 {
			r.CallTimeout = 10 * time.Second
		}
		if r.MaxAttempts <= 0 {
			r.MaxAttempts = 3
		}
		if r.Backoff <= 0 {
			r.Backoff = 200 * time.Millisecond
		}
		if r.Interval <= 0 {
			r.Interval = 100 * time.Millisecond
		}
		if r.Workers <= 0 {
			r.Workers = DefaultWorkers
		}
		if r.MaxBacklog == 0 {
			r.MaxBacklog = DefaultMaxBacklog
		}
		if r.Lease <= 0 {
			r.Lease = DefaultLease
		}
		if r.Owner == "" {
			r.Owner = defaultOwner()
		}
		r.started = make(chan dueSaga, 4*r.Workers)
		r.busy = map[dueSaga]bool{}
		r.fresh = map[dueSaga]*State{}
	})
}

func (r *Runner) definition(name string) *Definition {
	for _, d := range r.Sagas {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Start persists a new saga instance with id, unless one with that id
// exists: starting twice (a redelivered trigger event) starts once. Called
// with a context carrying a transaction (database.WithTx), it joins it.
// The saga's actions continue the trace of ctx.
func (r *Runner) Start(ctx context.Context, name, id, subject string, trigger []byte) error {
	if r.definition(name) == nil {
		return fmt.Errorf("no saga %q", name)
	}
	if trigger == nil {
		trigger = []byte{} // an event with every field empty encodes to nothing
	}
	d := r.DB.Dialect
	cols, key, err := scope(ctx, d)
	if err != nil {
		return fmt.Errorf("start saga: %w", err)
	}
	cols, key = append(cols, "id"), append(key, id)
	r.setup()
	// PostgreSQL and SQLite skip an existing saga in the INSERT itself
	// (ON CONFLICT DO NOTHING); MySQL's INSERT IGNORE would ignore other
	// errors too, so there a read comes first.
	skipExisting := d == database.Postgres || d == database.SQLite
	return r.DB.InTx(ctx, func(tx *sql.Tx) error {
		if !skipExisting {
			var one int
			err := tx.QueryRowContext(ctx, d.Rebind("SELECT 1 FROM sagas"+where(cols)), key...).Scan(&one)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("start saga: %w", err)
			}
		}
		now := time.Now().UTC()
		// While Run runs, the saga is this runner's from the start: it
		// advances it without taking it first (an UPDATE per saga, most
		// of a loaded orchestrator's writes besides the commands), at
		// once or, when its workers are busy, when its next look finds
		// it. Another replica takes it over only if this one stops
		// renewing it for Lease (it crashed: a runner that stops releases
		// its sagas). Without Run, the saga is free for any replica.
		owner, until := sql.NullString{}, database.NullTime{}
		if r.running.Load() {
			owner, until = nullString(r.Owner), database.NullTime{Time: now.Add(r.Lease), Valid: true}
		}
		query := insert("sagas", append(cols, "name", "subject", "status", "step", "attempts", "next_attempt_at", "trigger_payload", "trace_parent", "created_at", "updated_at", "version", "lease_owner", "lease_until"))
		if skipExisting {
			query += " ON CONFLICT DO NOTHING"
		}
		res, err := tx.ExecContext(ctx, d.Rebind(query),
			append(key, name, subject, Running, 0, 0, now, trigger, nullString(telemetry.TraceParent(ctx)), now, now, 0, owner, until)...)
		if err != nil {
			return fmt.Errorf("start saga: %w", err)
		}
		if skipExisting {
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("start saga: %w", err)
			}
			if n == 0 {
				return nil // started before
			}
		}
		// Once the saga is committed (with the caller's transaction, when
		// Start joined one), Run advances it without waiting for its next
		// look; when Run is busy, that look finds it. (Not before the
		// commit: a reader on another connection would not see it yet.)
		due := dueOf(ctx, id)
		r.keepFresh(due, &State{ID: id, Saga: name, Subject: subject, Status: Running, CreatedAt: now, UpdatedAt: now,
			nextAttempt: now, trigger: bytes.Clone(trigger), traceParent: telemetry.TraceParent(ctx), leaseOwner: owner.String, leaseUntil: until.Time})
		database.AfterCommit(database.WithTx(ctx, tx), func() {
			r.remember(due)
			r.backlog.add(1)
			select {
			case r.started <- due:
			default:
			}
		})
		return nil
	})
}

// Run advances due sagas until ctx is done, picking up where the last
// process left off: up to Workers at once, each saga by one worker at a
// time, and only sagas whose lease it holds or takes. It returns once every
// worker stopped and it released its leases; an action stopped midway runs
// again under the next holder.
func (r *Runner) Run(ctx context.Context) {
	r.setup()
	r.running.Store(true)
	// Once release gave the leases up, the states Start kept for workers
	// name leases the runner no longer holds: the next Run reads them.
	defer r.forgetFresh()
	defer r.release(context.WithoutCancel(ctx))
	defer r.running.Store(false)
	// The committer outlives the workers, which wait for it to save.
	saves := make(chan *transition, r.Workers)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		r.commit(context.WithoutCancel(ctx), saves)
	}()
	r.saves = saves
	// The workers live as long as Run: a goroutine of its own per saga
	// grew its stack anew each time (SQLite's calls run deep), which cost
	// about 1% of a loaded orchestrator's CPU.
	type job struct {
		due dueSaga
		st  *State
	}
	jobs := make(chan job) // unbuffered: a send waits for a free worker
	var workers sync.WaitGroup
	for range r.Workers {
		workers.Go(func() {
			for j := range jobs {
				// In a multi-tenant system each saga advances in its tenant.
				if err := r.advance(j.due.context(ctx), j.due.id, j.st); err != nil && ctx.Err() == nil && !errors.Is(err, errStale) {
					r.Logger.Warn("saga: advancing failed", "saga_id", j.due.id, "error", err)
				}
				r.unclaim(j.due)
			}
		})
	}
	defer func() {
		close(jobs)
		workers.Wait()
		close(saves)
		<-committed
		r.saves = nil
	}()
	// dispatch hands due to a worker, waiting for a free one; false when
	// ctx is done first.
	dispatch := func(due dueSaga) bool {
		st, ok := r.claim(due)
		if !ok {
			return true // a worker is advancing it
		}
		select {
		case jobs <- job{due, st}:
			return true
		case <-ctx.Done():
			r.unclaim(due)
			return false
		}
	}
	// A page holds more sagas than can be busy, so a full page of due sagas
	// has some to dispatch besides those advancing.
	page := 2 * r.Workers
	look := time.NewTimer(0) // look at once: sagas of a previous process
	defer look.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case due := <-r.started:
			if !dispatch(due) {
				return
			}
			continue
		case <-look.C:
		}
		list, err := r.due(ctx, page)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("saga: listing due sagas failed", "error", err)
		}
		for _, due := range list {
			if !dispatch(due) {
				return
			}
		}
		if len(list) == page {
			look.Reset(0) // more may be due
		} else {
			look.Reset(r.Interval)
		}
	}
}

// claim marks due as being advanced, and returns its state when Start
// wrote it and no worker claimed it since; false when a worker is
// advancing it.
func (r *Runner) claim(due dueSaga) (*State, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.fresh[due]
	delete(r.fresh, due) // a worker changes it from now on
	if r.busy[due] {
		return nil, false
	}
	r.busy[due] = true
	return st, true
}

// keepFresh keeps st, the state Start writes, for the worker that claims
// the saga first. Start keeps it before its transaction commits, so that
// no worker can claim the saga before (a claim after a worker advanced it
// would find a stale state). The states of sagas whose transaction rolled
// back stay until the saga is started again or the map fills up: then it
// is emptied, and workers read those sagas.
func (r *Runner) keepFresh(due dueSaga, st *State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fresh) >= maxFresh {
		clear(r.fresh)
	}
	r.fresh[due] = st
}

// forgetFresh drops the states kept for workers.
func (r *Runner) forgetFresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.fresh)
}

// maxFresh bounds the states kept for workers (keepFresh).
const maxFresh = 4096

func (r *Runner) unclaim(due dueSaga) {
	r.mu.Lock()
	delete(r.busy, due)
	r.mu.Unlock()
}

// Held returns how many sagas the runner's workers are advancing now, each
// under its lease: the saga_held metric.
func (r *Runner) Held() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int64(len(r.busy))
}

// release gives up the leases the runner holds, once its workers stopped,
// so that other replicas take its sagas over at once rather than after
// Lease.
func (r *Runner) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// Finished sagas keep their last lease, which nothing reads: the
	// status narrows the update to the unfinished ones (the due index).
	_, err := r.DB.ExecContext(ctx, r.DB.Dialect.Rebind("UPDATE sagas SET lease_owner = NULL, lease_until = NULL WHERE status IN (?, ?) AND lease_owner = ?"), Running, Compensating, r.Owner)
	if err != nil {
		r.Logger.Warn("saga: releasing leases failed: other replicas take the sagas over when they expire", "owner", r.Owner, "error", err)
	}
}

// due returns up to limit sagas (of every tenant, in a multi-tenant system)
// with an action to run now, oldest first, that no other runner holds:
// only of the sagas the runner orchestrates, not of those it observes.
func (r *Runner) due(ctx context.Context, limit int) ([]dueSaga, error) {
	if len(r.Sagas) == 0 {
		return nil, nil
	}
	d := r.DB.Dialect
	now := time.Now().UTC()
	args := []any{Running, Compensating, now, r.Owner, now}
	names := make([]string, len(r.Sagas))
	for i, def := range r.Sagas {
		names[i] = "?"
		args = append(args, def.Name)
	}
	cols := append(scopeColumns(d), "id")
	rows, err := r.DB.QueryContext(ctx, d.Rebind("SELECT "+strings.Join(cols, ", ")+" FROM sagas WHERE status IN (?, ?) AND next_attempt_at <= ? AND "+free+" AND name IN ("+strings.Join(names, ", ")+") ORDER BY created_at LIMIT "+strconv.Itoa(limit)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []dueSaga
	for rows.Next() {
		var due dueSaga
		if err := rows.Scan(append(due.scopeFields(), &due.id)...); err != nil {
			return nil, err
		}
		ids = append(ids, due)
	}
	return ids, rows.Err()
}

// free is the condition on a saga's lease that a runner may take it: no
// one holds it, the runner holds it, or its holder let it expire (the
// arguments: the runner's Owner, now).
const free = "(lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)"

// advance runs the saga's actions until it finishes, has to wait or another
// runner holds it. It reads the saga once, unless st is its state as Start
// committed it, and takes its lease: while the lease holds, no other
// runner changes it. When a save loses all the same (errStale: the lease
// expired and was taken over), it reads the saga again, and goes on only
// if it can take the lease again.
func (r *Runner) advance(ctx context.Context, id string, st *State) error {
	if st == nil {
		r.loads.Add(1)
		var err error
		if st, err = r.load(ctx, id); err != nil {
			return err
		}
	}
	def := r.definition(st.Saga)
	if def == nil {
		return fmt.Errorf("saga %s: unknown saga %q", id, st.Saga)
	}
	for ctx.Err() == nil {
		if (st.Status != Running && st.Status != Compensating) || time.Now().Before(st.nextAttempt) {
			return nil
		}
		if err := r.hold(ctx, st); err != nil {
			if errors.Is(err, errStale) {
				return nil // another runner holds it
			}
			return err
		}
		next, err := r.step(ctx, def, st)
		if errors.Is(err, errStale) {
			r.Logger.InfoContext(ctx, "saga: another runner advanced the saga meanwhile: reading it again", "saga_id", id, "owner", r.Owner)
			if st, err = r.load(ctx, id); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		st = next
	}
	return ctx.Err()
}

// hold makes sure the runner holds st's lease for at least CallTimeout, so
// that no other runner takes the saga over during the next action: it
// takes the lease (free, expired or already its own) or renews it, by
// compare-and-set on the saga's version. errStale when another runner holds
// it or the saga changed since st was read.
func (r *Runner) hold(ctx context.Context, st *State) error {
	now := time.Now().UTC()
	if st.leaseOwner == r.Owner && st.leaseUntil.Sub(now) > r.CallTimeout {
		return nil
	}
	until := now.Add(max(r.Lease, r.CallTimeout+time.Second))
	d := r.DB.Dialect
	scopeCols, scopeVals, err := scope(ctx, d)
	if err != nil {
		return fmt.Errorf("take saga %s: %w", st.ID, err)
	}
	res, err := r.DB.ExecContext(ctx, d.Rebind("UPDATE sagas SET lease_owner = ?, lease_until = ?"+where(append(scopeCols, "id", "version"))+" AND "+free),
		append(append([]any{r.Owner, until}, append(scopeVals, st.ID, st.version)...), r.Owner, now)...)
	if err != nil {
		return fmt.Errorf("take saga %s: %w", st.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errStale
	}
	st.leaseOwner, st.leaseUntil = r.Owner, until
	return nil
}

// errStale is a write that lost: the saga changed since it was read, or
// another runner holds it.
var errStale = errors.New("saga changed since it was read")

// step runs the next action of st, persists the transition and returns the
// saga's new state.
func (r *Runner) step(ctx context.Context, def *Definition, st *State) (*State, error) {
	next := *st
	next.Attempts = 0
	var (
		action   *Action
		kind     string
		stepName string
	)
	switch st.Status {
	case Running:
		if st.Step >= len(def.Steps) {
			next.Status = Completed
			return &next, r.save(ctx, &next, nil)
		}
		action, kind, stepName = &def.Steps[st.Step].Call, ActionCall, def.Steps[st.Step].Name
	case Compensating:
		j := st.Step
		for j >= 0 && def.Steps[j].Compensate == nil {
			j--
		}
		switch {
		case j >= 0:
			action, kind, stepName = def.Steps[j].Compensate, ActionCompensate, def.Steps[j].Name
			next.Step = j
		case j == -1 && def.OnFailure != nil:
			action, kind, stepName = def.OnFailure, ActionOnFailure, def.OnFailure.Name
			next.Step = -1
		default:
			next.Status = Failed
			return &next, r.save(ctx, &next, nil)
		}
	}
	// The action runs now, under the lease hold took.
	spanCtx, span := r.Telemetry.Start(telemetry.WithTraceParent(ctx, st.traceParent), "saga "+st.Saga+" "+kind+" "+stepName,
		trace.WithAttributes(attribute.String("saga.name", st.Saga), attribute.String("saga.id", st.ID),
			attribute.String("saga.step", stepName), attribute.String("saga.action", kind), attribute.Int("saga.attempt", st.Attempts+1)))
	callCtx, cancel := context.WithTimeout(idempotency.WithKey(spanCtx, st.ID+":"+kind+":"+stepName), r.CallTimeout)
	err := action.Do(callCtx, Run{ID: st.ID, Trigger: st.trigger, Error: st.Error})
	cancel()
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopped mid-action: the next process runs it again
	}
	entry := &Entry{Step: stepName, Action: kind, Outcome: OutcomeDone, At: time.Now().UTC()}
	switch {
	case err == nil && kind == ActionCall:
		next.Step = st.Step + 1
	case err == nil && kind == ActionCompensate:
		next.Step--
	case err == nil:
		next.Status = Failed
	case kind == ActionCall && (Permanent(err) || st.Attempts+1 >= r.MaxAttempts):
		entry.Outcome, entry.Error = OutcomeFailed, err.Error()
		next.Status, next.FailedStep, next.Error = Compensating, stepName, action.Name+": "+err.Error()
		next.Step = st.Step - 1
	default:
		entry.Outcome, entry.Error = OutcomeRetrying, err.Error()
		next.Attempts = st.Attempts + 1
		next.nextAttempt = time.Now().Add(backoff(next.Attempts, r.Backoff))
	}
	if err == nil || next.Status == Compensating {
		settle(def, &next)
	}
	r.Telemetry.SagaTransition(spanCtx, st.Saga, kind, entry.Outcome, next.Status)
	r.Logger.InfoContext(spanCtx, "saga transition", "saga", st.Saga, "saga_id", st.ID, "step", stepName, "action", kind, "outcome", entry.Outcome, "status", next.Status, "error", entry.Error)
	return &next, r.save(ctx, &next, entry)
}

// settle marks st completed or failed when no action is left to run, so
// the transition that ran the last action persists the end as well.
func settle(def *Definition, st *State) {
	switch st.Status {
	case Running:
		if st.Step >= len(def.Steps) {
			st.Status = Completed
		}
	case Compensating:
		j := st.Step
		for j >= 0 && def.Steps[j].Compensate == nil {
			j--
		}
		if j < 0 && def.OnFailure == nil {
			st.Status = Failed
		}
	}
}

func backoff(attempt int, base time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// Observation is a transition of a choreographed saga, whose participants
// advance it by reacting to each other's events; the service that emits its
// trigger observes their events to keep its state.
type Observation struct {
	Saga    string // "trip"
	ID      string // saga id: the id of the trigger event
	Subject string // the trigger's aggregate id, "" when the event does not tell
	Trigger []byte // the trigger event, nil when the event does not carry it
	Status  string // the saga's status after the transition
	// FailedStep and Error: on the saga's failure, which step failed and why.
	FailedStep, Error string
	Entry             *Entry // the transition; nil for the trigger
}

// rank orders statuses: an observation never moves a saga back (the
// events of different participants may arrive in any order).
var rank = map[string]int{Running: 0, Compensating: 1, Completed: 2, Failed: 2}

// Observe records o in the saga's state and log, creating the saga when it
// is the first event of it seen. Called with a context carrying a
// transaction (database.WithTx, as event handlers have), it joins it, so an
// event observed twice (a redelivery) is recorded once. Replicas observing
// events of one saga at once are serialized: the row is read FOR UPDATE
// where the store has it, and saved only over the version read; the loser
// of a race returns an error, and its event is delivered again.
func (r *Runner) Observe(ctx context.Context, o Observation) error {
	if o.ID == "" {
		return nil // the event belongs to no saga
	}
	d := r.DB.Dialect
	now := time.Now().UTC()
	cols, key, err := scope(ctx, d)
	if err != nil {
		return fmt.Errorf("observe saga %s: %w", o.ID, err)
	}
	scopeCols, scopeVals := cols, key
	cols, key = append(cols, "id"), append(key, o.ID)
	return r.DB.InTx(ctx, func(tx *sql.Tx) error {
		st, err := scanState(tx.QueryRowContext(ctx, d.Rebind("SELECT "+stateColumns+" FROM sagas"+where(cols)+forUpdate(d)), key...))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			trigger := o.Trigger
			if trigger == nil {
				trigger = []byte{}
			}
			_, err = tx.ExecContext(ctx, d.Rebind(insert("sagas", append(cols, "name", "subject", "status", "step", "failed_step", "last_error", "attempts", "next_attempt_at", "trigger_payload", "created_at", "updated_at", "version"))),
				append(key, o.Saga, o.Subject, o.Status, 0, nullString(o.FailedStep), nullString(o.Error), 0, now, trigger, now, now, 0)...)
		case err != nil:
			return fmt.Errorf("observe saga %s: %w", o.ID, err)
		default:
			if rank[o.Status] > rank[st.Status] {
				st.Status = o.Status
			}
			if st.Subject == "" {
				st.Subject = o.Subject
			}
			if o.Trigger != nil {
				st.trigger = o.Trigger
			}
			if st.trigger == nil {
				st.trigger = []byte{}
			}
			if o.FailedStep != "" {
				st.FailedStep, st.Error = o.FailedStep, o.Error
			}
			var res sql.Result
			res, err = tx.ExecContext(ctx, d.Rebind("UPDATE sagas SET status = ?, subject = ?, failed_step = ?, last_error = ?, trigger_payload = ?, updated_at = ?, version = ?"+where(append(slices.Clip(cols), "version"))),
				append([]any{st.Status, st.Subject, nullString(st.FailedStep), nullString(st.Error), st.trigger, now, st.version + 1}, append(slices.Clip(key), st.version)...)...)
			if err == nil {
				if n, rerr := res.RowsAffected(); rerr != nil || n != 1 {
					err = errors.Join(errStale, rerr)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("observe saga %s: %w", o.ID, err)
		}
		if o.Entry == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, d.Rebind(insert("saga_log", append(slices.Clip(scopeCols), "saga_id", "step", "action", "outcome", "last_error", "logged_at"))),
			append(slices.Clip(scopeVals), o.ID, o.Entry.Step, o.Entry.Action, o.Entry.Outcome, nullString(o.Entry.Error), now)...)
		if err != nil {
			return fmt.Errorf("log saga %s: %w", o.ID, err)
		}
		return nil
	})
}

// Permanent reports whether err is a business failure that retrying cannot
// fix: the saga compensates at once.
func Permanent(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeNotFound,
		connect.CodeAlreadyExists, connect.CodePermissionDenied, connect.CodeOutOfRange,
		connect.CodeUnimplemented, connect.CodeUnauthenticated:
		return true
	}
	return false
}

// save persists st and logs entry, in one transaction. While Run runs,
// the transitions its workers save at the same time share one transaction
// (commit): one commit, and with SQLite one sync to disk, for many.
func (r *Runner) save(ctx context.Context, st *State, entry *Entry) error {
	now := time.Now().UTC()
	if st.nextAttempt.IsZero() || st.Attempts == 0 {
		st.nextAttempt = now
	}
	var err error
	if saves := r.saves; saves == nil {
		err = r.DB.InTx(ctx, func(tx *sql.Tx) error { return r.write(ctx, tx, st, entry, now) })
	} else {
		t := &transition{ctx: ctx, st: st, entry: entry, at: now, done: make(chan error, 1)}
		select {
		case saves <- t:
		case <-ctx.Done():
			return ctx.Err()
		}
		err = <-t.done
	}
	if err != nil {
		return err
	}
	st.version++
	st.leaseUntil = now.Add(r.Lease)
	return nil
}

// transition is a save waiting for the committer.
type transition struct {
	ctx   context.Context // the saga's: its tenant
	st    *State
	entry *Entry
	at    time.Time
	done  chan error
}

// commit persists the transitions sent on saves until it is closed: each
// time all that are waiting, in one transaction. A transition that loses
// (errStale) fails alone and leaves the others be; when the transaction
// fails, each transition is tried on its own, so one that cannot be saved
// fails alone.
func (r *Runner) commit(ctx context.Context, saves <-chan *transition) {
	for t := range saves {
		batch := []*transition{t}
	more:
		for {
			select {
			case t, ok := <-saves:
				if !ok {
					break more
				}
				batch = append(batch, t)
			default:
				break more
			}
		}
		lost := make([]bool, len(batch))
		err := r.DB.InTx(ctx, func(tx *sql.Tx) error {
			for i, t := range batch {
				err := r.write(t.ctx, tx, t.st, t.entry, t.at)
				lost[i] = errors.Is(err, errStale)
				if err != nil && !lost[i] {
					return err
				}
			}
			return nil
		})
		for i, t := range batch {
			switch {
			case err != nil && len(batch) > 1:
				t.done <- r.DB.InTx(t.ctx, func(tx *sql.Tx) error { return r.write(t.ctx, tx, t.st, t.entry, t.at) })
			case err == nil && lost[i]:
				t.done <- errStale
			default:
				t.done <- err
			}
		}
	}
}

// write updates st's row and logs entry in tx, over the version st was
// read at and only while the runner holds the saga's lease, which it
// renews; errStale, and nothing written, otherwise.
func (r *Runner) write(ctx context.Context, tx *sql.Tx, st *State, entry *Entry, now time.Time) error {
	d := r.DB.Dialect
	scopeCols, scopeVals, err := scope(ctx, d)
	if err != nil {
		return fmt.Errorf("save saga %s: %w", st.ID, err)
	}
	res, err := tx.ExecContext(ctx, d.Rebind("UPDATE sagas SET status = ?, step = ?, failed_step = ?, last_error = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, version = ?, lease_until = ?"+where(append(slices.Clip(scopeCols), "id", "version", "lease_owner"))),
		append([]any{st.Status, st.Step, nullString(st.FailedStep), nullString(st.Error), st.Attempts, st.nextAttempt.UTC(), now, st.version + 1, now.Add(r.Lease)},
			append(slices.Clip(scopeVals), st.ID, st.version, r.Owner)...)...)
	if err != nil {
		return fmt.Errorf("save saga %s: %w", st.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("save saga %s: %w", st.ID, err)
	} else if n != 1 {
		return errStale
	}
	if entry == nil {
		return nil
	}
	_, err = tx.ExecContext(ctx, d.Rebind(insert("saga_log", append(slices.Clip(scopeCols), "saga_id", "step", "action", "outcome", "last_error", "logged_at"))),
		append(slices.Clip(scopeVals), st.ID, entry.Step, entry.Action, entry.Outcome, nullString(entry.Error), entry.At)...)
	if err != nil {
		return fmt.Errorf("log saga %s: %w", st.ID, err)
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// forUpdate locks the rows a SELECT reads until the transaction ends, where
// the store can: SQLite has one writer at a time anyway.
func forUpdate(d database.Dialect) string {
	if d == database.SQLite {
		return ""
	}
	return " FOR UPDATE"
}

// defaultOwner names a runner: the host name (in Kubernetes, the pod's)
// and a random suffix, as two runners may share a host.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "runner"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// scope returns the columns, quoted, and values that the rows of a saga
// are scoped by besides its id: the tenant of ctx in a multi-tenant system.
func scope(ctx context.Context, d database.Dialect) ([]string, []any, error) {
	vals, err := scopeValues(ctx)
	if err != nil {
		return nil, nil, err
	}
	return scopeColumns(d), vals, nil
}

// where is " WHERE a = ? AND b = ?" for cols, "" for none.
func where(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(cols, " = ? AND ") + " = ?"
}

// insert is an INSERT of cols into table.
func insert(table string, cols []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
}

const stateColumns = "id, name, subject, status, step, failed_step, last_error, attempts, next_attempt_at, trigger_payload, trace_parent, created_at, updated_at, version, lease_owner, lease_until"

func scanState(row interface{ Scan(...any) error }) (*State, error) {
	st := &State{}
	var failed, lastErr, traceParent, owner sql.NullString
	var next, created, updated, until database.NullTime
	if err := row.Scan(&st.ID, &st.Saga, &st.Subject, &st.Status, &st.Step, &failed, &lastErr, &st.Attempts, &next, &st.trigger, &traceParent, &created, &updated, &st.version, &owner, &until); err != nil {
		return nil, err
	}
	st.FailedStep, st.Error, st.traceParent = failed.String, lastErr.String, traceParent.String
	st.nextAttempt, st.CreatedAt, st.UpdatedAt = next.Time, created.Time, updated.Time
	st.leaseOwner, st.leaseUntil = owner.String, until.Time
	return st, nil
}

// load returns the saga with id without its log.
func (r *Runner) load(ctx context.Context, id string) (*State, error) {
	d := r.DB.Dialect
	scopeCols, scopeVals, err := scope(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	st, err := scanState(r.DB.QueryRowContext(ctx, d.Rebind("SELECT "+stateColumns+" FROM sagas"+where(append(scopeCols, "id"))), append(scopeVals, id)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	return st, nil
}

// ErrNotFound is returned when no saga has the id.
var ErrNotFound = errors.New("saga not found")

// Started reports whether a saga with id was started (in a multi-tenant
// system, in the tenant of ctx): without a read when this process started
// it lately (the consumer of a trigger event the orchestrator recorded
// itself asks about every saga it started a moment before), else with one
// read outside any transaction. Sagas are never deleted, so a saga found
// stays found.
func (r *Runner) Started(ctx context.Context, id string) (bool, error) {
	if r.knows(dueOf(ctx, id)) {
		return true, nil
	}
	d := r.DB.Dialect
	cols, key, err := scope(ctx, d)
	if err != nil {
		return false, fmt.Errorf("look up saga %s: %w", id, err)
	}
	var one int
	err = r.DB.QueryRowContext(ctx, d.Rebind("SELECT 1 FROM sagas"+where(append(cols, "id"))), append(key, id)...).Scan(&one)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	}
	return false, fmt.Errorf("look up saga %s: %w", id, err)
}

// Get returns the saga with id and its log (in a multi-tenant system, of
// the tenant of ctx: ErrNotFound when only another tenant has one).
func (r *Runner) Get(ctx context.Context, id string) (*State, error) {
	st, err := r.load(ctx, id)
	if err != nil {
		return nil, err
	}
	d := r.DB.Dialect
	scopeCols, scopeVals, err := scope(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	rows, err := r.DB.QueryContext(ctx, d.Rebind("SELECT step, action, outcome, last_error, logged_at FROM saga_log"+where(append(slices.Clip(scopeCols), "saga_id"))+" ORDER BY seq"), append(slices.Clip(scopeVals), id)...)
	if err != nil {
		return nil, fmt.Errorf("load saga log %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		var lastErr sql.NullString
		var at database.NullTime
		if err := rows.Scan(&e.Step, &e.Action, &e.Outcome, &lastErr, &at); err != nil {
			return nil, fmt.Errorf("load saga log %s: %w", id, err)
		}
		e.Error, e.At = lastErr.String, at.Time
		st.Log = append(st.Log, e)
	}
	return st, rows.Err()
}

// List returns the newest sagas (at most 100; in a multi-tenant system, of
// the tenant of ctx), without their logs; with a subject, only those about
// that aggregate.
func (r *Runner) List(ctx context.Context, subject string) ([]*State, error) {
	d := r.DB.Dialect
	cols, args, err := scope(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("list sagas: %w", err)
	}
	if subject != "" {
		cols, args = append(cols, "subject"), append(args, subject)
	}
	query := "SELECT " + stateColumns + " FROM sagas" + where(cols) + " ORDER BY created_at DESC LIMIT 100"
	rows, err := r.DB.QueryContext(ctx, d.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list sagas: %w", err)
	}
	defer rows.Close()
	out := []*State{}
	for rows.Next() {
		st, err := scanState(rows)
		if err != nil {
			return nil, fmt.Errorf("list sagas: %w", err)
		}
		st.Log = []Entry{}
		out = append(out, st)
	}
	return out, rows.Err()
}

// CountByStatus calls observe with the number of sagas of each name and
// status, for the saga_instances metric.
func (r *Runner) CountByStatus(ctx context.Context, observe func(saga, status string, n int64)) error {
	rows, err := r.DB.QueryContext(ctx, "SELECT name, status, COUNT(*) FROM sagas GROUP BY name, status")
	if err != nil {
		return fmt.Errorf("count sagas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, status string
		var n int64
		if err := rows.Scan(&name, &status, &n); err != nil {
			return fmt.Errorf("count sagas: %w", err)
		}
		observe(name, status, n)
	}
	return rows.Err()
}

// Backlog calls observe with the number of unfinished sagas (running or
// compensating) of each name and when the oldest of them started, for the
// saga_backlog and saga_oldest_age_seconds metrics.
func (r *Runner) Backlog(ctx context.Context, observe func(saga string, n int64, oldest time.Time)) error {
	rows, err := r.DB.QueryContext(ctx, r.DB.Dialect.Rebind("SELECT name, COUNT(*), MIN(created_at) FROM sagas WHERE status IN (?, ?) GROUP BY name"), Running, Compensating)
	if err != nil {
		return fmt.Errorf("saga backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		var oldest database.NullTime
		if err := rows.Scan(&name, &n, &oldest); err != nil {
			return fmt.Errorf("saga backlog: %w", err)
		}
		observe(name, n, oldest.Time)
	}
	return rows.Err()
}

// backlog is the number of unfinished sagas the runner orchestrates, as
// last counted plus those started since.
type backlog struct {
	mu         sync.Mutex
	n          int64
	countedAt  time.Time
	refreshing bool
}

func (b *backlog) add(n int64) {
	b.mu.Lock()
	b.n += n
	b.mu.Unlock()
}

// pending returns the backlog, counting it again when the last count is
// older than backlogTTL. Concurrent callers meanwhile get the last count.
func (r *Runner) pending(ctx context.Context) (int64, error) {
	b := &r.backlog
	b.mu.Lock()
	if b.refreshing || time.Since(b.countedAt) < backlogTTL {
		n := b.n
		b.mu.Unlock()
		return n, nil
	}
	b.refreshing = true
	b.mu.Unlock()
	n, err := r.count(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshing = false
	if err != nil {
		return b.n, err
	}
	b.n, b.countedAt = n, time.Now()
	return n, nil
}

// count counts the unfinished sagas of the runner's sagas (of every tenant).
func (r *Runner) count(ctx context.Context) (int64, error) {
	if len(r.Sagas) == 0 {
		return 0, nil
	}
	args := []any{Running, Compensating}
	names := make([]string, len(r.Sagas))
	for i, def := range r.Sagas {
		names[i] = "?"
		args = append(args, def.Name)
	}
	var n int64
	err := r.DB.QueryRowContext(ctx, r.DB.Dialect.Rebind("SELECT COUNT(*) FROM sagas WHERE status IN (?, ?) AND name IN ("+strings.Join(names, ", ")+")"), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unfinished sagas: %w", err)
	}
	return n, nil
}

// Admit returns nil when the runner takes new sagas, and a
// ResourceExhausted error with a Retry-After hint (the header of the
// error's metadata) while more than MaxBacklog of its sagas are
// unfinished. When the backlog cannot be counted, it admits.
func (r *Runner) Admit(ctx context.Context) error {
	r.setup()
	if r.MaxBacklog < 0 {
		return nil
	}
	n, err := r.pending(ctx)
	if err != nil {
		r.Logger.WarnContext(ctx, "saga: counting the backlog failed", "error", err)
	}
	if n < int64(r.MaxBacklog) {
		return nil
	}
	refusal := connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("%d sagas are waiting to finish, at most %d may: try again later", n, r.MaxBacklog))
	refusal.Meta().Set(RetryAfterHeader, strconv.Itoa(int(retryAfter/time.Second)))
	refusal.Meta().Set(BacklogHeader, strconv.FormatInt(n, 10))
	return refusal
}

// RetryAfterHeader is the header of a refusal saying after how many seconds
// to try again.
const RetryAfterHeader = "Retry-After"

// BacklogHeader is the header of a refusal giving the backlog that caused
// it: what tells a client (cmd/load) backpressure from a rate limit, both
// answered 429.
const BacklogHeader = "Saga-Backlog"

// Backpressure returns an interceptor that refuses the calls of procedures
// (the commands that start the runner's sagas) while Admit refuses: a
// ResourceExhausted error, which the gateway answers as 429 with
// Retry-After.
func (r *Runner) Backpressure(procedures ...string) connect.Interceptor {
	guarded := map[string]bool{}
	for _, p := range procedures {
		guarded[p] = true
	}
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if guarded[req.Spec().Procedure] {
				if err := r.Admit(ctx); err != nil {
					return nil, err
				}
			}
			return next(ctx, req)
		}
	})
}

// Mount serves the saga state as JSON on mux:
//
//   - GET /sagas[?subject=<aggregate id>]: the newest sagas;
//   - GET /sagas/{id}: one saga with every transition.
//
// In a multi-tenant system both show the sagas of the request's tenant only.
func (r *Runner) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /sagas", func(w http.ResponseWriter, req *http.Request) {
		list, err := r.List(req.Context(), req.URL.Query().Get("subject"))
		writeJSON(w, list, err)
	})
	mux.HandleFunc("GET /sagas/{id}", func(w http.ResponseWriter, req *http.Request) {
		st, err := r.Get(req.Context(), req.PathValue("id"))
		writeJSON(w, st, err)
	})
}

func writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case errors.Is(err, ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
		v = map[string]string{"error": err.Error()}
	case err != nil:
		w.WriteHeader(http.StatusInternalServerError)
		v = map[string]string{"error": strings.SplitN(err.Error(), ":", 2)[0]}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
