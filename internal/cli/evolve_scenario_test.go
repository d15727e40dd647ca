package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Acceptance scenarios for evolving a running system (README, "Evolving a
// running system"): a generated system runs and stores data, the blueprint
// changes, microforge generates again, and the new build, started on the
// same data, still serves what the old one stored, while clients of either
// generation keep working. They build and run the generated cmd/local, so
// they are skipped under -short.

// The blueprint change of the scenarios: a note in the middle of Order,
// PlaceOrder's input and OrderPlaced.
var noteEdits = [][2]string{
	{orderFields, orderFieldsNote},
	{"          customer_id: {type: string, max_len: 64}\n          items:", "          customer_id: {type: string, max_len: 64}\n          note: string\n          items:"},
	{"OrderPlaced: {order_id: string, customer_id: string, items", "OrderPlaced: {order_id: string, customer_id: string, note: string, items"},
}

// TestEvolveStores is the first scenario, once per store: the shop runs
// (every service on SQLite, PostgreSQL or MariaDB), three orders go through
// the checkout saga, the blueprint inserts a note in the middle of Order,
// PlaceOrder's input and OrderPlaced, and the regenerated shop, started on
// the same databases, reads the old orders back intact and takes orders
// with and without a note.
func TestEvolveStores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated systems")
	}
	shop := readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml")
	t.Run("sqlite", func(t *testing.T) {
		// cmd/local's embedded defaults: one SQLite file per service.
		evolveNote(t, shop, "sqlite", nil)
	})
	t.Run("postgres", func(t *testing.T) {
		server := startPostgres(t)
		// Every service on PostgreSQL (inventory is on MySQL in the shipped
		// blueprint, and a service only carries its store's migrations).
		bp := strings.ReplaceAll(shop, "store: mysql", "store: postgres")
		evolveNote(t, bp, "postgres", createDatabases(t, server, "orders", "payments", "inventory"))
	})
	t.Run("mariadb", func(t *testing.T) {
		server := startMariaDB(t)
		bp := strings.ReplaceAll(shop, "store: postgres", "store: mysql")
		evolveNote(t, bp, "mysql", createDatabases(t, server, "orders", "payments", "inventory"))
	})
}

// evolveNote runs the first scenario on blueprint, whose services all use
// dialect, with the environment env (<SERVICE>_DATABASE_URL) for cmd/local.
func evolveNote(t *testing.T, blueprint, dialect string, env []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", blueprint)
	gen1 := buildBins(t, ctx, dir, "gen1", "./cmd/local", "./cmd/token")
	data := t.TempDir()

	sys := startLocal(t, ctx, gen1["local"], data, env)
	api := newShopAPI(t, ctx, sys.url("gateway"), mintToken(t, ctx, gen1["token"], data))
	var old []placedOrder
	for i := 1; i <= 3; i++ {
		o := api.place(placedOrder{sku: fmt.Sprintf("sku-%d", i), quantity: i, priceCents: 100 * i})
		api.awaitConfirmed(o)
		old = append(old, o)
	}
	sys.stop()

	numbersBefore := protoNumbers(t, dir)
	migrationsBefore := migrations(t, dir)
	for _, e := range noteEdits {
		edit(t, dir, "microforge.yaml", e[0], e[1])
	}
	regen(t, dir, ExitOK)

	numbersAfter := protoNumbers(t, dir)
	sameNumbers(t, numbersBefore, numbersAfter)
	for _, field := range []string{"types.proto:Order.note", "orders.proto:PlaceOrderRequest.note", "events.proto:OrderPlaced.note"} {
		if numbersAfter["proto/shop/orders/v1/"+field] == 0 {
			t.Errorf("%s has no number after regeneration", field)
		}
	}
	migrationsAfter := migrations(t, dir)
	sameFiles(t, migrationsBefore, migrationsAfter)
	added := newFiles(migrationsBefore, migrationsAfter)
	want := "internal/orders/migrations/" + dialect + "/00003_add_orders_note.sql"
	if !slices.Contains(added, want) {
		t.Fatalf("new migrations %v, want %s among them", added, want)
	}

	gen2 := buildBins(t, ctx, dir, "gen2", "./cmd/local")
	sys = startLocal(t, ctx, gen2["local"], data, env)
	api.gateway = sys.url("gateway")
	for _, o := range old {
		api.check(api.order(o.id), o)
	}
	withNote := api.place(placedOrder{sku: "sku-9", quantity: 1, priceCents: 900, note: "leave it at the door"})
	api.check(api.awaitConfirmed(withNote), withNote)
	// A caller built before the note (it sends none) is accepted.
	oldCaller := api.place(placedOrder{sku: "sku-8", quantity: 2, priceCents: 800})
	api.check(api.awaitConfirmed(oldCaller), oldCaller)
	sys.stop()
	if env != nil {
		// Every service ran on the server, none on a SQLite file.
		if dbs, _ := filepath.Glob(filepath.Join(data, "*.db")); len(dbs) != 0 || strings.Count(sys.log.String(), "database from the environment") != len(env) {
			t.Errorf("not every service ran on %s (SQLite files %v):\n%s", dialect, dbs, sys.log.String())
		}
	}
	// The new generation applied the new migration and rebuilt the read
	// model of orders, which has another shape, from the event store.
	if log := sys.log.String(); !strings.Contains(log, "00003_add_orders_note.sql") || !strings.Contains(log, "read models rebuilt") {
		t.Errorf("the new generation did not apply its migration and rebuild the read models:\n%s", log)
	}
}

// TestEvolveChain is the second scenario: one shop on SQLite, regenerated
// again and again on the same data — a field removed, an entity added, an
// enum value inserted, a field renamed, a service added. After each
// change the new build starts on the data of the last one, every order so
// far reads back, and a new order goes through the checkout saga.
func TestEvolveChain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated systems")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// The first generation already has the note, so that removing it
	// loses data.
	bp := readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml")
	for _, e := range noteEdits {
		bp = strings.Replace(bp, e[0], e[1], 1)
	}
	dir := repoFrom(t, "shop", bp)
	bins := buildBins(t, ctx, dir, "gen1", "./cmd/local", "./cmd/token")
	data := t.TempDir()
	sys := startLocal(t, ctx, bins["local"], data, nil)
	api := newShopAPI(t, ctx, sys.url("gateway"), mintToken(t, ctx, bins["token"], data))
	var orders []placedOrder
	for i := 1; i <= 2; i++ {
		o := api.place(placedOrder{sku: fmt.Sprintf("sku-%d", i), quantity: i, priceCents: 100 * i, note: fmt.Sprintf("note %d", i)})
		api.awaitConfirmed(o)
		orders = append(orders, o)
	}
	// Payments keep the amount of each order (read back after the rename).
	for _, o := range orders {
		api.checkPayment(o, "amountCents")
	}
	sys.stop()

	generation := 1
	// step applies a blueprint change that microforge accepts, checks the
	// new generation with check, then runs it on the same data: every
	// order so far reads back (without its note since it was removed), a
	// new order is confirmed, and more runs with after.
	step := func(name string, check func(before map[string]string), after func()) {
		t.Helper()
		t.Logf("generation %d: %s", generation+1, name)
		before := contents(t, dir)
		regen(t, dir, ExitOK)
		check(before)
		generation++
		bins := buildBins(t, ctx, dir, fmt.Sprintf("gen%d", generation), "./cmd/local")
		sys = startLocal(t, ctx, bins["local"], data, nil)
		api.gateway = sys.url("gateway")
		for _, o := range orders {
			api.check(api.order(o.id), o)
		}
		o := api.place(placedOrder{sku: fmt.Sprintf("sku-%d", 10+generation), quantity: 1, priceCents: 10 * generation})
		api.check(api.awaitConfirmed(o), o)
		orders = append(orders, o)
		if after != nil {
			after()
		}
		sys.stop()
	}
	blueprint := func(pairs ...string) {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			edit(t, dir, "microforge.yaml", pairs[i], pairs[i+1])
		}
	}

	// 1. The note goes. Refused while unacknowledged, writing nothing.
	for _, e := range noteEdits {
		blueprint(e[1], e[0])
	}
	refused := snapshot(t, dir)
	if _, stderr := regen(t, dir, ExitError); !strings.Contains(stderr, "drops column note of table orders") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("removing the note was not refused:\n%s", stderr)
	}
	for p, s := range snapshot(t, dir) {
		if refused[p] != s {
			t.Errorf("a refused generation wrote %s", p)
		}
	}
	blueprint("\nservices:\n", "\nallow_breaking: [orders.Order.note, orders.PlaceOrderRequest.note, orders.OrderPlaced.note]\n\nservices:\n")
	for i := range orders {
		orders[i].note = "" // the column is dropped; the events keep it, unread
	}
	step("remove Order.note", func(before map[string]string) {
		sameFiles(t, migrationsOf(before), migrations(t, dir))
		added := newFiles(migrationsOf(before), migrations(t, dir))
		if !slices.Contains(added, "internal/orders/migrations/sqlite/00003_drop_orders_note.sql") {
			t.Errorf("new migrations %v, want the drop of note", added)
		} else if s := readFile(t, dir, "internal/orders/migrations/sqlite/00003_drop_orders_note.sql"); !strings.Contains(s, `ALTER TABLE "orders" DROP COLUMN "note";`) {
			t.Errorf("the migration does not drop the column:\n%s", s)
		}
		numbers := protoNumbersOf(t, before)
		for file, msg := range map[string]string{"types.proto": "Order", "orders.proto": "PlaceOrderRequest", "events.proto": "OrderPlaced"} {
			number := numbers["proto/shop/orders/v1/"+file+":"+msg+".note"]
			proto := readFile(t, dir, "proto/shop/orders/v1/"+file)
			if number == 0 || !strings.Contains(proto, fmt.Sprintf("  reserved %d;\n  reserved \"note\";\n", number)) {
				t.Errorf("%s.note (number %d) is not reserved in %s:\n%s", msg, number, file, proto)
			}
		}
	}, nil)

	// 2. An entity: a table of its own in a new migration.
	blueprint("      Stock: {sku: string, available: int32}\n", "      Stock: {sku: string, available: int32}\n      Warehouse: {name: string, city: string}\n")
	step("add entity Warehouse", func(before map[string]string) {
		sameFiles(t, migrationsOf(before), migrations(t, dir))
		if added := newFiles(migrationsOf(before), migrations(t, dir)); !slices.Contains(added, "internal/inventory/migrations/sqlite/00003_create_warehouses.sql") {
			t.Errorf("new migrations %v, want the warehouses table", added)
		}
	}, nil)

	// 3. An enum value in the middle: the others keep their numbers.
	blueprint("status: enum(pending, confirmed, cancelled)", "status: enum(pending, shipped, confirmed, cancelled)")
	step("insert enum value shipped", func(before map[string]string) {
		numbers := protoNumbers(t, dir)
		sameNumbers(t, protoNumbersOf(t, before), numbers)
		if n := numbers["proto/shop/orders/v1/types.proto:OrderStatus.ORDER_STATUS_SHIPPED"]; n != 4 {
			t.Errorf("ORDER_STATUS_SHIPPED = %d, want the next free number 4", n)
		}
	}, nil)

	// 4. Renames that keep the number and the data (acknowledged: JSON
	// clients see another name): payments' amount, a column of a table the
	// service writes, and orders' customer, also a field of the events the
	// read model is rebuilt from (and a column with an index).
	blueprint(
		"\nallow_breaking: [", "\nallow_breaking: [payments.Payment.amount, payments.CapturePaymentRequest.amount, payments.PaymentCaptured.amount, orders.Order.buyer, orders.PlaceOrderRequest.buyer, orders.OrderPlaced.buyer, orders.ListOrdersRequest.buyer, ",
		"owner: {field: customer_id,", "owner: {field: buyer,",
		"        customer_id: string\n        items", "        buyer: {type: string, renamed_from: customer_id}\n        items",
		"          customer_id: {type: string, max_len: 64}\n          items:", "          buyer: {type: string, max_len: 64, renamed_from: customer_id}\n          items:",
		"OrderPlaced: {order_id: string, customer_id: string,", "OrderPlaced: {order_id: string, buyer: {type: string, renamed_from: customer_id},",
		"ListOrders: {input: {customer_id: {type: string, max_len: 64}}", "ListOrders: {input: {buyer: {type: string, max_len: 64, renamed_from: customer_id}}",
		"Payment: {order_id: string, amount_cents: int64,", "Payment: {order_id: string, amount: {type: int64, renamed_from: amount_cents},",
		"CapturePayment: {input: {order_id: string, amount_cents: {type: int64, min: 0}}", "CapturePayment: {input: {order_id: string, amount: {type: int64, min: 0, renamed_from: amount_cents}}",
		"PaymentCaptured: {order_id: string, amount_cents: int64}", "PaymentCaptured: {order_id: string, amount: {type: int64, renamed_from: amount_cents}}",
		"with: {amount_cents: total_cents}", "with: {amount: total_cents}",
	)
	api.customerField = "buyer"
	step("rename Payment.amount_cents to amount and Order.customer_id to buyer", func(before map[string]string) {
		old := protoNumbersOf(t, before)
		numbers := protoNumbers(t, dir)
		for _, rename := range [][3]string{
			{"payments/v1/types.proto:Payment", "amount_cents", "amount"},
			{"payments/v1/payments.proto:CapturePaymentRequest", "amount_cents", "amount"},
			{"payments/v1/events.proto:PaymentCaptured", "amount_cents", "amount"},
			{"orders/v1/types.proto:Order", "customer_id", "buyer"},
			{"orders/v1/orders.proto:PlaceOrderRequest", "customer_id", "buyer"},
			{"orders/v1/events.proto:OrderPlaced", "customer_id", "buyer"},
			{"orders/v1/orders.proto:ListOrdersRequest", "customer_id", "buyer"},
		} {
			was := old["proto/shop/"+rename[0]+"."+rename[1]]
			if now := numbers["proto/shop/"+rename[0]+"."+rename[2]]; was == 0 || now != was {
				t.Errorf("%s.%s has number %d, want %s's %d", rename[0], rename[2], now, rename[1], was)
			}
		}
		sameFiles(t, migrationsOf(before), migrations(t, dir))
		for file, want := range map[string]string{
			"internal/payments/migrations/sqlite/00003_rename_payments_amount_cents.sql": `RENAME COLUMN "amount_cents" TO "amount"`,
			"internal/orders/migrations/sqlite/00004_rename_orders_customer_id.sql":      `RENAME COLUMN "customer_id" TO "buyer"`,
		} {
			if s := readFile(t, dir, file); !strings.Contains(s, want) {
				t.Errorf("%s does not rename the column:\n%s", file, s)
			}
		}
	}, func() {
		// Every payment so far, the old ones included, under the new name.
		for _, o := range orders {
			api.checkPayment(o, "amount")
		}
		// The query on the renamed column finds the old orders.
		got := api.get("/v1/orders/list_orders?buyer=alice", map[string]string{"Min-Event-Position": "head"})
		if list, _ := got["orders"].([]any); len(list) != len(orders) {
			t.Errorf("ListOrders by buyer found %d orders, want %d: %v", len(list), len(orders), got)
		}
	})

	// 5. A service, routed by the gateway.
	blueprint("\nsagas:", `
  - name: shipping
    description: Ships confirmed orders.
    store: postgres
    entities:
      Shipment: {order_id: string, carrier: string}
    commands:
      ShipOrder: {input: {order_id: string, carrier: string}, emits: [OrderShipped]}
    queries:
      GetShipment: {input: {order_id: string}, output: Shipment}
    events:
      OrderShipped: {order_id: string}

sagas:`,
		"    - {service: payments, auth: required, roles: [admin]}\n",
		"    - {service: payments, auth: required, roles: [admin]}\n    - {service: shipping, auth: required, roles: [admin]}\n")
	step("add service shipping", func(before map[string]string) {
		sameFiles(t, migrationsOf(before), migrations(t, dir))
		sameNumbers(t, protoNumbersOf(t, before), protoNumbers(t, dir))
	}, func() {
		if sys.url("shipping") == "" {
			t.Fatal("cmd/local does not run shipping")
		}
		api.post("/v1/shipping/ship_order", map[string]any{"orderId": orders[0].id, "carrier": "post"})
		got := api.get("/v1/shipping/get_shipment?order_id="+url.QueryEscape(orders[0].id), nil)
		if s, _ := got["shipment"].(map[string]any); s["carrier"] != "post" {
			t.Errorf("GetShipment returned %v", got)
		}
	})
}

// TestEvolveRollingUpgrade is the third scenario, the wire during a rolling
// upgrade: clients are built from the generated Connect client (binary
// protobuf, over the Connect protocol and gRPC through the gateway). A
// client of the new generation, which sets the note, calls a server of the
// old one, and a client of the old generation calls a server of the new
// one, which also serves it an order with a note; all of them succeed.
func TestEvolveRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated systems")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml"))
	// The client is built in a copy of each generation's repository (the
	// same source builds against either).
	withClient := func(gen string, pkgs ...string) map[string]string {
		t.Helper()
		cp := filepath.Join(t.TempDir(), "shop-client")
		for p, s := range contents(t, dir) {
			writeFile(t, cp, p, s)
		}
		writeFile(t, cp, "cmd/evolveclient/main.go", evolveClient)
		bins := buildBins(t, ctx, cp, gen, "./cmd/evolveclient")
		for name, bin := range buildBins(t, ctx, dir, gen, pkgs...) {
			bins[name] = bin
		}
		return bins
	}
	old := withClient("gen1", "./cmd/local", "./cmd/token")
	for _, e := range noteEdits {
		edit(t, dir, "microforge.yaml", e[0], e[1])
	}
	regen(t, dir, ExitOK)
	cur := withClient("gen2", "./cmd/local")
	data := t.TempDir()

	type result struct {
		ID     string `json:"id"`
		Note   string `json:"note"`
		Status string `json:"status"`
		Items  []struct {
			Sku string `json:"sku"`
		} `json:"items"`
	}
	client := func(bin, gateway, token string, args ...string) result {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-gateway", gateway, "-token", token}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.String())
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s %v printed %q: %v", bin, args, out, err)
		}
		if r.ID == "" || r.Status != "ORDER_STATUS_CONFIRMED" || len(r.Items) != 1 || r.Items[0].Sku != "sku-rolling" {
			t.Fatalf("%s %v: order %+v, want a confirmed order", bin, args, r)
		}
		return r
	}

	// The old generation serves; a new client sends the note, which the old
	// server does not know: it is skipped, the order goes through.
	sys := startLocal(t, ctx, old["local"], data, nil)
	token := mintToken(t, ctx, old["token"], data)
	for _, protocol := range []string{"-grpc=false", "-grpc=true"} {
		if r := client(cur["evolveclient"], sys.url("gateway"), token, protocol, "-note", "from a new client"); r.Note != "" {
			t.Errorf("an old server kept a field it does not know: %+v", r)
		}
		client(old["evolveclient"], sys.url("gateway"), token, protocol)
	}
	sys.stop()

	// The new generation serves, on the same data: old clients go on
	// working, and read an order with a note (a field they do not know).
	sys = startLocal(t, ctx, cur["local"], data, nil)
	for _, protocol := range []string{"-grpc=false", "-grpc=true"} {
		noted := client(cur["evolveclient"], sys.url("gateway"), token, protocol, "-note", "from a new client")
		if noted.Note != "from a new client" {
			t.Errorf("the new server lost the note: %+v", noted)
		}
		client(old["evolveclient"], sys.url("gateway"), token, protocol)
		if r := client(old["evolveclient"], sys.url("gateway"), token, protocol, "-get", noted.ID); r.ID != noted.ID || r.Note != "" {
			t.Errorf("an old client read %+v for %s", r, noted.ID)
		}
	}
	sys.stop()
}

// evolveClient is the client of TestEvolveRollingUpgrade, written into the
// generated shop: it places an order through the gateway with the
// generated Connect client (binary protobuf; gRPC with -grpc), waits until
// the checkout saga confirms it and prints it as JSON. -note sets the note,
// a field only newer generations have (set by reflection, so that the same
// source builds against either); -get only reads an order.
const evolveClient = `// Command evolveclient places an order through the gateway of a running
// shop and prints it once the checkout saga confirmed it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/gen/shop/orders/v1/ordersv1connect"
)

func main() {
	gateway := flag.String("gateway", "", "URL of the gateway")
	token := flag.String("token", "", "bearer token")
	note := flag.String("note", "", "note of the order (newer generations only)")
	get := flag.String("get", "", "only read this order")
	useGRPC := flag.Bool("grpc", false, "speak gRPC instead of the Connect protocol")
	flag.Parse()
	if err := run(*gateway, *token, *note, *get, *useGRPC); err != nil {
		fmt.Fprintln(os.Stderr, "evolveclient:", err)
		os.Exit(1)
	}
}

func run(gateway, token, note, id string, useGRPC bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	httpClient := http.DefaultClient
	var opts []connect.ClientOption
	if useGRPC {
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		httpClient = &http.Client{Transport: &http.Transport{Protocols: protocols}}
		opts = append(opts, connect.WithGRPC())
	}
	// The generated client takes messages (simple mode): the headers go
	// through an interceptor. Queries wait for the read model to hold
	// every event so far.
	opts = append(opts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			if req.Spec().Procedure == ordersv1connect.OrdersServiceGetOrderProcedure {
				req.Header().Set("Min-Event-Position", "head")
			}
			return next(ctx, req)
		}
	})))
	client := ordersv1connect.NewOrdersServiceClient(httpClient, gateway, opts...)
	if id == "" {
		place := &ordersv1.PlaceOrderRequest{CustomerId: "alice", Items: []*ordersv1.LineItem{{Sku: "sku-rolling", Quantity: 3, PriceCents: 700}}}
		if note != "" {
			field := place.ProtoReflect().Descriptor().Fields().ByName("note")
			if field == nil {
				return errors.New("PlaceOrderRequest has no note in this generation")
			}
			place.ProtoReflect().Set(field, protoreflect.ValueOfString(note))
		}
		placed, err := client.PlaceOrder(ctx, place)
		if err != nil {
			return fmt.Errorf("PlaceOrder: %w", err)
		}
		id = placed.GetOrder().GetId()
	}
	for {
		got, err := client.GetOrder(ctx, &ordersv1.GetOrderRequest{OrderId: id})
		if err != nil {
			return fmt.Errorf("GetOrder %s: %w", id, err)
		}
		if got.GetOrder().GetStatus() == ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			out, err := protojson.Marshal(got.GetOrder())
			if err != nil {
				return err
			}
			fmt.Println(string(out))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("order %s is still %v", id, got.GetOrder().GetStatus())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
`

// TestEvolveTypeChange is the fourth scenario: an event-sourced ledger
// records entries with an int64 amount; the amount becomes a string
// (acknowledged); the regenerated ledger, started on the same data,
// migrates its read model, upcasts the stored events and reads the old
// entries back with the converted amount.
func TestEvolveTypeChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated systems")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bp := ledgerBlueprint + "gateway:\n  routes:\n    - {service: ledger, auth: none}\n"
	dir := repoFrom(t, "books", bp)
	bins := buildBins(t, ctx, dir, "gen1", "./cmd/local")
	data := t.TempDir()
	sys := startLocal(t, ctx, bins["local"], data, nil)
	api := newShopAPI(t, ctx, sys.url("gateway"), "")
	type stored struct{ id, amount string }
	var entries []stored
	for _, amount := range []int64{1250, -99, 0} {
		got := api.post("/v1/ledger/post", map[string]any{"account": "cash", "amount": amount, "memo": fmt.Sprint("entry ", amount)})
		entry, _ := got["entry"].(map[string]any)
		id, _ := entry["id"].(string)
		if id == "" {
			t.Fatalf("Post returned %v", got)
		}
		entries = append(entries, stored{id, fmt.Sprint(amount)})
	}
	sys.stop()

	before := contents(t, dir)
	writeFile(t, dir, "microforge.yaml", strings.Replace(strings.ReplaceAll(bp, "amount: int64", "amount: string"), "module: example.com/books\n",
		"module: example.com/books\nallow_breaking: [ledger.Entry.amount, ledger.Posted.amount, ledger.PostRequest.amount]\n", 1))
	regen(t, dir, ExitOK)
	after := contents(t, dir)
	sameFiles(t, migrationsOf(before), migrationsOf(after))
	added := newFiles(before, after)
	if !slices.Contains(added, "internal/ledger/upcast_posted.go") {
		t.Errorf("no upcaster among the new files %v", added)
	}
	const migration = "internal/ledger/migrations/sqlite/00003_alter_entries_amount.sql"
	if !slices.Contains(added, migration) {
		t.Errorf("no new migration among the new files %v", added)
	} else if s := after[migration]; !strings.Contains(s, `CAST("amount" AS TEXT)`) {
		t.Errorf("the migration does not convert the amounts:\n%s", s)
	}

	bins = buildBins(t, ctx, dir, "gen2", "./cmd/local")
	sys = startLocal(t, ctx, bins["local"], data, nil)
	api.gateway = sys.url("gateway")
	for _, e := range entries {
		got := api.get("/v1/ledger/get_entry?entry_id="+url.QueryEscape(e.id), nil)
		entry, _ := got["entry"].(map[string]any)
		if entry["account"] != "cash" || entry["memo"] != "entry "+e.amount {
			t.Errorf("entry %s reads back as %v", e.id, got)
		}
		// The entry stored with 0 left the amount off the wire: the
		// upcaster converts it because the event predates the change.
		if entry["amount"] != e.amount {
			t.Errorf("entry %s reads back with amount %v, want %q", e.id, entry["amount"], e.amount)
		}
	}
	if !strings.Contains(sys.log.String(), "read models rebuilt") {
		t.Errorf("the read models were not rebuilt for the new type:\n%s", sys.log.String())
	}
	got := api.post("/v1/ledger/post", map[string]any{"account": "cash", "amount": "12.50 EUR", "memo": "new"})
	entry, _ := got["entry"].(map[string]any)
	id, _ := entry["id"].(string)
	if got := api.get("/v1/ledger/get_entry?entry_id="+url.QueryEscape(id), nil); got["entry"].(map[string]any)["amount"] != "12.50 EUR" {
		t.Errorf("a new entry reads back as %v", got)
	}
	sys.stop()
}

// repoFrom generates blueprint in place into a new directory named name.
func repoFrom(t *testing.T, name, blueprint string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	writeFile(t, dir, "microforge.yaml", blueprint)
	regen(t, dir, ExitOK)
	return dir
}

// buildBins builds the commands pkgs of the repository in dir for the
// generation gen and returns them by base name. A command already built
// from the same sources by an earlier scenario is not built again.
func buildBins(t *testing.T, ctx context.Context, dir, gen string, pkgs ...string) map[string]string {
	t.Helper()
	tree := sourceKey(t, dir)
	bins := map[string]string{}
	var missing []string
	builtBins.Lock()
	for _, p := range pkgs {
		if bin, ok := builtBins.byKey[tree+" "+p]; ok {
			bins[filepath.Base(p)] = bin
		} else {
			missing = append(missing, p)
		}
	}
	if builtBins.dir == "" {
		d, err := os.MkdirTemp("", "microforge-evolve-bins-")
		if err != nil {
			builtBins.Unlock()
			t.Fatal(err)
		}
		builtBins.dir, builtBins.byKey = d, map[string]string{}
	}
	out, err := os.MkdirTemp(builtBins.dir, gen+"-")
	builtBins.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) == 0 {
		t.Logf("%s of %s: built before", strings.Join(pkgs, " "), gen)
		return bins
	}
	start := time.Now()
	goIn(t, ctx, dir, append([]string{"build", "-o", out + string(filepath.Separator)}, missing...)...)
	t.Logf("built %s of %s in %v", strings.Join(missing, " "), gen, time.Since(start).Round(time.Millisecond))
	builtBins.Lock()
	defer builtBins.Unlock()
	for _, p := range missing {
		bins[filepath.Base(p)] = filepath.Join(out, filepath.Base(p))
		builtBins.byKey[tree+" "+p] = bins[filepath.Base(p)]
	}
	return bins
}

// builtBins holds the commands buildBins built, by the sources they were
// built from and package, in a folder removed when the tests end
// (TestMain).
var builtBins struct {
	sync.Mutex
	dir   string
	byKey map[string]string
}

// removeBuiltBins removes the commands buildBins built.
func removeBuiltBins() {
	builtBins.Lock()
	defer builtBins.Unlock()
	if builtBins.dir != "" {
		os.RemoveAll(builtBins.dir)
		builtBins.dir, builtBins.byKey = "", nil
	}
}

// sourceKey identifies what a build of the repository in dir depends on:
// every file but microforge's state under .microforge/.
func sourceKey(t *testing.T, dir string) string {
	t.Helper()
	tree := contents(t, dir)
	paths := make([]string, 0, len(tree))
	for p := range tree {
		if !strings.HasPrefix(p, ".microforge/") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%d\x00%s", p, len(tree[p]), tree[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// createDatabases creates one database per name on the server at serverURL
// (from startPostgres or startMariaDB) with the server's own client, and
// returns the environment that runs each service of cmd/local on its own
// (ORDERS_DATABASE_URL=...).
func createDatabases(t *testing.T, serverURL string, names ...string) []string {
	t.Helper()
	var env []string
	for _, name := range names {
		var cmd *exec.Cmd
		var dbURL string
		switch {
		case strings.HasPrefix(serverURL, "postgres://"):
			cmd = exec.Command(psqlPath(t), serverURL, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE "+name)
			dbURL = strings.Replace(serverURL, "/postgres?", "/"+name+"?", 1)
		case strings.HasPrefix(serverURL, "mysql://"):
			// mysql://root@tcp(127.0.0.1:PORT)/mysql
			m := regexp.MustCompile(`^mysql://(\w+)@tcp\(([\d.]+):(\d+)\)/`).FindStringSubmatch(serverURL)
			if m == nil {
				t.Fatalf("unexpected MariaDB URL %s", serverURL)
			}
			client, err := exec.LookPath("mariadb")
			if err != nil {
				client = "mysql"
			}
			cmd = exec.Command(client, "--no-defaults", "--protocol=tcp", "-h", m[2], "-P", m[3], "-u", m[1], "-e", "CREATE DATABASE "+name)
			dbURL = strings.TrimSuffix(serverURL, "/mysql") + "/" + name
		default:
			t.Fatalf("unexpected database URL %s", serverURL)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		}
		env = append(env, strings.ToUpper(name)+"_DATABASE_URL="+dbURL)
	}
	return env
}

// psqlPath finds PostgreSQL's client beside the initdb startPostgres runs
// (which may be a symbolic link into the installation).
func psqlPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	initdb, err := filepath.EvalSymlinks(filepath.Join(postgresBinDir(), "initdb"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(initdb), "psql")
}

// localSystem is a running cmd/local.
type localSystem struct {
	t      *testing.T
	cmd    *exec.Cmd
	urls   map[string]string // by service, and "gateway"
	log    *syncBuffer       // its logs (stderr)
	exited chan struct{}
	err    error  // of Wait, once exited is closed
	cpu    string // the -cpuprofile file, "" without
}

// startLocal runs the cmd/local binary bin on dataDir with free ports and
// env added to the environment, and returns once it listens. It profiles
// the system (-cpuprofile), which stop checks.
func startLocal(t *testing.T, ctx context.Context, bin, dataDir string, env []string) *localSystem {
	t.Helper()
	cpu := filepath.Join(t.TempDir(), "cpu.out")
	s := startLocalArgs(t, ctx, bin, dataDir, env, "-cpuprofile", cpu)
	s.cpu = cpu
	return s
}

// startLocalArgs is startLocal with more flags for cmd/local.
func startLocalArgs(t *testing.T, ctx context.Context, bin, dataDir string, env []string, args ...string) *localSystem {
	t.Helper()
	s := &localSystem{t: t, urls: map[string]string{}, log: &syncBuffer{}, exited: make(chan struct{})}
	stdout := &syncBuffer{}
	s.cmd = exec.CommandContext(ctx, bin, append([]string{"-data", dataDir, "-ephemeral"}, args...)...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = stdout, s.log
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	for !strings.Contains(stdout.String(), "Press Ctrl-C to stop.") {
		select {
		case <-s.exited:
			t.Fatalf("cmd/local exited: %v\nstdout:\n%s\nlogs:\n%s", s.err, stdout.String(), s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	lines := bufio.NewScanner(strings.NewReader(stdout.String()))
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) >= 2 && strings.HasPrefix(fields[1], "http://") {
			s.urls[fields[0]] = fields[1]
		}
	}
	t.Logf("cmd/local listening in %v", time.Since(start).Round(time.Millisecond))
	return s
}

// url returns the base URL of a service or of the gateway.
func (s *localSystem) url(name string) string {
	if name == "gateway" && s.urls[name] == "" {
		s.t.Fatalf("cmd/local printed no gateway: %v", s.urls)
	}
	return s.urls[name]
}

// stop stops cmd/local as Ctrl-C does and checks that it exits cleanly.
func (s *localSystem) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Fatalf("cmd/local did not stop within 30s of SIGINT\nlogs:\n%s", s.log.String())
	}
	if s.err != nil {
		s.t.Fatalf("cmd/local after SIGINT: %v\nlogs:\n%s", s.err, s.log.String())
	}
	if s.cpu != "" {
		// A profile is gzipped protobuf: go tool pprof reads it.
		if b, err := os.ReadFile(s.cpu); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			s.t.Errorf("cmd/local -cpuprofile wrote %d bytes (%v), want a gzipped profile", len(b), err)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process writing to it while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// mintToken returns a development token of alice, a customer and admin,
// from the cmd/token binary bin for the data directory of cmd/local.
func mintToken(t *testing.T, ctx context.Context, bin, dataDir string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, bin, "--sub", "alice", "--roles", "customer,admin", "--data", dataDir).Output()
	if err != nil {
		t.Fatalf("cmd/token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// shopAPI calls a running system's gateway over REST (JSON).
type shopAPI struct {
	t       *testing.T
	ctx     context.Context
	gateway string
	token   string
	// customerField is the JSON name of the order's customer, "customerId"
	// until a scenario renames it.
	customerField string
}

func newShopAPI(t *testing.T, ctx context.Context, gateway, token string) *shopAPI {
	return &shopAPI{t: t, ctx: ctx, gateway: gateway, token: token, customerField: "customerId"}
}

// placedOrder is an order the scenario placed, as it should read back.
type placedOrder struct {
	id                   string
	sku                  string
	quantity, priceCents int
	note                 string
}

func (a *shopAPI) do(method, path string, body any, header map[string]string) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(a.ctx, method, a.gateway+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func (a *shopAPI) call(method, path string, body any, header map[string]string) map[string]any {
	a.t.Helper()
	code, b := a.do(method, path, body, header)
	if code != http.StatusOK {
		a.t.Fatalf("%s %s %v: %d\n%s", method, path, body, code, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		a.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
	}
	return out
}

func (a *shopAPI) post(path string, body any) map[string]any {
	a.t.Helper()
	return a.call(http.MethodPost, path, body, nil)
}

func (a *shopAPI) get(path string, header map[string]string) map[string]any {
	a.t.Helper()
	return a.call(http.MethodGet, path, nil, header)
}

// place places o and returns it with its id.
func (a *shopAPI) place(o placedOrder) placedOrder {
	a.t.Helper()
	body := map[string]any{a.customerField: "alice", "items": []any{map[string]any{"sku": o.sku, "quantity": o.quantity, "priceCents": o.priceCents}}}
	if o.note != "" {
		body["note"] = o.note
	}
	got := a.post("/v1/orders/place_order", body)
	order, _ := got["order"].(map[string]any)
	o.id, _ = order["id"].(string)
	if o.id == "" {
		a.t.Fatalf("PlaceOrder returned %v", got)
	}
	return o
}

// order reads an order once its read model holds every event so far.
func (a *shopAPI) order(id string) map[string]any {
	a.t.Helper()
	got := a.get("/v1/orders/get_order?order_id="+url.QueryEscape(id), map[string]string{"Min-Event-Position": "head"})
	order, _ := got["order"].(map[string]any)
	if order == nil {
		a.t.Fatalf("GetOrder %s returned %v", id, got)
	}
	return order
}

// awaitConfirmed waits until the checkout saga confirmed o and returns it.
func (a *shopAPI) awaitConfirmed(o placedOrder) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		order := a.order(o.id)
		switch order["status"] {
		case "ORDER_STATUS_CONFIRMED":
			return order
		case "ORDER_STATUS_CANCELLED":
			a.t.Fatalf("order %s was cancelled: %v", o.id, order)
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("order %s not confirmed within 60s: %v", o.id, order)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check compares an order read back with the one placed: confirmed, the
// same customer, items and total, and the note (absent when empty).
func (a *shopAPI) check(order map[string]any, o placedOrder) {
	a.t.Helper()
	want := map[string]any{
		"id": o.id, a.customerField: "alice", "status": "ORDER_STATUS_CONFIRMED",
		// protojson writes int64 as strings.
		"totalCents": fmt.Sprint(o.quantity * o.priceCents),
		"items":      []any{map[string]any{"sku": o.sku, "quantity": float64(o.quantity), "priceCents": fmt.Sprint(o.priceCents)}},
	}
	if o.note != "" {
		want["note"] = o.note
	}
	got, _ := json.Marshal(order)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		a.t.Errorf("order %s reads back as\n  %s\nwant\n  %s", o.id, got, exp)
	}
}

// checkPayment reads the payment of a confirmed order (payments is not
// CQRS: no position to wait for) and checks its amount under field.
func (a *shopAPI) checkPayment(o placedOrder, field string) {
	a.t.Helper()
	got := a.get("/v1/payments/get_payment?order_id="+url.QueryEscape(o.id), nil)
	payment, _ := got["payment"].(map[string]any)
	if want := fmt.Sprint(o.quantity * o.priceCents); payment[field] != want || payment["status"] != "PAYMENT_STATUS_CAPTURED" {
		a.t.Errorf("payment of %s reads back as %v, want %s %s captured", o.id, got, field, want)
	}
}

// protoNumbers returns the number of every field and enum value of the
// repository's .proto files, by "path:Message.field" (nested messages
// joined by dots), e.g. "proto/shop/orders/v1/types.proto:Order.note".
func protoNumbers(t *testing.T, dir string) map[string]int {
	t.Helper()
	return protoNumbersOf(t, contents(t, dir))
}

var (
	protoBlock  = regexp.MustCompile(`^\s*(message|enum)\s+(\w+)\s*\{`)
	protoNumber = regexp.MustCompile(`^\s*(?:[\w.<>, ]+\s+)?(\w+)\s*=\s*(\d+)\s*(?:\[.*\])?\s*;`)
)

// protoNumbersOf is protoNumbers over a tree of contents.
func protoNumbersOf(t *testing.T, tree map[string]string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for p, src := range tree {
		if !strings.HasPrefix(p, "proto/") || !strings.HasSuffix(p, ".proto") {
			continue
		}
		var stack []string // enclosing blocks; "" for those that are not messages or enums
		for _, line := range strings.Split(src, "\n") {
			line, _, _ = strings.Cut(line, "//")
			if m := protoBlock.FindStringSubmatch(line); m != nil {
				stack = append(stack, m[2])
				line = line[len(m[0]):]
			} else if m := protoNumber.FindStringSubmatch(line); m != nil && len(stack) > 0 && stack[len(stack)-1] != "" &&
				!strings.HasPrefix(strings.TrimSpace(line), "reserved") && !strings.HasPrefix(strings.TrimSpace(line), "option") {
				var names []string
				for _, s := range stack {
					if s != "" {
						names = append(names, s)
					}
				}
				var n int
				fmt.Sscan(m[2], &n)
				out[p+":"+strings.Join(names, ".")+"."+m[1]] = n
			}
			for _, c := range line {
				switch c {
				case '{':
					stack = append(stack, "")
				case '}':
					if len(stack) == 0 {
						t.Fatalf("%s: unbalanced braces", p)
					}
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no numbered fields in the protos")
	}
	return out
}

// sameNumbers fails when a field or enum value of before lost its number
// or has another one in after.
func sameNumbers(t *testing.T, before, after map[string]int) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if after[k] != before[k] {
			t.Errorf("%s = %d, was %d", k, after[k], before[k])
		}
	}
}
