package gateway

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

func load(t *testing.T, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func paths(t *testing.T, sys *model.System) map[string]string {
	t.Helper()
	fs, err := Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range fs {
		if f.Generator != Name {
			t.Errorf("%s: generator %q", f.Path, f.Generator)
		}
		out[f.Path] = string(f.Content)
	}
	return out
}

func TestNothingWithoutAGateway(t *testing.T) {
	if got := paths(t, load(t, "minimal")); len(got) != 0 {
		t.Errorf("files for a system without a gateway: %v", got)
	}
}

// cmd/token only ships with an auth section: travel routes only public
// methods.
func TestTokenOnlyWithAuth(t *testing.T) {
	for name, want := range map[string]bool{"shop": true, "travel": false} {
		got := paths(t, load(t, name))
		if _, ok := got["cmd/token/main.go"]; ok != want {
			t.Errorf("%s: cmd/token generated %v, want %v", name, ok, want)
		}
		if _, ok := got["internal/gateway/gateway.go"]; !ok {
			t.Errorf("%s: no internal/gateway/gateway.go", name)
		}
	}
}

// The routing table is the blueprint's routes: every method of a route
// without methods, only the listed ones otherwise, each with its REST path
// and the route's auth and roles.
func TestRoutingTable(t *testing.T) {
	v := newView(load(t, "shop"))
	type row struct {
		Procedure, REST string
		Auth            bool
		Roles           string
	}
	var got []row
	for _, r := range v.Routes {
		got = append(got, row{r.Procedure, r.REST, r.Auth, strings.Join(r.Roles, ",")})
	}
	want := []row{
		{"/shop.orders.v1.OrdersService/PlaceOrder", "POST /v1/orders/place_order", true, "customer,admin"},
		{"/shop.orders.v1.OrdersService/ConfirmOrder", "POST /v1/orders/confirm_order", true, "customer,admin"},
		{"/shop.orders.v1.OrdersService/CancelOrder", "POST /v1/orders/cancel_order", true, "customer,admin"},
		{"/shop.orders.v1.OrdersService/GetOrder", "GET /v1/orders/get_order", true, "customer,admin"},
		{"/shop.orders.v1.OrdersService/ListOrders", "GET /v1/orders/list_orders", true, "customer,admin"},
		{"/shop.inventory.v1.InventoryService/GetStock", "GET /v1/inventory/get_stock", false, ""},
		{"/shop.payments.v1.PaymentsService/CapturePayment", "POST /v1/payments/capture_payment", true, "admin"},
		{"/shop.payments.v1.PaymentsService/RefundPayment", "POST /v1/payments/refund_payment", true, "admin"},
		{"/shop.payments.v1.PaymentsService/GetPayment", "GET /v1/payments/get_payment", true, "admin"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes:\n got %v\nwant %v", got, want)
	}
	var ups []string
	for _, u := range v.Upstreams {
		ups = append(ups, u.Name+" "+u.Env+" "+u.DefaultURL+" "+strings.Join(u.ServiceNames, ","))
	}
	wantUps := []string{
		"orders ORDERS_URL http://127.0.0.1:8081 ordersv1connect.OrdersServiceName",
		"inventory INVENTORY_URL http://127.0.0.1:8083 inventoryv1connect.InventoryServiceName",
		"payments PAYMENTS_URL http://127.0.0.1:8082 paymentsv1connect.PaymentsServiceName",
	}
	if !reflect.DeepEqual(ups, wantUps) {
		t.Errorf("upstreams:\n got %v\nwant %v", ups, wantUps)
	}
	if v.Auth == nil || v.Auth.Issuer != "https://auth.acme.test/" || v.Auth.Audience != "shop" || v.Auth.RolesClaim != "roles" {
		t.Errorf("auth %+v", v.Auth)
	}
	if v.RateLimit == nil || v.RateLimit.RequestsPerSecond != "100.0" || v.RateLimit.Burst != 200 {
		t.Errorf("rate limit %+v", v.RateLimit)
	}
}

// Unrouted methods get neither a route nor a REST path.
func TestUnroutedMethodsStayInternal(t *testing.T) {
	sys := load(t, "shop")
	inv := sys.Service("inventory")
	for _, c := range inv.Commands {
		if c.Route != nil || c.HTTPPath != "" {
			t.Errorf("%s routed: %q", c.Name, c.HTTPPath)
		}
	}
	if q := inv.Query("GetStock"); q.Route == nil || q.HTTPPath != "/v1/inventory/get_stock" {
		t.Errorf("GetStock: route %v path %q", q.Route, q.HTTPPath)
	}
	for _, r := range newView(sys).Routes {
		if strings.Contains(r.Procedure, "ReserveStock") || strings.Contains(r.Procedure, "ReleaseStock") {
			t.Errorf("unrouted %s in the table", r.Procedure)
		}
	}
}

// The generated tests probe what the blueprint decides.
func TestScenarios(t *testing.T) {
	tv := newView(load(t, "shop")).Test
	if p := tv.Protected; p == nil || p.Method != "PlaceOrder" || p.Role != "customer" || !reflect.DeepEqual(p.WantStatus, []int{200}) {
		t.Errorf("protected %+v", p)
	}
	var forbidden []string
	for _, p := range tv.Forbidden {
		forbidden = append(forbidden, p.Service+"."+p.Method+" as "+p.Role)
	}
	if want := []string{"orders.PlaceOrder as no-such-role", "payments.CapturePayment as customer"}; !reflect.DeepEqual(forbidden, want) {
		t.Errorf("forbidden %v, want %v", forbidden, want)
	}
	if p := tv.Public; p == nil || p.Method != "GetStock" || p.Role != "" {
		t.Errorf("public %+v", p)
	}
	if tv.Unrouted != "/shop.inventory.v1.InventoryService/ReserveStock" {
		t.Errorf("unrouted %s", tv.Unrouted)
	}
	if tv.RESTPost.Path != "/v1/orders/place_order" || tv.RESTGet.Path != "/v1/orders/get_order" || tv.RESTGet.Query != `"order_id=order_id-1"` {
		t.Errorf("REST %+v %+v", tv.RESTPost, tv.RESTGet)
	}
	// The owner input names the tokens' subject: an owner rule refuses
	// another.
	if want := `"{\"customerId\":\"alice\",\"items\":[{\"priceCents\":7,\"quantity\":5,\"sku\":\"sku-1\"}]}"`; tv.Subject != "alice" || tv.Protected.Body != want {
		t.Errorf("PlaceOrder body %s as %s, want %s as alice", tv.Protected.Body, tv.Subject, want)
	}
	o := tv.Ownership
	if o == nil || o.Entity != "Order" || o.Create != "/v1/orders/place_order" || o.Read != "/v1/orders/get_order" || o.IDParam != "order_id" ||
		o.Admin != "admin" || !o.Wait || o.Other != "mallory" || o.List == nil || o.List.OwnerParam != "customer_id" ||
		o.Body != `"{\"customerId\":\"\",\"items\":[{\"priceCents\":7,\"quantity\":5,\"sku\":\"sku-1\"}]}"` {
		t.Errorf("ownership %+v", o)
	}
	// Through the gateway, an owner input naming anyone but the caller is
	// 403 before its constraints are checked: no refusal breaks them.
	for _, r := range tv.Refusals {
		if strings.Contains(r.Name, "customer_id") {
			t.Errorf("refusal %q breaks an owner input", r.Name)
		}
	}

	travel := newView(load(t, "travel")).Test
	if travel.Protected != nil || len(travel.Forbidden) != 0 || travel.Public == nil {
		t.Errorf("travel: %+v", travel)
	}
}

// TestEveryTemplateUsed: no template below gateway/ is left behind.
func TestEveryTemplateUsed(t *testing.T) {
	names, err := templates.Names("gateway")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, name := range templateNames() {
		used["gateway/"+name] = true
	}
	for _, name := range names {
		if !used[name] {
			t.Errorf("template %s is never rendered", name)
		}
	}
}

// A service serving v1 and v2 gets the routes of both versions, current
// first, with the same auth; its upstream transcodes both services; the
// versions test crosses them.
func TestVersionedRoutes(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v := newView(sys)
	var got []string
	for _, r := range v.Routes {
		got = append(got, r.Procedure+" "+r.REST)
	}
	want := []string{
		"/store.catalog.v2.CatalogService/CreateProduct POST /v2/catalog/create_product",
		"/store.catalog.v2.CatalogService/ListProduct POST /v2/catalog/list_product",
		"/store.catalog.v2.CatalogService/GetProduct GET /v2/catalog/get_product",
		"/store.catalog.v1.CatalogService/CreateProduct POST /v1/catalog/create_product",
		"/store.catalog.v1.CatalogService/ListProduct POST /v1/catalog/list_product",
		"/store.catalog.v1.CatalogService/GetProduct GET /v1/catalog/get_product",
		"/store.orders.v1.OrdersService/PlaceOrder POST /v1/orders/place_order",
		"/store.orders.v1.OrdersService/GetOrder GET /v1/orders/get_order",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes:\n got %v\nwant %v", got, want)
	}
	if names := v.Upstreams[0].ServiceNames; !reflect.DeepEqual(names, []string{"catalogv2connect.CatalogServiceName", "catalogv1connect.CatalogServiceName"}) {
		t.Errorf("catalog upstream services %v", names)
	}
	if len(v.Versioned) != 1 || v.Versioned[0].Create != "CreateProduct" || v.Versioned[0].Read != "GetProduct" || len(v.Versioned[0].Versions) != 2 {
		t.Fatalf("versions test %+v", v.Versioned)
	}
	out, err := Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range out {
		found = found || f.Path == "internal/gateway/versions_test.go"
	}
	if !found {
		t.Error("no versions test generated")
	}
	// Systems serving one version get no versions test.
	for _, f := range generateFiles(t, load(t, "shop")) {
		if f == "internal/gateway/versions_test.go" {
			t.Error("shop got a versions test")
		}
	}
}

func generateFiles(t *testing.T, sys *model.System) []string {
	t.Helper()
	out, err := Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range out {
		paths = append(paths, f.Path)
	}
	return paths
}

// cmd/load calls every routed method; PlaceOrder starts checkout, whose end
// shows as the order's status through GetOrder: confirmed by its last
// step, cancelled by on_failure. A saga whose end the gateway cannot show
// is started all the same, and not checked, saying why.
func TestLoadFlows(t *testing.T) {
	for _, name := range []string{"shop", "travel"} {
		got := paths(t, load(t, name))
		for _, p := range []string{"cmd/load/main.go", "internal/platform/load/load.go"} {
			if _, ok := got[p]; !ok {
				t.Errorf("%s: no %s", name, p)
			}
		}
	}
	sys := load(t, "shop")
	flows := map[string]*loadFlow{}
	var names []string
	for _, f := range newLoadFlows(sys, "alice") {
		flows[f.Name] = f
		names = append(names, f.Name)
	}
	if want := "orders.PlaceOrder orders.ConfirmOrder orders.CancelOrder orders.GetOrder orders.ListOrders inventory.GetStock payments.CapturePayment payments.RefundPayment payments.GetPayment"; strings.Join(names, " ") != want {
		t.Errorf("flows %v, want %s", names, want)
	}
	place := flows["orders.PlaceOrder"]
	wantSaga := &loadSaga{Name: "checkout", ID: `"order", "id"`, Read: "/shop.orders.v1.OrdersService/GetOrder", ReadID: "orderId",
		Status: `"order", "status"`, Terminal: `"ORDER_STATUS_CONFIRMED", "ORDER_STATUS_CANCELLED"`}
	if place.Owner != "customerId" || place.Role != "customer" || place.Accept != "" || !reflect.DeepEqual(place.Saga, wantSaga) {
		t.Errorf("PlaceOrder: %+v, saga %+v", place, place.Saga)
	}
	if !strings.Contains(place.Body, `"customerId":"alice"`) || !strings.HasPrefix(place.Body, "`") {
		t.Errorf("PlaceOrder's body %s", place.Body)
	}
	if f := flows["inventory.GetStock"]; f.Role != "" || f.Accept != "404" || f.Saga != nil {
		t.Errorf("GetStock: %+v", f)
	}
	if f := flows["payments.CapturePayment"]; f.Role != "admin" || f.Saga != nil {
		t.Errorf("CapturePayment: %+v", f)
	}

	sys.Sagas[0].OnFailure = nil
	if sg := newLoadFlows(sys, "alice")[0].Saga; sg.Unchecked != "a failed checkout sets no status of Order: it has no on_failure call setting one" {
		t.Errorf("without on_failure: %+v", sg)
	}
	orders := sys.Gateway.Routes[0]
	orders.Queries = orders.Queries[1:] // no GetOrder
	if sg := newLoadFlows(sys, "alice")[0].Saga; sg.Unchecked != "the gateway routes no query reading Order by id beside PlaceOrder" {
		t.Errorf("without GetOrder: %+v", sg)
	}
}
