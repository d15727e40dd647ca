package events_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/events/embedded"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

const (
	testSubject     = events.System + ".events_test.event"
	testDeadLetter  = events.System + ".dead_letter.events_test"
	testTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
)

// harness is a broker and a database with the outbox, processed_events
// and an effects table handlers write to.
type harness struct {
	broker   *embedded.Server // nil on a cluster
	db       *database.DB
	js       jetstream.JetStream
	logger   *slog.Logger
	tel      *telemetry.Telemetry // nil: no telemetry
	replicas int                  // of the stream and the consumers, 1 when 0
}

// newHarness starts a harness on a broker of its own.
func newHarness(t testing.TB) *harness {
	t.Helper()
	broker, err := embedded.Start(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Stop)
	h := newHarnessOn(t, broker.URL())
	h.broker = broker
	return h
}

// newHarnessOn starts a harness on the NATS servers at url.
func newHarnessOn(t testing.TB, url string) *harness {
	t.Helper()
	logger := logging.Discard()
	nc, err := events.Connect(url, t.Name(), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.Open(t, "events", "sqlite")
	for _, ddl := range []string{
		`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, ` + tenantColumn + `id TEXT NOT NULL UNIQUE, aggregate_id TEXT NOT NULL,
			event_type TEXT NOT NULL, subject TEXT NOT NULL, payload BLOB NOT NULL, occurred_at TIMESTAMP NOT NULL,
			published_at TIMESTAMP NULL, trace_parent TEXT NULL, saga_context TEXT NULL, aggregate_version INTEGER NULL)`,
		`CREATE TABLE processed_events (` + tenantColumn + `consumer TEXT NOT NULL, event_id TEXT NOT NULL, processed_at TIMESTAMP NOT NULL,
			PRIMARY KEY (` + tenantKey + `consumer, event_id))`,
		`CREATE TABLE effects (event_id TEXT NOT NULL, tenant TEXT NOT NULL)`,
		`CREATE TABLE leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)`,
	} {
		if _, err := db.ExecContext(t.Context(), ddl); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{db: db, js: js, logger: logger}
}

// record records a test event in the outbox, as a command does (in
// testTenant in a multi-tenant system).
func (h *harness) record(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	ctx = scoped(ctx)
	err := h.db.InTx(ctx, func(tx *sql.Tx) error {
		return outbox.Record(ctx, tx, h.db.Dialect, "aggregate-1", testSubject, wrapperspb.String(value))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startRelay runs a relay until the test ends.
func (h *harness) startRelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	relay := &events.Relay{DB: h.db, JS: h.js, Source: "/test/relay", Logger: h.logger, Interval: 20 * time.Millisecond, Telemetry: h.tel, Replicas: h.replicas}
	go func() {
		defer close(done)
		relay.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// startConsumers runs handler as a durable consumer until the test ends,
// with onDead, if given, as its OnDeadLetter.
func (h *harness) startConsumers(t *testing.T, handle func(ctx context.Context, meta events.Metadata, payload []byte) error, onDead ...func(ctx context.Context, meta events.Metadata, payload []byte, cause error) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c := &events.Consumers{DB: h.db, JS: h.js, Logger: h.logger, MaxAttempts: 3, Backoff: 10 * time.Millisecond, Telemetry: h.tel, Replicas: h.replicas}
	go func() {
		defer close(done)
		handler := events.Handler{Durable: "test", Subject: testSubject, DeadLetter: testDeadLetter, Handle: handle}
		if len(onDead) > 0 {
			handler.OnDeadLetter = onDead[0]
		}
		c.Run(ctx, handler)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// applyEffect is a handler that records the event and the tenant it runs
// in ("" in a single-tenant system) in effects, in the transaction ctx
// carries.
func (h *harness) applyEffect(ctx context.Context, meta events.Metadata, _ []byte) error {
	id, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	return h.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO effects (event_id, tenant) VALUES (?, ?)", meta.ID, id)
		return err
	})
}

func (h *harness) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := h.db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually fails the test unless cond holds within 15 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 15*time.Second, what, cond)
}

// eventuallyWithin waits up to limit until cond holds, or fails.
func eventuallyWithin(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRelayPublishesWithCloudEventsHeaders(t *testing.T) {
	h := newHarness(t)
	ctx := telemetry.WithTraceParent(t.Context(), testTraceParent)
	ctx = outbox.WithSaga(ctx, outbox.Saga{Name: "test_saga", ID: "saga-1", Trigger: []byte("trigger")})
	h.record(t, ctx, "hello")
	h.startRelay(t)

	eventually(t, "the event is marked published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL") == 1
	})
	stream, err := h.js.Stream(t.Context(), events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(t.Context(), testSubject)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := outbox.List(t.Context(), h.db, h.db.Dialect, 0, 10)
	if err != nil || len(recorded) != 1 {
		t.Fatalf("outbox: %v, %v", recorded, err)
	}
	want := map[string]string{
		events.HeaderID:            recorded[0].ID,
		events.HeaderType:          "google.protobuf.StringValue",
		events.HeaderSource:        "/test/relay",
		events.HeaderSubject:       "aggregate-1",
		events.HeaderSpecVersion:   "1.0",
		events.HeaderSchemaVersion: "protobuf",
		events.HeaderTraceParent:   testTraceParent,
		events.HeaderSaga:          "test_saga",
		events.HeaderSagaID:        "saga-1",
		events.HeaderSequence:      strconv.FormatInt(recorded[0].Seq, 10),
		"Nats-Msg-Id":              recorded[0].ID,
	}
	maps.Copy(want, scopeHeaders())
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	meta := events.MetadataOf(msg.Header)
	if string(meta.Saga.Trigger) != "trigger" {
		t.Errorf("saga trigger = %q, want trigger", meta.Saga.Trigger)
	}
	if meta.Sequence != recorded[0].Seq || meta.Sequence == 0 || meta.AggregateVersion != 0 || msg.Header.Get(events.HeaderAggregateVersion) != "" {
		t.Errorf("sequence %d, aggregate version %d (header %q); want the outbox seq %d and no version (not event-sourced)",
			meta.Sequence, meta.AggregateVersion, msg.Header.Get(events.HeaderAggregateVersion), recorded[0].Seq)
	}
	versioned := events.Message(outbox.Event{ID: "e-2", Seq: 7, Version: 3, Subject: testSubject}, "/test")
	if m := events.MetadataOf(versioned.Header); m.Sequence != 7 || m.AggregateVersion != 3 {
		t.Errorf("an event-sourced event: sequence %d, aggregate version %d; want 7 and 3", m.Sequence, m.AggregateVersion)
	}
	if _, err := time.Parse(time.RFC3339Nano, msg.Header.Get(events.HeaderTime)); err != nil {
		t.Errorf("header %s: %v", events.HeaderTime, err)
	}
	var payload wrapperspb.StringValue
	if err := proto.Unmarshal(msg.Data, &payload); err != nil || payload.GetValue() != "hello" {
		t.Errorf("payload = %v, %v; want hello", &payload, err)
	}
}

// An event continues the trace of the change that recorded it: the relay
// publishes in a producer span whose traceparent the message carries, and
// the handler runs in a consumer span, its child.
func TestTraceCrossesTheBroker(t *testing.T) {
	h := newHarness(t)
	exporter := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Tracing: true, SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	h.tel = tel
	ctx, command := tel.Start(telemetry.WithTraceParent(t.Context(), testTraceParent), "command")
	h.record(t, ctx, "hello")
	command.End()
	handled := make(chan trace.SpanContext, 1)
	h.startConsumers(t, func(ctx context.Context, _ events.Metadata, _ []byte) error {
		handled <- trace.SpanContextFromContext(ctx)
		return nil
	})
	h.startRelay(t)
	var inHandler trace.SpanContext
	select {
	case inHandler = <-handled:
	case <-time.After(15 * time.Second):
		t.Fatal("the event was not handled within 15s")
	}
	eventually(t, "the consumer span ends", func() bool { return len(exporter.GetSpans()) == 3 })
	spans := map[string]tracetest.SpanStub{}
	for _, s := range exporter.GetSpans() {
		spans[s.Name] = s
		if s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %q is in trace %s", s.Name, s.SpanContext.TraceID())
		}
	}
	publish, process := spans["publish "+testSubject], spans["process "+testSubject]
	if publish.SpanKind != trace.SpanKindProducer || publish.Parent.SpanID() != spans["command"].SpanContext.SpanID() {
		t.Errorf("publish span %+v is not the command span's child", publish)
	}
	if process.SpanKind != trace.SpanKindConsumer || process.Parent.SpanID() != publish.SpanContext.SpanID() || !process.Parent.IsRemote() {
		t.Errorf("process span %+v is not the publish span's child", process)
	}
	if inHandler.SpanID() != process.SpanContext.SpanID() {
		t.Error("the handler does not run in the consumer span")
	}
	stream, err := h.js.Stream(t.Context(), events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(t.Context(), testSubject)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Values(events.HeaderTraceParent); len(got) != 1 || !strings.Contains(got[0], publish.SpanContext.SpanID().String()) {
		t.Errorf("traceparent headers %q, want the publish span's only", got)
	}
}

// A broker outage while commands record events loses nothing: the relay
// publishes them when the broker is back, and consumers get them.
func TestBrokerOutageLosesNothing(t *testing.T) {
	h := newHarness(t)
	h.startRelay(t)
	h.startConsumers(t, h.applyEffect)
	h.record(t, t.Context(), "before")
	eventually(t, "the first event is applied", func() bool { return h.count(t, "SELECT COUNT(*) FROM effects") == 1 })

	h.broker.Stop()
	h.record(t, t.Context(), "during")
	time.Sleep(300 * time.Millisecond)
	if n := h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"); n != 1 {
		t.Fatalf("%d unpublished events during the outage, want 1", n)
	}
	if err := h.broker.Resume(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the event recorded during the outage is applied", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects") == 2
	})
	// The relay marks an event published after the broker acknowledged it,
	// which can be after a consumer applied it.
	eventually(t, "every event is marked published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
}

// An event delivered twice (published twice under different message ids,
// as after a crash between publishing and marking) changes state once.
func TestDuplicateDeliveryAppliesOnce(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int32
	h.startConsumers(t, func(ctx context.Context, meta events.Metadata, payload []byte) error {
		calls.Add(1)
		return h.applyEffect(ctx, meta, payload)
	})
	e := outbox.Event{ID: "event-1", AggregateID: "aggregate-1", Type: "google.protobuf.StringValue", Subject: testSubject, OccurredAt: time.Now()}
	e = scopedEvent(e)
	e.Payload, _ = proto.Marshal(wrapperspb.String("twice"))
	for _, msgID := range []string{"first", "second"} {
		if _, err := h.js.PublishMsg(t.Context(), events.Message(e, "/test"), jetstream.WithMsgID(msgID)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both deliveries are handled", func() bool {
		n, err := consumerDelivered(t, h.js)
		return err == nil && n == 2
	})
	if n := h.count(t, "SELECT COUNT(*) FROM effects"); n != 1 {
		t.Errorf("the event was applied %d times, want once", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the handler ran %d times, want once", n)
	}
}

// consumerDelivered is how many messages the test consumer acknowledged.
func consumerDelivered(t *testing.T, js jetstream.JetStream) (uint64, error) {
	cons, err := js.Consumer(t.Context(), events.Stream, "test")
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(t.Context())
	if err != nil {
		return 0, err
	}
	return info.AckFloor.Stream, nil
}

// A failing handler is retried with backoff; an event that still fails
// after MaxAttempts goes to the dead-letter subject, and the handler's
// OnDeadLetter runs once for it.
func TestRetryThenDeadLetter(t *testing.T) {
	h := newHarness(t)
	dead := make(chan *nats.Msg, 1)
	sub, err := natsConn(t, h).ChanSubscribe(testDeadLetter, dead)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	attempts := map[string]int{}
	var mu sync.Mutex
	h.startConsumers(t, func(ctx context.Context, meta events.Metadata, payload []byte) error {
		mu.Lock()
		attempts[meta.Subject]++
		n := attempts[meta.Subject]
		mu.Unlock()
		if meta.Subject == "flaky" && n < 3 {
			return errors.New("not yet")
		}
		if meta.Subject == "broken" {
			return errors.New("always failing")
		}
		return h.applyEffect(ctx, meta, payload)
	}, func(ctx context.Context, meta events.Metadata, payload []byte, cause error) error {
		if cause.Error() != "always failing" {
			return events.Permanent(fmt.Errorf("OnDeadLetter got %v", cause))
		}
		meta.ID = "dead-" + meta.ID
		return h.applyEffect(ctx, meta, payload)
	})
	for _, aggregate := range []string{"flaky", "broken"} {
		e := outbox.Event{ID: "event-" + aggregate, AggregateID: aggregate, Type: "google.protobuf.StringValue", Subject: testSubject, OccurredAt: time.Now()}
		e = scopedEvent(e)
		if _, err := h.js.PublishMsg(t.Context(), events.Message(e, "/test"), jetstream.WithMsgID(e.ID)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case msg := <-dead:
		if got := msg.Header.Get(events.HeaderID); got != "event-broken" {
			t.Errorf("dead-lettered %q, want event-broken", got)
		}
		if got := msg.Header.Get(events.HeaderAttempts); got != "3" {
			t.Errorf("dead-lettered after %s attempts, want 3", got)
		}
		if got := msg.Header.Get(events.HeaderError); got != "always failing" {
			t.Errorf("dead-letter error = %q", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("nothing was dead-lettered")
	}
	eventually(t, "OnDeadLetter ran once for the dead-lettered event", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects WHERE event_id = 'dead-event-broken'") == 1
	})
	eventually(t, "the flaky event is applied on its third attempt", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects WHERE event_id = 'event-flaky'") == 1
	})
}

func natsConn(t *testing.T, h *harness) *nats.Conn {
	nc, err := nats.Connect(h.broker.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
