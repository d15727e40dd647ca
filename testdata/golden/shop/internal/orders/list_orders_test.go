package orders

import (
	"testing"

	"connectrpc.com/connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"google.golang.org/protobuf/proto"
)

func TestListOrders(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedOrder(t, s)
	newRequest := func() *ordersv1.ListOrdersRequest {
		return &ordersv1.ListOrdersRequest{
			CustomerId: seeded.GetCustomerId(),
		}
	}
	resp, err := s.ListOrders(ctx, newRequest())
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if got := resp.GetOrders(); len(got) != 1 || !proto.Equal(got[0], seeded) {
		t.Errorf("Orders = %v, want [%v]", got, seeded)
	}

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.CustomerId = ""
		_, err := s.ListOrders(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
