package bookings

import (
	"context"

	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
)

// ConfirmTrip implements the ConfirmTrip RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It loads the Trip whose id is trip_id (NotFound when there is none) and changes it.
//   - It sets status to confirmed.
//   - It records TripConfirmed in the outbox, in the same transaction.
func (s *Service) ConfirmTrip(ctx context.Context, req *bookingsv1.ConfirmTripRequest) (*bookingsv1.ConfirmTripResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var trip *bookingsv1.Trip
	err := s.store.InTx(ctx, func(tx *Tx) error {
		var err error
		trip, err = tx.GetTrip(ctx, req.GetTripId())
		if err != nil {
			return err
		}
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		trip.Status = bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED
		if err := tx.UpdateTrip(ctx, trip); err != nil {
			return err
		}
		if err := tx.RecordTripConfirmed(ctx, trip.GetId(), &bookingsv1.TripConfirmed{
			TripId: trip.GetId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "confirm_trip", err)
	}
	return &bookingsv1.ConfirmTripResponse{Trip: trip}, nil
}
