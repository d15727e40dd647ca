package hotels

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestBookRoom(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	newRequest := func() *hotelsv1.BookRoomRequest {
		return &hotelsv1.BookRoomRequest{
			TripId:      "trip_id-1",
			Nights:      6,
			AmountCents: 1,
		}
	}
	req := newRequest()
	resp, err := s.BookRoom(ctx, req)
	if err != nil {
		t.Fatalf("BookRoom: %v", err)
	}
	got, err := s.Store().GetRoom(ctx, resp.GetRoom().GetId())
	if err != nil {
		t.Fatalf("stored room: %v", err)
	}
	if got.GetStatus() != hotelsv1.RoomStatus_ROOM_STATUS_BOOKED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), hotelsv1.RoomStatus_ROOM_STATUS_BOOKED)
	}
	if got.GetTripId() != req.GetTripId() {
		t.Errorf("GetTripId() = %v, want the request's %v", got.GetTripId(), req.GetTripId())
	}
	if got.GetNights() != req.GetNights() {
		t.Errorf("GetNights() = %v, want the request's %v", got.GetNights(), req.GetNights())
	}
	if got.GetAmountCents() != req.GetAmountCents() {
		t.Errorf("GetAmountCents() = %v, want the request's %v", got.GetAmountCents(), req.GetAmountCents())
	}
	if got, want := recordedEvents(t, s), []string{"travel.hotels.v1.RoomBooked"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).BookRoom(keyed, req); err != nil {
				t.Fatalf("BookRoom: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.BookRoom(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
