package wizard

import (
	"strings"
	"testing"
)

// TestFieldRules: rules are added to a field (which then takes the mapping
// form), replaced, read back and removed (back to the type alone), keeping
// the rest of the entry and the other lines of the answer.
func TestFieldRules(t *testing.T) {
	commands := "PlaceOrder: {input: {customer: string, size: enum(small, large), note: {type: string, default: none}}, emits: [OrderPlaced]}\nCancelOrder: {input: {order_id: string}}"
	steps := []struct {
		field, rules, want string
	}{
		{"customer", "min_len: 1, max_len: 64", "PlaceOrder: {input: {customer: {type: string, min_len: 1, max_len: 64}, size: enum(small, large), note: {type: string, default: none}}, emits: [OrderPlaced]}"},
		{"customer", `pattern: "^[a-z]+$"`, `PlaceOrder: {input: {customer: {type: string, pattern: "^[a-z]+$"}, size: enum(small, large), note: {type: string, default: none}}, emits: [OrderPlaced]}`},
		{"size", "required: true", `PlaceOrder: {input: {customer: {type: string, pattern: "^[a-z]+$"}, size: {type: enum(small, large), required: true}, note: {type: string, default: none}}, emits: [OrderPlaced]}`},
		{"note", "max_len: 10", `PlaceOrder: {input: {customer: {type: string, pattern: "^[a-z]+$"}, size: {type: enum(small, large), required: true}, note: {type: string, default: none, max_len: 10}}, emits: [OrderPlaced]}`},
		{"customer", "", `PlaceOrder: {input: {customer: string, size: {type: enum(small, large), required: true}, note: {type: string, default: none, max_len: 10}}, emits: [OrderPlaced]}`},
		{"note", "", `PlaceOrder: {input: {customer: string, size: {type: enum(small, large), required: true}, note: {type: string, default: none}}, emits: [OrderPlaced]}`},
	}
	for _, st := range steps {
		out, err := withFieldRules(commands, "PlaceOrder", true, st.field, st.rules)
		if err != nil {
			t.Fatalf("%s %q: %v", st.field, st.rules, err)
		}
		lines := strings.Split(out, "\n")
		if lines[0] != st.want || lines[1] != "CancelOrder: {input: {order_id: string}}" {
			t.Fatalf("%s %q:\n%s\nwant first line\n%s", st.field, st.rules, out, st.want)
		}
		if got := fieldRules(out, "PlaceOrder", true, st.field); got != st.rules {
			t.Errorf("rules of %s read back as %q, want %q", st.field, got, st.rules)
		}
		commands = out
	}
	types, err := withFieldRules("LineItem: {sku: string, quantity: int32}", "LineItem", false, "quantity", "min: 1")
	if err != nil || types != "LineItem: {sku: string, quantity: {type: int32, min: 1}}" {
		t.Errorf("type field: %q %v", types, err)
	}
	if _, err := withFieldRules(commands, "PlaceOrder", true, "customer", "min: [1"); err == nil {
		t.Errorf("rules that are not YAML are accepted")
	}
	if _, err := withFieldRules(commands, "PlaceOrder", true, "nobody", "min: 1"); err == nil {
		t.Errorf("a field that is not there is accepted")
	}
}

// TestCommandEffect: sets and from go after the input, replace what was
// there, read back, and go away when emptied; the result is a valid
// blueprint that says so.
func TestCommandEffect(t *testing.T) {
	commands := "PlaceOrder: {input: {item: string}, emits: [OrderPlaced]}\nPackOrder: {description: Packs it., input: {order_id: string}, emits: [OrderPacked]}"
	out, err := withCommandEffect(commands, "PackOrder", "status: packed", []string{"placed"})
	if err != nil {
		t.Fatal(err)
	}
	want := "PackOrder: {description: Packs it., input: {order_id: string}, sets: {status: packed}, from: [placed], emits: [OrderPacked]}"
	if strings.Split(out, "\n")[1] != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if sets, from := commandEffect(out, "PackOrder"); sets != "status: packed" || strings.Join(from, ",") != "placed" {
		t.Errorf("read back: %q %q", sets, from)
	}
	a := &Answers{Name: "depot", Module: "example.com/depot"}
	s := Service{Name: "orders", Store: "sqlite", Entities: "Order: {item: string, status: enum(placed, packed)}",
		Commands: out, Events: "OrderPlaced: {order_id: string}\nOrderPacked: {order_id: string}"}
	a.Services = []Service{s}
	sys, text, err := Parse(a)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	pack := sys.Service("orders").Command("PackOrder")
	if pack.From == nil || pack.From.Values[0].Name != "placed" || pack.Sets[0].Text() != "packed" {
		t.Errorf("PackOrder: from %+v sets %+v", pack.From, pack.Sets)
	}
	empty, err := withCommandEffect(out, "PackOrder", "{}", nil)
	if err != nil || strings.Split(empty, "\n")[1] != "PackOrder: {description: Packs it., input: {order_id: string}, sets: {}, emits: [OrderPacked]}" {
		t.Errorf("sets: {}: %q %v", empty, err)
	}
	if sets, _ := commandEffect(empty, "PackOrder"); sets != "{}" {
		t.Errorf("sets: {} read back as %q", sets)
	}
	back, err := withCommandEffect(empty, "PackOrder", "", nil)
	if err != nil || back != commands {
		t.Errorf("without sets and from:\n%s\nwant\n%s", back, commands)
	}
}
