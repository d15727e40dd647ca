package inventory

import (
	"context"

	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
)

// ReserveStock implements the ReserveStock RPC.
//
// The default:
//   - It checks that order_id and items are set.
//   - It changes no stored state.
//   - It records StockReserved in the outbox, in the same transaction.
func (s *Service) ReserveStock(ctx context.Context, req *inventoryv1.ReserveStockRequest) (*inventoryv1.ReserveStockResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	if len(req.GetItems()) == 0 {
		return nil, invalidArgument("items", "must not be empty")
	}
	// Business rules that need no stored state go here.

	// This command changes no entity: do its work here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		if err := tx.RecordStockReserved(ctx, req.GetOrderId(), &inventoryv1.StockReserved{
			OrderId: req.GetOrderId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "reserve_stock", err)
	}
	return &inventoryv1.ReserveStockResponse{}, nil
}
