package flights

import (
	"errors"
	"strings"
	"testing"

	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"example.com/travel/internal/platform/events"
	"example.com/travel/internal/platform/logging"
	"google.golang.org/protobuf/proto"
)

// An event delivered twice is applied once.
func TestOnTripRequestedAppliesOnce(t *testing.T) {
	s := newTestService(t)
	trigger, err := proto.Marshal(&bookingsv1.TripRequested{
		TripId:         "trip_id-1",
		Traveller:      "traveller-1",
		Destination:    "destination-1",
		Nights:         6,
		RoomPriceCents: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	payload := trigger // the event is the trip saga's trigger
	consumers := &events.Consumers{DB: s.store.db, Logger: logging.Discard()}
	handler := s.eventHandler("flights_bookings_trip_requested")
	meta := events.Metadata{ID: "event-1", Type: "travel.bookings.v1.TripRequested", Attempt: 1}
	for range 2 {
		if err := consumers.Process(t.Context(), handler, meta, payload); err != nil {
			t.Fatal(err)
		}
	}
	recorded := 0
	for _, typ := range recordedEvents(t, s) {
		if typ == "travel.flights.v1.SeatHeld" {
			recorded++
		}
	}
	if recorded != 1 {
		t.Errorf("HoldSeat recorded travel.flights.v1.SeatHeld %d times, want once", recorded)
	}
	var processed int
	if err := s.store.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+events.ProcessedTable).Scan(&processed); err != nil {
		t.Fatal(err)
	}
	if processed != 1 {
		t.Errorf("%d processed events recorded, want 1", processed)
	}
}

// An event whose step still fails after its retries is dead-lettered and
// fails the trip saga: the failure event names the step and the
// error, so the other participants compensate.
func TestOnTripRequestedDeadLetterFailsSaga(t *testing.T) {
	s := newTestService(t)
	trigger, err := proto.Marshal(&bookingsv1.TripRequested{
		TripId:         "trip_id-1",
		Traveller:      "traveller-1",
		Destination:    "destination-1",
		Nights:         6,
		RoomPriceCents: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	payload := trigger
	consumers := &events.Consumers{DB: s.store.db, Logger: logging.Discard()}
	meta := events.Metadata{ID: "event-1", Type: "travel.bookings.v1.TripRequested", Attempt: 5}
	for range 2 { // once per event
		if err := consumers.DeadLetter(t.Context(), s.eventHandler("flights_bookings_trip_requested"), meta, payload, errors.New("still failing")); err != nil {
			t.Fatal(err)
		}
	}
	recorded, err := s.Store().Outbox(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range recorded {
		if e.Saga.FailedStep == "hold_seat" && strings.Contains(e.Saga.Error, "still failing") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("recorded %d failures of step hold_seat, want 1: %+v", failed, recorded)
	}
}

// An event whose payload does not decode is dead-lettered without retries.
func TestOnTripRequestedRejectsGarbage(t *testing.T) {
	s := newTestService(t)
	consumers := &events.Consumers{DB: s.store.db, Logger: logging.Discard()}
	meta := events.Metadata{ID: "event-1", Type: "travel.bookings.v1.TripRequested", Attempt: 1}
	err := consumers.Process(t.Context(), s.eventHandler("flights_bookings_trip_requested"), meta, []byte{0xff})
	if !events.IsPermanent(err) {
		t.Fatalf("error = %v, want a permanent error", err)
	}
}
