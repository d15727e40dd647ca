package hotels

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/internal/platform/idempotency"
)

func TestCancelRoom(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedRoom(t, s)
	newRequest := func() *hotelsv1.CancelRoomRequest {
		return &hotelsv1.CancelRoomRequest{
			TripId: "trip_id-1",
		}
	}
	req := newRequest()
	req.TripId = seeded.GetTripId()
	resp, err := s.CancelRoom(ctx, req)
	if err != nil {
		t.Fatalf("CancelRoom: %v", err)
	}
	got, err := s.Store().GetRoom(ctx, resp.GetRoom().GetId())
	if err != nil {
		t.Fatalf("stored room: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed room %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetStatus() != hotelsv1.RoomStatus_ROOM_STATUS_CANCELLED {
		t.Errorf("Status = %v, want %v", got.GetStatus(), hotelsv1.RoomStatus_ROOM_STATUS_CANCELLED)
	}
	if got.GetTripId() != req.GetTripId() {
		t.Errorf("GetTripId() = %v, want the request's %v", got.GetTripId(), req.GetTripId())
	}
	if got, want := recordedEvents(t, s), []string{"travel.hotels.v1.RoomCancelled"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).CancelRoom(keyed, req); err != nil {
				t.Fatalf("CancelRoom: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.TripId = "missing"
		_, err := s.CancelRoom(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.CancelRoom(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
