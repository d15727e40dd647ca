package model_test

import (
	"slices"
	"testing"

	"github.com/microforge/microforge/internal/model"
)

// callersOf returns the callers of a command or query of a service.
func callersOf(t *testing.T, sys *model.System, service, method string) []string {
	t.Helper()
	svc := sys.Service(service)
	if svc == nil {
		t.Fatalf("no service %s", service)
	}
	if c := svc.Command(method); c != nil {
		return c.Callers
	}
	if q := svc.Query(method); q != nil {
		return q.Callers
	}
	t.Fatalf("no method %s.%s", service, method)
	return nil
}

// Shop: orders lists inventory in calls and orchestrates checkout, whose
// steps call inventory, payments and orders itself; the gateway routes all of
// orders and payments but only GetStock of inventory.
func TestShopCallers(t *testing.T) {
	sys := load(t, "shop")
	for _, tc := range []struct {
		service, method string
		want            []string
	}{
		{"orders", "PlaceOrder", []string{"gateway", "orders"}},
		{"orders", "GetOrder", []string{"gateway", "orders"}},
		{"orders", "ConfirmOrder", []string{"gateway", "orders"}},
		{"payments", "CapturePayment", []string{"gateway", "orders", "payments"}},
		{"payments", "RefundPayment", []string{"gateway", "orders", "payments"}},
		// Only commands the saga names: GetPayment is the gateway's and payments' own.
		{"payments", "GetPayment", []string{"gateway", "payments"}},
		// calls: [inventory] opens every method of inventory to orders.
		{"inventory", "ReserveStock", []string{"orders", "inventory"}},
		{"inventory", "ReleaseStock", []string{"orders", "inventory"}},
		{"inventory", "GetStock", []string{"gateway", "orders", "inventory"}},
	} {
		if got := callersOf(t, sys, tc.service, tc.method); !slices.Equal(got, tc.want) {
			t.Errorf("%s.%s callers %v, want %v", tc.service, tc.method, got, tc.want)
		}
	}
	for svc, want := range map[string][]string{
		"orders":    {"gateway"},
		"payments":  {"gateway", "orders"},
		"inventory": {"gateway", "orders"},
	} {
		if got := sys.Service(svc).Callers; !slices.Equal(got, want) {
			t.Errorf("%s callers %v, want %v", svc, got, want)
		}
	}
}

// Travel's saga is choreographed: its participants hear each other through
// events, so no service may call another; the gateway routes two methods of
// bookings only.
func TestChoreographyAddsNoCaller(t *testing.T) {
	sys := load(t, "travel")
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			want := []string{svc.Name}
			if svc.Name == "bookings" && c.Name == "RequestTrip" {
				want = []string{model.GatewayCaller, svc.Name}
			}
			if !slices.Equal(c.Callers, want) {
				t.Errorf("%s.%s callers %v, want %v", svc.Name, c.Name, c.Callers, want)
			}
		}
	}
	if got := callersOf(t, sys, "bookings", "GetTrip"); !slices.Equal(got, []string{"gateway", "bookings"}) {
		t.Errorf("bookings.GetTrip callers %v", got)
	}
	for _, svc := range sys.Services {
		want := []string(nil)
		if svc.Name == "bookings" {
			want = []string{model.GatewayCaller}
		}
		if !slices.Equal(svc.Callers, want) {
			t.Errorf("%s callers %v, want %v", svc.Name, svc.Callers, want)
		}
	}
}

// Compile decides the callers once: running it again changes nothing.
func TestCallersIdempotent(t *testing.T) {
	sys := load(t, "shop")
	before := slices.Clone(callersOf(t, sys, "payments", "CapturePayment"))
	if problems := model.Compile(sys, model.Options{History: sys.History}); len(problems) > 0 {
		t.Fatal(problems)
	}
	if got := callersOf(t, sys, "payments", "CapturePayment"); !slices.Equal(got, before) {
		t.Errorf("after a second Compile %v, want %v", got, before)
	}
}
