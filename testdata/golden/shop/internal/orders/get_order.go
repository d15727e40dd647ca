package orders

import (
	"context"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
)

// GetOrder implements the GetOrder RPC.
//
// The default:
//   - It checks that order_id is set.
//   - It returns the Order whose id is order_id (NotFound when there is none).
//   - For a user calling through the gateway, the owner rule (ownership.go) applies: the store answers NotFound for an Order the caller does not own, as for a missing one. Holders of role admin act on every Order; calls from other services are not checked.
func (s *Service) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.GetOrderResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	x, err := s.store.GetOrder(ctx, req.GetOrderId())
	if err != nil {
		return nil, s.fail(ctx, "get_order", err)
	}
	// Hide fields the caller may not see, or check access, here.
	return &ordersv1.GetOrderResponse{Order: x}, nil
}
