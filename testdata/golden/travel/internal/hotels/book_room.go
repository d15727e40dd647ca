package hotels

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
)

// BookRoom implements the BookRoom RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It creates a new Room with a fresh id from the request.
//   - It refuses amount_cents above a limit, 1000000 unless the HOTELS_MAX_AMOUNT_CENTS environment variable says otherwise (0: no limit), with FailedPrecondition: a deterministic way to make a saga step fail.
//   - It sets status to booked.
//   - It records RoomBooked in the outbox, in the same transaction.
func (s *Service) BookRoom(ctx context.Context, req *hotelsv1.BookRoomRequest) (*hotelsv1.BookRoomResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	if limit := s.limits.MaxAmountCents; limit > 0 && req.GetAmountCents() > limit {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("amount_cents %d is above the limit of %d (HOTELS_MAX_AMOUNT_CENTS)", req.GetAmountCents(), limit))
	}
	// Business rules that need no stored state go here.

	room := &hotelsv1.Room{
		Id:          newID(),
		TripId:      req.GetTripId(),
		Nights:      req.GetNights(),
		AmountCents: req.GetAmountCents(),
		Status:      hotelsv1.RoomStatus_ROOM_STATUS_BOOKED,
	}
	// Compute derived fields of the new Room here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		if err := tx.InsertRoom(ctx, room); err != nil {
			return err
		}
		if err := tx.RecordRoomBooked(ctx, room.GetId(), &hotelsv1.RoomBooked{
			TripId: room.GetTripId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "book_room", err)
	}
	return &hotelsv1.BookRoomResponse{Room: room}, nil
}
