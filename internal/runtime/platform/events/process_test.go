package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

func TestBackoff(t *testing.T) {
	base, limit := 100*time.Millisecond, time.Second
	for attempt, want := range map[int]time.Duration{1: base, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: limit, 40: limit} {
		if got := events.Backoff(attempt, base, limit); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

func TestSchemaVersion(t *testing.T) {
	for in, want := range map[string]string{"shop.orders.v1.OrderPlaced": "v1", "google.protobuf.StringValue": "protobuf", "Bare": ""} {
		if got := events.SchemaVersion(in); got != want {
			t.Errorf("SchemaVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	cause := errors.New("cannot decode")
	err := fmt.Errorf("handle: %w", events.Permanent(cause))
	if !events.IsPermanent(err) || !errors.Is(err, cause) || err.Error() != "handle: cannot decode" {
		t.Errorf("wrapped permanent error %v", err)
	}
	if events.Permanent(nil) != nil || events.IsPermanent(cause) {
		t.Error("Permanent(nil) or a plain error is permanent")
	}
}

// Message and MetadataOf agree: what the relay publishes, consumers read.
func TestMessageRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 4, 3, 2, 1, 5, time.UTC)
	e := scopedEvent(outbox.Event{ID: "e-1", AggregateID: "order-1", Type: "shop.orders.v1.OrderPlaced", Subject: "shop.orders.placed",
		Payload: []byte{1, 2}, OccurredAt: at, TraceParent: testTraceParent,
		Saga: outbox.Saga{Name: "trip", ID: "s-1", Trigger: []byte{0, 1}, FailedStep: "pay", Error: "card: declined"}})
	msg := events.Message(e, "/shop/orders")
	if msg.Subject != e.Subject || string(msg.Data) != string(e.Payload) {
		t.Errorf("message %s %x", msg.Subject, msg.Data)
	}
	m := events.MetadataOf(msg.Header)
	if m.ID != "e-1" || m.Type != e.Type || m.Source != "/shop/orders" || m.Subject != "order-1" || !m.Time.Equal(at) ||
		m.SchemaVersion != "v1" || m.TraceParent != testTraceParent {
		t.Errorf("metadata %+v", m)
	}
	if m.Saga.Name != "trip" || m.Saga.ID != "s-1" || string(m.Saga.Trigger) != "\x00\x01" || m.Saga.FailedStep != "pay" || m.Saga.Error != "card: declined" {
		t.Errorf("saga %+v", m.Saga)
	}
	plain := events.MetadataOf(events.Message(outbox.Event{ID: "e-2", Type: "x.v2.Y"}, "/s").Header)
	if plain.Saga.Name != "" || plain.TraceParent != "" || plain.SchemaVersion != "v2" {
		t.Errorf("metadata of an event without saga or trace %+v", plain)
	}
}

// Process applies a delivery once: a failing handler leaves no trace, a
// duplicate is skipped, an event without an id is refused for good.
func TestProcess(t *testing.T) {
	h := newHarness(t)
	c := &events.Consumers{DB: h.db}
	meta := events.MetadataOf(events.Message(scopedEvent(outbox.Event{ID: "e-1", Type: "google.protobuf.StringValue"}), "/test").Header)
	failing := events.Handler{Durable: "test", Handle: func(ctx context.Context, meta events.Metadata, payload []byte) error {
		if err := h.applyEffect(ctx, meta, payload); err != nil {
			return err
		}
		return errors.New("after the effect")
	}}
	if err := c.Process(t.Context(), failing, meta, nil); err == nil {
		t.Fatal("the failing handler's error was lost")
	}
	if n := h.count(t, "SELECT COUNT(*) FROM effects") + h.count(t, "SELECT COUNT(*) FROM processed_events"); n != 0 {
		t.Fatalf("a failed delivery left %d rows", n)
	}
	calls := 0
	ok := events.Handler{Durable: "test", Handle: func(ctx context.Context, meta events.Metadata, payload []byte) error {
		calls++
		return h.applyEffect(ctx, meta, payload)
	}}
	for range 2 {
		if err := c.Process(t.Context(), ok, meta, nil); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 || h.count(t, "SELECT COUNT(*) FROM effects") != 1 {
		t.Errorf("a duplicate delivery ran the handler again (%d calls)", calls)
	}
	// Another consumer of the same event processes it on its own.
	other := ok
	other.Durable = "other"
	if err := c.Process(t.Context(), other, meta, nil); err != nil || calls != 2 {
		t.Errorf("another consumer: %d calls (%v)", calls, err)
	}
	if err := c.Process(t.Context(), ok, events.Metadata{}, nil); !events.IsPermanent(err) {
		t.Errorf("an event without an id: %v, want a permanent error", err)
	}
	// Without OnDeadLetter a dead letter needs nothing.
	if err := c.DeadLetter(t.Context(), ok, meta, nil, errors.New("x")); err != nil || calls != 2 {
		t.Errorf("DeadLetter without OnDeadLetter: %v, %d calls", err, calls)
	}
}

// The relay publishes in batches until the outbox is drained, marking each
// event; it reports and retries while the broker is away.
func TestRelayDrainsInBatches(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.record(t, t.Context(), fmt.Sprint(i))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	relay := &events.Relay{DB: h.db, JS: h.js, Source: "/test/relay", Logger: h.logger, BatchSize: 2, Interval: 10 * time.Millisecond}
	go func() { relay.Run(ctx); close(done) }()
	eventually(t, "every event is marked published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
	cancel()
	<-done
	stream, err := h.js.Stream(t.Context(), events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 7 {
		t.Errorf("the stream holds %d messages, want 7, each once", info.State.Msgs)
	}
}

// An event Skip reports done is acknowledged without a transaction: the
// handler does not run and nothing is recorded. When Skip fails, or
// reports false, the handler runs as usual.
func TestProcessSkips(t *testing.T) {
	h := newHarness(t)
	c := &events.Consumers{DB: h.db}
	calls := 0
	var skip bool
	var skipErr error
	handler := events.Handler{Durable: "test",
		Handle: func(ctx context.Context, meta events.Metadata, payload []byte) error {
			calls++
			return h.applyEffect(ctx, meta, payload)
		},
		Skip: func(context.Context, events.Metadata) (bool, error) { return skip, skipErr },
	}
	process := func(id string) {
		t.Helper()
		meta := events.MetadataOf(events.Message(scopedEvent(outbox.Event{ID: id, Type: "google.protobuf.StringValue"}), "/test").Header)
		if err := c.Process(t.Context(), handler, meta, nil); err != nil {
			t.Fatal(err)
		}
	}
	skip = true
	process("e-1")
	if calls != 0 || h.count(t, "SELECT COUNT(*) FROM processed_events") != 0 {
		t.Errorf("a skipped event: %d calls, %d processed rows; want none", calls, h.count(t, "SELECT COUNT(*) FROM processed_events"))
	}
	skipErr = errors.New("cannot tell")
	process("e-2")
	skip, skipErr = false, nil
	process("e-3")
	if calls != 2 || h.count(t, "SELECT COUNT(*) FROM processed_events") != 2 {
		t.Errorf("events Skip could not tell or did not skip: %d calls, %d processed rows; want 2 and 2", calls, h.count(t, "SELECT COUNT(*) FROM processed_events"))
	}
}
