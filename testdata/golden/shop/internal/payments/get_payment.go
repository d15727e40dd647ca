package payments

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
)

// GetPayment implements the GetPayment RPC.
//
// The default:
//   - It checks that order_id is set.
//   - It returns the first Payment with the same order_id as the request (NotFound when there is none).
func (s *Service) GetPayment(ctx context.Context, req *paymentsv1.GetPaymentRequest) (*paymentsv1.GetPaymentResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	found, err := s.store.FindPaymentsByOrderID(ctx, req.GetOrderId())
	if err != nil {
		return nil, s.fail(ctx, "get_payment", err)
	}
	for _, x := range found {
		// Hide fields the caller may not see, or check access, here.
		return &paymentsv1.GetPaymentResponse{Payment: x}, nil
	}
	return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no matching payment"))
}
