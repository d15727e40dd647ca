package inventory

import (
	"testing"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/events"
	"github.com/acme/shop/internal/platform/logging"
	"google.golang.org/protobuf/proto"
)

// An event delivered twice is applied once.
func TestOnOrderCancelledAppliesOnce(t *testing.T) {
	s := newTestService(t)
	payload, err := proto.Marshal(&ordersv1.OrderCancelled{
		OrderId: "order_id-1",
		Reason:  "reason-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	consumers := &events.Consumers{DB: s.store.db, Logger: logging.Discard()}
	handler := s.eventHandler("inventory_orders_order_cancelled")
	meta := events.Metadata{ID: "event-1", Type: "shop.orders.v1.OrderCancelled", Attempt: 1}
	for range 2 {
		if err := consumers.Process(t.Context(), handler, meta, payload); err != nil {
			t.Fatal(err)
		}
	}
	recorded := 0
	for _, typ := range recordedEvents(t, s) {
		if typ == "shop.inventory.v1.StockReleased" {
			recorded++
		}
	}
	if recorded != 1 {
		t.Errorf("ReleaseStock recorded shop.inventory.v1.StockReleased %d times, want once", recorded)
	}
	var processed int
	if err := s.store.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+events.ProcessedTable).Scan(&processed); err != nil {
		t.Fatal(err)
	}
	if processed != 1 {
		t.Errorf("%d processed events recorded, want 1", processed)
	}
} // An event whose payload does not decode is dead-lettered without retries.
func TestOnOrderCancelledRejectsGarbage(t *testing.T) {
	s := newTestService(t)
	consumers := &events.Consumers{DB: s.store.db, Logger: logging.Discard()}
	meta := events.Metadata{ID: "event-1", Type: "shop.orders.v1.OrderCancelled", Attempt: 1}
	err := consumers.Process(t.Context(), s.eventHandler("inventory_orders_order_cancelled"), meta, []byte{0xff})
	if !events.IsPermanent(err) {
		t.Fatalf("error = %v, want a permanent error", err)
	}
}
