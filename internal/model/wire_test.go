package model_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

const wireBefore = `version: 1
name: shop
module: example.com/shop
services:
  - name: orders
    entities:
      Order:
        customer_id: string
        memo: string
        total_cents: int64
        status: enum(pending, confirmed, cancelled)
    commands:
      PlaceOrder: {input: {customer_id: string, memo: string}, emits: [OrderPlaced]}
    events:
      OrderPlaced: {order_id: string, customer_id: string, total_cents: int64}
`

// evolve parses before, then after against the lock before produced, and
// returns the second system.
func evolve(t *testing.T, before, after string, allow bool) (*model.System, error) {
	t.Helper()
	first, err := blueprint.Parse("microforge.yaml", []byte(before))
	if err != nil {
		t.Fatal(err)
	}
	return blueprint.ParseWith("microforge.yaml", []byte(after), blueprint.Options{History: history(t, first), AllowBreaking: allow})
}

// history is the lock sys leaves, through JSON as a repository keeps it.
func history(t *testing.T, sys *model.System) *model.History {
	t.Helper()
	b, err := json.Marshal(sys.Wire)
	if err != nil {
		t.Fatal(err)
	}
	var lock model.WireLock
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	return &model.History{Wire: &lock}
}

func numbers(m *model.Message) map[string]int {
	out := map[string]int{}
	for _, f := range m.Fields {
		out[f.Name] = f.Number
	}
	return out
}

func TestWireNumbersNeverMove(t *testing.T) {
	after := strings.NewReplacer(
		"        customer_id: string\n        memo: string\n",
		"        customer_id: string\n        note: string\n        memo: string\n",
		"{customer_id: string, memo: string}", "{customer_id: string, note: string, memo: string}",
		"{order_id: string, customer_id: string,", "{order_id: string, note: string, customer_id: string,",
	).Replace(wireBefore)
	sys, err := evolve(t, wireBefore, after, false)
	if err != nil {
		t.Fatal(err)
	}
	orders := sys.Service("orders")
	want := map[string]int{"id": 1, "customer_id": 2, "note": 6, "memo": 3, "total_cents": 4, "status": 5}
	if got := numbers(orders.Entity("Order").Message); !reflect.DeepEqual(got, want) {
		t.Errorf("Order numbers = %v, want %v", got, want)
	}
	if got, want := numbers(orders.Event("OrderPlaced")), map[string]int{"order_id": 1, "note": 4, "customer_id": 2, "total_cents": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("OrderPlaced numbers = %v, want %v", got, want)
	}
	in := orders.Command("PlaceOrder").Input
	if f := in.Field("note"); f.Number != 3 || !f.Optional {
		t.Errorf("PlaceOrderRequest.note = %d (optional %t), want 3, optional: callers generated before it do not send it", f.Number, f.Optional)
	}
	if f := in.Field("customer_id"); f.Optional {
		t.Error("customer_id became optional")
	}
	var added []string
	for _, c := range sys.WireChanges {
		added = append(added, c.String())
	}
	if want := []string{
		"orders.Order.note = 6 (new, next free number)",
		"orders.OrderPlaced.note = 4 (new, next free number)",
		"orders.PlaceOrderRequest.note = 3 (new, next free number)",
	}; !reflect.DeepEqual(added, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(added, "\n"), strings.Join(want, "\n"))
	}
	// Generating again from its own lock changes nothing.
	again, err := evolve(t, after, after, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.WireChanges) != 0 {
		t.Errorf("a second generation changed %v", again.WireChanges)
	}
}

func TestWireRemovedRenamedAndEnums(t *testing.T) {
	after := strings.NewReplacer(
		"        memo: string\n", "",
		"        customer_id: string\n", "        customer: {type: string, renamed_from: customer_id}\n",
		"enum(pending, confirmed, cancelled)", "enum(pending, shipped, confirmed)",
	).Replace(wireBefore)
	sys, err := evolve(t, wireBefore, after, false)
	if err != nil {
		t.Fatal(err)
	}
	order := sys.Service("orders").Entity("Order").Message
	if got, want := numbers(order), map[string]int{"id": 1, "customer": 2, "total_cents": 4, "status": 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("Order numbers = %v, want %v", got, want)
	}
	if want := []model.Reserved{{Number: 3, Name: "memo"}}; !reflect.DeepEqual(order.Reserved, want) {
		t.Errorf("Order reserved %v, want %v", order.Reserved, want)
	}
	status := order.Field("status").Type.Enum
	got := map[string]int{}
	for _, v := range status.Values {
		got[v.Name] = v.Number
	}
	if want := map[string]int{"pending": 1, "shipped": 4, "confirmed": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("status values %v, want %v", got, want)
	}
	if want := []model.Reserved{{Number: 3, Name: "cancelled"}}; !reflect.DeepEqual(status.Reserved, want) {
		t.Errorf("status reserved %v, want %v", status.Reserved, want)
	}
	// A removed name coming back takes a new number: the old one stays
	// reserved, as its old meaning may still be stored.
	back, err := blueprint.ParseWith("microforge.yaml", []byte(strings.Replace(after, "        total_cents: int64\n", "        total_cents: int64\n        memo: string\n", 1)), blueprint.Options{History: history(t, sys)})
	if err != nil {
		t.Fatal(err)
	}
	order = back.Service("orders").Entity("Order").Message
	if f := order.Field("memo"); f.Number != 6 || len(order.Reserved) != 1 || order.Reserved[0].Number != 3 {
		t.Errorf("memo came back as %d with reserved %v, want 6 with 3 reserved", f.Number, order.Reserved)
	}
}

func TestWireTypeChangeRefusedUnlessAcknowledged(t *testing.T) {
	after := strings.Replace(wireBefore, "        total_cents: int64\n", "        total_cents: string\n", 1)
	_, err := evolve(t, wireBefore, after, false)
	if err == nil {
		t.Fatal("a type change was accepted")
	}
	want := "microforge.yaml:10:9: field orders.Order.total_cents changes type from int64 to string but keeps number 4"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "allow_breaking") {
		t.Errorf("error:\n%v\nwant it to contain %q and name allow_breaking", err, want)
	}
	if _, err := evolve(t, wireBefore, after, true); err != nil {
		t.Errorf("--allow-breaking: %v", err)
	}
	listed := strings.Replace(after, "module: example.com/shop\n", "module: example.com/shop\nallow_breaking: [orders.Order.total_cents]\n", 1)
	sys, err := evolve(t, wireBefore, listed, false)
	if err != nil {
		t.Fatalf("allow_breaking: %v", err)
	}
	if len(sys.WireChanges) != 1 || sys.WireChanges[0].Kind != model.WireTypeChange {
		t.Errorf("changes %v, want the type change", sys.WireChanges)
	}
}
