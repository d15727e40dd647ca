package orders

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestCancelOrder(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedOrder(t, s)
	newRequest := func() *ordersv1.CancelOrderRequest {
		return &ordersv1.CancelOrderRequest{
			OrderId: "order_id-1",
			Reason:  "reason-1",
		}
	}
	req := newRequest()
	req.OrderId = seeded.GetId()
	resp, err := s.CancelOrder(ctx, req)
	if err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	got, err := s.Store().LoadOrder(ctx, resp.GetOrder().GetId())
	if err != nil {
		t.Fatalf("stored order: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed order %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_CANCELLED)
	}
	if got, want := recordedEvents(t, s), []string{"shop.orders.v1.OrderCancelled"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).CancelOrder(keyed, req); err != nil {
				t.Fatalf("CancelOrder: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.OrderId = "missing-id"
		_, err := s.CancelOrder(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.CancelOrder(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
