package payments

import (
	"context"
	"fmt"

	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
)

// RefundPayment implements the RefundPayment RPC.
//
// The default:
//   - It checks that order_id is set.
//   - It changes the Payment with the same order_id (NotFound when there is none).
//   - It sets status to refunded.
//   - It records PaymentRefunded in the outbox, in the same transaction.
func (s *Service) RefundPayment(ctx context.Context, req *paymentsv1.RefundPaymentRequest) (*paymentsv1.RefundPaymentResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var payment *paymentsv1.Payment
	err := s.store.InTx(ctx, func(tx *Tx) error {
		found, err := tx.FindPaymentsByOrderID(ctx, req.GetOrderId())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return fmt.Errorf("payment with order_id %v: %w", req.GetOrderId(), ErrNotFound)
		}
		payment = found[0]
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		payment.OrderId = req.GetOrderId()
		payment.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_REFUNDED
		if err := tx.UpdatePayment(ctx, payment); err != nil {
			return err
		}
		if err := tx.RecordPaymentRefunded(ctx, payment.GetId(), &paymentsv1.PaymentRefunded{
			OrderId: payment.GetOrderId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "refund_payment", err)
	}
	return &paymentsv1.RefundPaymentResponse{Payment: payment}, nil
}
