//go:build !tenancy

package database_test

import (
	"testing"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

func TestStatements(t *testing.T) {
	orders := database.Table{Name: "orders", Columns: []string{"id", "status", "total"}}
	for got, want := range map[string]string{
		database.Postgres.Insert(orders):         `INSERT INTO "orders" ("id", "status", "total") VALUES ($1, $2, $3)`,
		database.Postgres.Update(orders):         `UPDATE "orders" SET "status" = $1, "total" = $2 WHERE "id" = $3`,
		database.Postgres.Select(orders):         `SELECT "id", "status", "total" FROM "orders" ORDER BY "id"`,
		database.MySQL.Select(orders, "status"):  "SELECT `id`, `status`, `total` FROM `orders` WHERE `status` = ? ORDER BY `id`",
		database.SQLite.Select(orders, "a", "b"): `SELECT "id", "status", "total" FROM "orders" WHERE "a" = ? AND "b" = ? ORDER BY "id"`,
		database.Postgres.Delete(orders):         `DELETE FROM "orders" WHERE "id" = $1`,
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
