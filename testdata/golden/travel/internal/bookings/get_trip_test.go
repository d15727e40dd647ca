package bookings

import (
	"testing"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetTrip(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedTrip(t, s)
	newRequest := func() *bookingsv1.GetTripRequest {
		return &bookingsv1.GetTripRequest{
			TripId: seeded.GetId(),
		}
	}
	resp, err := s.GetTrip(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetTrip: %v", err)
	}
	if got := resp.GetTrip(); !proto.Equal(got, seeded) {
		t.Errorf("Trip = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetTrip(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.GetTrip(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
