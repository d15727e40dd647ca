package orders

import (
	"context"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/checked"
)

// PlaceOrder implements the PlaceOrder RPC.
//
// The default:
//   - It checks that customer_id and items are set.
//   - It creates a new Order with a fresh id from the request.
//   - It computes total_cents as the sum of quantity × price_cents over items (checked: an overflow is InvalidArgument).
//   - For a user calling through the gateway, the owner rule (ownership.go) applies: before this code runs, a customer_id other than the caller's sub claim is refused with PermissionDenied, and an empty one is filled with it. Holders of role admin act on every Order; calls from other services are not checked.
//   - It appends OrderPlaced to the event store at the next version of the Order (Aborted when it changed concurrently).
func (s *Service) PlaceOrder(ctx context.Context, req *ordersv1.PlaceOrderRequest) (*ordersv1.PlaceOrderResponse, error) {
	if req.GetCustomerId() == "" {
		return nil, invalidArgument("customer_id", "must not be empty")
	}
	if len(req.GetItems()) == 0 {
		return nil, invalidArgument("items", "must not be empty")
	}
	// Business rules that need no stored state go here.

	order := &ordersv1.Order{
		Id:         newID(),
		CustomerId: req.GetCustomerId(),
		Items:      req.GetItems(),
		Status:     ordersv1.OrderStatus_ORDER_STATUS_PENDING,
	}
	// total_cents is the sum of quantity × price_cents over items (checked: an overflow is InvalidArgument).
	for _, x := range order.GetItems() {
		line, ok := checked.Mul(int64(x.GetQuantity()), x.GetPriceCents())
		if ok {
			order.TotalCents, ok = checked.Add(order.TotalCents, line)
		}
		if !ok {
			return nil, invalidArgument("total_cents", "overflows int64: the sum of quantity × price_cents over items is too large")
		}
	}
	// Compute derived fields of the new Order here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		// The events are the change: the event store is the source of truth.
		if err := tx.RecordOrderPlaced(ctx, order.GetId(), &ordersv1.OrderPlaced{
			OrderId:    order.GetId(),
			CustomerId: order.GetCustomerId(),
			Items:      order.GetItems(),
			TotalCents: order.GetTotalCents(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "place_order", err)
	}
	return &ordersv1.PlaceOrderResponse{Order: order}, nil
}
