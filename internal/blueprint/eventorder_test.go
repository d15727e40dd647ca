package blueprint

import (
	"path/filepath"
	"testing"

	"github.com/microforge/microforge/internal/model"
)

// A service's consumers of one producer share an ordered durable consumer
// unless the blueprint sets event_order: parallel; a choreographed saga's
// steps keep one each.
func TestEventOrder(t *testing.T) {
	for _, tc := range []struct {
		file, service, event string
		order                model.EventOrder
		ordered              string
	}{
		{filepath.Join("..", "..", "blueprints", "shop.yaml"), "inventory", "OrderCancelled", model.EventOrderProducer, "inventory_from_orders"},
		{filepath.Join("..", "..", "testdata", "blueprints", "tenants.yaml"), "inventory", "OrderCancelled", model.EventOrderParallel, ""},
		{filepath.Join("..", "..", "blueprints", "travel.yaml"), "hotels", "SeatHeld", model.EventOrderProducer, ""},
	} {
		sys, err := Load(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		svc := sys.Service(tc.service)
		if svc.EventOrder != tc.order {
			t.Errorf("%s: %s's event order %q, want %q", tc.file, tc.service, svc.EventOrder, tc.order)
		}
		found := false
		for _, c := range svc.Consumers {
			if c.Event.Name != tc.event {
				continue
			}
			found = true
			if c.Ordered != tc.ordered {
				t.Errorf("%s: %s's consumer of %s is ordered by %q, want %q", tc.file, tc.service, tc.event, c.Ordered, tc.ordered)
			}
		}
		if !found {
			t.Errorf("%s: %s consumes no %s", tc.file, tc.service, tc.event)
		}
	}
}
