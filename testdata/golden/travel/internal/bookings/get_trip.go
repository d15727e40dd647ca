package bookings

import (
	"context"

	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
)

// GetTrip implements the GetTrip RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It returns the Trip whose id is trip_id (NotFound when there is none).
func (s *Service) GetTrip(ctx context.Context, req *bookingsv1.GetTripRequest) (*bookingsv1.GetTripResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	x, err := s.store.GetTrip(ctx, req.GetTripId())
	if err != nil {
		return nil, s.fail(ctx, "get_trip", err)
	}
	// Hide fields the caller may not see, or check access, here.
	return &bookingsv1.GetTripResponse{Trip: x}, nil
}
