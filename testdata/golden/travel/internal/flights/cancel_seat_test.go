package flights

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestCancelSeat(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedSeat(t, s)
	newRequest := func() *flightsv1.CancelSeatRequest {
		return &flightsv1.CancelSeatRequest{
			TripId: "trip_id-1",
		}
	}
	req := newRequest()
	req.TripId = seeded.GetTripId()
	resp, err := s.CancelSeat(ctx, req)
	if err != nil {
		t.Fatalf("CancelSeat: %v", err)
	}
	got, err := s.Store().GetSeat(ctx, resp.GetSeat().GetId())
	if err != nil {
		t.Fatalf("stored seat: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed seat %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != flightsv1.SeatStatus_SEAT_STATUS_CANCELLED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), flightsv1.SeatStatus_SEAT_STATUS_CANCELLED)
	}
	if got.GetTripId() != req.GetTripId() {
		t.Errorf("GetTripId() = %v, want the request's %v", got.GetTripId(), req.GetTripId())
	}
	if got, want := recordedEvents(t, s), []string{"travel.flights.v1.SeatCancelled"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).CancelSeat(keyed, req); err != nil {
				t.Fatalf("CancelSeat: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.TripId = "missing"
		_, err := s.CancelSeat(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.CancelSeat(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
