package bookings

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestRequestTrip(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	newRequest := func() *bookingsv1.RequestTripRequest {
		return &bookingsv1.RequestTripRequest{
			Traveller:      "traveller-1",
			Destination:    "destination-1",
			Nights:         6,
			RoomPriceCents: 7,
		}
	}
	req := newRequest()
	resp, err := s.RequestTrip(ctx, req)
	if err != nil {
		t.Fatalf("RequestTrip: %v", err)
	}
	got, err := s.Store().GetTrip(ctx, resp.GetTrip().GetId())
	if err != nil {
		t.Fatalf("stored trip: %v", err)
	}
	if got.GetStatus() != bookingsv1.TripStatus_TRIP_STATUS_REQUESTED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), bookingsv1.TripStatus_TRIP_STATUS_REQUESTED)
	}
	if got.GetTraveller() != req.GetTraveller() {
		t.Errorf("GetTraveller() = %v, want the request's %v", got.GetTraveller(), req.GetTraveller())
	}
	if got.GetDestination() != req.GetDestination() {
		t.Errorf("GetDestination() = %v, want the request's %v", got.GetDestination(), req.GetDestination())
	}
	if got.GetNights() != req.GetNights() {
		t.Errorf("GetNights() = %v, want the request's %v", got.GetNights(), req.GetNights())
	}
	if got.GetRoomPriceCents() != req.GetRoomPriceCents() {
		t.Errorf("GetRoomPriceCents() = %v, want the request's %v", got.GetRoomPriceCents(), req.GetRoomPriceCents())
	}
	if got, want := recordedEvents(t, s), []string{"travel.bookings.v1.TripRequested"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).RequestTrip(keyed, req); err != nil {
				t.Fatalf("RequestTrip: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.Traveller = ""
		_, err := s.RequestTrip(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
