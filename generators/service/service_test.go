package service_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/microforge/microforge/generators/service"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/templates"
)

// blueprints are the shipped blueprints every test runs on.
var blueprints = []string{"shop", "minimal", "travel"}

func load(t *testing.T, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func TestGenerateDeterministic(t *testing.T) {
	for _, name := range blueprints {
		t.Run(name, func(t *testing.T) {
			first, err := service.Generate(load(t, name))
			if err != nil {
				t.Fatal(err)
			}
			second, err := service.Generate(load(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != len(second) {
				t.Fatalf("%d files, then %d", len(first), len(second))
			}
			for i := range first {
				if first[i].Path != second[i].Path || !bytes.Equal(first[i].Content, second[i].Content) || first[i].Policy != second[i].Policy {
					t.Errorf("%s differs between two generations", first[i].Path)
				}
			}
		})
	}
}

func TestGeneratePolicies(t *testing.T) {
	out, err := service.Generate(load(t, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]files.Policy{}
	for _, f := range out {
		got[f.Path] = f.Policy
		if f.Generator != service.Name {
			t.Errorf("%s: generator %q", f.Path, f.Generator)
		}
		owned := f.Policy == files.Owned
		header := strings.HasPrefix(string(f.Content), files.GoHeader+"\n")
		if strings.HasSuffix(f.Path, ".go") && owned != header {
			t.Errorf("%s: policy %v but DO NOT EDIT header %v", f.Path, f.Policy, header)
		}
	}
	want := map[string]files.Policy{
		"go.mod":                                                files.Scaffold,
		"go.sum":                                                files.Scaffold,
		"cmd/local/main.go":                                     files.Owned,
		"cmd/orders/main.go":                                    files.Owned,
		"internal/local/local.go":                               files.Owned,
		"internal/local/e2e_test.go":                            files.Scaffold,
		"internal/platform/database/database.go":                files.Owned,
		"internal/orders/service.go":                            files.Owned,
		"internal/orders/store.go":                              files.Owned,
		"internal/orders/run.go":                                files.Owned,
		"internal/orders/service_test.go":                       files.Owned,
		"internal/orders/place_order.go":                        files.Scaffold,
		"internal/orders/place_order_test.go":                   files.Scaffold,
		"internal/orders/get_order.go":                          files.Scaffold,
		"internal/orders/list_orders_test.go":                   files.Scaffold,
		"internal/orders/migrations/postgres/00001_outbox.sql":  files.Scaffold,
		"internal/orders/migrations/postgres/00002_orders.sql":  files.Scaffold,
		"internal/orders/migrations/sqlite/00002_orders.sql":    files.Scaffold,
		"internal/inventory/migrations/mysql/00002_stocks.sql":  files.Scaffold,
		"internal/inventory/migrations/sqlite/00001_outbox.sql": files.Scaffold,
	}
	for p, policy := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s not generated", p)
		} else if g != policy {
			t.Errorf("%s: policy %v, want %v", p, g, policy)
		}
	}
	if _, ok := got["internal/orders/migrations/mysql/00001_outbox.sql"]; ok {
		t.Errorf("migrations generated for a dialect orders does not declare")
	}
}

// TestGoModMatchesProtoPlugins checks that the generated go.mod requires
// the runtime versions of the plugins that generate the protobuf Go code.
func TestGoModMatchesProtoPlugins(t *testing.T) {
	out, err := service.Generate(load(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	var gomod string
	for _, f := range out {
		if f.Path == "go.mod" {
			gomod = string(f.Content)
		}
	}
	for _, req := range []string{
		"connectrpc.com/connect " + protoc.ConnectVersion,
		"google.golang.org/protobuf " + protoc.ProtobufVersion,
	} {
		if !strings.Contains(gomod, "\t"+req+"\n") {
			t.Errorf("go.mod does not require %s:\n%s", req, gomod)
		}
	}
	if !strings.HasPrefix(gomod, "module example.com/notebook\n") {
		t.Errorf("go.mod does not start with the module path:\n%s", gomod)
	}
}

// TestEveryTemplateUsed checks that no template below service/ is left
// behind by a rename.
func TestEveryTemplateUsed(t *testing.T) {
	names, err := templates.Names("service")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, name := range service.TemplateNames() {
		used["service/"+name] = true
	}
	for _, name := range names {
		if !used[name] {
			t.Errorf("template %s is never rendered", name)
		}
	}
}

// TestObservabilityFollowsTheBlueprint: services are instrumented as the
// blueprint's observability section says, and the telemetry test follows
// each orchestrated saga from its trigger command.
func TestObservabilityFollowsTheBlueprint(t *testing.T) {
	for _, tc := range []struct {
		name             string
		tracing, metrics bool
		traceTest        string // a line telemetry_test.go must hold; "" when it is not generated
	}{
		{"shop", true, true, `{"inventory", trace.SpanKindServer, "shop.inventory.v1.InventoryService/ReserveStock"},`},
		{"travel", true, true, "func TestMetrics("}, // a choreography: no orchestrator to follow
		{"minimal", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := service.Generate(load(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range out {
				got[f.Path] = string(f.Content)
			}
			sys := load(t, tc.name)
			run := got["internal/"+sys.Services[0].Name+"/run.go"]
			// The spec names only the switches that are on.
			tracing, metrics := regexp.MustCompile(`\bTracing:\s+true,`).MatchString(run), regexp.MustCompile(`\bMetrics:\s+true,`).MatchString(run)
			if tracing != tc.tracing || metrics != tc.metrics {
				t.Errorf("run.go configures telemetry with tracing %t, metrics %t; want %t, %t", tracing, metrics, tc.tracing, tc.metrics)
			}
			test, ok := got["internal/local/telemetry_test.go"]
			if ok != (tc.traceTest != "") || !strings.Contains(test, tc.traceTest) {
				t.Errorf("telemetry_test.go generated %t, want it with %q:\n%s", ok, tc.traceTest, test)
			}
			if tc.name == "travel" && strings.Contains(test, "TestTrace") {
				t.Error("a trace test for a system without an orchestrated saga")
			}
		})
	}
}

// TestSagaFailureScenarios checks that every shipped saga with a limited
// step gets an end-to-end test making that step fail, orchestrated or
// choreographed, and that a limit the sample trigger cannot exceed gets
// none.
func TestSagaFailureScenarios(t *testing.T) {
	e2e := func(t *testing.T, sys *model.System) string {
		t.Helper()
		out, err := service.Generate(sys)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out {
			if f.Path == "internal/local/e2e_test.go" {
				return string(f.Content)
			}
		}
		t.Fatal("no internal/local/e2e_test.go")
		return ""
	}
	for _, tc := range []struct {
		blueprint, test, env, wait string
		want                       []string
	}{
		{"shop", "TestSagaCheckoutCompensates", "PAYMENTS_MAX_AMOUNT_CENTS", `waitForSaga(t, clientOf(sys, "orders")`,
			[]string{"on_failure (orders.CancelOrder)", `[]string{"reserve_stock"}`, "OrderStatus_ORDER_STATUS_CANCELLED"}},
		{"travel", "TestSagaTripCompensates", "HOTELS_MAX_AMOUNT_CENTS", `waitForSagaFailure(t, clientOf(sys, "bookings")`,
			[]string{`[]string{"hold_seat"}, true)`, `st.FailedStep != "book_room"`, "TripStatus_TRIP_STATUS_REJECTED"}},
	} {
		t.Run(tc.blueprint, func(t *testing.T) {
			src := e2e(t, load(t, tc.blueprint))
			for _, want := range append([]string{"func " + tc.test + "(", `t.Setenv("` + tc.env + `", "1")`, tc.wait}, tc.want...) {
				if !strings.Contains(src, want) {
					t.Errorf("e2e_test.go lacks %s", want)
				}
			}
		})
	}
	t.Run("sample at the limit", func(t *testing.T) {
		// amount_cents samples to 1: the trip request cannot exceed a limit of 1.
		src, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "travel.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		yaml := strings.ReplaceAll(string(src), "room_price_cents", "amount_cents")
		yaml = strings.Replace(yaml, "with: {amount_cents: amount_cents}, ", "", 1)
		sys, err := blueprint.Parse("travel.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		got := e2e(t, sys)
		if !strings.Contains(got, "func sagaTrip(") || !strings.Contains(got, `"book_room call done"`) {
			t.Fatal("the edited travel blueprint lost its saga scenario")
		}
		if strings.Contains(got, "Compensates(t *testing.T)") {
			t.Error("a failure test for a saga whose sample amount cannot exceed the limit")
		}
	})
}

// A service serving v1 beside its current v2 gets an adapter per older
// version, mounts it, lists every version for grpc health and reflection,
// and lets the callers of each current procedure call its v1 twin.
func TestOlderAPIVersions(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := service.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range out {
		got[f.Path] = string(f.Content)
	}
	adapter, ok := got["internal/catalog/api_v1.go"]
	if !ok {
		t.Fatal("no internal/catalog/api_v1.go")
	}
	for _, want := range []string{
		"var _ catalogv1connect.CatalogServiceHandler = apiV1{}",
		"current catalogv2connect.CatalogServiceHandler",
		"func (a apiV1) CreateProduct(ctx context.Context, req *catalogv1.CreateProductRequest) (*catalogv1.CreateProductResponse, error)",
		"new(catalogv2.CreateProductRequest), new(catalogv1.CreateProductResponse), a.current.CreateProduct)",
		"proto.Marshal(req)",
	} {
		if !strings.Contains(adapter, want) {
			t.Errorf("api_v1.go lacks %q:\n%s", want, adapter)
		}
	}
	if test := got["internal/catalog/api_v1_test.go"]; !strings.Contains(test, "func TestAPIV1(t *testing.T)") || !strings.Contains(test, `t.Run("created through v1"`) {
		t.Errorf("no cross-version test:\n%s", test)
	}
	if !strings.Contains(got["internal/catalog/service.go"], "mountV1(mux, ") {
		t.Error("service.go does not mount v1")
	}
	run := got["internal/catalog/run.go"]
	for _, want := range []string{
		`ProtoServices: []string{"store.catalog.v1.CatalogService", catalogv2connect.CatalogServiceName},`,
		`catalogv2connect.CatalogServiceGetProductProcedure:    {"gateway", "catalog", "orders"},`,
		`"/store.catalog.v1.CatalogService/GetProduct":         {"gateway", "catalog", "orders"},`,
	} {
		if !strings.Contains(run, want) {
			t.Errorf("run.go lacks %q", want)
		}
	}
	for p := range got {
		if strings.HasPrefix(p, "internal/orders/api_") {
			t.Errorf("orders, serving v1 only, got %s", p)
		}
	}
	// The handlers implement the current version.
	if h := got["internal/catalog/create_product.go"]; !strings.Contains(h, "req *catalogv2.CreateProductRequest") {
		t.Errorf("create_product.go does not implement v2:\n%s", h)
	}
}

// An event-sourced service at version 2 still folds the events its event
// store recorded under version 1's names.
func TestProjectionsFoldEveryVersion(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bp := strings.Replace(string(src), "    version: 2\n", "    version: 2\n    patterns: [event-sourcing]\n", 1)
	p := filepath.Join(t.TempDir(), "microforge.yaml")
	if err := os.WriteFile(p, []byte(bp), 0o644); err != nil {
		t.Fatal(err)
	}
	sys, err := blueprint.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := service.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out {
		if f.Path == "internal/catalog/projections.go" {
			if want := `case "store.catalog.v1.ProductCreated", "store.catalog.v2.ProductCreated":`; !strings.Contains(string(f.Content), want) {
				t.Errorf("projections.go lacks %s:\n%s", want, f.Content)
			}
			return
		}
	}
	t.Fatal("no internal/catalog/projections.go")
}

// NewMigrations renders the migrations a generation adds exactly as the
// files it generates: on a regeneration with an added field, one per
// dialect of the service, and nothing else; the files are Frozen.
func TestNewMigrationsMatchFiles(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := blueprint.Parse("shop.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(src, []byte("        customer_id: string\n        items:"), []byte("        customer_id: string\n        note: string\n        items:"), 1)
	sys, err := blueprint.ParseWith("shop.yaml", changed, blueprint.Options{History: &model.History{Wire: first.Wire, Schema: first.Schema}})
	if err != nil {
		t.Fatal(err)
	}
	news, err := service.NewMigrations(sys)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range news {
		paths = append(paths, m.Path)
	}
	if want := "internal/orders/migrations/postgres/00003_add_orders_note.sql internal/orders/migrations/sqlite/00003_add_orders_note.sql"; strings.Join(paths, " ") != want {
		t.Fatalf("new migrations %v, want %s", paths, want)
	}
	generated, err := service.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]files.File{}
	for _, f := range generated {
		byPath[f.Path] = f
	}
	for _, m := range news {
		f, ok := byPath[m.Path]
		if !ok || !bytes.Equal(f.Content, m.SQL) || !m.Migration.New {
			t.Errorf("%s: generated %v, new %v:\n%s", m.Path, ok, m.Migration.New, m.SQL)
		}
	}
	for p, f := range byPath {
		if strings.Contains(p, "/migrations/") != f.Frozen {
			t.Errorf("%s: Frozen %v", p, f.Frozen)
		}
	}
	if _, ok := byPath[service.SchemaPath]; !ok {
		t.Errorf("no %s", service.SchemaPath)
	}
}

// A repository generated before the leases group existed gets, in every
// service, one new migration per dialect creating the leases table (with
// tenancy too, without a tenant column), and nothing more when generated
// again.
func TestLeasesMigrationForExistingRepository(t *testing.T) {
	for _, path := range []string{"blueprints/shop.yaml", "testdata/blueprints/tenants.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := blueprint.Parse("microforge.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			// The history as an earlier release left it.
			old := &model.History{Wire: fresh.Wire, Schema: jsonCopy(t, fresh.Schema)}
			for _, rec := range old.Schema.Services {
				rec.Schema.Platform = slices.DeleteFunc(rec.Schema.Platform, func(g string) bool { return g == model.PlatformLeases })
				rec.Migrations[0].Ops = slices.DeleteFunc(rec.Migrations[0].Ops, func(op model.SchemaOp) bool { return op.Group == model.PlatformLeases })
			}
			sys, err := blueprint.ParseWith("microforge.yaml", src, blueprint.Options{History: old})
			if err != nil {
				t.Fatal(err)
			}
			news, err := service.NewMigrations(sys)
			if err != nil {
				t.Fatal(err)
			}
			perService := map[string]int{}
			for _, m := range news {
				perService[m.Service.Name]++
				if !strings.HasSuffix(m.Path, "_leases.sql") || !strings.Contains(string(m.SQL), "CREATE TABLE leases (") ||
					strings.Contains(string(m.SQL), "tenant") || strings.Count(string(m.SQL), "CREATE ") != 1 {
					t.Errorf("%s:\n%s", m.Path, m.SQL)
				}
			}
			for _, svc := range sys.Services {
				if perService[svc.Name] != len(service.Dialects(svc)) {
					t.Errorf("%s: %d new migrations, want one per dialect %v", svc.Name, perService[svc.Name], service.Dialects(svc))
				}
			}
			again, err := blueprint.ParseWith("microforge.yaml", src, blueprint.Options{History: &model.History{Wire: sys.Wire, Schema: jsonCopy(t, sys.Schema)}})
			if err != nil {
				t.Fatal(err)
			}
			if news, err := service.NewMigrations(again); err != nil || len(news) != 0 {
				t.Fatalf("generating again adds %d migrations (%v)", len(news), err)
			}
		})
	}
}

func jsonCopy[T any](t *testing.T, v *T) *T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}
