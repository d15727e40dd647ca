package blueprint

import (
	"path/filepath"
	"testing"

	"github.com/microforge/microforge/internal/model"
)

func shippedBlueprints(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("../../blueprints/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped blueprints found: %v", err)
	}
	return paths
}

func TestShippedBlueprintsParse(t *testing.T) {
	for _, path := range shippedBlueprints(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := Load(path); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestShopModel(t *testing.T) {
	sys, err := Load("../../blueprints/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Blueprint) == 0 {
		t.Error("Blueprint source not kept")
	}
	orders := sys.Service("orders")
	if orders == nil {
		t.Fatal("no service orders")
	}
	if got := len(orders.Commands); got != 3 {
		t.Errorf("orders has %d commands, want 3", got)
	}
	if c := orders.Command("PlaceOrder"); c == nil || c.Mode != model.ModeCreate {
		t.Errorf("PlaceOrder: %+v, want mode create", c)
	}
	confirm := orders.Command("ConfirmOrder")
	if confirm == nil || confirm.Mode != model.ModeUpdate {
		t.Fatalf("ConfirmOrder: %+v, want mode update", confirm)
	}
	if confirm.SetStatus == nil || confirm.SetStatus.Value.Name != "confirmed" {
		t.Errorf("ConfirmOrder SetStatus = %+v, want confirmed", confirm.SetStatus)
	}
	if orders.Store != model.StorePostgres || !orders.Has(model.PatternCQRS) || !orders.Has(model.PatternEventSourcing) {
		t.Errorf("orders store/patterns = %v %v", orders.Store, orders.Patterns)
	}
	order := orders.Entity("Order")
	if order == nil || order.Message.Fields[0].Name != "id" || order.Message.Fields[1].Name != "customer_id" {
		t.Errorf("Order fields not in declaration order after id")
	}
	if len(orders.Enums) != 1 || orders.Enums[0].Name != "OrderStatus" || len(orders.Enums[0].Values) != 3 {
		t.Errorf("orders enums = %+v", orders.Enums)
	}
	if len(orders.Calls) != 1 || orders.Calls[0].Name != "inventory" {
		t.Errorf("orders calls = %v", orders.Calls)
	}

	inventory := sys.Service("inventory")
	reserve := inventory.Command("ReserveStock")
	items := reserve.Input.Field("items")
	if items == nil || items.Type.Kind != model.ListType || items.Type.Elem.Kind != model.MessageType ||
		items.Type.Elem.Message != orders.Type("LineItem") {
		t.Errorf("ReserveStock items does not resolve to list<orders.LineItem>: %+v", items)
	}
	if len(inventory.Consumes) != 1 || inventory.Consumes[0] != orders.Event("OrderCancelled") {
		t.Errorf("inventory consumes = %v", inventory.Consumes)
	}

	if len(sys.Sagas) != 1 {
		t.Fatalf("sagas = %d, want 1", len(sys.Sagas))
	}
	checkout := sys.Sagas[0]
	if checkout.Name != "checkout" || checkout.Orchestrator != orders || checkout.Choreography || checkout.Trigger != orders.Event("OrderPlaced") {
		t.Errorf("checkout = %+v", checkout)
	}
	if len(checkout.Steps) != 3 {
		t.Fatalf("checkout steps = %d, want 3", len(checkout.Steps))
	}
	capture := checkout.Steps[1].Call
	if capture.Command != sys.Service("payments").Command("CapturePayment") || len(capture.Inputs) != 2 {
		t.Fatalf("step 2 = %+v", capture)
	}
	if in := capture.Inputs[0]; in.Field.Name != "order_id" || in.Kind != model.BindTriggerField || in.Source.Name != "order_id" {
		t.Errorf("step 2 input 1 = %+v", in)
	}
	if in := capture.Inputs[1]; in.Field.Name != "amount_cents" || in.Kind != model.BindTriggerField || in.Source.Name != "total_cents" {
		t.Errorf("step 2 input 2 = %+v, want amount_cents from total_cents", in)
	}
	if checkout.Steps[2].Compensate != nil || checkout.Steps[0].Compensate == nil {
		t.Errorf("compensations wrong")
	}
	of := checkout.OnFailure
	if of == nil || of.Command.Name != "CancelOrder" || len(of.Inputs) != 2 || of.Inputs[1].Kind != model.BindSagaError {
		t.Errorf("on_failure = %+v", of)
	}

	g := sys.Gateway
	if g == nil || g.Port != 8080 || len(g.Routes) != 3 || g.RateLimit == nil || g.RateLimit.Burst != 200 || g.CORS == nil {
		t.Fatalf("gateway = %+v", g)
	}
	if r := g.Routes[0]; !r.All || r.Service != orders || len(r.Commands) != 3 || len(r.Queries) != 2 || r.Auth != model.AuthRequired {
		t.Errorf("route 1 = %+v", r)
	}
	if r := g.Routes[1]; r.All || len(r.Queries) != 1 || len(r.Commands) != 0 || r.Auth != model.AuthNone {
		t.Errorf("route 2 = %+v", r)
	}
	if sys.Auth == nil || sys.Auth.JWT == nil || sys.Auth.JWT.RolesClaim != "roles" {
		t.Errorf("auth = %+v", sys.Auth)
	}
	k := sys.Deploy.Kubernetes
	if k == nil || k.Replicas != 2 || k.Autoscaling == nil || k.Autoscaling.Max != 10 || sys.Deploy.CI != "github" {
		t.Errorf("deploy = %+v", sys.Deploy)
	}
	if sys.Messaging.Broker != "nats" || sys.Observability.Tracing != "otlp" {
		t.Errorf("messaging/observability = %+v %+v", sys.Messaging, sys.Observability)
	}
	for _, svc := range sys.Services {
		if svc.Port == 0 || svc.Port == 8080 {
			t.Errorf("service %s port %d", svc.Name, svc.Port)
		}
	}
}

// TestFlowEnums checks that enum(a, b) written inside a flow mapping, where
// YAML splits it at the commas, still reads as one enum.
func TestFlowEnums(t *testing.T) {
	src := `version: 1
name: shop
module: example.com/shop
services:
  - name: orders
    types:
      Tag: {label: string, colors: list<enum(red, green,blue)>, size: enum(s, m, l), note: string}
`
	sys, err := Parse("microforge.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tag := sys.Service("orders").Type("Tag")
	var names []string
	for _, f := range tag.Fields {
		names = append(names, f.Name)
	}
	if len(tag.Fields) != 4 {
		t.Fatalf("Tag fields = %v, want label colors size note", names)
	}
	colors := tag.Field("colors").Type
	if colors.Kind != model.ListType || colors.Elem.Kind != model.EnumType || len(colors.Elem.Enum.Values) != 3 {
		t.Errorf("colors = %+v", colors)
	}
	if size := tag.Field("size").Type; size.Kind != model.EnumType || len(size.Enum.Values) != 3 {
		t.Errorf("size = %+v", size)
	}
}
