package local_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"example.com/travel/gen/travel/bookings/v1/bookingsv1connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"example.com/travel/gen/travel/flights/v1/flightsv1connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/gen/travel/hotels/v1/hotelsv1connect"
	"example.com/travel/internal/local"
	"example.com/travel/internal/platform/client"
	"example.com/travel/internal/platform/events"
	"example.com/travel/internal/platform/logging"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is yours: microforge wrote an end-to-end test that boots the
// whole system in-process and calls every service over its real API. Add
// scenarios that cross services here.

// testOptions runs the system on free ports with its data in a temporary
// directory; TEST_NATS_URL selects a NATS server with JetStream
// instead of the embedded one.
func testOptions(t *testing.T) local.Options {
	return local.Options{DataDir: t.TempDir(), Ephemeral: true, Logger: logging.Discard(), NATSURL: os.Getenv("TEST_NATS_URL")}
}

// clientOf returns a client calling service as the service itself, which
// may call every one of its methods.
func clientOf(sys *local.System, service string) *http.Client {
	c := sys.Client(service, service)
	return c
}

func TestSystem(t *testing.T) {
	sys, err := local.Start(t.Context(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	// Health and readiness need no service token.
	httpClient := client.New(nil, "")

	t.Run("health", func(t *testing.T) {
		for _, svc := range local.Services {
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := httpClient.Get(sys.URL(svc.Name) + path)
				if err != nil {
					t.Fatalf("%s %s: %v", svc.Name, path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s %s: %s", svc.Name, path, resp.Status)
				}
			}
		}
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("bookings", func(t *testing.T) {
		testBookings(t, clientOf(sys, "bookings"), sys.URL("bookings"))
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("flights", func(t *testing.T) {
		testFlights(t, clientOf(sys, "flights"), sys.URL("flights"))
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("hotels", func(t *testing.T) {
		testHotels(t, clientOf(sys, "hotels"), sys.URL("hotels"))
	})
	t.Run("saga trip completes", func(t *testing.T) { sagaTrip(t, sys, true) })
	// Events cross services through the broker: the relay publishes what a
	// command recorded, the consumer's handler calls its command, and that
	// command's event is published in turn, with the caller's trace context.
	t.Run("bookings.TripRequested reaches flights", func(t *testing.T) { flowFlightsTripRequested(t, sys, false) })
	// A broker outage during a command loses nothing: its events are
	// delivered once the broker is back.
	t.Run("broker outage", func(t *testing.T) {
		if sys.Broker() == nil {
			t.Skip("the system uses an external NATS server")
		}
		flowFlightsTripRequested(t, sys, true)
	})
}

// testBookings calls the bookings service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testBookings(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.RequestTrip(ctx, &bookingsv1.RequestTripRequest{
		Traveller:      "traveller-bookings",
		Destination:    "destination-bookings",
		Nights:         6,
		RoomPriceCents: 7,
	})
	if err != nil {
		t.Fatalf("RequestTrip: %v", err)
	}
	created := createResp.GetTrip()
	if created.GetId() == "" {
		t.Fatalf("RequestTrip returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetTrip(ctx, &bookingsv1.GetTripRequest{
			TripId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetTrip: %v", err)
		}
		got := resp.GetTrip()
		if got.GetId() != created.GetId() {
			t.Errorf("GetTrip returned %q, want %q", got.GetId(), created.GetId())
		}
	}

	if _, err := grpcWeb.ConfirmTrip(ctx, &bookingsv1.ConfirmTripRequest{
		TripId: created.GetId(),
	}); err != nil {
		t.Fatalf("ConfirmTrip: %v", err)
	}

	{
		resp, err := grpc.GetTrip(ctx, &bookingsv1.GetTripRequest{
			TripId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetTrip: %v", err)
		}
		got := resp.GetTrip()
		if got.GetId() != created.GetId() {
			t.Errorf("GetTrip returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED)
		}
	}
}

// testFlights calls the flights service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testFlights(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := flightsv1connect.NewFlightsServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := flightsv1connect.NewFlightsServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := flightsv1connect.NewFlightsServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.HoldSeat(ctx, &flightsv1.HoldSeatRequest{
		TripId:      "trip_id-flights",
		Destination: "destination-flights",
	})
	if err != nil {
		t.Fatalf("HoldSeat: %v", err)
	}
	created := createResp.GetSeat()
	if created.GetId() == "" {
		t.Fatalf("HoldSeat returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetSeat(ctx, &flightsv1.GetSeatRequest{
			TripId: created.GetTripId(),
		})
		if err != nil {
			t.Fatalf("GetSeat: %v", err)
		}
		got := resp.GetSeat()
		if got.GetId() != created.GetId() {
			t.Errorf("GetSeat returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != flightsv1.SeatStatus_SEAT_STATUS_HELD {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), flightsv1.SeatStatus_SEAT_STATUS_HELD)
		}
	}

	if _, err := grpcWeb.CancelSeat(ctx, &flightsv1.CancelSeatRequest{
		TripId: created.GetTripId(),
	}); err != nil {
		t.Fatalf("CancelSeat: %v", err)
	}

	{
		resp, err := grpc.GetSeat(ctx, &flightsv1.GetSeatRequest{
			TripId: created.GetTripId(),
		})
		if err != nil {
			t.Fatalf("GetSeat: %v", err)
		}
		got := resp.GetSeat()
		if got.GetId() != created.GetId() {
			t.Errorf("GetSeat returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != flightsv1.SeatStatus_SEAT_STATUS_CANCELLED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), flightsv1.SeatStatus_SEAT_STATUS_CANCELLED)
		}
	}
}

// testHotels calls the hotels service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testHotels(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := hotelsv1connect.NewHotelsServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := hotelsv1connect.NewHotelsServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := hotelsv1connect.NewHotelsServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.BookRoom(ctx, &hotelsv1.BookRoomRequest{
		TripId:      "trip_id-hotels",
		Nights:      6,
		AmountCents: 1,
	})
	if err != nil {
		t.Fatalf("BookRoom: %v", err)
	}
	created := createResp.GetRoom()
	if created.GetId() == "" {
		t.Fatalf("BookRoom returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetRoom(ctx, &hotelsv1.GetRoomRequest{
			TripId: created.GetTripId(),
		})
		if err != nil {
			t.Fatalf("GetRoom: %v", err)
		}
		got := resp.GetRoom()
		if got.GetId() != created.GetId() {
			t.Errorf("GetRoom returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != hotelsv1.RoomStatus_ROOM_STATUS_BOOKED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), hotelsv1.RoomStatus_ROOM_STATUS_BOOKED)
		}
	}

	if _, err := grpcWeb.CancelRoom(ctx, &hotelsv1.CancelRoomRequest{
		TripId: created.GetTripId(),
	}); err != nil {
		t.Fatalf("CancelRoom: %v", err)
	}

	{
		resp, err := grpc.GetRoom(ctx, &hotelsv1.GetRoomRequest{
			TripId: created.GetTripId(),
		})
		if err != nil {
			t.Fatalf("GetRoom: %v", err)
		}
		got := resp.GetRoom()
		if got.GetId() != created.GetId() {
			t.Errorf("GetRoom returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != hotelsv1.RoomStatus_ROOM_STATUS_CANCELLED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), hotelsv1.RoomStatus_ROOM_STATUS_CANCELLED)
		}
	}
}

// flowFlightsTripRequested checks that bookings.TripRequested reaches flights: when outage is set, the
// broker is down while the bookings command runs.
func flowFlightsTripRequested(t *testing.T, sys *local.System, outage bool) {
	ctx := t.Context()
	traceParent := newTraceParent(t)
	httpClient := clientOf(sys, "bookings")
	producer := bookingsv1connect.NewBookingsServiceClient(tracedClient(httpClient, traceParent), sys.URL("bookings"), connect.WithProtoJSON())
	if outage {
		sys.Broker().Stop()
	}
	if _, err := producer.RequestTrip(ctx, &bookingsv1.RequestTripRequest{
		Traveller:      "traveller-1",
		Destination:    "destination-1",
		Nights:         6,
		RoomPriceCents: 7,
	}); err != nil {
		t.Fatalf("RequestTrip: %v", err)
	}
	if outage {
		time.Sleep(300 * time.Millisecond) // the relay keeps failing meanwhile
		if err := sys.Broker().Resume(); err != nil {
			t.Fatal(err)
		}
	}
	waitForEvent(t, sys, "travel.flights.seat_held", traceParent)
}

// newTraceParent returns a new W3C traceparent with a random trace id.
func newTraceParent(t *testing.T) string {
	var id [24]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return "00-" + hex.EncodeToString(id[:16]) + "-" + hex.EncodeToString(id[16:]) + "-01"
}

// tracedClient sends traceParent with every request of httpClient.
func tracedClient(httpClient *http.Client, traceParent string) *http.Client {
	base := httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: traceTransport{base: base, traceParent: traceParent}, Timeout: httpClient.Timeout}
}

type traceTransport struct {
	base        http.RoundTripper
	traceParent string
}

func (t traceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("traceparent", t.traceParent)
	return t.base.RoundTrip(r)
}

// sameTrace reports whether two traceparents are of the same trace: the
// services' spans between them change the parent span id.
func sameTrace(a, b string) bool {
	const traceID = len("00-") + 32
	return len(a) >= traceID && len(b) >= traceID && strings.EqualFold(a[:traceID], b[:traceID])
}

// waitForEvent fails the test unless an event on subject in the trace of
// traceParent reaches the stream within 30 seconds.
func waitForEvent(t *testing.T, sys *local.System, subject, traceParent string) {
	t.Helper()
	nc, err := nats.Connect(sys.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		cons, err := js.OrderedConsumer(ctx, events.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
		for err == nil {
			var msg jetstream.Msg
			if msg, err = cons.Next(jetstream.FetchMaxWait(time.Second)); err == nil && sameTrace(msg.Headers().Get(events.HeaderTraceParent), traceParent) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no event on %s in the trace of %s within 30s", subject, traceParent)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// When book_room fails (HOTELS_MAX_AMOUNT_CENTS set below the amount), the trip saga
// compensates the completed steps and runs its on_failure call.
func TestSagaTripCompensates(t *testing.T) {
	t.Setenv("HOTELS_MAX_AMOUNT_CENTS", "1")
	sys, err := local.Start(t.Context(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	sagaTrip(t, sys, false)
}

// Stopping the whole system in the middle of a trip saga loses nothing.
// The system stops right after the trigger, before the participants
// reacted (with the embedded broker down, so nothing got further); started
// again on the same data, the relay publishes the recorded events, the
// durable consumers get them and the saga completes.
func TestSagaTripSurvivesRestart(t *testing.T) {
	opts := testOptions(t)
	opts.ShutdownTimeout = 500 * time.Millisecond
	sys, err := local.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	producer := bookingsv1connect.NewBookingsServiceClient(clientOf(sys, "bookings"), sys.URL("bookings"), connect.WithProtoJSON())
	if sys.Broker() != nil {
		sys.Broker().Stop()
	}
	createResp, err := producer.RequestTrip(ctx, &bookingsv1.RequestTripRequest{
		Traveller:      "traveller-1",
		Destination:    "destination-1",
		Nights:         6,
		RoomPriceCents: 7,
	})
	if err != nil {
		sys.Stop()
		t.Fatalf("RequestTrip: %v", err)
	}
	created := createResp.GetTrip()
	_ = sys.Stop() // the held work never finishes: errors are expected

	opts.Middleware = nil
	opts.ShutdownTimeout = 0
	sys, err = local.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	// The restarted system has new service keys: new clients.
	producer = bookingsv1connect.NewBookingsServiceClient(clientOf(sys, "bookings"), sys.URL("bookings"), connect.WithProtoJSON())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := producer.GetTrip(ctx, &bookingsv1.GetTripRequest{
			TripId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetTrip: %v", err)
		}
		got := resp.GetTrip().GetStatus()
		if got == bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetStatus() = %v after 30s, want %v", got, bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED)
		}
	}
	st := waitForSaga(t, clientOf(sys, "bookings"), sys.URL("bookings"), created.GetId(), "completed")
	wantSagaSteps(t, st, []string{"hold_seat call done", "book_room call done", "confirm_trip call done"})
}

// sagaTrip creates what triggers the trip saga and checks its outcome in the entity
// and in the saga's state that bookings keeps (GET /sagas).
func sagaTrip(t *testing.T, sys *local.System, succeed bool) {
	ctx := t.Context()
	producer := bookingsv1connect.NewBookingsServiceClient(clientOf(sys, "bookings"), sys.URL("bookings"), connect.WithProtoJSON())
	createResp, err := producer.RequestTrip(ctx, &bookingsv1.RequestTripRequest{
		Traveller:      "traveller-1",
		Destination:    "destination-1",
		Nights:         6,
		RoomPriceCents: 7,
	})
	if err != nil {
		t.Fatalf("RequestTrip: %v", err)
	}
	created := createResp.GetTrip()
	if succeed {
		// The participants react to each other's events until the last
		// step sets the entity's status.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := producer.GetTrip(ctx, &bookingsv1.GetTripRequest{
				TripId: created.GetId(),
			})
			if err != nil {
				t.Fatalf("GetTrip: %v", err)
			}
			got := resp.GetTrip().GetStatus()
			if got == bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GetStatus() = %v after 30s, want %v", got, bookingsv1.TripStatus_TRIP_STATUS_CONFIRMED)
			}
		}
		// bookings keeps the saga's state by observing its events.
		st := waitForSaga(t, clientOf(sys, "bookings"), sys.URL("bookings"), created.GetId(), "completed")
		wantSagaSteps(t, st, []string{
			"hold_seat call done",
			"book_room call done",
			"confirm_trip call done",
		})
		return
	}
	// The participants compensate on the saga's failure event, each on its
	// own: bookings observes their events in any order.
	st := waitForSagaFailure(t, clientOf(sys, "bookings"), sys.URL("bookings"), created.GetId(),
		[]string{"hold_seat"}, true)
	if st.FailedStep != "book_room" || st.Error == "" {
		t.Errorf("failed step %q (%s), want book_room", st.FailedStep, st.Error)
	}
	for _, e := range st.Log {
		if e.Step == "book_room" && e.Action == "call" && e.Outcome == "done" {
			t.Errorf("book_room ran: %+v", st.Log)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := producer.GetTrip(ctx, &bookingsv1.GetTripRequest{
			TripId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetTrip: %v", err)
		}
		got := resp.GetTrip().GetStatus()
		if got == bookingsv1.TripStatus_TRIP_STATUS_REJECTED {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetStatus() = %v after 30s, want %v", got, bookingsv1.TripStatus_TRIP_STATUS_REJECTED)
		}
	}
}

// sagaState is a saga as the orchestrator's GET /sagas/{id} shows it.
type sagaState struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	FailedStep string `json:"failed_step"`
	Error      string `json:"error"`
	Log        []struct {
		Step    string `json:"step"`
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
		Error   string `json:"error"`
	} `json:"log"`
}

// waitForSaga waits until the saga about subject reaches status, and fails
// the test if it ends in another status or takes longer than 30s.
func waitForSaga(t *testing.T, httpClient *http.Client, url, subject, status string) *sagaState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list []sagaState
		getJSON(t, httpClient, url+"/sagas?subject="+subject, &list)
		if len(list) > 0 {
			var st sagaState
			getJSON(t, httpClient, url+"/sagas/"+list[0].ID, &st)
			if st.Status == status {
				return &st
			}
			if st.Status == "completed" || st.Status == "failed" {
				t.Fatalf("saga %s ended %s, want %s: %+v", st.ID, st.Status, status, st)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s saga about %s within 30s (sagas: %+v)", status, subject, list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForSagaFailure waits until the choreographed saga about subject
// shows its failed step, every compensation of compensated done and, when
// onFailure, its on_failure call done; it fails the test if the saga
// completes or the failure does not show within 30s.
func waitForSagaFailure(t *testing.T, httpClient *http.Client, url, subject string, compensated []string, onFailure bool) *sagaState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list []sagaState
		getJSON(t, httpClient, url+"/sagas?subject="+subject, &list)
		if len(list) > 0 {
			var st sagaState
			getJSON(t, httpClient, url+"/sagas/"+list[0].ID, &st)
			if st.Status == "completed" {
				t.Fatalf("saga %s completed, want it failed: %+v", st.ID, st)
			}
			var done []string
			ranOnFailure := false
			for _, e := range st.Log {
				if e.Action == "compensate" && e.Outcome == "done" {
					done = append(done, e.Step)
				}
				ranOnFailure = ranOnFailure || (e.Action == "on_failure" && e.Outcome == "done")
			}
			slices.Sort(done)
			done = slices.Compact(done)
			if st.FailedStep != "" && slices.Equal(done, slices.Sorted(slices.Values(compensated))) && ranOnFailure == onFailure {
				if onFailure && st.Status != "failed" {
					t.Errorf("saga %s is %s after its on_failure call, want failed", st.ID, st.Status)
				}
				return &st
			}
			if time.Now().After(deadline) {
				t.Fatalf("saga %s: no failure with compensations %v (on_failure: %v) within 30s: %+v", st.ID, compensated, onFailure, st)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("no saga about %s within 30s", subject)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(t *testing.T, httpClient *http.Client, url string, v any) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// wantSagaLog fails the test unless the saga's log is want, each entry
// "step action outcome".
// wantSagaSteps fails the test unless the saga's log has each transition
// of want done once, in any order, whatever retries it also logged.
func wantSagaSteps(t *testing.T, st *sagaState, want []string) {
	t.Helper()
	var got []string
	for _, e := range st.Log {
		if e.Outcome == "done" {
			got = append(got, e.Step+" "+e.Action+" "+e.Outcome)
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("saga transitions done %q, want %q", got, want)
	}
}

func wantSagaLog(t *testing.T, st *sagaState, want []string) {
	t.Helper()
	var got []string
	for _, e := range st.Log {
		got = append(got, e.Step+" "+e.Action+" "+e.Outcome)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("saga log %q, want %q", got, want)
	}
}
