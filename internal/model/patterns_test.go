package model_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

func load(t *testing.T, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func names(svcs []*model.Service) []string {
	var out []string
	for _, s := range svcs {
		out = append(out, s.Name)
	}
	return out
}

// The shop's orchestrated checkout: the orchestrator calls every participant,
// PlaceOrder computes the total its payment step charges, and CapturePayment
// has a limit that makes the step fail on demand.
func TestShopPatterns(t *testing.T) {
	sys := load(t, "shop")
	if sys.Stream != "SHOP" || sys.Subjects != "shop.>" || sys.Messaging.Port != model.DefaultNATSPort {
		t.Errorf("stream %q %q port %d", sys.Stream, sys.Subjects, sys.Messaging.Port)
	}
	orders, payments, inventory := sys.Service("orders"), sys.Service("payments"), sys.Service("inventory")
	if got := names(orders.Clients); !slices.Equal(got, []string{"inventory", "payments"}) {
		t.Errorf("orders clients %v", got)
	}
	if len(orders.Orchestrates) != 1 || orders.Orchestrates[0].Durable != "orders_saga_checkout" {
		t.Errorf("orders orchestrates %+v", orders.Orchestrates)
	}
	if steps := sys.Sagas[0].Steps; steps[0].Name != "reserve_stock" || steps[1].Name != "capture_payment" {
		t.Errorf("step names %q %q", steps[0].Name, steps[1].Name)
	}
	totals := orders.Command("PlaceOrder").Totals
	if len(totals) != 1 || totals[0].Target.Name != "total_cents" || totals[0].List.Name != "items" ||
		totals[0].Quantity.Name != "quantity" || totals[0].Price.Name != "price_cents" {
		t.Errorf("PlaceOrder totals %+v", totals)
	}
	l := payments.Command("CapturePayment").Limit
	if l == nil || l.Env != "MAX_AMOUNT_CENTS" || l.Name != "MaxAmountCents" || l.Default != model.DefaultLimit {
		t.Errorf("CapturePayment limit %+v", l)
	}
	if payments.Command("RefundPayment").Limit != nil {
		t.Error("RefundPayment has no amount, so no limit")
	}
	if len(orders.Projections) != 3 || !orders.Projections[0].Create || orders.Projections[1].Create ||
		orders.Projections[1].SetStatus == nil || orders.Projections[1].SetStatus.Value.Name != "confirmed" {
		t.Errorf("orders projections %+v", orders.Projections)
	}
	if len(payments.Projections) != 0 {
		t.Error("payments is not event-sourced")
	}
	if len(inventory.Consumers) != 1 {
		t.Fatalf("inventory consumers %+v", inventory.Consumers)
	}
	c := inventory.Consumers[0]
	if c.Durable != "inventory_orders_order_cancelled" || c.Handler != "OnOrderCancelled" || c.Snake != "on_order_cancelled" ||
		c.DeadLetter != "shop.dead_letter.inventory.orders.order_cancelled" || c.Command != inventory.Command("ReleaseStock") || c.Saga != nil {
		t.Errorf("inventory consumer %+v", c)
	}
}

// The travel's choreographed trip: each participant runs its step on the
// previous step's event with inputs from the trigger, the last step is a
// consumer the blueprint does not list, and a failure compensates.
func TestTravelPatterns(t *testing.T) {
	sys := load(t, "travel")
	sg := sys.Sagas[0]
	if sg.FailedSubject != "travel.saga.trip.failed" {
		t.Errorf("failed subject %q", sg.FailedSubject)
	}
	bookings, flights, hotels := sys.Service("bookings"), sys.Service("flights"), sys.Service("hotels")
	want := map[*model.Service]struct{ event, command string }{
		flights:  {"TripRequested", "HoldSeat"},
		hotels:   {"SeatHeld", "BookRoom"},
		bookings: {"RoomBooked", "ConfirmTrip"},
	}
	for svc, w := range want {
		if len(svc.Consumers) != 1 {
			t.Fatalf("%s consumers %+v", svc.Name, svc.Consumers)
		}
		c := svc.Consumers[0]
		if c.Event.Name != w.event || c.Command == nil || c.Command.Name != w.command || c.Saga != sg || c.SagaCall == nil {
			t.Errorf("%s consumer %s -> %v", svc.Name, c.Event.Name, c.Command)
		}
		if c.SagaFirst != (svc == flights) {
			t.Errorf("%s SagaFirst = %v", svc.Name, c.SagaFirst)
		}
	}
	if len(flights.Compensates) != 1 || !slices.Equal(flights.Compensates[0].Steps, []int{0}) || flights.Compensates[0].OnFailure {
		t.Errorf("flights compensates %+v", flights.Compensates)
	}
	if len(bookings.Compensates) != 1 || len(bookings.Compensates[0].Steps) != 0 || !bookings.Compensates[0].OnFailure {
		t.Errorf("bookings compensates %+v", bookings.Compensates)
	}
	if len(hotels.Orchestrates) != 0 || len(hotels.Clients) != 0 {
		t.Errorf("a choreography has no orchestrator: %+v", hotels)
	}
	// The deterministic failure: BookRoom charges the trip's room price,
	// carried from the trigger, against HOTELS_MAX_AMOUNT_CENTS.
	book := sg.Steps[1].Call
	if l := book.Command.Limit; l == nil || l.Env != "MAX_AMOUNT_CENTS" || hotels.EnvPrefix+"_"+l.Env != "HOTELS_MAX_AMOUNT_CENTS" {
		t.Errorf("BookRoom limit %+v", book.Command.Limit)
	}
	var bound *model.InputBinding
	for i, b := range book.Inputs {
		if b.Field.Name == "amount_cents" {
			bound = &book.Inputs[i]
		}
	}
	if bound == nil || bound.Kind != model.BindTriggerField || bound.Source.Name != "room_price_cents" {
		t.Errorf("BookRoom amount_cents bound from %+v", bound)
	}
	if len(bookings.Limits) != 0 || len(flights.Limits) != 0 {
		t.Errorf("limits outside hotels: bookings %+v, flights %+v", bookings.Limits, flights.Limits)
	}
}

// orders is event-sourced with CQRS read models; the other shop services
// keep plain tables. A choreography's trigger service tracks the saga's
// state by observing the trigger, each step's, compensation's and
// on_failure's event, and the failure event.
func TestEventSourcingAndSagaTrackers(t *testing.T) {
	shop := load(t, "shop")
	if o := shop.Service("orders"); !o.EventSourced || !o.AsyncReadModel {
		t.Errorf("orders: event-sourced %v, async read model %v", o.EventSourced, o.AsyncReadModel)
	}
	if p := shop.Service("payments"); p.EventSourced || p.AsyncReadModel || len(p.Tracks) != 0 {
		t.Errorf("payments: event-sourced %v, async read model %v, tracks %d", p.EventSourced, p.AsyncReadModel, len(p.Tracks))
	}
	travel := load(t, "travel")
	if len(travel.Service("flights").Tracks) != 0 || len(travel.Service("hotels").Tracks) != 0 {
		t.Error("only the trigger's service tracks the saga")
	}
	tracks := travel.Service("bookings").Tracks
	if len(tracks) != 1 || tracks[0].Saga.Name != "trip" {
		t.Fatalf("bookings tracks %+v", tracks)
	}
	var got []string
	for _, o := range tracks[0].Observers {
		got = append(got, o.Kind+" "+o.Step+" "+o.Subject)
		if o.Last != (o.Kind == model.ObserveCall && o.Step == "confirm_trip") {
			t.Errorf("%s %s: last = %v", o.Kind, o.Step, o.Last)
		}
	}
	want := []string{
		"trigger  travel.bookings.trip_requested",
		"call hold_seat travel.flights.seat_held",
		"compensate hold_seat travel.flights.seat_cancelled",
		"call book_room travel.hotels.room_booked",
		"compensate book_room travel.hotels.room_cancelled",
		"call confirm_trip travel.bookings.trip_confirmed",
		"on_failure bookings.RejectTrip travel.bookings.trip_rejected",
		"failed  travel.saga.trip.failed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("observers:\n%q\nwant\n%q", got, want)
	}
}
