package orders

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestPlaceOrder(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	newRequest := func() *ordersv1.PlaceOrderRequest {
		return &ordersv1.PlaceOrderRequest{
			CustomerId: "customer_id-1",
			Items:      []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
		}
	}
	req := newRequest()
	resp, err := s.PlaceOrder(ctx, req)
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	got, err := s.Store().LoadOrder(ctx, resp.GetOrder().GetId())
	if err != nil {
		t.Fatalf("stored order: %v", err)
	}
	if got.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
		t.Errorf("Status = %v, want %v", got.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_PENDING)
	}
	if got.GetCustomerId() != req.GetCustomerId() {
		t.Errorf("GetCustomerId() = %v, want the request's %v", got.GetCustomerId(), req.GetCustomerId())
	}
	if got, want := recordedEvents(t, s), []string{"shop.orders.v1.OrderPlaced"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).PlaceOrder(keyed, req); err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.CustomerId = ""
		_, err := s.PlaceOrder(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
