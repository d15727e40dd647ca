package hotels

import (
	"testing"

	"connectrpc.com/connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetRoom(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedRoom(t, s)
	newRequest := func() *hotelsv1.GetRoomRequest {
		return &hotelsv1.GetRoomRequest{
			TripId: seeded.GetTripId(),
		}
	}
	resp, err := s.GetRoom(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetRoom: %v", err)
	}
	if got := resp.GetRoom(); !proto.Equal(got, seeded) {
		t.Errorf("Room = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetRoom(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.TripId = ""
		_, err := s.GetRoom(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
