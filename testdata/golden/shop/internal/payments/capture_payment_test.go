package payments

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
	"github.com/acme/shop/internal/platform/idempotency"
)

func TestCapturePayment(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedPayment(t, s)
	newRequest := func() *paymentsv1.CapturePaymentRequest {
		return &paymentsv1.CapturePaymentRequest{
			OrderId:     "order_id-1",
			AmountCents: 1,
		}
	}
	req := newRequest()
	req.OrderId = seeded.GetOrderId()
	resp, err := s.CapturePayment(ctx, req)
	if err != nil {
		t.Fatalf("CapturePayment: %v", err)
	}
	got, err := s.Store().GetPayment(ctx, resp.GetPayment().GetId())
	if err != nil {
		t.Fatalf("stored payment: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed payment %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != paymentsv1.PaymentStatus_PAYMENT_STATUS_CAPTURED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), paymentsv1.PaymentStatus_PAYMENT_STATUS_CAPTURED)
	}
	if got.GetOrderId() != req.GetOrderId() {
		t.Errorf("GetOrderId() = %v, want the request's %v", got.GetOrderId(), req.GetOrderId())
	}
	if got.GetAmountCents() != req.GetAmountCents() {
		t.Errorf("GetAmountCents() = %v, want the request's %v", got.GetAmountCents(), req.GetAmountCents())
	}
	if got, want := recordedEvents(t, s), []string{"shop.payments.v1.PaymentCaptured"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).CapturePayment(keyed, req); err != nil {
				t.Fatalf("CapturePayment: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.OrderId = ""
		_, err := s.CapturePayment(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
