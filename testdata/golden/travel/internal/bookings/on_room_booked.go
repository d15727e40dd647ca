package bookings

import (
	"context"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/internal/platform/events"
)

// OnRoomBooked handles hotels.RoomBooked events, delivered at least once from
// subject travel.hotels.room_booked to the durable consumer bookings_hotels_room_booked.
//
// It runs inside the transaction that records the event as processed:
// state changed through s.store with ctx commits together with that
// record, so an event delivered twice changes state once. An error rolls everything back and the event is retried with
// backoff; after EVENT_MAX_ATTEMPTS attempts it goes to travel.dead_letter.bookings.hotels.room_booked.
// Return events.Permanent(err) when retrying cannot help.
//
// The default runs ConfirmTrip, the next step of the choreographed saga
// trip, with the inputs the saga binds from its trigger event (carried
// with every event of the saga); a request the command rejects as invalid
// is dead-lettered at once.
func (s *Service) OnRoomBooked(ctx context.Context, meta events.Metadata, event *hotelsv1.RoomBooked) error {
	_, trigger, err := tripSaga(ctx)
	if err != nil {
		return err
	}
	_, err = s.ConfirmTrip(ctx, &bookingsv1.ConfirmTripRequest{
		TripId: trigger.GetTripId(),
	})
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return events.Permanent(err)
	}
	return err
}
