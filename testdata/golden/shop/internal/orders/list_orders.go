package orders

import (
	"context"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
)

// ListOrders implements the ListOrders RPC.
//
// The default:
//   - It checks that customer_id is set.
//   - It returns every Order with the same customer_id as the request, oldest first.
//   - For a user calling through the gateway, the owner rule (ownership.go) applies: before this code runs, a customer_id other than the caller's sub claim is refused with PermissionDenied, and an empty one is filled with it; the store returns the caller's orders only. Holders of role admin act on every Order; calls from other services are not checked.
func (s *Service) ListOrders(ctx context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	if req.GetCustomerId() == "" {
		return nil, invalidArgument("customer_id", "must not be empty")
	}
	found, err := s.store.FindOrdersByCustomerID(ctx, req.GetCustomerId())
	if err != nil {
		return nil, s.fail(ctx, "list_orders", err)
	}
	// Filter, sort or page the result here.
	return &ordersv1.ListOrdersResponse{Orders: found}, nil
}
