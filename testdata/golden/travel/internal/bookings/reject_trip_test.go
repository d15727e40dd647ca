package bookings

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestRejectTrip(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedTrip(t, s)
	newRequest := func() *bookingsv1.RejectTripRequest {
		return &bookingsv1.RejectTripRequest{
			TripId: "trip_id-1",
			Reason: "reason-1",
		}
	}
	req := newRequest()
	req.TripId = seeded.GetId()
	resp, err := s.RejectTrip(ctx, req)
	if err != nil {
		t.Fatalf("RejectTrip: %v", err)
	}
	got, err := s.Store().GetTrip(ctx, resp.GetTrip().GetId())
	if err != nil {
		t.Fatalf("stored trip: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed trip %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != bookingsv1.TripStatus_TRIP_STATUS_REJECTED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), bookingsv1.TripStatus_TRIP_STATUS_REJECTED)
	}
	if got, want := recordedEvents(t, s), []string{"travel.bookings.v1.TripRejected"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).RejectTrip(keyed, req); err != nil {
				t.Fatalf("RejectTrip: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.TripId = "missing-id"
		_, err := s.RejectTrip(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.RejectTrip(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
