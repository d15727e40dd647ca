package inventory

import (
	"context"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/events"
)

// OnOrderCancelled handles orders.OrderCancelled events, delivered at least once from
// subject shop.orders.order_cancelled by the durable consumer inventory_from_orders,
// one at a time across the replicas and in the order they were recorded,
// together with the other events of that service this one consumes.
//
// It runs inside the transaction that records the event as processed:
// state changed through s.store with ctx commits together with that
// record, so an event delivered twice changes state once. An error rolls everything back and the event is retried with
// backoff; after EVENT_MAX_ATTEMPTS attempts it goes to shop.dead_letter.inventory.orders.order_cancelled.
// Return events.Permanent(err) when retrying cannot help.
//
// The default calls ReleaseStock with the event's fields; a request the
// command rejects as invalid is dead-lettered at once.
func (s *Service) OnOrderCancelled(ctx context.Context, meta events.Metadata, event *ordersv1.OrderCancelled) error {
	_, err := s.ReleaseStock(ctx, &inventoryv1.ReleaseStockRequest{
		OrderId: event.GetOrderId(),
	})
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return events.Permanent(err)
	}
	return err
}
