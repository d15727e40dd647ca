package hotels

import (
	"context"
	"fmt"

	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
)

// CancelRoom implements the CancelRoom RPC.
//
// The default:
//   - It checks that trip_id is set.
//   - It changes the Room with the same trip_id (NotFound when there is none).
//   - It sets status to cancelled.
//   - It records RoomCancelled in the outbox, in the same transaction.
func (s *Service) CancelRoom(ctx context.Context, req *hotelsv1.CancelRoomRequest) (*hotelsv1.CancelRoomResponse, error) {
	if req.GetTripId() == "" {
		return nil, invalidArgument("trip_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var room *hotelsv1.Room
	err := s.store.InTx(ctx, func(tx *Tx) error {
		found, err := tx.FindRoomsByTripID(ctx, req.GetTripId())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return fmt.Errorf("room with trip_id %v: %w", req.GetTripId(), ErrNotFound)
		}
		room = found[0]
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		room.TripId = req.GetTripId()
		room.Status = hotelsv1.RoomStatus_ROOM_STATUS_CANCELLED
		if err := tx.UpdateRoom(ctx, room); err != nil {
			return err
		}
		if err := tx.RecordRoomCancelled(ctx, room.GetId(), &hotelsv1.RoomCancelled{
			TripId: room.GetTripId(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "cancel_room", err)
	}
	return &hotelsv1.CancelRoomResponse{Room: room}, nil
}
