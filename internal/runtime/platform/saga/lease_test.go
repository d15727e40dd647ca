package saga_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/saga"
)

// Two runners read a saga at one version. The one that holds the lease
// saves its transition; a second save over the same version, by either,
// is refused and leaves the saga as the first one saved it.
func TestStaleWriteRefused(t *testing.T) {
	db := openDB(t)
	r := &recorder{}
	a, b := newRunner(t, db, definition(r, nil)), newRunner(t, db, definition(r, nil))
	a.Owner, b.Owner = "a", "b"
	ctx := scoped(t.Context())
	if err := a.Start(ctx, "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	stA, err := a.Load(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	stB, err := b.Load(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Hold(ctx, stA); err != nil {
		t.Fatalf("a cannot take a free saga: %v", err)
	}
	if err := b.Hold(ctx, stB); !errors.Is(err, saga.ErrStale) {
		t.Fatalf("b took the saga a holds: %v", err)
	}
	stale := *stA
	next := *stA
	next.Step = 1
	if err := a.Save(ctx, &next, &saga.Entry{Step: "first", Action: saga.ActionCall, Outcome: saga.OutcomeDone, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if next.Version() != stA.Version()+1 {
		t.Errorf("version %d after a save over %d", next.Version(), stA.Version())
	}
	// The same runner saving over the version it read before, and the
	// other runner saving over the version it read: both lose.
	stale.Status, stale.Step = saga.Compensating, -1
	if err := a.Save(ctx, &stale, &saga.Entry{Step: "first", Action: saga.ActionCall, Outcome: saga.OutcomeFailed, At: time.Now()}); !errors.Is(err, saga.ErrStale) {
		t.Errorf("a stale save by the holder: %v, want it refused", err)
	}
	stB.Status = saga.Failed
	if err := b.Save(ctx, stB, &saga.Entry{Step: "first", Action: saga.ActionCall, Outcome: saga.OutcomeFailed, At: time.Now()}); !errors.Is(err, saga.ErrStale) {
		t.Errorf("a save by a runner without the lease: %v, want it refused", err)
	}
	st, err := a.Get(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != saga.Running || st.Version() != 1 || len(st.Log) != 1 || st.Log[0].Outcome != saga.OutcomeDone {
		t.Errorf("after the refused saves: status %s, version %d, log %+v", st.Status, st.Version(), st.Log)
	}
	// Read again, at the version saved, the holder goes on.
	fresh, err := a.Load(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	fresh.Step = 2
	if err := a.Save(ctx, fresh, nil); err != nil {
		t.Errorf("a save over the current version: %v", err)
	}
}

// A runner that stops renewing its lease (stuck in an action, as a crashed
// or partitioned replica looks to the others) loses the saga once the
// lease expires, not before: another runner takes it over and finishes it.
// The stuck runner's transition, when it comes, is refused; it reads the
// saga again and leaves it be. Each step's call completes once in the log.
func TestLeaseTakenOverAfterExpiry(t *testing.T) {
	db := openDB(t)
	const lease = 300 * time.Millisecond
	stuck, unstick := make(chan time.Time, 1), make(chan struct{})
	ra, rb := &recorder{}, &recorder{}
	defA := definition(ra, func(int) error {
		stuck <- time.Now()
		<-unstick // ignores its context, as a stuck call may
		return nil
	})
	var tookOver time.Time // written by b's worker, read once b completed the saga
	defB := definition(rb, func(int) error {
		tookOver = time.Now()
		return nil
	})
	var logs syncBuffer
	a, b := newRunner(t, db, defA), newRunner(t, db, defB)
	a.Owner, b.Owner = "a", "b"
	a.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	for _, r := range []*saga.Runner{a, b} {
		r.Lease, r.CallTimeout = lease, 50*time.Millisecond
	}
	// hold gives the lease at least CallTimeout and a second.
	expiry := max(lease, a.CallTimeout+time.Second)
	defer run(a)()
	ctx := scoped(t.Context())
	if err := a.Start(ctx, "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	var began time.Time
	select {
	case began = <-stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("runner a never ran the second step")
	}
	held, err := b.Load(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	defer run(b)() // b looks for due sagas every 5ms from now on
	if n := a.Held(); n != 1 {
		t.Errorf("a holds %d sagas while advancing one", n)
	}
	st := waitForStatus(t, b, "saga-1", saga.Completed)
	if until := held.LeaseUntil(); !tookOver.After(until) || until.Sub(began) > expiry || tookOver.Sub(until) > 5*time.Second {
		t.Errorf("a got stuck at %v holding the lease until %v; b took the saga over at %v: want once the lease expired", began, until, tookOver)
	}
	close(unstick)
	deadline := time.Now().Add(10 * time.Second)
	for a.Held() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a still advances the saga b completed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "another runner advanced the saga meanwhile") {
		t.Errorf("a's stale transition was not refused; a logged:\n%s", logs.String())
	}
	final, err := b.Get(ctx, "saga-1")
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != saga.Completed || len(final.Log) != len(st.Log) {
		t.Errorf("a's late transition changed the saga: %+v", final)
	}
	checkLog(t, final, "first", "second", "third")
	if want := []string{"first", "second"}; !slices.Equal(ra.calls, want) {
		t.Errorf("a called %v, want %v", ra.calls, want)
	}
	if want := []string{"second", "third"}; !slices.Equal(rb.calls, want) {
		t.Errorf("b called %v, want %v", rb.calls, want)
	}
	if ka, kb := ra.keys["second"], rb.keys["second"]; len(ka) != 1 || len(kb) != 1 || ka[0] != kb[0] {
		t.Errorf("idempotency keys of the second step: a %v, b %v: want one, the same", ka, kb)
	}
}

// Two runners on one database, both looking for due sagas far more often
// than a step takes: every saga completes, each step's call runs once and
// is logged done once, in order, and both runners share the work. Some
// sagas start while no runner runs (free, for either to take), the others
// are started by either runner.
func TestTwoRunnersAdvanceEachSagaOnce(t *testing.T) {
	db := openDB(t)
	var mu sync.Mutex
	calls := map[string]int{}     // saga id and step → calls
	byRunner := map[string]int{}  // runner → calls
	keys := map[string][]string{} // saga id and step → idempotency keys
	def := func(runner string) *saga.Definition {
		step := func(name string) saga.Action {
			return saga.Action{Name: name, Do: func(ctx context.Context, run saga.Run) error {
				mu.Lock()
				calls[run.ID+" "+name]++
				byRunner[runner]++
				keys[run.ID+" "+name] = append(keys[run.ID+" "+name], idempotency.Key(ctx))
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
				return nil
			}}
		}
		return &saga.Definition{Name: "test", Steps: []saga.Step{
			{Name: "first", Call: step("first")}, {Name: "second", Call: step("second")}, {Name: "third", Call: step("third")},
		}}
	}
	a, b := newRunner(t, db, def("a")), newRunner(t, db, def("b"))
	for _, r := range []*saga.Runner{a, b} {
		r.Interval, r.Workers = time.Millisecond, 4
	}
	ctx := scoped(t.Context())
	const sagas = 40
	for i := range sagas / 2 {
		if err := a.Start(ctx, "test", fmt.Sprintf("free-%d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	defer run(a)()
	defer run(b)()
	for i := range sagas / 2 {
		starter := []*saga.Runner{a, b}[i%2]
		if err := starter.Start(ctx, "test", fmt.Sprintf("started-%d", i), "aggregate", nil); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i := range sagas / 2 {
		ids = append(ids, fmt.Sprintf("free-%d", i), fmt.Sprintf("started-%d", i))
	}
	for _, id := range ids {
		checkLog(t, waitForStatus(t, a, id, saga.Completed), "first", "second", "third")
		for _, step := range []string{"first", "second", "third"} {
			mu.Lock()
			n, k := calls[id+" "+step], keys[id+" "+step]
			mu.Unlock()
			if n != 1 || k[0] != id+":call:"+step {
				t.Errorf("saga %s: %s called %d times with keys %v, want once", id, step, n, k)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if byRunner["a"] == 0 || byRunner["b"] == 0 {
		t.Errorf("calls by runner %v: want both to share the work", byRunner)
	}
}

// Concurrent observations of one saga, as replicas consuming the events of
// its participants make them, each land once or fail (and are delivered
// again): every one is logged once, and the status ends at the furthest
// one observed, never moved back.
func TestObserveConcurrently(t *testing.T) {
	db := openDB(t)
	runner := &saga.Runner{DB: db, Logger: logging.Discard()}
	other := &saga.Runner{DB: db, Logger: logging.Discard()}
	ctx := scoped(t.Context())
	if err := runner.Observe(ctx, saga.Observation{Saga: "trip", ID: "trip-1", Subject: "s", Status: saga.Running}); err != nil {
		t.Fatal(err)
	}
	const each = 10
	var wg sync.WaitGroup
	for w, r := range []*saga.Runner{runner, other} {
		wg.Go(func() {
			for i := range each {
				status := saga.Running
				if w == 1 && i == each-1 {
					status = saga.Completed
				}
				o := saga.Observation{Saga: "trip", ID: "trip-1", Status: status,
					Entry: &saga.Entry{Step: fmt.Sprintf("w%d-%d", w, i), Action: saga.ActionCall, Outcome: saga.OutcomeDone}}
				for attempt := 0; ; attempt++ {
					err := r.Observe(ctx, o)
					if err == nil {
						break
					}
					if attempt == 20 {
						t.Errorf("observation %s failed 20 times: %v", o.Entry.Step, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	st, err := runner.Get(ctx, "trip-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != saga.Completed || len(st.Log) != 2*each || st.Version() != 2*each {
		t.Errorf("status %s, %d entries, version %d; want completed, %d, %d", st.Status, len(st.Log), st.Version(), 2*each, 2*each)
	}
}

// checkLog checks that the saga's log has each step's call done once, in
// the order of steps, and nothing else.
func checkLog(t *testing.T, st *saga.State, steps ...string) {
	t.Helper()
	var done []string
	for _, e := range st.Log {
		if e.Action != saga.ActionCall || e.Outcome != saga.OutcomeDone {
			t.Errorf("saga %s: unexpected transition %+v", st.ID, e)
			continue
		}
		done = append(done, e.Step)
	}
	if !slices.Equal(done, steps) {
		t.Errorf("saga %s: calls done %v, want %v", st.ID, done, steps)
	}
}

// syncBuffer is a bytes.Buffer that goroutines may write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
