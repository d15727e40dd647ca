package service_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/generators/service"
	"github.com/microforge/microforge/internal/blueprint"
)

// What a command sets and where it starts from reach the code: the
// handler checks the state before changing anything, its scaffolded test
// calls it from a state it does not start from, the projection folds the
// same change, and the end-to-end test waits for the saga's last step to
// show on the entity.
func TestCommandEffectsInCode(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "fulfilment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := service.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	content := map[string]string{}
	for _, f := range out {
		content[f.Path] = string(f.Content)
	}
	for path, wants := range map[string][]string{
		"internal/orders/prepare_order.go": {
			"It refuses with FailedPrecondition unless the Order's status is placed.",
			"if current := order.GetStatus(); current != ordersv1.OrderStatus_ORDER_STATUS_PLACED {\n" +
				"\t\t\treturn connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(\"order %s has status %v: PrepareOrder starts from ORDER_STATUS_PLACED\", order.GetId(), current))",
			"order.Status = ordersv1.OrderStatus_ORDER_STATUS_PACKED",
		},
		"internal/orders/prepare_order_test.go": {
			`t.Run("from a state it does not start from"`,
			"seedOrder(t, s, func(x *ordersv1.Order) { x.Status = ordersv1.OrderStatus_ORDER_STATUS_PACKED })",
			"wantCode(t, err, connect.CodeFailedPrecondition)",
		},
		"internal/orders/mark_shipped.go": {
			"It sets status to shipped.",
			"order.Status = ordersv1.OrderStatus_ORDER_STATUS_SHIPPED",
		},
		"internal/orders/cancel_order.go": {
			"current != ordersv1.OrderStatus_ORDER_STATUS_PLACED && current != ordersv1.OrderStatus_ORDER_STATUS_PACKED",
		},
		"internal/orders/projections.go": {
			"case \"fulfilment.orders.v1.OrderShipped\":",
			"order.Status = ordersv1.OrderStatus_ORDER_STATUS_SHIPPED",
			"order.Status = ordersv1.OrderStatus_ORDER_STATUS_PACKED",
		},
		"internal/couriers/book_courier.go": {
			"Status:      couriersv1.CollectionStatus_COLLECTION_STATUS_BOOKED",
			`Carrier:     "acme"`,
			"Insured:     true",
		},
		"internal/couriers/projections.go": {
			`collection.Carrier = "acme"`,
			"collection.Insured = true",
		},
		"internal/warehouse/pick_items.go": {
			// An upsert checks only the entity it finds, not one it creates.
			"\t\t} else {\n\t\t\tpick = found[0]\n\t\t\t// PickItems starts only from the states the blueprint lists (from:).\n\t\t\tif current := pick.GetStatus(); current != warehousev1.PickStatus_PICK_STATUS_PICKED {",
		},
		"internal/local/e2e_test.go": {
			"if got == ordersv1.OrderStatus_ORDER_STATUS_SHIPPED {",
			`"mark_shipped call done"`,
			"if got == ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {",
		},
	} {
		src, ok := content[path]
		if !ok {
			t.Errorf("no %s", path)
			continue
		}
		for _, want := range wants {
			if !strings.Contains(src, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// A guarded command that cannot run again from the state it leaves gets
	// a new entity for its idempotency test; one that can reuses the first.
	if src := content["internal/orders/prepare_order_test.go"]; !strings.Contains(src, "does not start from the state it left the first Order in") {
		t.Error("PrepareOrder's idempotency test reuses an order it already packed")
	}
	if src := content["internal/warehouse/pick_items_test.go"]; strings.Contains(src, "does not start from the state it left") {
		t.Error("PickItems starts from the state it leaves, yet its idempotency test seeds another pick")
	}
}
