package flights

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestHoldSeat(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedSeat(t, s)
	newRequest := func() *flightsv1.HoldSeatRequest {
		return &flightsv1.HoldSeatRequest{
			TripId:      "trip_id-1",
			Destination: "destination-1",
		}
	}
	req := newRequest()
	req.TripId = seeded.GetTripId()
	resp, err := s.HoldSeat(ctx, req)
	if err != nil {
		t.Fatalf("HoldSeat: %v", err)
	}
	got, err := s.Store().GetSeat(ctx, resp.GetSeat().GetId())
	if err != nil {
		t.Fatalf("stored seat: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed seat %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != flightsv1.SeatStatus_SEAT_STATUS_HELD {
		t.Errorf("Status = %v, want %v", got.GetStatus(), flightsv1.SeatStatus_SEAT_STATUS_HELD)
	}
	if got.GetTripId() != req.GetTripId() {
		t.Errorf("GetTripId() = %v, want the request's %v", got.GetTripId(), req.GetTripId())
	}
	if got.GetDestination() != req.GetDestination() {
		t.Errorf("GetDestination() = %v, want the request's %v", got.GetDestination(), req.GetDestination())
	}
	if got, want := recordedEvents(t, s), []string{"travel.flights.v1.SeatHeld"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).HoldSeat(keyed, req); err != nil {
				t.Fatalf("HoldSeat: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.HoldSeat(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
