package payments

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
)

// CapturePayment implements the CapturePayment RPC.
//
// The default:
//   - It checks that order_id is set.
//   - It changes the Payment with the same order_id, or creates one when there is none.
//   - It refuses amount_cents above a limit, 1000000 unless the PAYMENTS_MAX_AMOUNT_CENTS environment variable says otherwise (0: no limit), with FailedPrecondition: a deterministic way to make a saga step fail.
//   - It sets status to captured.
//   - It records PaymentCaptured in the outbox, in the same transaction.
func (s *Service) CapturePayment(ctx context.Context, req *paymentsv1.CapturePaymentRequest) (*paymentsv1.CapturePaymentResponse, error) {
	if req.GetOrderId() == "" {
		return nil, invalidArgument("order_id", "must not be empty")
	}
	if limit := s.limits.MaxAmountCents; limit > 0 && req.GetAmountCents() > limit {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("amount_cents %d is above the limit of %d (PAYMENTS_MAX_AMOUNT_CENTS)", req.GetAmountCents(), limit))
	}
	// Business rules that need no stored state go here.

	var payment *paymentsv1.Payment
	err := s.store.InTx(ctx, func(tx *Tx) error {
		found, err := tx.FindPaymentsByOrderID(ctx, req.GetOrderId())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			payment = &paymentsv1.Payment{
				Id: newID(),
			}
		} else {
			payment = found[0]
		}
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		payment.OrderId = req.GetOrderId()
		payment.AmountCents = req.GetAmountCents()
		payment.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_CAPTURED
		if len(found) == 0 {
			err = tx.InsertPayment(ctx, payment)
		} else {
			err = tx.UpdatePayment(ctx, payment)
		}
		if err != nil {
			return err
		}
		if err := tx.RecordPaymentCaptured(ctx, payment.GetId(), &paymentsv1.PaymentCaptured{
			OrderId:     payment.GetOrderId(),
			AmountCents: payment.GetAmountCents(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "capture_payment", err)
	}
	return &paymentsv1.CapturePaymentResponse{Payment: payment}, nil
}
