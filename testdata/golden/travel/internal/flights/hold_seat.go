package flights

import (
	"context"

	flightsv1 "example.com/travel/gen/travel/flights/v1"
)

// HoldSeat implements the HoldSeat RPC.
//
// The default:
//   - It checks that trip_id and destination are set.
//   - It changes the Seat with the same trip_id, or creates one when there is none.
//   - It sets status to held.
//   - It records SeatHeld in the outbox, in the same transaction.
func (s *Service) HoldSeat(ctx context.Context, req *flightsv1.HoldSeatRequest) (*flightsv1.HoldSeatResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	if req.GetDestination() == "" {
		return nil, invalidArgument("destination", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var seat *flightsv1.Seat
	err := s.store.InTx(ctx, func(tx *Tx) error {
		found, err := tx.FindSeatsByTripID(ctx, req.GetTripId())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			seat = &flightsv1.Seat{
				Id: newID(),
			}
		} else {
			seat = found[0]
		}
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		seat.TripId = req.GetTripId()
		seat.Destination = req.GetDestination()
		seat.Status = flightsv1.SeatStatus_SEAT_STATUS_HELD
		if len(found) == 0 {
			err = tx.InsertSeat(ctx, seat)
		} else {
			err = tx.UpdateSeat(ctx, seat)
		}
		if err != nil {
			return err
		}
		if err := tx.RecordSeatHeld(ctx, seat.GetId(), &flightsv1.SeatHeld{
			TripId:      seat.GetTripId(),
			Destination: seat.GetDestination(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "hold_seat", err)
	}
	return &flightsv1.HoldSeatResponse{Seat: seat}, nil
}
