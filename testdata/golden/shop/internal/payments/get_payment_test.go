package payments

import (
	"testing"

	"connectrpc.com/connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetPayment(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedPayment(t, s)
	newRequest := func() *paymentsv1.GetPaymentRequest {
		return &paymentsv1.GetPaymentRequest{
			OrderId: seeded.GetOrderId(),
		}
	}
	resp, err := s.GetPayment(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	if got := resp.GetPayment(); !proto.Equal(got, seeded) {
		t.Errorf("Payment = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetPayment(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.GetPayment(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
