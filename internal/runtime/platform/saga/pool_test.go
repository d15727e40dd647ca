package saga_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/saga"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// overlap runs the actions of slow steps, counting how many run at once
// and noting any saga whose actions overlap (advanced by two workers).
type overlap struct {
	mu      sync.Mutex
	running map[string]bool // saga id → an action of it is running
	now     int
	peak    int
	twice   []string
	steps   atomic.Int64
}

func (o *overlap) action(name string, d time.Duration) saga.Action {
	return saga.Action{Name: name, Do: func(ctx context.Context, run saga.Run) error {
		o.mu.Lock()
		if o.running[run.ID] {
			o.twice = append(o.twice, run.ID)
		}
		o.running[run.ID] = true
		o.now++
		o.peak = max(o.peak, o.now)
		o.mu.Unlock()
		time.Sleep(d)
		o.mu.Lock()
		o.running[run.ID] = false
		o.now--
		o.mu.Unlock()
		o.steps.Add(1)
		return nil
	}}
}

func slowDefinition(o *overlap, d time.Duration) *saga.Definition {
	return &saga.Definition{Name: "test", Steps: []saga.Step{
		{Name: "first", Call: o.action("first", d)},
		{Name: "second", Call: o.action("second", d)},
		{Name: "third", Call: o.action("third", d)},
	}}
}

// Many sagas with slow steps complete in a fraction of the time running
// them one after another takes, with at most Workers actions at once, and
// no saga is advanced by two workers at once, although the runner looks
// for due sagas far more often than a step takes (each look finds the
// sagas being advanced).
func TestSagasAdvanceConcurrently(t *testing.T) {
	const sagas, step = 24, 40 * time.Millisecond
	for _, workers := range []int{4, 2 * sagas} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			o := &overlap{running: map[string]bool{}}
			runner := newRunner(t, openDB(t), slowDefinition(o, step))
			runner.Interval = time.Millisecond
			runner.Workers = workers
			ctx := scoped(t.Context())
			defer run(runner)()
			// The first round warms up (a PostgreSQL server forks a process
			// for each connection); the second is timed.
			var took time.Duration
			for round := range 2 {
				began := time.Now()
				for i := range sagas {
					if err := runner.Start(ctx, "test", fmt.Sprintf("saga-%d-%02d", round, i), "aggregate", nil); err != nil {
						t.Fatal(err)
					}
				}
				for i := range sagas {
					waitForStatus(t, runner, fmt.Sprintf("saga-%d-%02d", round, i), saga.Completed)
				}
				took = time.Since(began)
			}
			serial := sagas * 3 * step
			// The bound leaves room for a busy machine: without one, the
			// time is close to serial / min(workers, sagas).
			if took > serial/2 {
				t.Errorf("%d sagas of three %s steps took %s, want under half the %s they take one at a time", sagas, step, took, serial)
			}
			o.mu.Lock()
			defer o.mu.Unlock()
			if least := max(2, min(workers, sagas)/2); o.peak < least || o.peak > workers {
				t.Errorf("at most %d actions ran at once, want between %d and Workers (%d)", o.peak, least, workers)
			}
			if len(o.twice) > 0 {
				t.Errorf("sagas advanced by two workers at once: %v", o.twice)
			}
			if n := o.steps.Load(); n != 2*sagas*3 {
				t.Errorf("%d steps ran, want %d: a step ran again", n, 2*sagas*3)
			}
		})
	}
}

// A started saga's first step runs at once, not at the runner's next look
// for due sagas: also when Start joins a caller's transaction, as event
// handlers call it, and then only once that transaction commits.
func TestStartWakesTheRunner(t *testing.T) {
	first := make(chan time.Time, 2)
	def := &saga.Definition{Name: "test", Steps: []saga.Step{{Name: "only", Call: saga.Action{Name: "only", Do: func(context.Context, saga.Run) error {
		first <- time.Now()
		return nil
	}}}}}
	db := openDB(t)
	runner := newRunner(t, db, def)
	runner.Interval = time.Hour
	defer run(runner)()
	time.Sleep(50 * time.Millisecond) // the runner's first look is over: the next is an hour away

	started := time.Now()
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-first:
		if latency := at.Sub(started); latency > time.Second {
			t.Errorf("the first step ran %s after Start", latency)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the started saga did not run")
	}

	var committed time.Time
	err := db.InTx(t.Context(), func(tx *sql.Tx) error {
		if err := runner.Start(database.WithTx(scoped(t.Context()), tx), "test", "saga-2", "aggregate", nil); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond) // the handler goes on before it commits
		committed = time.Now()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-first:
		if at.Before(committed) {
			t.Error("the saga ran before the transaction that started it committed")
		}
		if latency := at.Sub(committed); latency > time.Second {
			t.Errorf("the first step ran %s after the commit", latency)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the saga started in a transaction did not run")
	}
	waitForStatus(t, runner, "saga-2", saga.Completed)
}

// Backlog counts the unfinished sagas of each name, with the oldest one's
// start, and the telemetry reports them as saga_backlog and
// saga_oldest_age_seconds.
func TestBacklog(t *testing.T) {
	runner := newRunner(t, openDB(t), &saga.Definition{Name: "test", Steps: []saga.Step{{Name: "only", Call: saga.Action{Name: "only", Do: func(context.Context, saga.Run) error { return nil }}}}})
	ctx := scoped(t.Context())
	before := time.Now().Add(-time.Second)
	for i := range 3 {
		if err := runner.Start(ctx, "test", fmt.Sprintf("saga-%d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []saga.Observation{
		{Saga: "trip", ID: "trip-1", Status: saga.Running},
		{Saga: "trip", ID: "trip-2", Status: saga.Compensating},
		{Saga: "trip", ID: "trip-3", Status: saga.Completed},
		{Saga: "trip", ID: "trip-4", Status: saga.Failed},
	} {
		if err := runner.Observe(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	type backlog struct {
		n      int64
		oldest time.Time
	}
	got := map[string]backlog{}
	if err := runner.Backlog(t.Context(), func(name string, n int64, oldest time.Time) { got[name] = backlog{n, oldest} }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["test"].n != 3 || got["trip"].n != 2 {
		t.Errorf("backlog %v, want 3 test and 2 trip sagas", got)
	}
	for name, b := range got {
		if b.oldest.Before(before) || b.oldest.After(time.Now()) {
			t.Errorf("the oldest unfinished %s saga started at %s, want just now", name, b.oldest)
		}
	}

	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.ObserveSagaBacklog(runner.Backlog); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`saga_backlog{saga="test"} 3`, `saga_backlog{saga="trip"} 2`, `saga_oldest_age_seconds{saga="test"} 0.`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, rec.Body)
		}
	}

	defer run(runner)()
	for i := range 3 {
		waitForStatus(t, runner, fmt.Sprintf("saga-%d", i), saga.Completed)
	}
	got = map[string]backlog{}
	if err := runner.Backlog(t.Context(), func(name string, n int64, oldest time.Time) { got[name] = backlog{n, oldest} }); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["test"]; ok || got["trip"].n != 2 {
		t.Errorf("once the test sagas completed, backlog %v, want only the 2 trip sagas", got)
	}
}

// Past MaxBacklog unfinished sagas, Admit and the Backpressure interceptor
// refuse with ResourceExhausted and Retry-After, which Connect answers as
// HTTP 429; other procedures pass. Once the runner caught up, they admit
// again.
func TestBackpressure(t *testing.T) {
	release := make(chan struct{})
	def := &saga.Definition{Name: "test", Steps: []saga.Step{{Name: "only", Call: saga.Action{Name: "only", Do: func(ctx context.Context, _ saga.Run) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}}}}
	runner := newRunner(t, openDB(t), def)
	runner.MaxBacklog = 3
	ctx := scoped(t.Context())
	for i := range 2 {
		if err := runner.Start(ctx, "test", fmt.Sprintf("saga-%d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := runner.Admit(ctx); err != nil {
		t.Fatalf("2 unfinished sagas of at most 3: %v", err)
	}
	if err := runner.Start(ctx, "test", "saga-2", "aggregate", nil); err != nil {
		t.Fatal(err)
	}
	err := runner.Admit(ctx)
	var refusal *connect.Error
	if !errors.As(err, &refusal) || refusal.Code() != connect.CodeResourceExhausted || refusal.Meta().Get("Retry-After") != "1" || refusal.Meta().Get(saga.BacklogHeader) != "3" {
		t.Fatalf("3 unfinished sagas of at most 3: %v, want ResourceExhausted with Retry-After", err)
	}

	mux := http.NewServeMux()
	opts := connect.WithInterceptors(runner.Backpressure("/test.v1.Orders/Place"))
	for _, procedure := range []string{"/test.v1.Orders/Place", "/test.v1.Orders/Get"} {
		mux.Handle(procedure, connect.NewUnaryHandler(procedure, func(context.Context, *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			return connect.NewResponse(wrapperspb.String("ok")), nil
		}, opts))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(procedure string) *http.Response {
		t.Helper()
		resp, err := http.Post(srv.URL+procedure, "application/json", strings.NewReader(`"x"`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("/test.v1.Orders/Place"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || resp.Header.Get(saga.BacklogHeader) == "" {
		t.Errorf("a saga-starting command past the bound: %s, Retry-After %q; want 429 with Retry-After 1", resp.Status, resp.Header.Get("Retry-After"))
	}
	if resp := post("/test.v1.Orders/Get"); resp.StatusCode != http.StatusOK {
		t.Errorf("another procedure past the bound: %s, want 200", resp.Status)
	}

	close(release)
	defer run(runner)()
	for i := range 3 {
		waitForStatus(t, runner, fmt.Sprintf("saga-%d", i), saga.Completed)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runner.Admit(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the backlog drained, Admit still refuses: %v", runner.Admit(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp := post("/test.v1.Orders/Place"); resp.StatusCode != http.StatusOK {
		t.Errorf("the command once the backlog drained: %s, want 200", resp.Status)
	}

	unbounded := newRunner(t, openDB(t), def)
	unbounded.MaxBacklog = -1
	if err := unbounded.Admit(ctx); err != nil {
		t.Errorf("without a bound: %v", err)
	}
}

// The runner's defaults, and a runner whose steps never end stops when
// its context is done.
func TestRunnerStops(t *testing.T) {
	def := &saga.Definition{Name: "test", Steps: []saga.Step{{Name: "only", Call: saga.Action{Name: "only", Do: func(ctx context.Context, _ saga.Run) error {
		<-ctx.Done()
		return ctx.Err()
	}}}}}
	runner := &saga.Runner{DB: openDB(t), Logger: logging.Discard(), Sagas: []*saga.Definition{def}}
	for i := range 5 {
		if err := runner.Start(scoped(t.Context()), "test", fmt.Sprintf("saga-%d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	if runner.Workers != saga.DefaultWorkers || runner.MaxBacklog != saga.DefaultMaxBacklog {
		t.Errorf("Workers %d, MaxBacklog %d; want the defaults", runner.Workers, runner.MaxBacklog)
	}
	stop := run(runner)
	time.Sleep(50 * time.Millisecond)
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was done")
	}
	if st, err := runner.Get(scoped(t.Context()), "saga-0"); err != nil || st.Status != saga.Running || len(st.Log) != 0 {
		t.Errorf("a saga stopped mid-step: %+v, %v; want running with nothing logged", st, err)
	}
}

// A saga started while Run runs is the runner's from the start, also when
// its workers are busy and more sagas wait than it has room to hand over at
// once: it never takes them with a write of its own.
func TestStartedSagasAreTheRunners(t *testing.T) {
	o := &overlap{running: map[string]bool{}}
	db := openDB(t)
	runner := newRunner(t, db, slowDefinition(o, 20*time.Millisecond))
	runner.Workers = 1
	runner.Owner = "runner-a"
	defer run(runner)()
	time.Sleep(50 * time.Millisecond) // Run runs
	ctx := scoped(t.Context())
	const sagas = 12 // more than the 4 per worker handed over at once
	for i := range sagas {
		if err := runner.Start(ctx, "test", fmt.Sprintf("saga-%02d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	var owned int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sagas WHERE lease_owner = 'runner-a'").Scan(&owned); err != nil {
		t.Fatal(err)
	}
	if owned < sagas-1 { // the first may have ended already
		t.Errorf("%d of %d sagas started while the runner ran are its own", owned, sagas)
	}
	for i := range sagas {
		waitForStatus(t, runner, fmt.Sprintf("saga-%02d", i), saga.Completed)
	}
}

// A saga started while Run runs is advanced from the state Start wrote,
// handed to the worker, without reading it back; one whose transaction
// rolled back leaves nothing behind that a later start would use.
func TestStartedSagasAreNotReadBack(t *testing.T) {
	type seen struct{ trigger, traceParent string }
	var (
		mu   sync.Mutex
		runs = map[string]seen{}
	)
	def := &saga.Definition{Name: "test", Steps: []saga.Step{
		{Name: "first", Call: saga.Action{Name: "first", Do: func(ctx context.Context, r saga.Run) error {
			mu.Lock()
			runs[r.ID] = seen{string(r.Trigger), telemetry.TraceParent(ctx)}
			mu.Unlock()
			return nil
		}}},
		{Name: "second", Call: saga.Action{Name: "second", Do: func(context.Context, saga.Run) error { return nil }}},
	}}
	db := openDB(t)
	runner := newRunner(t, db, def)
	runner.Interval = time.Hour // only Start wakes the runner
	defer run(runner)()
	time.Sleep(50 * time.Millisecond)

	// Started in a transaction that rolls back, then again on its own.
	errRollback := errors.New("roll back")
	err := db.InTx(t.Context(), func(tx *sql.Tx) error {
		if err := runner.Start(database.WithTx(scoped(t.Context()), tx), "test", "saga-0", "aggregate", []byte("rolled back")); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	const sagas = 20
	for i := range sagas {
		if err := runner.Start(scoped(t.Context()), "test", fmt.Sprintf("saga-%d", i), "aggregate", fmt.Appendf(nil, "trigger %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sagas {
		waitForStatus(t, runner, fmt.Sprintf("saga-%d", i), saga.Completed)
	}
	if n := runner.Loads(); n != 0 {
		t.Errorf("the runner read %d sagas back to advance them, want 0", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range sagas {
		id := fmt.Sprintf("saga-%d", i)
		if want := fmt.Sprintf("trigger %d", i); runs[id].trigger != want {
			t.Errorf("%s ran with trigger %q, want %q", id, runs[id].trigger, want)
		}
	}
}

// When Run stops, it gives up the leases of the sagas it had not
// advanced yet, and the states Start kept for them with it: the next Run
// reads them, takes their leases again and runs each step once.
func TestStoppedRunForgetsKeptStates(t *testing.T) {
	release := make(chan struct{})
	var calls sync.Map // saga id → *atomic.Int64
	def := &saga.Definition{Name: "test", Steps: []saga.Step{{Name: "only", Call: saga.Action{Name: "only", Do: func(ctx context.Context, r saga.Run) error {
		n, _ := calls.LoadOrStore(r.ID, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if r.ID == "blocker" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}}}}}
	db := openDB(t)
	runner := newRunner(t, db, def)
	runner.Workers, runner.Interval = 1, time.Hour
	stop := run(runner)
	time.Sleep(50 * time.Millisecond)
	if err := runner.Start(scoped(t.Context()), "test", "blocker", "aggregate", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, ok := calls.Load("blocker"); !ok; _, ok = calls.Load("blocker") {
		if time.Now().After(deadline) {
			t.Fatal("the blocking saga did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The only worker is busy: the runner holds the first of these,
	// waiting for the worker, and the second waits unclaimed, its state
	// kept.
	for _, id := range []string{"waiting-1", "waiting-2"} {
		if err := runner.Start(scoped(t.Context()), "test", id, "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	stop()
	close(release)
	defer run(runner)()
	for _, id := range []string{"blocker", "waiting-1", "waiting-2"} {
		waitForStatus(t, runner, id, saga.Completed)
	}
	for _, id := range []string{"waiting-1", "waiting-2"} {
		ran := int64(0)
		if n, ok := calls.Load(id); ok {
			ran = n.(*atomic.Int64).Load()
		}
		if ran != 1 {
			t.Errorf("the step of %s ran %d times, want once", id, ran)
		}
	}
}
