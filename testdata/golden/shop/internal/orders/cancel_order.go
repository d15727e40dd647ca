package orders

import (
	"context"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
)

// CancelOrder implements the CancelOrder RPC.
//
// The default:
//   - It checks that order_id and reason are set.
//   - It loads the Order whose id is order_id by folding its events (NotFound when there is none) and changes it.
//   - For a user calling through the gateway, the owner rule (ownership.go) applies: the store answers NotFound for an Order the caller does not own, as for a missing one. Holders of role admin act on every Order; calls from other services are not checked.
//   - It sets status to cancelled.
//   - It appends OrderCancelled to the event store at the next version of the Order (Aborted when it changed concurrently).
func (s *Service) CancelOrder(ctx context.Context, req *ordersv1.CancelOrderRequest) (*ordersv1.CancelOrderResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	if req.GetReason() == "" {
		return nil, invalidArgument("reason", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var order *ordersv1.Order
	err := s.store.InTx(ctx, func(tx *Tx) error {
		var err error
		order, err = tx.LoadOrder(ctx, req.GetOrderId())
		if err != nil {
			return err
		}
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		order.Status = ordersv1.OrderStatus_ORDER_STATUS_CANCELLED
		if err := tx.RecordOrderCancelled(ctx, order.GetId(), &ordersv1.OrderCancelled{
			OrderId: order.GetId(),
			Reason:  req.GetReason(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "cancel_order", err)
	}
	return &ordersv1.CancelOrderResponse{Order: order}, nil
}
