package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/lease"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// Two replicas' projectors of one read model on one database: one
// applies, the other stands by; when the first stops, the second takes
// over from its checkpoint. Every event is applied once.
func TestProjectorsOnTwoReplicas(t *testing.T) {
	ctx := scoped(t.Context())
	db := openOutbox(t)
	record := func(from, to int) {
		for i := from; i < to; i++ {
			id := fmt.Sprint("aggregate-", i)
			if err := outbox.Record(ctx, db, db.Dialect, id, "subject", wrapperspb.String(id)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var (
		mu      sync.Mutex
		applied = map[string][]int64{} // by replica, the seqs it applied
	)
	type replica struct {
		owner     string
		lease     *lease.Lease
		projector *outbox.Projector
		stop      func()
	}
	start := func(owner string) *replica {
		p := &outbox.Projector{DB: db, Name: "letters", Checkpoint: "letters@1", Interval: 5 * time.Millisecond,
			Apply: func(_ context.Context, _ *sql.Tx, e outbox.Event) error {
				mu.Lock()
				defer mu.Unlock()
				applied[owner] = append(applied[owner], e.Seq)
				return nil
			}}
		l := &lease.Lease{DB: db, Name: p.LeaseName(), Owner: owner, TTL: 500 * time.Millisecond}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.Run(runCtx, p.Run)
		}()
		var once sync.Once
		stop := func() { once.Do(func() { cancel(); <-done }) }
		t.Cleanup(stop)
		return &replica{owner, l, p, stop}
	}
	// appliedOnce checks every event up to head was applied once, in
	// order, and returns how many each replica applied.
	appliedOnce := func(head int64) map[string]int {
		mu.Lock()
		defer mu.Unlock()
		seen := map[int64]int{}
		counts := map[string]int{}
		for owner, seqs := range applied {
			counts[owner] = len(seqs)
			for i, seq := range seqs {
				seen[seq]++
				if i > 0 && seq <= seqs[i-1] {
					t.Errorf("%s applied %d after %d", owner, seq, seqs[i-1])
				}
			}
		}
		for seq := int64(1); seq <= head; seq++ {
			if seen[seq] != 1 {
				t.Errorf("event %d applied %d times, want once", seq, seen[seq])
			}
		}
		return counts
	}

	record(0, 30)
	a, b := start("a"), start("b")
	if err := a.projector.WaitFor(ctx, 30); err != nil {
		t.Fatal(err)
	}
	active, standby := a, b
	if !active.lease.Active() {
		active, standby = b, a
	}
	if !active.lease.Active() || standby.lease.Active() {
		t.Fatalf("roles a=%s b=%s, want one active projector", a.lease.Role(), b.lease.Role())
	}
	if counts := appliedOnce(30); counts[active.owner] != 30 || counts[standby.owner] != 0 {
		t.Fatalf("applied by replica: %v, want all 30 by the active %s", counts, active.owner)
	}

	active.stop()
	record(30, 45)
	if err := standby.projector.WaitFor(ctx, 45); err != nil {
		t.Fatal(err)
	}
	if !standby.lease.Active() {
		t.Fatal("the projector that took over is not active")
	}
	if counts := appliedOnce(45); counts[standby.owner] != 15 {
		t.Fatalf("applied by replica: %v, want the 15 later events by %s", counts, standby.owner)
	}
}
