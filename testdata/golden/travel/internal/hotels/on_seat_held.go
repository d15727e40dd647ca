package hotels

import (
	"context"

	"connectrpc.com/connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/internal/platform/events"
)

// OnSeatHeld handles flights.SeatHeld events, delivered at least once from
// subject travel.flights.seat_held to the durable consumer hotels_flights_seat_held.
//
// It runs inside the transaction that records the event as processed:
// state changed through s.store with ctx commits together with that
// record, so an event delivered twice changes state once. An error rolls everything back and the event is retried with
// backoff; after EVENT_MAX_ATTEMPTS attempts it goes to travel.dead_letter.hotels.flights.seat_held.
// Return events.Permanent(err) when retrying cannot help.
//
// The default runs BookRoom, the next step of the choreographed saga
// trip, with the inputs the saga binds from its trigger event (carried
// with every event of the saga); a request the command rejects as invalid
// is dead-lettered at once.
func (s *Service) OnSeatHeld(ctx context.Context, meta events.Metadata, event *flightsv1.SeatHeld) error {
	_, trigger, err := tripSaga(ctx)
	if err != nil {
		return err
	}
	_, err = s.BookRoom(ctx, &hotelsv1.BookRoomRequest{
		TripId:      trigger.GetTripId(),
		Nights:      trigger.GetNights(),
		AmountCents: trigger.GetRoomPriceCents(),
	})
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return events.Permanent(err)
	}
	return err
}
