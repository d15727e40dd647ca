package orders

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestConfirmOrder(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedOrder(t, s)
	newRequest := func() *ordersv1.ConfirmOrderRequest {
		return &ordersv1.ConfirmOrderRequest{
			OrderId: "order_id-1",
		}
	}
	req := newRequest()
	req.OrderId = seeded.GetId()
	resp, err := s.ConfirmOrder(ctx, req)
	if err != nil {
		t.Fatalf("ConfirmOrder: %v", err)
	}
	got, err := s.Store().LoadOrder(ctx, resp.GetOrder().GetId())
	if err != nil {
		t.Fatalf("stored order: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed order %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED)
	}
	if got, want := recordedEvents(t, s), []string{"shop.orders.v1.OrderConfirmed"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).ConfirmOrder(keyed, req); err != nil {
				t.Fatalf("ConfirmOrder: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.OrderId = "missing-id"
		_, err := s.ConfirmOrder(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.ConfirmOrder(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
