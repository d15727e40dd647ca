package bookings

import (
	"context"

	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
)

// RequestTrip implements the RequestTrip RPC.
//
// The default:
//   - It checks that traveller and destination are set.
//   - It creates a new Trip with a fresh id from the request.
//   - It sets status to requested.
//   - It records TripRequested in the outbox, in the same transaction.
func (s *Service) RequestTrip(ctx context.Context, req *bookingsv1.RequestTripRequest) (*bookingsv1.RequestTripResponse, error) {
	if req.GetTraveller() == "" {
		return nil, invalidArgument("traveller", "must not be empty")
	}
	if req.GetDestination() == "" {
		return nil, invalidArgument("destination", "must not be empty")
	}
	// Business rules that need no stored state go here.

	trip := &bookingsv1.Trip{
		Id:             newID(),
		Traveller:      req.GetTraveller(),
		Destination:    req.GetDestination(),
		Nights:         req.GetNights(),
		RoomPriceCents: req.GetRoomPriceCents(),
		Status:         bookingsv1.TripStatus_TRIP_STATUS_REQUESTED,
	}
	// Compute derived fields of the new Trip here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		if err := tx.InsertTrip(ctx, trip); err != nil {
			return err
		}
		if err := tx.RecordTripRequested(ctx, trip.GetId(), &bookingsv1.TripRequested{
			TripId:         trip.GetId(),
			Traveller:      trip.GetTraveller(),
			Destination:    trip.GetDestination(),
			Nights:         trip.GetNights(),
			RoomPriceCents: trip.GetRoomPriceCents(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "request_trip", err)
	}
	return &bookingsv1.RequestTripResponse{Trip: trip}, nil
}
