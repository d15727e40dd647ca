package payments

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestRefundPayment(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedPayment(t, s)
	newRequest := func() *paymentsv1.RefundPaymentRequest {
		return &paymentsv1.RefundPaymentRequest{
			OrderId: "order_id-1",
		}
	}
	req := newRequest()
	req.OrderId = seeded.GetOrderId()
	resp, err := s.RefundPayment(ctx, req)
	if err != nil {
		t.Fatalf("RefundPayment: %v", err)
	}
	got, err := s.Store().GetPayment(ctx, resp.GetPayment().GetId())
	if err != nil {
		t.Fatalf("stored payment: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed payment %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != paymentsv1.PaymentStatus_PAYMENT_STATUS_REFUNDED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), paymentsv1.PaymentStatus_PAYMENT_STATUS_REFUNDED)
	}
	if got.GetOrderId() != req.GetOrderId() {
		t.Errorf("GetOrderId() = %v, want the request's %v", got.GetOrderId(), req.GetOrderId())
	}
	if got, want := recordedEvents(t, s), []string{"shop.payments.v1.PaymentRefunded"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).RefundPayment(keyed, req); err != nil {
				t.Fatalf("RefundPayment: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.OrderId = "missing"
		_, err := s.RefundPayment(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.RefundPayment(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
