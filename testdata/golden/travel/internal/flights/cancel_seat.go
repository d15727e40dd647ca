package flights

import (
	"context"
	"fmt"

	flightsv1 "example.com/travel/gen/travel/flights/v1"
)

// CancelSeat implements the CancelSeat RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It changes the Seat with the same trip_id (NotFound when there is none).
//   - It sets status to cancelled.
//   - It records SeatCancelled in the outbox, in the same transaction.
func (s *Service) CancelSeat(ctx context.Context, req *flightsv1.CancelSeatRequest) (*flightsv1.CancelSeatResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var seat *flightsv1.Seat
	err := s.store.InTx(ctx, func(tx *Tx) error {
		found, err := tx.FindSeatsByTripID(ctx, req.GetTripId())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return fmt.Errorf("seat with trip_id %v: %w", req.GetTripId(), ErrNotFound)
		}
		seat = found[0]
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		seat.TripId = req.GetTripId()
		seat.Status = flightsv1.SeatStatus_SEAT_STATUS_CANCELLED
		if err := tx.UpdateSeat(ctx, seat); err != nil {
			return err
		}
		if err := tx.RecordSeatCancelled(ctx, seat.GetId(), &flightsv1.SeatCancelled{
			TripId: seat.GetTripId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "cancel_seat", err)
	}
	return &flightsv1.CancelSeatResponse{Seat: seat}, nil
}
