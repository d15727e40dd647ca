package saga_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/saga"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// recorder counts the calls of each action and the idempotency keys sent,
// and the tenant each call ran in ("" in a single-tenant system).
type recorder struct {
	mu      sync.Mutex
	calls   []string
	keys    map[string][]string
	tenants []string
}

func (r *recorder) action(name string, do func(n int) error) saga.Action {
	return saga.Action{Name: name, Do: func(ctx context.Context, run saga.Run) error {
		r.mu.Lock()
		r.calls = append(r.calls, name)
		if r.keys == nil {
			r.keys = map[string][]string{}
		}
		r.keys[name] = append(r.keys[name], idempotency.Key(ctx))
		r.tenants = append(r.tenants, tenantOf(ctx))
		n := len(r.keys[name])
		r.mu.Unlock()
		if do == nil {
			return nil
		}
		return do(n)
	}}
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys[name])
}

// openDB returns the saga tables in a fresh database: SQLite, or a schema of
// the PostgreSQL server at TEST_POSTGRES_URL when it is set, else a database
// of the MySQL server at TEST_MYSQL_URL when that is set.
func openDB(t testing.TB) *database.DB {
	t.Helper()
	store := "sqlite"
	switch {
	case os.Getenv("TEST_POSTGRES_URL") != "":
		store = "postgres"
	case os.Getenv("TEST_MYSQL_URL") != "":
		store = "mysql"
	}
	db := dbtest.Open(t, "sagas", store)
	seq, blob, ts := "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB", "TIMESTAMP"
	switch db.Dialect {
	case database.Postgres:
		seq, blob, ts = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BYTEA", "TIMESTAMPTZ"
	case database.MySQL:
		seq, blob, ts = "BIGINT AUTO_INCREMENT PRIMARY KEY", "LONGBLOB", "DATETIME(6)"
	}
	for _, ddl := range []string{
		`CREATE TABLE sagas (` + tenantColumn + `id TEXT NOT NULL, name TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL,
			step INTEGER NOT NULL, failed_step TEXT NULL, last_error TEXT NULL, attempts INTEGER NOT NULL,
			next_attempt_at ` + ts + ` NOT NULL, trigger_payload ` + blob + ` NOT NULL, trace_parent TEXT NULL, created_at ` + ts + ` NOT NULL, updated_at ` + ts + ` NOT NULL,
			version BIGINT NOT NULL DEFAULT 0, lease_owner TEXT NULL, lease_until ` + ts + ` NULL,
			PRIMARY KEY (` + tenantKey + `id))`,
		`CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at)`,
		`CREATE TABLE saga_log (seq ` + seq + `, ` + tenantColumn + `saga_id TEXT NOT NULL, step TEXT NOT NULL, action TEXT NOT NULL,
			outcome TEXT NOT NULL, last_error TEXT NULL, logged_at ` + ts + ` NOT NULL)`,
	} {
		if db.Dialect == database.MySQL {
			ddl = strings.ReplaceAll(ddl, " TEXT ", " VARCHAR(255) ") // keys and indexes need a length
		}
		if _, err := db.ExecContext(context.Background(), ddl); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// definition has three steps; the first two have compensations.
func definition(r *recorder, second func(n int) error) *saga.Definition {
	undo1, undo2 := r.action("undo1", nil), r.action("undo2", nil)
	onFailure := r.action("on_failure", nil)
	return &saga.Definition{
		Name: "test",
		Steps: []saga.Step{
			{Name: "first", Call: r.action("first", nil), Compensate: &undo1},
			{Name: "second", Call: r.action("second", second), Compensate: &undo2},
			{Name: "third", Call: r.action("third", nil)},
		},
		OnFailure: &onFailure,
	}
}

// run starts a runner until the returned stop is called.
func run(runner *saga.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runner.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func waitForStatus(t *testing.T, runner *saga.Runner, id, status string) *saga.State {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := runner.Get(scoped(t.Context()), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == status {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("saga %s is %s, want %s; log %+v", id, st.Status, status, st.Log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newRunner(t *testing.T, db *database.DB, def *saga.Definition) *saga.Runner {
	return &saga.Runner{DB: db, Logger: logging.Discard(), Sagas: []*saga.Definition{def}, Backoff: 5 * time.Millisecond, Interval: 5 * time.Millisecond}
}

func TestHappyPath(t *testing.T) {
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, nil))
	if started, err := runner.Started(scoped(t.Context()), "saga-1"); err != nil || started {
		t.Errorf("Started before Start = %v (%v), want false", started, err)
	}
	// A redelivered trigger starts the saga once.
	for range 2 {
		if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", []byte("trigger")); err != nil {
			t.Fatal(err)
		}
	}
	if started, err := runner.Started(scoped(t.Context()), "saga-1"); err != nil || !started {
		t.Errorf("Started after Start = %v (%v), want true", started, err)
	}
	defer run(runner)()
	st := waitForStatus(t, runner, "saga-1", saga.Completed)
	if want := []string{"first", "second", "third"}; !slices.Equal(r.calls, want) {
		t.Errorf("calls = %v, want %v", r.calls, want)
	}
	if len(st.Log) != 3 || st.FailedStep != "" {
		t.Errorf("state = %+v", st)
	}
	list, err := runner.List(scoped(t.Context()), "aggregate-1")
	if err != nil || len(list) != 1 || list[0].ID != "saga-1" {
		t.Errorf("List = %v, %v", list, err)
	}
}

// Started knows the sagas its runner started lately without reading the
// database; another runner (a replica) reads it.
func TestStartedKnowsItsOwnWithoutARead(t *testing.T) {
	db := openDB(t)
	runner := newRunner(t, db, definition(&recorder{}, nil))
	other := newRunner(t, db, definition(&recorder{}, nil))
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", []byte("trigger")); err != nil {
		t.Fatal(err)
	}
	if started, err := other.Started(scoped(t.Context()), "saga-1"); err != nil || !started {
		t.Errorf("another runner's Started = %v (%v), want true", started, err)
	}
	db.Close()
	if started, err := runner.Started(scoped(t.Context()), "saga-1"); err != nil || !started {
		t.Errorf("Started, the database closed = %v (%v), want true without a read", started, err)
	}
	if _, err := runner.Started(scoped(t.Context()), "saga-2"); err == nil {
		t.Error("Started of a saga it did not start, the database closed: no error, want the read's")
	}
}

// A step failing for a business reason compensates the completed steps in
// reverse order, then runs on_failure.
func TestCompensation(t *testing.T) {
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, func(int) error {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New("amount above the limit"))
	}))
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	st := waitForStatus(t, runner, "saga-1", saga.Failed)
	if want := []string{"first", "second", "undo1", "on_failure"}; !slices.Equal(r.calls, want) {
		t.Errorf("calls = %v, want %v", r.calls, want)
	}
	if st.FailedStep != "second" || st.Error == "" {
		t.Errorf("failed step %q, error %q", st.FailedStep, st.Error)
	}
	if got := st.Compensated(); !slices.Equal(got, []string{"first"}) {
		t.Errorf("compensated %v, want [first]", got)
	}
}

// A step failing for a passing reason is retried with backoff.
func TestTransientFailureRetried(t *testing.T) {
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, func(n int) error {
		if n < 3 {
			return connect.NewError(connect.CodeUnavailable, errors.New("try again"))
		}
		return nil
	}))
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	waitForStatus(t, runner, "saga-1", saga.Completed)
	if n := r.count("second"); n != 3 {
		t.Errorf("second ran %d times, want 3", n)
	}
	keys := r.keys["second"]
	if keys[0] == "" || keys[0] != keys[2] {
		t.Errorf("idempotency keys %v, want one non-empty key for every attempt", keys)
	}
}

// A saga interrupted by a crash in the middle of a step resumes from its
// persisted state in the next process: completed steps do not run again and
// the interrupted one runs again with the same idempotency key. The
// stopped runner released its lease, so the next takes the saga at once
// (TestLeaseTakenOverAfterExpiry: a runner that dies holding it).
func TestCrashResume(t *testing.T) {
	db := openDB(t)
	r := &recorder{}
	inSecond := make(chan struct{})
	def := definition(r, func(n int) error {
		if n == 1 {
			close(inSecond)
			time.Sleep(200 * time.Millisecond) // the process dies meanwhile
		}
		return nil
	})
	first := newRunner(t, db, def)
	if err := first.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	stop := run(first)
	<-inSecond
	stop() // crash: the runner stops before it can persist the step's outcome
	if st, err := first.Get(scoped(t.Context()), "saga-1"); err != nil || st.Status != saga.Running {
		t.Fatalf("after the crash: %+v, %v", st, err)
	}

	second := newRunner(t, db, def)
	defer run(second)()
	waitForStatus(t, second, "saga-1", saga.Completed)
	if n := r.count("first"); n != 1 {
		t.Errorf("first ran %d times, want once", n)
	}
	keys := r.keys["second"]
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Errorf("second ran with keys %v, want twice with the same key", keys)
	}
}

// TestActionsContinueTheTrace: each action runs in a span that is a child
// of the span the saga was started in, and the sagas are counted by status.
func TestActionsContinueTheTrace(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Tracing: true, Metrics: true, SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, nil))
	runner.Telemetry = tel
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if err := runner.Start(telemetry.WithTraceParent(scoped(t.Context()), parent), "test", "saga-1", "aggregate-1", []byte("trigger")); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	waitForStatus(t, runner, "saga-1", saga.Completed)
	var names []string
	for _, s := range exporter.GetSpans() {
		if s.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent.SpanID().String() != "b7ad6b7169203331" {
			t.Errorf("span %q in trace %s under %s, want a child of %s", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID(), parent)
		}
		if s.SpanKind != trace.SpanKindInternal {
			t.Errorf("span %q is %s", s.Name, s.SpanKind)
		}
		names = append(names, s.Name)
	}
	if want := []string{"saga test call first", "saga test call second", "saga test call third"}; !slices.Equal(names, want) {
		t.Errorf("spans %q, want %q", names, want)
	}
	counts := map[string]int64{}
	if err := runner.CountByStatus(t.Context(), func(name, status string, n int64) { counts[name+" "+status] = n }); err != nil {
		t.Fatal(err)
	}
	if counts["test completed"] != 1 || len(counts) != 1 {
		t.Errorf("sagas by status %v, want one completed", counts)
	}
}
