package local_test

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"
	bookingsv1 "example.com/travel/gen/travel/bookings/v1"
	"example.com/travel/gen/travel/bookings/v1/bookingsv1connect"
	flightsv1 "example.com/travel/gen/travel/flights/v1"
	"example.com/travel/gen/travel/flights/v1/flightsv1connect"
	hotelsv1 "example.com/travel/gen/travel/hotels/v1"
	"example.com/travel/gen/travel/hotels/v1/hotelsv1connect"
	"example.com/travel/internal/local"
	"example.com/travel/internal/platform/client"
	"example.com/travel/internal/platform/logging"
)

// This file is yours: microforge wrote an end-to-end test that boots the
// whole system in-process and calls every service over its real API. Add
// scenarios that cross services here.

func TestSystem(t *testing.T) {
	sys, err := local.Start(t.Context(), local.Options{DataDir: t.TempDir(), Ephemeral: true, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	httpClient := client.New()

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
	t.Run("bookings", func(t *testing.T) { testBookings(t, httpClient, sys.URL("bookings")) })
	t.Run("flights", func(t *testing.T) { testFlights(t, httpClient, sys.URL("flights")) })
	t.Run("hotels", func(t *testing.T) { testHotels(t, httpClient, sys.URL("hotels")) })
}

// testBookings calls the bookings service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testBookings(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := bookingsv1connect.NewBookingsServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.RequestTrip(ctx, &bookingsv1.RequestTripRequest{
		Traveller:   "traveller-1",
		Destination: "destination-1",
		Nights:      6,
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
		if got.GetStatus() != bookingsv1.TripStatus_TRIP_STATUS_REQUESTED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), bookingsv1.TripStatus_TRIP_STATUS_REQUESTED)
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
		TripId:      "trip_id-1",
		Destination: "destination-1",
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
		TripId: "trip_id-1",
		Nights: 6,
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
