package inventory

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestReserveStock(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	newRequest := func() *inventoryv1.ReserveStockRequest {
		return &inventoryv1.ReserveStockRequest{
			OrderId: "order_id-1",
			Items:   []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
		}
	}
	req := newRequest()
	_, err := s.ReserveStock(ctx, req)
	if err != nil {
		t.Fatalf("ReserveStock: %v", err)
	}
	if got, want := recordedEvents(t, s), []string{"shop.inventory.v1.StockReserved"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).ReserveStock(keyed, req); err != nil {
				t.Fatalf("ReserveStock: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.ReserveStock(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
