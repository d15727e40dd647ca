package hotels

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
)

// GetRoom implements the GetRoom RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It returns the first Room with the same trip_id as the request (NotFound when there is none).
func (s *Service) GetRoom(ctx context.Context, req *hotelsv1.GetRoomRequest) (*hotelsv1.GetRoomResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	found, err := s.store.FindRoomsByTripID(ctx, req.GetTripId())
	if err != nil {
		return nil, s.fail(ctx, "get_room", err)
	}
	for _, x := range found {
		// Hide fields the caller may not see, or check access, here.
		return &hotelsv1.GetRoomResponse{Room: x}, nil
	}
	return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no matching room"))
}
