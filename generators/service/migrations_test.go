package service

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

var update = flag.Bool("update", false, "rewrite the golden migrations in testdata/migrations")

// ordersBefore is the schema the golden migrations start from: a table
// with an indexed text column, a column added later (with a default), an
// enum, a JSON column and a nullable timestamp.
func ordersBefore() *model.Schema {
	empty := ""
	return &model.Schema{
		Platform: []string{model.PlatformOutbox},
		Tables: []*model.Table{{
			Name: "orders", Entity: "Order",
			Columns: []*model.Column{
				{Name: "id", Type: model.ColString, Key: true},
				{Name: "customer_id", Type: model.ColString, NotNull: true},
				{Name: "total_cents", Type: model.ColInt64, NotNull: true},
				{Name: "status", Type: model.ColEnum, NotNull: true},
				{Name: "items", Type: model.ColJSON},
				{Name: "note", Type: model.ColString, NotNull: true, Default: &empty},
			},
			Indexes: []*model.Index{{Name: "orders_customer_id_idx", Column: "customer_id"}},
		}},
	}
}

// tenantOrdersBefore is ordersBefore with tenancy: every table holds the
// tenant column tenant_id.
func tenantOrdersBefore() *model.Schema {
	s := ordersBefore()
	s.Tenant = "tenant_id"
	for _, t := range s.Tables {
		t.Tenant = s.Tenant
	}
	return s
}

func str(s string) *string { return &s }

// TestMigrationGolden renders one migration per operation (and a few
// combinations) in every dialect and compares them with
// testdata/migrations/<case>.sql; -update rewrites them.
func TestMigrationGolden(t *testing.T) {
	// Cases named tenant_* start from a schema with tenancy.
	cases := []struct {
		name string
		ops  []model.SchemaOp
	}{
		{"add_column", []model.SchemaOp{{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "memo", Type: model.ColString, NotNull: true, Default: str("")}}}},
		{"add_column_kinds", []model.SchemaOp{
			{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "paid", Type: model.ColBool, NotNull: true, Default: str("false")}},
			{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "kind", Type: model.ColEnum, NotNull: true, Default: str("retail")}},
			{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "shipped_at", Type: model.ColTimestamp}},
			{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "weight", Type: model.ColDouble, NotNull: true, Default: str("0")}},
		}},
		{"add_column_indexed", []model.SchemaOp{{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "region", Type: model.ColString, NotNull: true, Default: str("")}, Index: "orders_region_idx"}}},
		{"drop_column", []model.SchemaOp{{Op: model.OpDropColumn, Table: "orders", Column: "total_cents"}}},
		{"drop_column_indexed", []model.SchemaOp{{Op: model.OpDropColumn, Table: "orders", Column: "customer_id"}}},
		{"rename_column", []model.SchemaOp{{Op: model.OpRenameColumn, Table: "orders", From: "note", Column: "memo"}}},
		{"alter_narrow", []model.SchemaOp{{Op: model.OpAlterColumn, Table: "orders", Column: "total_cents", Def: &model.Column{Name: "total_cents", Type: model.ColInt32, NotNull: true}}}},
		{"alter_rebuild", []model.SchemaOp{{Op: model.OpAlterColumn, Table: "orders", Column: "total_cents", Def: &model.Column{Name: "total_cents", Type: model.ColDouble, NotNull: true}}}},
		{"alter_with_default", []model.SchemaOp{{Op: model.OpAlterColumn, Table: "orders", Column: "note", Def: &model.Column{Name: "note", Type: model.ColInt64, NotNull: true, Default: str("0")}}}},
		{"alter_indexed_to_enum", []model.SchemaOp{{Op: model.OpAlterColumn, Table: "orders", Column: "customer_id", Def: &model.Column{Name: "customer_id", Type: model.ColEnum, NotNull: true}}}},
		{"add_index", []model.SchemaOp{{Op: model.OpAddIndex, Table: "orders", Column: "note", Index: "orders_note_idx"}}},
		{"drop_index", []model.SchemaOp{{Op: model.OpDropIndex, Table: "orders", Index: "orders_customer_id_idx"}}},
		{"create_table", []model.SchemaOp{{Op: model.OpCreateTable, Table: "refunds", Create: &model.Table{Name: "refunds", Entity: "Refund",
			Columns: []*model.Column{{Name: "id", Type: model.ColString, Key: true}, {Name: "order_id", Type: model.ColString, NotNull: true}, {Name: "amount_cents", Type: model.ColInt64, NotNull: true}},
			Indexes: []*model.Index{{Name: "refunds_order_id_idx", Column: "order_id"}}}}}},
		{"drop_table", []model.SchemaOp{{Op: model.OpDropTable, Table: "orders"}}},
		{"create_platform", []model.SchemaOp{{Op: model.OpCreatePlatform, Group: model.PlatformSagas}}},
		{"saga_leases", []model.SchemaOp{{Op: model.OpCreatePlatform, Group: model.PlatformSagaLeases}}},
		{"tenant_saga_leases", []model.SchemaOp{{Op: model.OpCreatePlatform, Group: model.PlatformSagaLeases, Tenant: "tenant_id"}}},
		{"create_platform_leases", []model.SchemaOp{{Op: model.OpCreatePlatform, Group: model.PlatformLeases}}},
		{"tenant_create_platform_leases", []model.SchemaOp{{Op: model.OpCreatePlatform, Group: model.PlatformLeases, Tenant: "tenant_id"}}},
		{"tenant_create_platform", []model.SchemaOp{
			{Op: model.OpCreatePlatform, Group: model.PlatformSnapshots, Tenant: "tenant_id"},
			{Op: model.OpCreatePlatform, Group: model.PlatformSagas, Tenant: "tenant_id"},
		}},
		{"tenant_create_table", []model.SchemaOp{{Op: model.OpCreateTable, Table: "refunds", Create: &model.Table{Name: "refunds", Entity: "Refund", Tenant: "tenant_id",
			Columns: []*model.Column{{Name: "id", Type: model.ColString, Key: true}, {Name: "order_id", Type: model.ColString, NotNull: true}},
			Indexes: []*model.Index{{Name: "refunds_order_id_idx", Column: "order_id"}}}}}},
		{"tenant_add_column_indexed", []model.SchemaOp{{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "region", Type: model.ColString, NotNull: true, Default: str("")}, Index: "orders_region_idx"}}},
		{"tenant_alter_rebuild", []model.SchemaOp{{Op: model.OpAlterColumn, Table: "orders", Column: "total_cents", Def: &model.Column{Name: "total_cents", Type: model.ColDouble, NotNull: true}}}},
		{"tenant_drop_column_indexed", []model.SchemaOp{{Op: model.OpDropColumn, Table: "orders", Column: "customer_id"}}},
		{"combined", []model.SchemaOp{
			{Op: model.OpDropIndex, Table: "orders", Index: "orders_customer_id_idx"},
			{Op: model.OpRenameColumn, Table: "orders", From: "note", Column: "memo"},
			{Op: model.OpAlterColumn, Table: "orders", Column: "total_cents", Def: &model.Column{Name: "total_cents", Type: model.ColDouble, NotNull: true}},
			{Op: model.OpDropColumn, Table: "orders", Column: "items"},
			{Op: model.OpAddColumn, Table: "orders", Def: &model.Column{Name: "region", Type: model.ColString, NotNull: true, Default: str("")}, Index: "orders_region_idx"},
			{Op: model.OpAddIndex, Table: "orders", Column: "status", Index: "orders_status_idx"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ordersBefore()
			if strings.HasPrefix(c.name, "tenant_") {
				before = tenantOrdersBefore()
			}
			if strings.HasSuffix(c.name, "saga_leases") {
				before.Platform = append(before.Platform, model.PlatformSagas)
			}
			m := &model.Migration{Version: 3, Name: c.name, Ops: c.ops, New: true, Before: before}
			var got strings.Builder
			for _, dialect := range []string{dialectPostgres, dialectMySQL, dialectSQLite} {
				d, err := renderMigration(dialect, m)
				if err != nil {
					t.Fatal(err)
				}
				src, err := templates.Render("service/"+migrationTemplate, migrationData{ddl: d, Service: "orders", Dialect: dialect})
				if err != nil {
					t.Fatal(err)
				}
				got.WriteString("==> " + dialect + "/" + m.File() + " <==\n")
				got.Write(src)
				got.WriteString("\n")
			}
			path := filepath.Join("testdata", "migrations", c.name+".sql")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("%s differs (run with -update if intended):\n%s", path, got.String())
			}
		})
	}
}

// The first migrations of a service render as they always have: the
// golden trees hold them; here the statements of the platform groups keep
// their order (Down in reverse).
func TestFirstMigrationRendersAsBefore(t *testing.T) {
	m := &model.Migration{Version: 1, Name: "outbox", Before: &model.Schema{}, Ops: []model.SchemaOp{
		{Op: model.OpCreatePlatform, Group: model.PlatformOutbox},
		{Op: model.OpCreatePlatform, Group: model.PlatformSnapshots},
		{Op: model.OpCreatePlatform, Group: model.PlatformSagas},
		{Op: model.OpCreatePlatform, Group: model.PlatformLeases},
	}}
	d, err := renderMigration(dialectPostgres, m)
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary != nil {
		t.Errorf("summary on a first migration: %q", d.Summary)
	}
	want := "DROP TABLE leases;|DROP TABLE saga_log;|DROP TABLE sagas;|DROP TABLE projection_checkpoints;|DROP TABLE snapshots;|DROP TABLE idempotency_keys;|DROP TABLE processed_events;|DROP TABLE outbox;"
	if got := strings.Join(d.Down, "|"); got != want {
		t.Errorf("down:\n%s\nwant:\n%s", got, want)
	}
}

// A migration whose operations do not apply to the schema it starts from
// is an internal error, not a broken file.
func TestRenderMigrationRefusesImpossibleOps(t *testing.T) {
	m := &model.Migration{Version: 3, Name: "x", Before: ordersBefore(), Ops: []model.SchemaOp{{Op: model.OpDropColumn, Table: "orders", Column: "nope"}}}
	if _, err := renderMigration(dialectSQLite, m); err == nil {
		t.Error("rendered a migration dropping a column that does not exist")
	}
}
