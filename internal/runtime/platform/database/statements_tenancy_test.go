//go:build tenancy

package database_test

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
)

func TestStatements(t *testing.T) {
	orders := database.Table{Name: "orders", Columns: []string{"id", "status", "total"}, Tenant: "tenant_id"}
	unscoped := database.Table{Name: "outbox", Columns: []string{"id", "payload"}}
	for got, want := range map[string]string{
		database.Postgres.Insert(orders):        `INSERT INTO "orders" ("tenant_id", "id", "status", "total") VALUES ($1, $2, $3, $4)`,
		database.Postgres.Update(orders):        `UPDATE "orders" SET "status" = $1, "total" = $2 WHERE "tenant_id" = $3 AND "id" = $4`,
		database.Postgres.Select(orders):        `SELECT "id", "status", "total" FROM "orders" WHERE "tenant_id" = $1 ORDER BY "id"`,
		database.MySQL.Select(orders, "status"): "SELECT `id`, `status`, `total` FROM `orders` WHERE `tenant_id` = ? AND `status` = ? ORDER BY `id`",
		database.Postgres.Delete(orders):        `DELETE FROM "orders" WHERE "tenant_id" = $1 AND "id" = $2`,
		database.SQLite.Insert(unscoped):        `INSERT INTO "outbox" ("id", "payload") VALUES (?, ?)`,
		database.SQLite.Select(unscoped, "id"):  `SELECT "id", "payload" FROM "outbox" WHERE "id" = ? ORDER BY "id"`,
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// A tenant's table lacking its tenant column fails the schema check: every
// statement on it would.
func TestCheckSchemaWantsTheTenantColumn(t *testing.T) {
	db := dbtest.Open(t, "schema", "sqlite")
	migrations := fstest.MapFS{"migrations/sqlite/00001_orders.sql": {Data: []byte("-- +goose Up\nCREATE TABLE orders (id TEXT PRIMARY KEY, status TEXT);\n")}}
	if err := db.Migrate(t.Context(), migrations, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	orders := database.Table{Name: "orders", Columns: []string{"id", "status"}, Tenant: "tenant_id"}
	var schemaErr *database.SchemaError
	if err := db.CheckSchema(t.Context(), migrations, []database.Table{orders}, logging.Discard()); !errors.As(err, &schemaErr) || !slices.Equal(schemaErr.Missing, []string{"orders.tenant_id"}) {
		t.Errorf("CheckSchema: %v, want orders.tenant_id missing", err)
	}
}
