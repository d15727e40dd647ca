package orders

import (
	"testing"

	"connectrpc.com/connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetOrder(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedOrder(t, s)
	newRequest := func() *ordersv1.GetOrderRequest {
		return &ordersv1.GetOrderRequest{
			OrderId: seeded.GetId(),
		}
	}
	resp, err := s.GetOrder(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	if got := resp.GetOrder(); !proto.Equal(got, seeded) {
		t.Errorf("Order = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetOrder(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.GetOrder(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
