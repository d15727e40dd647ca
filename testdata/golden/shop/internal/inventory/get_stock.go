package inventory

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
)

// GetStock implements the GetStock RPC.
//
// The default:
//   - It checks that sku is set.
//   - It returns the first Stock with the same sku as the request (NotFound when there is none).
func (s *Service) GetStock(ctx context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
	if req.GetSku() == "" {
		return nil, invalidArgument("sku", "must not be empty")
	}
	found, err := s.store.FindStocksBySku(ctx, req.GetSku())
	if err != nil {
		return nil, s.fail(ctx, "get_stock", err)
	}
	for _, x := range found {
		// Hide fields the caller may not see, or check access, here.
		return &inventoryv1.GetStockResponse{Stock: x}, nil
	}
	return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no matching stock"))
}
