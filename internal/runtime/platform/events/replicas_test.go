package events_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/lease"
)

// countingJetStream counts the messages published through it, by id.
type countingJetStream struct {
	jetstream.JetStream
	mu        sync.Mutex
	published map[string]int
}

func (c *countingJetStream) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ack, err := c.JetStream.PublishMsg(ctx, msg, opts...)
	if err == nil {
		c.mu.Lock()
		c.published[msg.Header.Get(jetstream.MsgIDHeader)]++
		c.mu.Unlock()
	}
	return ack, err
}

func (c *countingJetStream) PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	ack, err := c.JetStream.PublishMsgAsync(msg, opts...)
	if err == nil {
		c.mu.Lock()
		c.published[msg.Header.Get(jetstream.MsgIDHeader)]++
		c.mu.Unlock()
	}
	return ack, err
}

// counts returns how many events were published and the most times one
// of them was.
func (c *countingJetStream) counts() (events, most int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.published {
		most = max(most, n)
	}
	return len(c.published), most
}

// Two replicas' relays on one database: one publishes, each event once
// (not merely deduplicated by the broker), the other stands by and takes
// over when the first stops.
func TestRelaysOnTwoReplicasPublishEachEventOnce(t *testing.T) {
	h := newHarness(t)
	js := &countingJetStream{JetStream: h.js, published: map[string]int{}}
	type replica struct {
		lease *lease.Lease
		stop  func()
	}
	start := func(owner string) replica {
		l := &lease.Lease{DB: h.db, Name: "relay", Owner: owner, TTL: 500 * time.Millisecond}
		relay := &events.Relay{DB: h.db, JS: js, Source: "/test/relay", Logger: h.logger, BatchSize: 5, Interval: 5 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.Run(ctx, relay.Run)
		}()
		var once sync.Once
		stop := func() { once.Do(func() { cancel(); <-done }) }
		t.Cleanup(stop)
		return replica{l, stop}
	}
	for i := range 40 {
		h.record(t, t.Context(), fmt.Sprint(i))
	}
	a, b := start("a"), start("b")
	eventually(t, "every event is published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
	if n, most := js.counts(); n != 40 || most != 1 {
		t.Fatalf("%d events published, one of them %d times; want 40, each once", n, most)
	}
	active, standby := a, b
	if !active.lease.Active() {
		active, standby = b, a
	}
	if !active.lease.Active() || standby.lease.Active() {
		t.Fatalf("roles a=%s b=%s, want one active relay", a.lease.Role(), b.lease.Role())
	}
	active.stop()
	for i := range 20 {
		h.record(t, t.Context(), fmt.Sprint("after ", i))
	}
	eventually(t, "the standby relay publishes the events recorded since", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
	if !standby.lease.Active() {
		t.Fatal("the relay that published is not active")
	}
	if n, most := js.counts(); n != 60 || most != 1 {
		t.Fatalf("%d events published, one of them %d times; want 60, each once", n, most)
	}
}

// failingFuture is an acknowledgement that never comes: the broker refused.
type failingFuture struct {
	msg *nats.Msg
	err chan error
}

func (f failingFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (f failingFuture) Err() <-chan error            { return f.err }
func (f failingFuture) Msg() *nats.Msg               { return f.msg }

// refusingJetStream refuses the asynchronous publication of one message
// id, once, and records the order of every publication it passes on.
type refusingJetStream struct {
	jetstream.JetStream
	mu      sync.Mutex
	refuse  string
	refused bool
	order   []string
}

func (r *refusingJetStream) PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	id := msg.Header.Get(events.HeaderID)
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == r.refuse && !r.refused {
		r.refused = true
		f := failingFuture{msg: msg, err: make(chan error, 1)}
		f.err <- fmt.Errorf("refused %s", id)
		return f, nil
	}
	r.order = append(r.order, id)
	return r.JetStream.PublishMsgAsync(msg, opts...)
}

// A batch is published in one go; when the broker refuses an event in the
// middle, the events before it are marked published and it and those
// after it are published again, so that none is lost.
func TestRelayBatchWithARefusal(t *testing.T) {
	h := newHarness(t)
	for i := range 8 {
		h.record(t, t.Context(), fmt.Sprint(i))
	}
	var ids []string
	rows, err := h.db.QueryContext(t.Context(), "SELECT id FROM outbox ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	js := &refusingJetStream{JetStream: h.js, refuse: ids[3]}
	relay := &events.Relay{DB: h.db, JS: js, Source: "/test/relay", Logger: h.logger, BatchSize: 8, Interval: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); relay.Run(ctx) }()
	eventually(t, "every event is published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
	cancel()
	<-done
	js.mu.Lock()
	defer js.mu.Unlock()
	if !js.refused {
		t.Fatal("the refusal never happened")
	}
	// First batch: 0-2 and 4-7 (3 refused); then 3-7 again.
	want := append(append(append([]string{}, ids[:3]...), ids[4:]...), ids[3:]...)
	if fmt.Sprint(js.order) != fmt.Sprint(want) {
		t.Errorf("published in order\n  %v\nwant\n  %v", js.order, want)
	}
}
