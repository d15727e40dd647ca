//go:build tenancy

package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// testTenant is the tenant of the events the tests record and publish.
const testTenant = "tenant-a"

// tenantColumn and tenantKey prefix the columns and keys of the tables:
// every row is a tenant's.
const tenantColumn, tenantKey = tenant.Column + " TEXT NOT NULL, ", tenant.Column + ", "

func scoped(ctx context.Context) context.Context { return tenant.With(ctx, testTenant) }

func scopedEvent(e outbox.Event) outbox.Event {
	e.Tenant = testTenant
	return e
}

func tenantOf(ctx context.Context) (string, error) { return tenant.Require(ctx) }

// scopeHeaders are the headers of a published event's scope.
func scopeHeaders() map[string]string { return map[string]string{events.HeaderTenant: testTenant} }

// An event is handled in its tenant: the same event id in two tenants is
// two events, each applied once in its own tenant, and an event without a
// tenant is dead-lettered without reaching the handler.
func TestEventsStayInTheirTenant(t *testing.T) {
	h := newHarness(t)
	dead := make(chan *nats.Msg, 1)
	sub, err := natsConn(t, h).ChanSubscribe(testDeadLetter, dead)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	h.startConsumers(t, h.applyEffect)
	for _, id := range []string{"tenant-a", "tenant-a", "", "tenant-b"} {
		e := outbox.Event{ID: "same-id", AggregateID: "aggregate-1", Type: "google.protobuf.StringValue", Subject: testSubject, OccurredAt: time.Now(), Tenant: id}
		if _, err := h.js.PublishMsg(t.Context(), events.Message(e, "/test"), jetstream.WithMsgID("msg-"+id+"-"+fmt.Sprint(time.Now().UnixNano()))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case msg := <-dead:
		if got := msg.Header.Get(events.HeaderTenant); got != "" {
			t.Errorf("dead-lettered the event of tenant %q, want the one without a tenant", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the event without a tenant was not dead-lettered")
	}
	eventually(t, "the event is applied once in each tenant", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM effects WHERE event_id = 'same-id' AND tenant = 'tenant-a'") == 1 &&
			h.count(t, "SELECT COUNT(*) FROM effects WHERE event_id = 'same-id' AND tenant = 'tenant-b'") == 1
	})
	if n := h.count(t, "SELECT COUNT(*) FROM effects"); n != 2 {
		t.Errorf("%d effects, want one per tenant", n)
	}
}
