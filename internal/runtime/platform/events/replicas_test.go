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
