package inventory

import (
	"context"

	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
)

// ReleaseStock implements the ReleaseStock RPC.
//
// The default:
//   - It checks that order_id is set.
//   - It changes no stored state.
//   - It records StockReleased in the outbox, in the same transaction.
func (s *Service) ReleaseStock(ctx context.Context, req *inventoryv1.ReleaseStockRequest) (*inventoryv1.ReleaseStockResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	// This command changes no entity: do its work here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		if err := tx.RecordStockReleased(ctx, req.GetOrderId(), &inventoryv1.StockReleased{
			OrderId: req.GetOrderId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "release_stock", err)
	}
	return &inventoryv1.ReleaseStockResponse{}, nil
}
