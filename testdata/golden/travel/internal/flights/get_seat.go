package flights

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
)

// GetSeat implements the GetSeat RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It returns the first Seat with the same trip_id as the request (NotFound when there is none).
func (s *Service) GetSeat(ctx context.Context, req *flightsv1.GetSeatRequest) (*flightsv1.GetSeatResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	found, err := s.store.FindSeatsByTripID(ctx, req.GetTripId())
	if err != nil {
		return nil, s.fail(ctx, "get_seat", err)
	}
	for _, x := range found {
		// Hide fields the caller may not see, or check access, here.
		return &flightsv1.GetSeatResponse{Seat: x}, nil
	}
	return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no matching seat"))
}
