package flights

import (
	"context"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"example.com/travel/internal/platform/events"
)

// OnTripRequested handles bookings.TripRequested events, delivered at least once from
// subject travel.bookings.trip_requested to the durable consumer flights_bookings_trip_requested.
//
// It runs inside the transaction that records the event as processed:
// state changed through s.store with ctx commits together with that
// record, so an event delivered twice changes state once. An error rolls everything back and the event is retried with
// backoff; after EVENT_MAX_ATTEMPTS attempts it goes to travel.dead_letter.flights.bookings.trip_requested.
// Return events.Permanent(err) when retrying cannot help.
//
// The default runs HoldSeat, the next step of the choreographed saga
// trip, with the inputs the saga binds from its trigger event (carried
// with every event of the saga); a request the command rejects as invalid
// is dead-lettered at once.
func (s *Service) OnTripRequested(ctx context.Context, meta events.Metadata, event *bookingsv1.TripRequested) error {
	_, trigger, err := tripSaga(ctx)
	if err != nil {
		return err
	}
	_, err = s.HoldSeat(ctx, &flightsv1.HoldSeatRequest{
		TripId:      trigger.GetTripId(),
		Destination: trigger.GetDestination(),
	})
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return events.Permanent(err)
	}
	return err
}
