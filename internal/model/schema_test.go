package model_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

const schemaBefore = `version: 1
name: shop
module: example.com/shop
services:
  - name: orders
    store: postgres
    entities:
      Order:
        customer_id: string
        memo: string
        total_cents: int64
        status: enum(pending, confirmed, cancelled)
    commands:
      PlaceOrder: {input: {customer_id: string, memo: string}, emits: [OrderPlaced]}
    queries:
      ListOrders: {input: {customer_id: string}, output: list<Order>}
    events:
      OrderPlaced: {order_id: string, customer_id: string}
`

// generations parses each blueprint in turn, every one against the
// history the previous one left (through JSON, as a repository keeps it),
// and returns the last system or its error. onDisk are the migration
// versions present in the folders of the last generation.
func generations(t *testing.T, onDisk map[string][]int, allow bool, blueprints ...string) (*model.System, error) {
	t.Helper()
	var h *model.History
	for i, bp := range blueprints {
		last := i == len(blueprints)-1
		o := blueprint.Options{History: h, AllowBreaking: allow || !last}
		sys, err := blueprint.ParseWith("microforge.yaml", []byte(bp), o)
		if last || err != nil {
			if err != nil && !last {
				t.Fatalf("generation %d: %v", i+1, err)
			}
			return sys, err
		}
		h = &model.History{Wire: roundTrip(t, sys.Wire), Schema: roundTrip(t, sys.Schema)}
		if i == len(blueprints)-2 {
			h.MigrationFiles = onDisk
		}
	}
	panic("unreachable")
}

func roundTrip[T any](t *testing.T, v *T) *T {
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

// newOps returns the operations of the service's new migrations, as JSON
// lines, and checks there is at most one.
func newOps(t *testing.T, sys *model.System, service string) (version int, ops []string) {
	t.Helper()
	ms := sys.Service(service).NewMigrations()
	if len(ms) > 1 {
		t.Fatalf("%d new migrations, want at most one", len(ms))
	}
	for _, m := range ms {
		version = m.Version
		for _, op := range m.Ops {
			b, _ := json.Marshal(op)
			ops = append(ops, string(b))
		}
	}
	return version, ops
}

func TestMigrationsFirstGeneration(t *testing.T) {
	sys, err := blueprint.Parse("microforge.yaml", []byte(schemaBefore))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, m := range sys.Service("orders").Migrations {
		if !m.New {
			t.Errorf("%s is not new in a first generation", m.File())
		}
		files = append(files, m.File())
	}
	if want := []string{"00001_outbox.sql", "00002_orders.sql"}; !reflect.DeepEqual(files, want) {
		t.Errorf("migrations %v, want %v", files, want)
	}
	orders := sys.Service("orders").Schema.Table("orders")
	if ix := orders.IndexOn("customer_id"); ix == nil || ix.Name != "orders_customer_id_idx" {
		t.Errorf("customer_id is not indexed: %+v", orders.Indexes)
	}
	if c := orders.Column("total_cents"); c.Type != model.ColInt64 || !c.NotNull || c.Default != nil {
		t.Errorf("total_cents: %+v", c)
	}
}

func TestMigrationsUnchangedBlueprintAddsNone(t *testing.T) {
	sys, err := generations(t, nil, false, schemaBefore, schemaBefore, schemaBefore)
	if err != nil {
		t.Fatal(err)
	}
	if v, ops := newOps(t, sys, "orders"); ops != nil {
		t.Errorf("new migration %d: %v", v, ops)
	}
	if n := len(sys.Service("orders").Migrations); n != 2 {
		t.Errorf("%d migrations, want 2", n)
	}
}

func TestMigrationsOperations(t *testing.T) {
	type tc struct {
		name    string
		after   func(string) string
		allow   bool
		wantOps []string
		loss    string // a DataLoss message, refused without allow
	}
	replace := func(pairs ...string) func(string) string {
		return func(s string) string {
			for i := 0; i < len(pairs); i += 2 {
				if !strings.Contains(s, pairs[i]) {
					t.Fatalf("blueprint has no %q", pairs[i])
				}
				s = strings.Replace(s, pairs[i], pairs[i+1], 1)
			}
			return s
		}
	}
	for _, c := range []tc{
		{
			name:    "add column in the middle",
			after:   replace("        memo: string\n", "        note: string\n        memo: string\n"),
			wantOps: []string{`{"op":"add_column","table":"orders","def":{"name":"note","type":"string","not_null":true,"default":""}}`},
		},
		{
			name:  "add columns of every kind of default",
			after: replace("        memo: string\n", "        memo: string\n        paid: bool\n        rate: double\n        kind: enum(retail, wholesale)\n        shipped_at: timestamp\n        tags: list<string>\n"),
			wantOps: []string{
				`{"op":"add_column","table":"orders","def":{"name":"paid","type":"bool","not_null":true,"default":"false"}}`,
				`{"op":"add_column","table":"orders","def":{"name":"rate","type":"double","not_null":true,"default":"0"}}`,
				`{"op":"add_column","table":"orders","def":{"name":"kind","type":"enum","not_null":true,"default":"retail"}}`,
				`{"op":"add_column","table":"orders","def":{"name":"shipped_at","type":"timestamp"}}`,
				`{"op":"add_column","table":"orders","def":{"name":"tags","type":"json"}}`,
			},
		},
		{
			name:    "drop column",
			after:   replace("        memo: string\n", "", "customer_id: string, memo: string}", "customer_id: string}"),
			wantOps: []string{`{"op":"drop_column","table":"orders","column":"memo"}`},
			loss:    "drops column memo of table orders: every order's memo is lost",
		},
		{
			name:    "rename column",
			after:   replace("        memo: string\n", "        note: {type: string, renamed_from: memo}\n"),
			wantOps: []string{`{"op":"rename_column","table":"orders","column":"note","from":"memo"}`},
		},
		{
			name:    "widen a type",
			after:   replace("        total_cents: int64\n", "        total_cents: double\n"),
			allow:   true, // a type change on the wire
			wantOps: []string{`{"op":"alter_column","table":"orders","column":"total_cents","def":{"name":"total_cents","type":"double","not_null":true}}`},
		},
		{
			name:    "narrow a type",
			after:   replace("        total_cents: int64\n", "        total_cents: int32\n"),
			wantOps: []string{`{"op":"alter_column","table":"orders","column":"total_cents","def":{"name":"total_cents","type":"int32","not_null":true}}`},
			loss:    "changes column total_cents of table orders from int64 to int32: values that do not convert are lost or stop the migration",
		},
		{
			name:  "a type the dialects cannot convert",
			after: replace("        total_cents: int64\n", "        total_cents: timestamp\n"),
			wantOps: []string{
				`{"op":"drop_column","table":"orders","column":"total_cents"}`,
				`{"op":"add_column","table":"orders","def":{"name":"total_cents","type":"timestamp"}}`,
			},
			loss: "replaces column total_cents of table orders (int64 values cannot become timestamp): every order's total_cents is lost",
		},
		{
			name:    "index a column a query starts filtering on",
			after:   replace("ListOrders: {input: {customer_id: string}", "ListOrders: {input: {customer_id: string, memo: string}"),
			wantOps: []string{`{"op":"add_index","table":"orders","column":"memo","index":"orders_memo_idx"}`},
		},
		{
			name:    "drop the index of a column no query filters on",
			after:   replace("ListOrders: {input: {customer_id: string}", "ListOrders: {input: {}"),
			wantOps: []string{`{"op":"drop_index","table":"orders","index":"orders_customer_id_idx"}`},
		},
		{
			name:  "add an entity",
			after: replace("    commands:\n", "      Refund: {order_id: string, amount_cents: int64}\n    commands:\n"),
			wantOps: []string{
				`{"op":"create_table","table":"refunds","create":{"name":"refunds","entity":"Refund","columns":[{"name":"id","type":"string","key":true},{"name":"order_id","type":"string","not_null":true},{"name":"amount_cents","type":"int64","not_null":true}]}}`,
			},
		},
		{
			name: "remove an entity",
			after: func(string) string {
				return strings.Replace(schemaBefore, schemaBefore[strings.Index(schemaBefore, "    entities:"):strings.Index(schemaBefore, "    commands:")], "    types:\n      Order: {customer_id: string}\n", 1)
			},
			wantOps: []string{`{"op":"drop_table","table":"orders"}`},
			loss:    "drops table orders: every order is lost",
		},
		{
			name:    "become event-sourced",
			after:   replace("    store: postgres\n", "    store: postgres\n    patterns: [event-sourcing]\n", "OrderPlaced: {order_id: string, customer_id: string}", "OrderPlaced: {order_id: string, customer_id: string, memo: string}"),
			wantOps: []string{`{"op":"create_platform","group":"snapshots"}`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			after := c.after(schemaBefore)
			sys, err := generations(t, nil, c.allow || c.loss != "", schemaBefore, after)
			if err != nil {
				t.Fatal(err)
			}
			v, ops := newOps(t, sys, "orders")
			if v != 3 || !reflect.DeepEqual(ops, c.wantOps) {
				t.Errorf("new migration %d:\n  %s\nwant 3:\n  %s", v, strings.Join(ops, "\n  "), strings.Join(c.wantOps, "\n  "))
			}
			var losses []string
			for _, l := range sys.DataLoss {
				losses = append(losses, l.Message)
			}
			if c.loss == "" && len(losses) > 0 || c.loss != "" && (len(losses) != 1 || losses[0] != c.loss) {
				t.Errorf("data lost: %q, want %q", losses, c.loss)
			}
			// The next generation of the same blueprint adds nothing.
			again, err := generations(t, nil, true, schemaBefore, after, after)
			if err != nil {
				t.Fatal(err)
			}
			if v, ops := newOps(t, again, "orders"); ops != nil {
				t.Errorf("regenerated, new migration %d: %v", v, ops)
			}
			if c.loss == "" {
				return
			}
			_, err = generations(t, nil, false, schemaBefore, after)
			if err == nil || !strings.Contains(err.Error(), "migration 00003 of service orders "+c.loss) || !strings.Contains(err.Error(), "allow_breaking") {
				t.Errorf("not refused without acknowledgement: %v", err)
			}
		})
	}
}

// A service that starts orchestrating a saga gets the saga tables in its
// next migration; the first migration stays as it was.
func TestMigrationsSagaTablesLater(t *testing.T) {
	after := schemaBefore + `  - name: payments
    entities:
      Payment: {order_id: string}
    commands:
      CapturePayment: {input: {order_id: string}, emits: [PaymentCaptured]}
    events:
      PaymentCaptured: {order_id: string}
sagas:
  - name: checkout
    orchestrator: orders
    trigger: orders.OrderPlaced
    steps:
      - {call: payments.CapturePayment}
`
	sys, err := generations(t, nil, false, schemaBefore, after)
	if err != nil {
		t.Fatal(err)
	}
	if v, ops := newOps(t, sys, "orders"); v != 3 || !reflect.DeepEqual(ops, []string{`{"op":"create_platform","group":"sagas"}`, `{"op":"create_platform","group":"saga_leases"}`}) {
		t.Errorf("orders: new migration %d: %v", v, ops)
	}
	orders := sys.Service("orders")
	if first := orders.Migrations[0]; first.New || len(first.Ops) != 2 {
		t.Errorf("the first migration changed: %+v", first)
	}
	if orders.Migrations[2].File() != "00003_sagas.sql" {
		t.Errorf("file %s", orders.Migrations[2].File())
	}
	// A new service starts from its first migrations.
	var files []string
	for _, m := range sys.Service("payments").Migrations {
		files = append(files, m.File())
	}
	if !reflect.DeepEqual(files, []string{"00001_outbox.sql", "00002_payments.sql"}) {
		t.Errorf("payments: %v", files)
	}
}

// A repository whose saga tables were generated before sagas had leases
// (its history has the sagas group, not saga_leases) gains exactly one
// migration adding them, with the sagas of every tenant when it has
// tenancy; generating again adds none.
func TestMigrationsSagaLeasesLater(t *testing.T) {
	withSagas := schemaBefore + `sagas:
  - name: checkout
    orchestrator: orders
    trigger: orders.OrderPlaced
    steps:
      - {call: orders.PlaceOrder, with: {memo: customer_id}}
`
	for _, bp := range []string{withSagas, withSagas + tenancyTail} {
		sys, err := blueprint.Parse("microforge.yaml", []byte(bp))
		if err != nil {
			t.Fatal(err)
		}
		tenant := sys.Service("orders").Schema.Tenant
		if (tenant != "") != (bp != withSagas) {
			t.Fatalf("tenant column %q", tenant)
		}
		if got := sys.Service("orders").Migrations[0].Ops; len(got) != 4 || got[2].Group != model.PlatformSagaLeases {
			t.Fatalf("a first migration without the saga leases: %+v", got)
		}
		// The history as an earlier release left it: without the saga
		// leases (with the leases group, which TestMigrationsLeasesLater
		// covers).
		old := roundTrip(t, sys.Schema)
		rec := old.Services["orders"]
		rec.Schema.Platform = slices.Delete(rec.Schema.Platform, 2, 3)
		rec.Migrations[0].Ops = slices.Delete(rec.Migrations[0].Ops, 2, 3)
		h := &model.History{Wire: roundTrip(t, sys.Wire), Schema: old}
		next, err := blueprint.ParseWith("microforge.yaml", []byte(bp), blueprint.Options{History: h})
		if err != nil {
			t.Fatal(err)
		}
		v, ops := newOps(t, next, "orders")
		want := `{"op":"create_platform","group":"saga_leases"}`
		if tenant != "" {
			want = `{"op":"create_platform","group":"saga_leases","tenant":"` + tenant + `"}`
		}
		if v != 3 || !reflect.DeepEqual(ops, []string{want}) {
			t.Errorf("tenant %q: new migration %d: %v, want 3: %s", tenant, v, ops, want)
		}
		if f := next.Service("orders").Migrations[2].File(); f != "00003_saga_leases.sql" {
			t.Errorf("file %s", f)
		}
		h = &model.History{Wire: roundTrip(t, next.Wire), Schema: roundTrip(t, next.Schema)}
		again, err := blueprint.ParseWith("microforge.yaml", []byte(bp), blueprint.Options{History: h})
		if err != nil {
			t.Fatal(err)
		}
		if v, ops := newOps(t, again, "orders"); ops != nil {
			t.Errorf("tenant %q: generating again adds migration %d: %v", tenant, v, ops)
		}
	}
}

// A new migration is numbered after every version recorded and every
// migration file of the service's folders, the user's included.
func TestMigrationsNumberedAfterFilesOnDisk(t *testing.T) {
	after := strings.Replace(schemaBefore, "        memo: string\n", "        memo: string\n        note: string\n", 1)
	sys, err := generations(t, map[string][]int{"orders": {1, 2, 3, 7}, "other": {40}}, false, schemaBefore, after)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := newOps(t, sys, "orders"); v != 8 {
		t.Errorf("new migration %d, want 8", v)
	}
	if m := sys.Service("orders").Migrations[2]; m.File() != "00008_add_orders_note.sql" {
		t.Errorf("file %s", m.File())
	}
}

// Renaming and retyping one column in one generation, indexing another,
// and adding a third make one migration whose operations replay onto the
// schema the blueprint asks for.
func TestMigrationsCombined(t *testing.T) {
	after := strings.NewReplacer(
		"        memo: string\n", "        note: {type: string, renamed_from: memo}\n        region: string\n",
		"        total_cents: int64\n", "        total_cents: double\n",
		"ListOrders: {input: {customer_id: string}", "ListOrders: {input: {customer_id: string, status: \"enum(pending, confirmed, cancelled)\"}",
		"{customer_id: string, memo: string}", "{customer_id: string, note: string}",
	).Replace(schemaBefore)
	sys, err := generations(t, nil, true, schemaBefore, after)
	if err != nil {
		t.Fatal(err)
	}
	_, ops := newOps(t, sys, "orders")
	want := []string{
		`{"op":"rename_column","table":"orders","column":"note","from":"memo"}`,
		`{"op":"alter_column","table":"orders","column":"total_cents","def":{"name":"total_cents","type":"double","not_null":true}}`,
		`{"op":"add_column","table":"orders","def":{"name":"region","type":"string","not_null":true,"default":""}}`,
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops:\n  %s", strings.Join(ops, "\n  "))
	}
	if m := sys.Service("orders").Migrations[2]; m.File() != "00003_alter_orders.sql" {
		t.Errorf("file %s", m.File())
	}
	got, _, err := model.Replay(sys.Schema.Services["orders"].Migrations)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range got.Table("orders").Columns {
		cols = append(cols, c.Name+" "+string(c.Type))
	}
	if want := "id string, customer_id string, note string, total_cents double, status enum, region string"; strings.Join(cols, ", ") != want {
		t.Errorf("columns: %s\nwant:    %s", strings.Join(cols, ", "), want)
	}
}

// A lock whose migrations do not build the schema it records is refused.
func TestSchemaLockCheck(t *testing.T) {
	sys, err := blueprint.Parse("microforge.yaml", []byte(schemaBefore))
	if err != nil {
		t.Fatal(err)
	}
	lock := roundTrip(t, sys.Schema)
	if err := lock.Check(); err != nil {
		t.Fatalf("a generated lock: %v", err)
	}
	lock.Services["orders"].Schema.Tables[0].Columns[1].Name = "customer"
	if err := lock.Check(); err == nil || !strings.Contains(err.Error(), "do not build the schema") {
		t.Errorf("tampered schema: %v", err)
	}
	lock = roundTrip(t, sys.Schema)
	lock.Services["orders"].Migrations[1].Ops = append(lock.Services["orders"].Migrations[1].Ops, model.SchemaOp{Op: model.OpDropColumn, Table: "orders", Column: "nope"})
	if err := lock.Check(); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("impossible operation: %v", err)
	}
}

// tenancyTail is what tenancy needs: a gateway and auth.
const tenancyTail = `tenancy: {claim: tenant}
gateway:
  routes: [{service: orders}]
auth:
  jwt: {issuer: https://auth.test/, audience: shop, jwks_url: https://auth.test/jwks.json}
`

// With tenancy, a service's first migrations scope every table to a
// tenant; a table, a platform group or an index a later generation adds
// is scoped alike, and adding a column changes nothing about it.
func TestMigrationsTenancy(t *testing.T) {
	base := schemaBefore + tenancyTail
	sys, err := blueprint.Parse("microforge.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	orders := sys.Service("orders")
	if first := orders.Migrations[0]; len(first.Ops) != 2 || first.Ops[0].Tenant != "tenant_id" || first.Ops[1].Group != model.PlatformLeases {
		t.Errorf("00001: %+v, want the outbox of tenants and the leases", first.Ops)
	}
	if s := orders.Schema; s.Tenant != "tenant_id" || s.Table("orders").Tenant != "tenant_id" {
		t.Errorf("schema tenant %q, table %+v", s.Tenant, s.Table("orders"))
	}
	later := strings.Replace(schemaBefore, "        memo: string\n", "        memo: string\n        note: string\n", 1) + `  - name: payments
    entities:
      Payment: {order_id: string}
    commands:
      CapturePayment: {input: {order_id: string}, emits: [PaymentCaptured]}
    events:
      PaymentCaptured: {order_id: string}
sagas:
  - name: checkout
    orchestrator: orders
    trigger: orders.OrderPlaced
    steps:
      - {call: payments.CapturePayment}
` + tenancyTail
	sys, err = generations(t, nil, false, base, later)
	if err != nil {
		t.Fatal(err)
	}
	_, ops := newOps(t, sys, "orders")
	want := []string{
		`{"op":"create_platform","group":"sagas","tenant":"tenant_id"}`,
		`{"op":"create_platform","group":"saga_leases","tenant":"tenant_id"}`,
		`{"op":"add_column","table":"orders","def":{"name":"note","type":"string","not_null":true,"default":""}}`,
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("orders: new migration %v, want %v", ops, want)
	}
	if payments := sys.Service("payments").Schema; payments.Tenant != "tenant_id" || payments.Table("payments").Tenant != "tenant_id" {
		t.Errorf("a service added later is not scoped to tenants: %+v", payments)
	}
	if len(sys.TenancyChanges) != 0 {
		t.Errorf("tenancy changes %+v", sys.TenancyChanges)
	}
}

// withoutLeases returns a copy of the history sys leaves as a repository
// generated before the leases group existed has it: no leases in any
// service's platform groups or first migration.
func withoutLeases(t *testing.T, sys *model.System) *model.History {
	t.Helper()
	h := &model.History{Wire: roundTrip(t, sys.Wire), Schema: roundTrip(t, sys.Schema)}
	for name, rec := range h.Schema.Services {
		if i := slices.Index(rec.Schema.Platform, model.PlatformLeases); i >= 0 {
			rec.Schema.Platform = slices.Delete(rec.Schema.Platform, i, i+1)
		} else {
			t.Fatalf("%s: no leases group in a fresh generation", name)
		}
		first := rec.Migrations[0]
		first.Ops = slices.DeleteFunc(first.Ops, func(op model.SchemaOp) bool { return op.Group == model.PlatformLeases })
	}
	return h
}

// A repository generated before the leases group existed gets it in one
// new migration of each service, after the ones it has; generating again
// adds nothing. With tenancy, the group carries the tenant column like
// the others (its table does not hold it: see generators/service).
func TestMigrationsLeasesLater(t *testing.T) {
	for _, tc := range []struct{ name, blueprint, tenant string }{
		{"plain", schemaBefore, ""},
		{"tenancy", schemaBefore + tenancyTail, "tenant_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := blueprint.Parse("microforge.yaml", []byte(tc.blueprint))
			if err != nil {
				t.Fatal(err)
			}
			old := withoutLeases(t, first)
			sys, err := blueprint.ParseWith("microforge.yaml", []byte(tc.blueprint), blueprint.Options{History: old})
			if err != nil {
				t.Fatal(err)
			}
			want := `{"op":"create_platform","group":"leases"}`
			if tc.tenant != "" {
				want = `{"op":"create_platform","group":"leases","tenant":"` + tc.tenant + `"}`
			}
			if v, ops := newOps(t, sys, "orders"); v != 3 || !reflect.DeepEqual(ops, []string{want}) {
				t.Fatalf("new migration %d: %v, want 3: %s", v, ops, want)
			}
			orders := sys.Service("orders")
			if f := orders.Migrations[2].File(); f != "00003_leases.sql" {
				t.Errorf("file %s", f)
			}
			if first := orders.Migrations[0]; first.New || len(first.Ops) != 1 {
				t.Errorf("the first migration changed: %+v", first.Ops)
			}
			if !slices.Contains(orders.Schema.Platform, model.PlatformLeases) {
				t.Errorf("platform groups %v lack leases", orders.Schema.Platform)
			}
			// Generating again, and again, adds nothing.
			for range 2 {
				next := &model.History{Wire: roundTrip(t, sys.Wire), Schema: roundTrip(t, sys.Schema)}
				sys, err = blueprint.ParseWith("microforge.yaml", []byte(tc.blueprint), blueprint.Options{History: next})
				if err != nil {
					t.Fatal(err)
				}
				if v, ops := newOps(t, sys, "orders"); ops != nil {
					t.Fatalf("regenerating added migration %d: %v", v, ops)
				}
				if n := len(sys.Service("orders").Migrations); n != 3 {
					t.Fatalf("%d migrations, want 3", n)
				}
			}
		})
	}
}
