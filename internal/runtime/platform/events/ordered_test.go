package events_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// testOtherSubject is a second event type of the producer of testSubject.
const testOtherSubject = events.System + ".events_test.other"

// publishNumbered publishes n events, numbered from first, over aggregates
// a0..a(aggregates-1) and the two test subjects, in turn.
func publishNumbered(t *testing.T, h *harness, first, n, aggregates int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		subject := testSubject
		if i%3 == 0 {
			subject = testOtherSubject
		}
		e := scopedEvent(outbox.Event{ID: fmt.Sprint("event-", i), AggregateID: fmt.Sprint("a", i%aggregates),
			Type: "google.protobuf.StringValue", Subject: subject, OccurredAt: time.Now(), Seq: int64(i + 1)})
		e.Payload, _ = proto.Marshal(wrapperspb.String(strconv.Itoa(i)))
		if _, err := h.js.PublishMsg(t.Context(), events.Message(e, "/test"), jetstream.WithMsgID(e.ID)); err != nil {
			t.Fatal(err)
		}
	}
}

// orderLog is what ordered handlers applied, per aggregate, in order.
type orderLog struct {
	mu      sync.Mutex
	applied map[string][]int
	total   int
}

func (l *orderLog) add(aggregate string, i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applied[aggregate] = append(l.applied[aggregate], i)
	l.total++
}

func (l *orderLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// startOrdered runs, until stop is called or the test ends, a replica's
// consumers: handlers of testSubject and testOtherSubject in the ordered
// group "test_in_order", each applying the event in the database and
// logging it. Every fifth event fails on its first attempt; events in
// broken are refused for good (dead-lettered).
func startOrdered(t *testing.T, h *harness, log *orderLog, broken map[string]bool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var mu sync.Mutex
	failed := map[string]bool{}
	handle := func(ctx context.Context, meta events.Metadata, payload []byte) error {
		v := new(wrapperspb.StringValue)
		if err := proto.Unmarshal(payload, v); err != nil {
			return events.Permanent(err)
		}
		i, _ := strconv.Atoi(v.Value)
		if broken[meta.ID] {
			return events.Permanent(errors.New("refused"))
		}
		mu.Lock()
		retry := i%5 == 0 && !failed[meta.ID]
		failed[meta.ID] = true
		mu.Unlock()
		if retry {
			return errors.New("not yet")
		}
		// A handler taking its time, so that another replica could
		// overtake it if the broker let it.
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		if err := h.applyEffect(ctx, meta, payload); err != nil {
			return err
		}
		log.add(meta.Subject, i)
		return nil
	}
	c := &events.Consumers{DB: h.db, JS: h.js, Logger: h.logger, MaxAttempts: 3, Backoff: 20 * time.Millisecond, Replicas: h.replicas}
	go func() {
		defer close(done)
		c.Run(ctx,
			events.Handler{Durable: "test", Ordered: "test_in_order", Subject: testSubject, DeadLetter: testDeadLetter, Handle: handle},
			events.Handler{Durable: "test_other", Ordered: "test_in_order", Subject: testOtherSubject, DeadLetter: testDeadLetter + ".other", Handle: handle})
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// Two replicas consuming an ordered group of handlers, which take two
// event types: every aggregate's events are applied in the order they were
// published, across the two types, the replicas, retries and a
// dead-lettered event, and each once.
func TestOrderedConsumersKeepEachAggregatesOrder(t *testing.T) {
	h := newHarness(t)
	log := &orderLog{applied: map[string][]int{}}
	const n, aggregates = 120, 4
	broken := map[string]bool{"event-7": true}
	startOrdered(t, h, log, broken)
	startOrdered(t, h, log, broken)
	publishNumbered(t, h, 0, n, aggregates)
	eventually(t, "every event is applied", func() bool { return log.count() == n-len(broken) })
	time.Sleep(100 * time.Millisecond) // anything applied twice would show now
	if got := h.count(t, "SELECT COUNT(*) FROM effects"); got != n-len(broken) {
		t.Errorf("%d effects, want %d: an event was applied twice", got, n-len(broken))
	}
	for aggregate, got := range log.applied {
		if !slices.IsSorted(got) {
			t.Errorf("aggregate %s: events applied in the order %v, want increasing", aggregate, got)
		}
		var want []int
		for i := range n {
			if fmt.Sprint("a", i%aggregates) == aggregate && !broken[fmt.Sprint("event-", i)] {
				want = append(want, i)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("aggregate %s: applied %v, want %v", aggregate, got, want)
		}
	}
	if len(log.applied) != aggregates {
		t.Errorf("events of %d aggregates applied, want %d", len(log.applied), aggregates)
	}
	cons, err := h.js.Consumer(t.Context(), events.Stream, "test_in_order")
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.MaxAckPending; got != 1 {
		t.Errorf("the ordered consumer has MaxAckPending %d, want 1", got)
	}
}

// A release that consumed with one durable consumer per handler moves to an
// ordered group, one replica after the other: the group's consumer delivers
// the stream again from its start, nothing is applied twice, and the old
// consumers are deleted.
func TestOrderedGroupTakesOverFromDurablePerHandler(t *testing.T) {
	h := newHarness(t)
	h.startConsumers(t, h.applyEffect) // durable "test", as an earlier release
	for i := range 3 {
		h.record(t, t.Context(), fmt.Sprint(i))
	}
	h.startRelay(t)
	eventually(t, "the earlier release applies its events", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects") == 3
	})
	if _, err := h.js.Consumer(t.Context(), events.Stream, "test"); err != nil {
		t.Fatalf("the earlier release's consumer: %v", err)
	}

	// The new release starts while the earlier one still runs, as in a
	// rolling update: each event is applied by one of them, once.
	log := &orderLog{applied: map[string][]int{}}
	startOrdered(t, h, log, nil)
	publishNumbered(t, h, 100, 4, 1)
	eventually(t, "the new events are applied", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects") >= 3+4
	})
	time.Sleep(100 * time.Millisecond)
	if got := h.count(t, "SELECT COUNT(*) FROM effects"); got != 3+4 {
		t.Errorf("%d effects, want %d: an event was applied twice", got, 3+4)
	}
	eventually(t, "the earlier release's durable consumer is deleted", func() bool {
		_, err := h.js.Consumer(t.Context(), events.Stream, "test")
		return errors.Is(err, jetstream.ErrConsumerNotFound)
	})
}

// BenchmarkConsumers measures how fast one replica applies events waiting
// in the stream, with an ordered group (one event in flight at a time) and
// with a durable consumer of its own (several in flight), side by side:
// each event is a transaction recording it as processed, with its effect.
// events/s is the rate.
func BenchmarkConsumers(b *testing.B) {
	for _, mode := range []struct{ name, ordered string }{{"ordered", "bench_in_order"}, {"parallel", ""}} {
		b.Run(mode.name, func(b *testing.B) {
			h := newHarness(b)
			const n = 2000
			if _, err := events.EnsureStream(b.Context(), h.js, 1); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				e := scopedEvent(outbox.Event{ID: fmt.Sprint("event-", i), AggregateID: fmt.Sprint("a", i%16),
					Type: "google.protobuf.StringValue", Subject: testSubject, OccurredAt: time.Now()})
				if _, err := h.js.PublishMsg(b.Context(), events.Message(e, "/test"), jetstream.WithMsgID(e.ID)); err != nil {
					b.Fatal(err)
				}
			}
			round := 0
			var elapsed time.Duration
			for b.Loop() {
				round++
				durable := fmt.Sprint("bench_", round)
				ordered := ""
				if mode.ordered != "" {
					ordered = durable + "_in_order"
				}
				var applied atomic.Int64
				ctx, cancel := context.WithCancel(context.Background())
				c := &events.Consumers{DB: h.db, JS: h.js, Logger: h.logger}
				done := make(chan struct{})
				start := time.Now()
				go func() {
					defer close(done)
					c.Run(ctx, events.Handler{Durable: durable, Ordered: ordered, Subject: testSubject, DeadLetter: testDeadLetter,
						Handle: func(ctx context.Context, meta events.Metadata, payload []byte) error {
							if err := h.applyEffect(ctx, meta, payload); err != nil {
								return err
							}
							applied.Add(1)
							return nil
						}})
				}()
				for applied.Load() < n {
					time.Sleep(time.Millisecond)
				}
				elapsed += time.Since(start)
				cancel()
				<-done
			}
			b.ReportMetric(float64(n*round)/elapsed.Seconds(), "events/s")
		})
	}
}

// A handler added to an ordered group gets the events of its subject
// published from then on, at once: the group's consumer goes on from
// where it stands, and the replica that stopped handed back what it held.
func TestHandlerAddedToAnOrderedGroup(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	applied := map[string]bool{}
	handle := func(ctx context.Context, meta events.Metadata, payload []byte) error {
		mu.Lock()
		applied[meta.ID] = true
		mu.Unlock()
		return h.applyEffect(ctx, meta, payload)
	}
	start := func(handlers ...events.Handler) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		c := &events.Consumers{DB: h.db, JS: h.js, Logger: h.logger}
		go func() {
			defer close(done)
			c.Run(ctx, handlers...)
		}()
		return func() { cancel(); <-done }
	}
	first := events.Handler{Durable: "test", Ordered: "test_in_order", Subject: testSubject, DeadLetter: testDeadLetter, Handle: handle}
	added := events.Handler{Durable: "test_other", Ordered: "test_in_order", Subject: testOtherSubject, DeadLetter: testDeadLetter + ".other", Handle: handle}
	stop := start(first)
	publishNumbered(t, h, 1, 2, 1) // event-1, event-2 on testSubject
	eventually(t, "the group applies its events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return applied["event-1"] && applied["event-2"]
	})
	stop()
	defer start(first, added)()
	publishNumbered(t, h, 6, 1, 1) // event-6 on testOtherSubject
	eventuallyWithin(t, events.OrderedAckWait/2, "the added handler gets a new event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return applied["event-6"]
	})
}
