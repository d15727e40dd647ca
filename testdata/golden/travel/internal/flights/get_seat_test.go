package flights

import (
	"testing"

	"connectrpc.com/connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetSeat(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedSeat(t, s)
	newRequest := func() *flightsv1.GetSeatRequest {
		return &flightsv1.GetSeatRequest{
			TripId: seeded.GetTripId(),
		}
	}
	resp, err := s.GetSeat(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetSeat: %v", err)
	}
	if got := resp.GetSeat(); !proto.Equal(got, seeded) {
		t.Errorf("Seat = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetSeat(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.GetSeat(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
