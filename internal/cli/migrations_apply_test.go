package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrationsApply applies the migrations of three generations of the
// shop for real, with goose through the generated database package, on
// SQLite and — when the servers are there — PostgreSQL and MariaDB: the
// first generation's, rows inserted, the second's (added columns of
// several kinds with their defaults, a widened type, an added and an
// indexed column, a rename), more rows, the third's (dropped columns, one indexed, and types
// changed to double: the SQLite table rebuild), then the last migration
// down and up again. Old rows must read back with the defaults and
// conversions the migrations promise. It drives a test written into the
// generated repository (internal/upgradecheck), so it builds only the
// database package and its drivers.
func TestMigrationsApply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generated database package and starts database servers")
	}
	dir := shopRepo(t)
	sets := filepath.Join(dir, "internal", "upgradecheck", "testdata")
	keep := func(set string) {
		t.Helper()
		for p, s := range migrations(t, dir) {
			// internal/<svc>/migrations/<dialect>/<file> -> testdata/<set>/<svc>/migrations/<dialect>/<file>
			if !strings.HasPrefix(p, "internal/upgradecheck/") {
				writeFile(t, filepath.Join(sets, set), strings.TrimPrefix(p, "internal/"), s)
			}
		}
	}
	keep("set1")
	change := func(pairs ...string) {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			edit(t, dir, "microforge.yaml", pairs[i], pairs[i+1])
		}
	}
	change(
		"        customer_id: string\n        items: list<LineItem>\n        total_cents: int64\n        status: enum(pending, confirmed, cancelled)\n",
		"        customer_id: string\n        note: string\n        items: list<LineItem>\n        total_cents: int64\n        status: enum(pending, confirmed, cancelled)\n        shipped_at: timestamp\n        rush: bool\n",
		"ListOrders: {input: {customer_id: {type: string, max_len: 64}}", "ListOrders: {input: {customer_id: {type: string, max_len: 64}, total_cents: int64}",
		"Payment: {order_id: string, amount_cents: int64,", "Payment: {order_id: string, amount: {type: int64, renamed_from: amount_cents},",
		"Stock: {sku: string, available: int32}", "Stock: {sku: string, available: int64, location: string, label: string, grade: enum(a, b), active: bool}",
		"      GetStock: {input: {sku: {type: string, max_len: 64}}, output: Stock}\n", "      GetStock: {input: {sku: {type: string, max_len: 64}}, output: Stock}\n      ListStocks: {input: {location: string}, output: list<Stock>}\n",
	)
	regen(t, dir, ExitOK, "--allow-breaking")
	keep("set2")
	change(
		"        total_cents: int64\n        status: enum(pending, confirmed, cancelled)\n        shipped_at: timestamp\n", "        total_cents: double\n        status: enum(pending, confirmed, cancelled)\n",
		"ListOrders: {input: {customer_id: {type: string, max_len: 64}, total_cents: int64}", "ListOrders: {input: {customer_id: {type: string, max_len: 64}, total_cents: double}",
		"Stock: {sku: string, available: int64, location: string, label: string, grade: enum(a, b), active: bool}", "Stock: {sku: string, available: double, label: string, grade: enum(a, b), active: bool}",
		"      ListStocks: {input: {location: string}, output: list<Stock>}\n", "",
	)
	regen(t, dir, ExitOK, "--allow-breaking")
	for _, want := range []string{
		"internal/orders/migrations/postgres/00004_alter_orders.sql",
		"internal/orders/migrations/sqlite/00004_alter_orders.sql",
		"internal/inventory/migrations/mysql/00004_alter_stocks.sql",
		"internal/payments/migrations/sqlite/00003_rename_payments_amount_cents.sql",
	} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(want))); err != nil {
			t.Fatalf("the scenario expects %s: %v", want, err)
		}
	}
	if !strings.Contains(readFile(t, dir, "internal/orders/migrations/sqlite/00004_alter_orders.sql"), `ALTER TABLE "_new_orders" RENAME TO "orders";`) {
		t.Fatal("the scenario expects an SQLite table rebuild")
	}
	writeFile(t, dir, "internal/upgradecheck/upgrade_test.go", strings.ReplaceAll(upgradeTest, "MODULE", "github.com/acme/shop"))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	test := func(t *testing.T, store string) {
		t.Helper()
		out := goIn(t, ctx, dir, "test", "-count=1", "-v", "-run", "TestUpgrade", "./internal/upgradecheck")
		for _, svc := range []string{"orders", "payments", "inventory"} {
			for _, s := range []string{"sqlite", store} {
				if (s == "postgres" && svc == "inventory") || (s == "mysql" && svc != "inventory") {
					continue
				}
				if !strings.Contains(out, "--- PASS: TestUpgrade/"+svc+"/"+s) {
					t.Errorf("TestUpgrade/%s/%s did not pass:\n%s", svc, s, out)
				}
			}
		}
	}
	t.Run("sqlite", func(t *testing.T) { test(t, "sqlite") })
	t.Run("postgres", func(t *testing.T) {
		t.Setenv("TEST_POSTGRES_URL", startPostgres(t))
		test(t, "postgres")
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Setenv("TEST_MYSQL_URL", startMariaDB(t))
		test(t, "mysql")
	})
}

// upgradeTest is the test TestMigrationsApply writes into the generated
// repository (MODULE: its module path).
const upgradeTest = `package upgradecheck_test

import (
	"context"
	"database/sql"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"MODULE/internal/platform/database"
	"MODULE/internal/platform/database/dbtest"
)

// A check runs a query returning one row and compares its columns, joined
// with "|" (NULL for NULL); want "error" expects the query to fail.
type check struct{ query, want string }

// A step applies the migrations of one generation, checks, then writes.
type step struct {
	set    string
	checks []check
	exec   []string
}

type service struct {
	name   string
	stores []string
	steps  []step
	// afterDown checks the schema once the last migration is undone.
	afterDown []check
}

var services = []service{
	{
		name: "orders", stores: []string{"postgres", "sqlite"},
		steps: []step{
			{set: "testdata/set1/orders", exec: []string{
				"INSERT INTO orders (id, customer_id, items, total_cents, status) VALUES ('o1', 'alice', NULL, 501, 'pending')",
			}},
			{set: "testdata/set2/orders", checks: []check{
				{"SELECT note, shipped_at, total_cents, CASE WHEN rush THEN 'yes' ELSE 'no' END FROM orders WHERE id = 'o1'", "|NULL|501|no"},
			}, exec: []string{
				"INSERT INTO orders (id, customer_id, note, items, total_cents, status, shipped_at) VALUES ('o2', 'bob', 'gift', NULL, 700, 'confirmed', NULL)",
			}},
			{set: "../orders", checks: []check{
				{"SELECT note, total_cents / 2, status FROM orders WHERE id = 'o1'", "|250.5|pending"},
				{"SELECT note, customer_id FROM orders WHERE id = 'o2'", "gift|bob"},
				{"SELECT COUNT(*) FROM orders WHERE total_cents = 501", "1"},
				{"SELECT shipped_at FROM orders", "error"},
			}},
		},
		afterDown: []check{
			{"SELECT note, shipped_at FROM orders WHERE id = 'o2'", "gift|NULL"},
			{"SELECT total_cents FROM orders WHERE id = 'o1'", "501"},
		},
	},
	{
		name: "payments", stores: []string{"postgres", "sqlite"},
		steps: []step{
			{set: "testdata/set1/payments", exec: []string{
				"INSERT INTO payments (id, order_id, amount_cents, status) VALUES ('p1', 'o1', 501, 'captured')",
			}},
			{set: "testdata/set2/payments", checks: []check{
				{"SELECT amount, status FROM payments WHERE id = 'p1'", "501|captured"},
				{"SELECT amount_cents FROM payments", "error"},
			}},
			{set: "../payments", checks: []check{
				{"SELECT amount FROM payments WHERE id = 'p1'", "501"},
			}},
		},
		afterDown: []check{
			{"SELECT amount_cents FROM payments WHERE id = 'p1'", "501"},
		},
	},
	{
		name: "inventory", stores: []string{"mysql", "sqlite"},
		steps: []step{
			{set: "testdata/set1/inventory", exec: []string{
				"INSERT INTO stocks (id, sku, available) VALUES ('s1', 'sku-1', 5)",
			}},
			{set: "testdata/set2/inventory", checks: []check{
				{"SELECT location, available, label, grade, CASE WHEN active THEN 'yes' ELSE 'no' END FROM stocks WHERE id = 's1'", "|5||a|no"},
			}, exec: []string{
				"INSERT INTO stocks (id, sku, available, location) VALUES ('s2', 'sku-2', 3000000000, 'berlin')",
			}},
			{set: "../inventory", checks: []check{
				{"SELECT available / 2, sku, grade FROM stocks WHERE id = 's1'", "2.5|sku-1|a"},
				{"SELECT COUNT(*) FROM stocks WHERE available > 2999999999", "1"},
				{"SELECT location FROM stocks", "error"},
			}},
		},
		afterDown: []check{
			// The dropped values are gone: the column is back with its default.
			{"SELECT location, available FROM stocks WHERE id = 's2'", "|3000000000"},
		},
	},
}

func TestUpgrade(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, svc := range services {
		for _, store := range svc.stores {
			t.Run(svc.name+"/"+store, func(t *testing.T) {
				db := dbtest.Open(t, "upgrade", store)
				if string(db.Dialect) != store {
					t.Skipf("TEST_%s_URL is not set", strings.ToUpper(store))
				}
				for i, st := range svc.steps {
					if err := db.Migrate(ctx, os.DirFS(st.set), logger); err != nil {
						t.Fatalf("generation %d: %v", i+1, err)
					}
					verify(t, db, st.checks)
					for _, q := range st.exec {
						if _, err := db.ExecContext(ctx, q); err != nil {
							t.Fatalf("generation %d: %s: %v", i+1, q, err)
						}
					}
				}
				// The last migration's Down section undoes it; Up again redoes it.
				last := svc.steps[len(svc.steps)-1]
				migrations, err := fs.Sub(os.DirFS(last.set), "migrations/"+string(db.Dialect))
				if err != nil {
					t.Fatal(err)
				}
				dialect := map[database.Dialect]goose.Dialect{database.Postgres: goose.DialectPostgres, database.MySQL: goose.DialectMySQL, database.SQLite: goose.DialectSQLite3}[db.Dialect]
				provider, err := goose.NewProvider(dialect, db.DB, migrations)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := provider.Down(ctx); err != nil {
					t.Fatalf("down: %v", err)
				}
				verify(t, db, svc.afterDown)
				if _, err := provider.Up(ctx); err != nil {
					t.Fatalf("up again: %v", err)
				}
				verify(t, db, last.checks)
			})
		}
	}
}

func verify(t *testing.T, db *database.DB, checks []check) {
	t.Helper()
	for _, c := range checks {
		rows, err := db.QueryContext(context.Background(), c.query)
		if err != nil {
			if c.want != "error" {
				t.Errorf("%s: %v", c.query, err)
			}
			continue
		}
		got := "no row"
		if rows.Next() {
			cols, _ := rows.Columns()
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			var parts []string
			for _, v := range vals {
				if !v.Valid {
					parts = append(parts, "NULL")
				} else {
					parts = append(parts, v.String)
				}
			}
			got = strings.Join(parts, "|")
		}
		if err := rows.Err(); err != nil && c.want != "error" {
			t.Errorf("%s: %v", c.query, err)
		}
		rows.Close()
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.query, got, c.want)
		}
	}
}
`
