// Package events carries a system's events on NATS JetStream.
//
// Every event lives in one stream, Stream, on subjects Subjects (both in
// system.go). A service publishes through its outbox: commands record events
// in the same transaction as their state change and a Relay publishes them,
// so a broker outage delays events but loses none. Consumers are durable and
// at-least-once; each delivery is applied in one database transaction that
// also records the event id in processed_events, so a redelivered event
// changes state once. A failing delivery is retried with exponential
// backoff; after MaxAttempts it is published to the consumer's dead-letter
// subject (Handler.DeadLetter, "<system>.dead_letter.<service>.<producer>.<event>")
// and dropped.
//
// Messages carry the event's protobuf encoding and CloudEvents attributes
// as headers: ce-id, ce-type, ce-source, ce-subject, ce-time,
// ce-specversion, ce-datacontenttype, ce-schemaversion, in a multi-tenant
// system ce-tenant (the tenant the event belongs to: its consumers handle it
// in that tenant, and refuse an event without one) and, when the change was
// traced, traceparent.
package events

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// CloudEvents attribute headers.
const (
	HeaderID              = "ce-id"
	HeaderType            = "ce-type"
	HeaderSource          = "ce-source"
	HeaderSubject         = "ce-subject"
	HeaderTime            = "ce-time"
	HeaderSpecVersion     = "ce-specversion"
	HeaderDataContentType = "ce-datacontenttype"
	HeaderSchemaVersion   = "ce-schemaversion"
	HeaderTraceParent     = "traceparent"
	// HeaderSequence is the CloudEvents sequence extension: the event's
	// position in its producer's outbox, increasing in the order the
	// producer committed them (decimal; compare as numbers).
	HeaderSequence = "ce-sequence"
	// HeaderAggregateVersion is the version of the aggregate the event
	// brought about, 1, 2, 3... without gaps, when the producer is
	// event-sourced; absent otherwise.
	HeaderAggregateVersion = "ce-aggregateversion"
	// Choreographed sagas: the saga's name, id and base64 trigger event.
	HeaderSaga        = "ce-saga"
	HeaderSagaID      = "ce-sagaid"
	HeaderSagaTrigger = "ce-sagatrigger"
	// On a saga's failure event: the step that failed and, base64, why.
	HeaderSagaFailedStep = "ce-sagafailedstep"
	HeaderSagaError      = "ce-sagaerror"
	// HeaderError says why a dead-lettered event failed.
	HeaderError = "x-error"
	// HeaderAttempts says how often a dead-lettered event was tried.
	HeaderAttempts = "x-attempts"
)

// ProcessedTable is the table consumers record handled event ids in.
const ProcessedTable = "processed_events"

// Connect connects to the NATS server at url, or to one of a cluster's
// servers when url lists several, comma-separated. It keeps reconnecting for
// as long as the connection is open, also when the server is not up yet:
// when its server dies, the connection moves to another one of the list or
// of those the cluster announced.
func Connect(url, name string, logger *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("broker disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("broker reconnected", "url", nc.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

// StreamConfig is the configuration of Stream with replicas copies of every
// message (0 counts as 1).
func StreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        Stream,
		Description: "Events of the " + System + " system",
		Subjects:    []string{Subjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      7 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
		Replicas:    max(replicas, 1),
	}
}

// EnsureStream creates Stream, or updates it to the expected configuration,
// with replicas copies of every message (env NATS_STREAM_REPLICAS, 0 counts
// as 1). On a JetStream cluster, 3 replicas keep the stream, and the
// consumers on it, available while one node is down; a single server holds
// only 1. Every service of the system must ask for the same number, or each
// one changes the stream back to its own.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	cfg := StreamConfig(replicas)
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		if cfg.Replicas > 1 {
			return nil, fmt.Errorf("create stream %s with %d replicas: %w (NATS_STREAM_REPLICAS=%d needs a JetStream cluster of at least %[2]d nodes; set it to 1 for a single server)", Stream, cfg.Replicas, err, cfg.Replicas)
		}
		return nil, fmt.Errorf("create stream %s: %w", Stream, err)
	}
	return s, nil
}

// Message returns the NATS message publishing e from source ("/shop/orders").
func Message(e outbox.Event, source string) *nats.Msg {
	h := nats.Header{}
	set := func(k, v string) {
		if v != "" {
			h[k] = []string{v}
		}
	}
	set(HeaderID, e.ID)
	set(HeaderType, e.Type)
	set(HeaderSource, source)
	set(HeaderSubject, e.AggregateID)
	set(HeaderTime, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	set(HeaderSpecVersion, "1.0")
	set(HeaderDataContentType, "application/protobuf")
	set(HeaderSchemaVersion, SchemaVersion(e.Type))
	set(HeaderTraceParent, e.TraceParent)
	if e.Seq > 0 {
		set(HeaderSequence, strconv.FormatInt(e.Seq, 10))
	}
	if e.Version > 0 {
		set(HeaderAggregateVersion, strconv.FormatInt(e.Version, 10))
	}
	setScope(e, set)
	if e.Saga.Name != "" {
		set(HeaderSaga, e.Saga.Name)
		set(HeaderSagaID, e.Saga.ID)
		h[HeaderSagaTrigger] = []string{base64.StdEncoding.EncodeToString(e.Saga.Trigger)}
		set(HeaderSagaFailedStep, e.Saga.FailedStep)
		if e.Saga.Error != "" {
			set(HeaderSagaError, base64.StdEncoding.EncodeToString([]byte(e.Saga.Error)))
		}
	}
	return &nats.Msg{Subject: e.Subject, Header: h, Data: e.Payload}
}

// SchemaVersion is the version of the protobuf package that declares the
// event type: "v1" for "shop.orders.v1.OrderPlaced".
func SchemaVersion(eventType string) string {
	parts := strings.Split(eventType, ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

// Relay publishes the events a service recorded in its outbox, oldest
// first, and marks each one published once the broker stored it. Each
// message's id is the event id, which JetStream deduplicates, and consumers
// deduplicate too: publishing an event twice (a crash between publishing and
// marking) does no harm.
//
// With several replicas, one relay per service publishes: the replica
// holding the service's "relay" lease runs it (app.Server, package lease)
// and the others stand by, taking over within seconds when it goes. We
// chose that over relays on every replica claiming batches of rows:
//
//   - one relay publishes in seq order, so the stream holds each
//     aggregate's events in the order they were recorded, and consumers
//     see them in that order; relays claiming batches would publish
//     batches side by side, and a later event of an aggregate could reach
//     the stream before an earlier one;
//   - the relay's pace is set by the broker's acknowledgements, not the
//     database, so more relays would share little work but add a claim
//     (an UPDATE) per batch on every replica;
//   - one code path serves SQLite, PostgreSQL and MySQL, without FOR
//     UPDATE SKIP LOCKED.
//
// A relay that lost its lease while publishing (paused past the lease's
// TTL) may publish an event the new one publishes too: the broker and the
// consumers deduplicate it by its id, as above.
type Relay struct {
	DB     *database.DB
	JS     jetstream.JetStream
	Source string // CloudEvents source, "/<system>/<service>"
	Logger *slog.Logger
	// Interval is how often an idle relay looks for new events, 100ms by default.
	Interval time.Duration
	// BatchSize bounds the events read at once, 100 by default.
	BatchSize int
	// Telemetry traces each publication as a child of the span that
	// recorded the event; nil for none.
	Telemetry *telemetry.Telemetry
	// Replicas is the number of copies of Stream (EnsureStream), 1 by default.
	Replicas int
	// AckTimeout bounds the wait for the broker's acknowledgements of a
	// batch, 5s by default.
	AckTimeout time.Duration
}

// Run publishes until ctx is done. While the broker is unreachable it
// retries with backoff; nothing recorded meanwhile is lost.
func (r *Relay) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	batch := r.BatchSize
	if batch <= 0 {
		batch = 100
	}
	failures := 0
	streamReady := false
	for {
		n, err := 0, error(nil)
		if !streamReady {
			setupCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = EnsureStream(setupCtx, r.JS, r.Replicas)
			cancel()
			streamReady = err == nil
		}
		if err == nil {
			n, err = r.publish(ctx, batch)
		}
		if err != nil {
			streamReady = false
		}
		wait := interval
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			failures++
			wait = Backoff(failures, interval, 5*time.Second)
			if failures == 1 || failures%20 == 0 {
				r.Logger.Warn("relay: publishing failed, retrying", "error", err, "failures", failures)
			}
		default:
			if failures > 0 {
				r.Logger.Info("relay: publishing again", "after_failures", failures)
			}
			failures = 0
			if n == batch {
				wait = 0
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// publish publishes up to batch unpublished events and returns how many.
//
// The batch is published asynchronously, in seq order on one connection,
// and its acknowledgements awaited together (at most AckTimeout): one
// round trip to the broker per batch instead of one per event, which is
// what lets one relay keep up with a replicated stream. Only the events up
// to the first one not acknowledged are marked published, in one
// statement; the others are published again next time, and the broker
// drops the copies of those it already stored (same message id within the
// stream's duplicate window). So a failure in the middle of a batch can
// store a later event before an earlier one that is published again:
// consumers that need an aggregate's order check its version.
func (r *Relay) publish(ctx context.Context, batch int) (int, error) {
	pending, err := outbox.Unpublished(ctx, r.DB, r.DB.Dialect, batch)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	type sent struct {
		ack  jetstream.PubAckFuture
		span trace.Span
	}
	out := make([]sent, 0, len(pending))
	defer func() {
		for _, s := range out {
			s.span.End()
		}
	}()
	var failed error
	for _, e := range pending {
		spanCtx, span := r.Telemetry.Start(telemetry.WithTraceParent(ctx, e.TraceParent), "publish "+e.Subject,
			trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(messagingAttributes(e.Subject, e.ID, e.Type)...))
		msg := Message(e, r.Source)
		telemetry.Inject(spanCtx, headerCarrier(msg.Header))
		ack, err := r.JS.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			span.End()
			failed = fmt.Errorf("publish %s %s: %w", e.Type, e.ID, err)
			break
		}
		out = append(out, sent{ack, span})
	}
	timeout := r.AckTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	acked := 0
wait:
	for i, s := range out {
		select {
		case <-s.ack.Ok():
			acked = i + 1
		case err := <-s.ack.Err():
			s.span.SetStatus(codes.Error, err.Error())
			failed = fmt.Errorf("publish %s %s: %w", pending[i].Type, pending[i].ID, err)
			break wait
		case <-deadline.C:
			failed = fmt.Errorf("publish %s %s: no acknowledgement within %s", pending[i].Type, pending[i].ID, timeout)
			break wait
		case <-ctx.Done():
			failed = ctx.Err()
			break wait
		}
	}
	seqs := make([]int64, acked)
	for i := range acked {
		seqs[i] = pending[i].Seq
	}
	// In a transaction of its own, which on SQLite commits with those of
	// the commands (group commit) instead of taking the writer apart.
	if len(seqs) > 0 {
		mark := context.WithoutCancel(ctx)
		err := r.DB.InTx(mark, func(tx *sql.Tx) error {
			return outbox.MarkPublishedSeqs(mark, tx, r.DB.Dialect, seqs)
		})
		if err != nil {
			return 0, err
		}
	}
	return acked, failed
}

// headerCarrier reads and writes trace context in NATS headers under the
// exact keys the propagators use ("traceparent", "tracestate", "baggage"):
// NATS header keys are case-sensitive, unlike HTTP's.
type headerCarrier nats.Header

func (c headerCarrier) Get(key string) string { return nats.Header(c).Get(key) }

func (c headerCarrier) Set(key, value string) { c[key] = []string{value} }

func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// messagingAttributes describe a message in a span (OpenTelemetry
// messaging semantic conventions).
func messagingAttributes(subject, id, eventType string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.destination.name", subject),
		attribute.String("messaging.message.id", id),
		attribute.String("cloudevents.event_type", eventType),
	}
}

// Backoff returns the delay before retry number attempt (1-based): base
// doubled per attempt, at most limit.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// MetadataOf reads the CloudEvents headers of msg.
func MetadataOf(h nats.Header) Metadata {
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	m := Metadata{
		ID:            get(HeaderID),
		Type:          get(HeaderType),
		Source:        get(HeaderSource),
		Subject:       get(HeaderSubject),
		SchemaVersion: get(HeaderSchemaVersion),
		TraceParent:   get(HeaderTraceParent),
	}
	m.readScope(get)
	m.Time, _ = time.Parse(time.RFC3339Nano, get(HeaderTime))
	m.Sequence, _ = strconv.ParseInt(get(HeaderSequence), 10, 64)
	m.AggregateVersion, _ = strconv.ParseInt(get(HeaderAggregateVersion), 10, 64)
	if trigger, err := base64.StdEncoding.DecodeString(get(HeaderSagaTrigger)); err == nil && get(HeaderSaga) != "" {
		cause, _ := base64.StdEncoding.DecodeString(get(HeaderSagaError))
		m.Saga = outbox.Saga{Name: get(HeaderSaga), ID: get(HeaderSagaID), Trigger: trigger, FailedStep: get(HeaderSagaFailedStep), Error: string(cause)}
	}
	return m
}

// Handler handles the events of one durable consumer.
type Handler struct {
	Durable    string // durable consumer name, unique in the system
	Subject    string // the event's subject
	DeadLetter string // where events go after the last failed attempt
	// Handle applies one event. ctx carries the transaction that records the
	// event as processed (database.WithTx): state changed through the
	// service's store with this ctx commits together with that record.
	Handle func(ctx context.Context, meta Metadata, payload []byte) error
	// OnDeadLetter, when set, runs when the event is dead-lettered (after
	// MaxAttempts failures, or a permanent one) with the last error, in a
	// transaction that records the event as processed: a choreographed
	// saga's step fails the saga here. When it fails, the event is retried.
	OnDeadLetter func(ctx context.Context, meta Metadata, payload []byte, cause error) error
	// Skip, when set, runs before the transaction: an event it reports
	// true for is acknowledged without running Handle or recording it as
	// processed. For what one read can tell is done for good (the saga
	// an event starts was started when the event was recorded); an error
	// runs the handler as usual.
	Skip func(ctx context.Context, meta Metadata) (bool, error)
	// Ordered, when set, names the durable consumer that delivers this
	// handler's events in order, together with those of every handler of
	// the same Ordered name (a service's handlers of one producer's
	// events): one event at a time across every replica, in the order the
	// stream holds them, the next one only once this one was handled,
	// retried to success or dead-lettered. So every aggregate's events
	// reach the handlers in the order the producer's relay published them,
	// also after a retry, a crash or a replica taking over. The handlers of
	// a group take distinct subjects.
	//
	// Events stay recorded as processed under each handler's Durable, so
	// moving a handler into a group (an earlier release consumed with
	// Durable itself, which the group's consumer then deletes) applies
	// none of them twice.
	//
	// Empty: the handler's own durable consumer, Durable, delivers it
	// events with several in flight, taken one at a time on each replica.
	Ordered string
}

// Consumer is the name of the broker's durable consumer that delivers h's
// events: Ordered, or Durable.
func (h Handler) Consumer() string {
	if h.Ordered != "" {
		return h.Ordered
	}
	return h.Durable
}

// permanentError marks an error retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a payload that does
// not decode, an event the handler rejects): the event is dead-lettered
// without further attempts. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Consumers runs a service's durable consumers.
type Consumers struct {
	DB     *database.DB
	JS     jetstream.JetStream
	Logger *slog.Logger
	// MaxAttempts is how often a delivery is tried before it is
	// dead-lettered, 5 by default.
	MaxAttempts int
	// Backoff is the delay before the first retry, doubled for each next
	// one up to 30s; 500ms by default.
	Backoff time.Duration
	// AckWait is how long the broker waits for a handler before it
	// redelivers, 30s by default.
	AckWait time.Duration
	// Telemetry traces each delivery as a child of the span that published
	// it and counts retries and dead letters; nil for none.
	Telemetry *telemetry.Telemetry
	// Replicas is the number of copies of Stream (EnsureStream) and of each
	// durable consumer's state (what it acknowledged), 1 by default: with
	// 3 on a JetStream cluster, a consumer continues where it was when a
	// node dies.
	Replicas int
}

// Run consumes with every handler until ctx is done. While the broker is
// unreachable it keeps trying to set the consumers up.
func (c *Consumers) Run(ctx context.Context, handlers ...Handler) {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	var wg sync.WaitGroup
	for _, g := range c.groups(handlers) {
		wg.Go(func() { c.run(ctx, g) })
	}
	wg.Wait()
}

// group is the handlers one durable consumer of the broker delivers to.
type group struct {
	name      string
	ordered   bool
	subjects  []string
	bySubject map[string]Handler
}

// groups gathers handlers by the durable consumer that delivers to them
// (Handler.Consumer), in the order they come.
func (c *Consumers) groups(handlers []Handler) []*group {
	var groups []*group
	byName := map[string]*group{}
	for _, h := range handlers {
		g := byName[h.Consumer()]
		if g == nil {
			g = &group{name: h.Consumer(), ordered: h.Ordered != "", bySubject: map[string]Handler{}}
			byName[g.name] = g
			groups = append(groups, g)
		}
		if _, dup := g.bySubject[h.Subject]; dup || (!g.ordered && len(g.subjects) > 0) {
			c.Logger.Error("two handlers on one durable consumer (an ordered group's take distinct subjects): the second is not run", "consumer", g.name, "durable", h.Durable, "subject", h.Subject)
			continue
		}
		g.subjects = append(g.subjects, h.Subject)
		g.bySubject[h.Subject] = h
	}
	return groups
}

func (c *Consumers) run(ctx context.Context, g *group) {
	logger := c.Logger.With("consumer", g.name)
	for failures := 1; ; failures++ {
		cc, err := c.consume(ctx, g, logger)
		if err == nil {
			<-ctx.Done()
			// Messages the client took but not handled yet are handed to
			// the callback, which gives them back (Nak): without that the
			// broker waits out AckWait before another replica gets them,
			// and an ordered group waits with them.
			cc.Drain()
			select {
			case <-cc.Closed():
			case <-time.After(5 * time.Second):
				cc.Stop()
			}
			return
		}
		if failures == 1 || failures%20 == 0 {
			logger.Warn("consumer not ready, retrying", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(Backoff(failures, 100*time.Millisecond, 5*time.Second)):
		}
	}
}

func (c *Consumers) consume(ctx context.Context, g *group, logger *slog.Logger) (jetstream.ConsumeContext, error) {
	setupCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := EnsureStream(setupCtx, c.JS, c.Replicas); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       g.name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1, // dead-lettering is decided here, with the error at hand
		Replicas:      max(c.Replicas, 1),
	}
	if len(g.subjects) == 1 {
		cfg.FilterSubject = g.subjects[0]
	} else {
		cfg.FilterSubjects = g.subjects
	}
	if g.ordered {
		// The broker delivers the next event only once this one is
		// acknowledged or terminated, to whichever replica asks. An event
		// a replica took and died with holds up the group until AckWait
		// ends: a short one, which keepInProgress extends while a handler
		// runs.
		cfg.MaxAckPending = 1
		cfg.AckWait = min(c.AckWait, OrderedAckWait)
	}
	cons, err := c.JS.CreateOrUpdateConsumer(setupCtx, Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", g.name, err)
	}
	if g.ordered {
		// The durable consumers an earlier release delivered these
		// events with, one per handler: the group's consumer delivers
		// them again from the start of the stream, and each handler
		// skips what it recorded as processed under its Durable.
		for _, subject := range g.subjects {
			old := g.bySubject[subject].Durable
			if old == g.name {
				continue
			}
			if err := c.JS.DeleteConsumer(setupCtx, Stream, old); err == nil {
				logger.Info("deleted the durable consumer an earlier release used", "durable", old)
			} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
				logger.Warn("delete the durable consumer an earlier release used", "durable", old, "error", err)
			}
		}
	}
	return cons.Consume(func(msg jetstream.Msg) {
		h, ok := g.bySubject[msg.Subject()]
		if !ok {
			logger.Error("event on a subject no handler takes, dropped", "subject", msg.Subject())
			_ = msg.Term()
			return
		}
		if g.ordered {
			defer keepInProgress(msg, cfg.AckWait/2)()
		}
		c.deliver(ctx, h, msg, logger)
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		logger.Debug("consume", "error", err)
	}))
}

// OrderedAckWait is the AckWait of an ordered group's consumer (at most
// Consumers.AckWait): how long the group waits for an event whose replica
// died before another replica gets it.
const OrderedAckWait = 5 * time.Second

// keepInProgress tells the broker every interval that msg is still being
// handled, so that it does not redeliver it meanwhile, until the returned
// function is called.
func keepInProgress(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

// deliver handles one message and acknowledges it, asks for a delayed
// redelivery, or dead-letters it.
func (c *Consumers) deliver(ctx context.Context, h Handler, msg jetstream.Msg, logger *slog.Logger) {
	meta := MetadataOf(msg.Headers())
	if md, err := msg.Metadata(); err == nil {
		meta.Attempt = int(md.NumDelivered)
	}
	ctx, span := c.Telemetry.Start(telemetry.Extract(ctx, headerCarrier(msg.Headers())), "process "+h.Subject,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(append(messagingAttributes(h.Subject, meta.ID, meta.Type),
			attribute.String("messaging.consumer.group.name", h.Durable), attribute.Int("messaging.delivery.attempt", meta.Attempt))...))
	defer span.End()
	err := c.Process(ctx, h, meta, msg.Data())
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	switch {
	case err == nil:
		c.Telemetry.EventHandled(ctx, h.Durable, "ok")
		if err := msg.Ack(); err != nil {
			logger.Warn("ack failed; the event will be redelivered and skipped", "event", meta.ID, "error", err)
		}
	case ctx.Err() != nil:
		_ = msg.Nak()
	case IsPermanent(err) || meta.Attempt >= c.MaxAttempts:
		logger.ErrorContext(ctx, "event dead-lettered", "event", meta.ID, "type", meta.Type, "attempts", meta.Attempt, "error", err)
		dead := &nats.Msg{Subject: h.DeadLetter, Header: nats.Header{}, Data: msg.Data()}
		for k, v := range msg.Headers() {
			dead.Header[k] = v
		}
		dead.Header[HeaderError] = []string{err.Error()}
		dead.Header[HeaderAttempts] = []string{fmt.Sprint(meta.Attempt)}
		pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, perr := c.JS.PublishMsg(pubCtx, dead); perr != nil {
			logger.Warn("dead-lettering failed, retrying the event", "event", meta.ID, "error", perr)
			_ = msg.NakWithDelay(c.Backoff)
			return
		}
		if derr := c.DeadLetter(ctx, h, meta, msg.Data(), err); derr != nil {
			if !IsPermanent(derr) {
				logger.Warn("handling the dead-lettered event failed, retrying it", "event", meta.ID, "error", derr)
				_ = msg.NakWithDelay(Backoff(meta.Attempt, c.Backoff, 30*time.Second))
				return
			}
			logger.Error("handling the dead-lettered event failed", "event", meta.ID, "error", derr)
		}
		c.Telemetry.EventHandled(ctx, h.Durable, "dead_letter")
		_ = msg.Term()
	default:
		c.Telemetry.EventHandled(ctx, h.Durable, "retry")
		delay := Backoff(meta.Attempt, c.Backoff, 30*time.Second)
		logger.WarnContext(ctx, "event failed, retrying", "event", meta.ID, "type", meta.Type, "attempt", meta.Attempt, "retry_in", delay, "error", err)
		_ = msg.NakWithDelay(delay)
	}
}

// DeadLetter runs h.OnDeadLetter, if any, for an event dead-lettered with
// cause, once per event like Process.
func (c *Consumers) DeadLetter(ctx context.Context, h Handler, meta Metadata, payload []byte, cause error) error {
	if h.OnDeadLetter == nil {
		return nil
	}
	onDead := Handler{Durable: h.Durable, Subject: h.Subject, DeadLetter: h.DeadLetter,
		Handle: func(ctx context.Context, meta Metadata, payload []byte) error {
			return h.OnDeadLetter(ctx, meta, payload, cause)
		},
	}
	return c.Process(ctx, onDead, meta, payload)
}

// Process applies one delivery with h exactly once: in one transaction it
// checks that the consumer has not processed the event yet, runs the handler
// and records the event id. A duplicate delivery returns nil unchanged.
// In a multi-tenant system the handler runs in the event's tenant
// (tenant.From), and an event without a valid one is refused for good.
func (c *Consumers) Process(ctx context.Context, h Handler, meta Metadata, payload []byte) error {
	if meta.ID == "" {
		return Permanent(errors.New("event without " + HeaderID + " header"))
	}
	d := c.DB.Dialect
	// The processed event's key: its scope (the tenant, in a multi-tenant
	// system), the consumer and the event id.
	ctx, cols, key, err := meta.scope(ctx, d)
	if err != nil {
		return Permanent(err)
	}
	cols = append(cols, "consumer", "event_id")
	key = append(key, h.Durable, meta.ID)
	if !trace.SpanContextFromContext(ctx).IsValid() {
		// Without a consumer span the event's own trace context is the
		// one the handler's calls and events continue.
		ctx = telemetry.WithTraceParent(ctx, meta.TraceParent)
	}
	ctx = outbox.WithSaga(ctx, meta.Saga)
	if h.Skip != nil {
		if skip, err := h.Skip(ctx, meta); err == nil && skip {
			return nil
		}
	}
	return c.DB.InTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, d.Rebind("SELECT 1 FROM "+d.Quote(ProcessedTable)+" WHERE "+strings.Join(cols, " = ? AND ")+" = ?"), key...).Scan(&one)
		switch {
		case err == nil:
			return nil // processed before
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check processed events: %w", err)
		}
		if err := h.Handle(database.WithTx(ctx, tx), meta, payload); err != nil {
			return err
		}
		insert := "INSERT INTO " + d.Quote(ProcessedTable) + " (" + strings.Join(cols, ", ") + ", processed_at) VALUES (" + strings.Repeat("?, ", len(cols)) + "?)"
		if _, err := tx.ExecContext(ctx, d.Rebind(insert), append(key, time.Now().UTC())...); err != nil {
			return fmt.Errorf("record processed event: %w", err)
		}
		return nil
	})
}
