package inventory

import (
	"testing"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetStock(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedStock(t, s)
	newRequest := func() *inventoryv1.GetStockRequest {
		return &inventoryv1.GetStockRequest{
			Sku: seeded.GetSku(),
		}
	}
	resp, err := s.GetStock(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	if got := resp.GetStock(); !proto.Equal(got, seeded) {
		t.Errorf("Stock = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetStock(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.Sku = ""
		_, err := s.GetStock(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
