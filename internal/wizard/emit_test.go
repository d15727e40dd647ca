package wizard

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/graph"
	"github.com/microforge/microforge/internal/model"
)

var update = flag.Bool("update", false, "rewrite testdata/wizard/emit-*.yaml")

// twoServices are the answers of a system with two services, a gateway
// route with a role, and a saga with a compensation and on_failure.
func twoServices() *Answers {
	a := &Answers{Name: "market", Module: "example.com/market", Description: "Sells things: orders # and stock."}
	orders := Service{Name: "orders", Description: "Takes orders.", Store: "postgres", Patterns: []string{"cqrs"}}
	orders.FillAPI()
	orders.Commands += "\nCancelOrder: {input: {order_id: string, reason: string}}"
	stock := Service{Name: "stock", Description: "Keeps stock.", Store: "mysql", Calls: []string{"orders"}, Consumes: []string{"orders.OrderCreated"}}
	stock.Entities = "Item: {sku: string, available: int32}"
	stock.Commands = "Reserve: {input: {order_id: string}, emits: [Reserved]}\n\nRelease: {input: {order_id: string}}"
	stock.Queries = "GetItem: {input: {sku: string}, output: Item}"
	stock.Events = "Reserved: {order_id: string}"
	a.Services = []Service{orders, stock}
	a.Gateway = &Gateway{Port: 8080, Routes: []Route{{Service: "orders", Methods: []string{"CreateOrder", "GetOrder"}, Auth: "required", Roles: []string{"customer", "support: tier 2"}}}}
	a.Auth = DefaultAuth("market")
	a.Sagas = []Saga{{Name: "checkout", Orchestrator: "orders", Trigger: "orders.OrderCreated",
		Steps:     []Step{{Call: "stock.Reserve", Compensate: "stock.Release"}},
		OnFailure: "orders.CancelOrder", OnFailureIn: "reason: saga.error"}}
	a.Deploy = DefaultDeploy("market")
	a.Deploy.CI = "gitlab"
	return a
}

// choreographed are the answers of a system with types, field rules, a
// command that says what it sets and starts from, a choreographed saga
// whose steps are not in the order the services declare them, and a
// gateway with a rate limit and CORS.
func choreographed() *Answers {
	a := &Answers{Name: "depot", Module: "example.com/depot"}
	orders := Service{Name: "orders", Store: "sqlite",
		Types:    "Line: {sku: {type: string, min_len: 1}, quantity: {type: int32, min: 1}}",
		Entities: "Order: {lines: list<Line>, status: enum(placed, packed, shipped)}",
		Commands: "PlaceOrder: {input: {lines: {type: list<Line>, max_items: 10}}, emits: [OrderPlaced]}\n" +
			"PackOrder: {input: {order_id: string}, sets: {status: packed}, from: [placed], emits: [OrderPacked]}\n" +
			"MarkShipped: {input: {order_id: string}, emits: [OrderShipped]}",
		Queries: "GetOrder: {input: {order_id: string}, output: Order}",
		Events:  "OrderPlaced: {order_id: string}\nOrderPacked: {order_id: string}\nOrderShipped: {order_id: string}"}
	warehouse := Service{Name: "warehouse", Store: "sqlite", Entities: "Pick: {order_id: string}",
		Commands: "PickItems: {input: {order_id: string}, emits: [ItemsPicked]}\nRestock: {input: {order_id: string, reason: string}}",
		Events:   "ItemsPicked: {order_id: string}"}
	a.Services = []Service{orders, warehouse}
	a.Sagas = []Saga{{Name: "fulfilment", Choreography: true, Trigger: "orders.OrderPlaced", Steps: []Step{
		{Call: "warehouse.PickItems", Compensate: "warehouse.Restock", CompensateWith: "reason: saga.error"},
		{Call: "orders.PackOrder"},
		{Call: "orders.MarkShipped"},
	}}}
	a.Gateway = &Gateway{Port: 9090, RateLimit: &RateLimit{RequestsPerSecond: 2.5, Burst: 5}, CORS: []string{"https://depot.example.com", "*"},
		Routes: []Route{{Service: "orders", Auth: "none"}}}
	return a
}

func TestEmitGolden(t *testing.T) {
	shop, err := StarterText("shop")
	if err != nil {
		t.Fatal(err)
	}
	extra := DefaultService([]string{"orders", "payments", "inventory", "catalog"})
	for _, tc := range []struct {
		name string
		a    *Answers
	}{
		{"defaults", Defaults("app")},
		{"two-services", twoServices()},
		{"shop-plus-service", &Answers{Name: "store", Module: "example.com/store", Base: shop, Services: []Service{extra}}},
		{"choreography", choreographed()},
		{"owned", owned()},
		{"no-gateway", func() *Answers {
			a := Defaults("tiny")
			a.Gateway, a.Auth, a.Deploy = nil, nil, Deploy{}
			return a
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys, text, err := Parse(tc.a)
			if err != nil {
				t.Fatalf("the emitted blueprint does not parse: %v\n%s", err, text)
			}
			if !bytes.HasPrefix(text, []byte(SchemaLine+"\n")) && tc.a.Base == nil {
				t.Errorf("the blueprint does not start with the schema line")
			}
			// The same blueprint read back by hand gives the same model.
			again, err := blueprint.Parse("again.yaml", text)
			if err != nil {
				t.Fatal(err)
			}
			if g1, g2 := graph.Build(sys).Mermaid(), graph.Build(again).Mermaid(); g1 != g2 {
				t.Errorf("parsing twice differs")
			}
			golden := filepath.Join("..", "..", "testdata", "wizard", "emit-"+tc.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, text, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(text, want) {
				t.Errorf("emitted blueprint differs from %s (go test -update):\n%s", golden, text)
			}
		})
	}
}

// TestEmitChoreography: the choreographed saga, its steps in the order
// answered, the rules, sets and from, and the gateway's limits mean what
// was answered.
func TestEmitChoreography(t *testing.T) {
	sys, text, err := Parse(choreographed())
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	sg := sys.Sagas[0]
	var steps []string
	for _, st := range sg.Steps {
		steps = append(steps, st.Call.Command.Name)
	}
	if !sg.Choreography || sg.Orchestrator != nil || strings.Join(steps, ",") != "PickItems,PackOrder,MarkShipped" {
		t.Errorf("saga: choreography %v, steps %v", sg.Choreography, steps)
	}
	if c := sg.Steps[0].Compensate; c == nil || c.Command.Name != "Restock" {
		t.Errorf("compensation %+v", c)
	}
	g := sys.Gateway
	if g.Port != 9090 || g.RateLimit == nil || g.RateLimit.RequestsPerSecond != 2.5 || g.RateLimit.Burst != 5 ||
		g.CORS == nil || strings.Join(g.CORS.AllowedOrigins, " ") != "https://depot.example.com *" {
		t.Errorf("gateway %+v %+v %+v", g, g.RateLimit, g.CORS)
	}
	orders := sys.Service("orders")
	if q := orders.Types[0].Field("quantity").Constraints; q == nil || q.Min != "1" {
		t.Errorf("Line.quantity constraints %+v", q)
	}
	if l := orders.Command("PlaceOrder").Input.Field("lines").Constraints; l == nil || l.MaxItems == nil || *l.MaxItems != 10 {
		t.Errorf("PlaceOrder.lines constraints %+v", l)
	}
	if p := orders.Command("PackOrder"); p.From == nil || p.SetsBy != model.SetsDeclared {
		t.Errorf("PackOrder: from %+v, sets by %q", p.From, p.SetsBy)
	}
}

// TestEmitModel checks the emitted blueprint means what was answered.
func TestEmitModel(t *testing.T) {
	sys, _, err := Parse(twoServices())
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Services) != 2 || sys.Services[1].Name != "stock" || string(sys.Services[1].Store) != "mysql" {
		t.Fatalf("services: %+v", sys.Services)
	}
	if d := sys.Description; d != "Sells things: orders # and stock." {
		t.Errorf("description %q", d)
	}
	r := sys.Gateway.Routes[0]
	if r.Service.Name != "orders" || len(r.Commands)+len(r.Queries) != 2 || strings.Join(r.Roles, "|") != "customer|support: tier 2" {
		t.Errorf("route %+v", r)
	}
	sg := sys.Sagas[0]
	if sg.Steps[0].Compensate == nil || sg.Steps[0].Compensate.Command.Name != "Release" || sg.OnFailure.Command.Name != "CancelOrder" {
		t.Errorf("saga %+v", sg)
	}
	if sys.Deploy.CI != "gitlab" {
		t.Errorf("ci %q", sys.Deploy.CI)
	}
}

// TestCheckMessages: an answer is checked by the validator, with its
// message, and only problems in that answer are reported.
func TestCheckMessages(t *testing.T) {
	for _, tc := range []struct {
		name, key, want string
		mut             func(a *Answers)
	}{
		{"system name", "name", `system name "My-Shop" must be lower_snake_case (hint: try "my_shop")`, func(a *Answers) { a.Name = "My-Shop" }},
		{"module", "module", `invalid module path "not a module" (hint: write a Go module path such as github.com/acme/shop)`, func(a *Answers) { a.Module = "not a module" }},
		{"reserved service", "services.1.name", `service name "main" is reserved: the generated repository has or imports a package of that name (hint: service names become Go package names)`, func(a *Answers) { a.Services[1].Name = "main" }},
		{"duplicate service", "services.1.name", `duplicate service "orders" (first at line 12)`, func(a *Answers) {
			a.Services[1].Name = "orders"
		}},
		{"command line", "services.1.commands", `line 3: unknown type "strin" (hint: did you mean "string"?)`, func(a *Answers) {
			a.Services[1].Commands = "Reserve: {input: {order_id: string}, emits: [Reserved]}\n\nRelease: {input: {order_id: strin}}"
		}},
		{"command sets", "services.1.commands", `line 1: Reserve has sets:, but it changes no entity (hint: add "item_id: string" to its input so that it changes the Item with that id)`, func(a *Answers) {
			a.Services[1].Commands = "Reserve: {input: {order_id: string}, sets: {available: 0}, emits: [Reserved]}\n\nRelease: {input: {order_id: string}}"
		}},
		{"namespace", "deploy.namespace", `invalid namespace "Big_NS" (hint: use lower-case letters, digits and '-', at most 63 characters)`, func(a *Answers) { a.Deploy.Namespace = "Big_NS" }},
		{"jwks", "auth.jwks_url", `jwks_url "keys" is not an http(s) URL (hint: write an https:// URL)`, func(a *Answers) { a.Auth.JWKSURL = "keys" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := twoServices()
			if err := check(a, tc.key); err != nil {
				t.Fatalf("valid answers: %v", err)
			}
			tc.mut(a)
			err := check(a, tc.key)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
			if err := check(a, "auth.issuer"); err != nil && tc.key != "auth.issuer" {
				t.Errorf("a problem elsewhere is reported at the issuer: %v", err)
			}
		})
	}
}

func TestDefaultNamesAndEntities(t *testing.T) {
	for dir, want := range map[string]string{"my-shop": "my_shop", "/tmp/Travel Agency": "travel_agency", "42": "app", "2fa": "fa"} {
		if got := DefaultName(dir); got != want {
			t.Errorf("DefaultName(%q) = %q, want %q", dir, got, want)
		}
	}
	for svc, want := range map[string]string{"orders": "Order", "inventory": "Inventory", "categories": "Category", "address": "Address", "line_items": "LineItem"} {
		if got := EntityName(svc); got != want {
			t.Errorf("EntityName(%q) = %q, want %q", svc, got, want)
		}
	}
	taken := []string{}
	for i := 0; i < 8; i++ {
		s := DefaultService(taken)
		taken = append(taken, s.Name)
		a := Defaults("sys")
		a.Services = nil
		for _, n := range taken {
			x := Service{Name: n, Store: "sqlite"}
			x.FillAPI()
			a.Services = append(a.Services, x)
		}
		a.SetDefaultGateway()
		if _, text, err := Parse(a); err != nil {
			t.Fatalf("%d default services do not make a valid system: %v\n%s", i+1, err, text)
		}
	}
}

// TestCheckService: the whole service is checked at the end of its form,
// catching a problem one answer makes in another.
func TestCheckService(t *testing.T) {
	a := twoServices()
	a.Services[1].Events = "Moved: {order_id: string}" // Reserve emits Reserved
	if err := check(a, "services.1.events"); err != nil {
		t.Fatalf("the events alone are fine: %v", err)
	}
	all := func(k string) bool { return strings.HasPrefix(k, "services.1.") }
	err := checkKeys(a, all, true)
	want := `commands: line 1: unknown event "Reserved" emitted by Reserve`
	if err == nil || !strings.Contains(err.Error(), "commands: line 1: ") || !strings.Contains(err.Error(), `"Reserved"`) {
		t.Errorf("got %v, want something like %s", err, want)
	}
	a = twoServices()
	a.Services[1].Commands = "Reserve: {input: {order_id: string}, emits: [Reserved]\nRelease: {}"
	if err := check(a, "services.1.commands"); err == nil || !strings.Contains(err.Error(), "invalid YAML") {
		t.Errorf("a YAML syntax error is not reported: %v", err)
	}
}
