package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Regeneration scenarios for migrations: an applied migration is never
// edited; a change of the blueprint's schema becomes one new migration per
// service, in every dialect of the service.

// The blueprint change: Order gets a note, in the middle of its fields.
const (
	orderFields     = "        customer_id: string\n        items: list<LineItem>\n"
	orderFieldsNote = "        customer_id: string\n        note: string\n        items: list<LineItem>\n"
)

// migrations returns the migration files below dir by path.
func migrations(t *testing.T, dir string) map[string]string {
	t.Helper()
	return migrationsOf(contents(t, dir))
}

// migrationsOf returns the migration files of a tree.
func migrationsOf(tree map[string]string) map[string]string {
	out := map[string]string{}
	for p, s := range tree {
		if strings.Contains(p, "/migrations/") && strings.HasSuffix(p, ".sql") {
			out[p] = s
		}
	}
	return out
}

// newFiles returns the paths in after that before does not have, sorted.
func newFiles(before, after map[string]string) []string {
	var out []string
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// sameFiles fails when a file of before changed or vanished in after.
func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, s := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s is gone", p)
		} else if a != s {
			t.Errorf("%s changed:\n%s", p, a)
		}
	}
}

func TestRegenMigrationAddedField(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	// The user's edit of an applied migration (a comment) stays.
	edited := "internal/orders/migrations/sqlite/00002_orders.sql"
	writeFile(t, dir, edited, readFile(t, dir, edited)+"-- checked by the DBA\n")
	before := migrations(t, dir)

	edit(t, dir, "microforge.yaml", orderFields, orderFieldsNote)
	regen(t, dir, ExitOK)
	after := migrations(t, dir)
	sameFiles(t, before, after)
	want := []string{
		"internal/orders/migrations/postgres/00003_add_orders_note.sql",
		"internal/orders/migrations/sqlite/00003_add_orders_note.sql",
	}
	if got := newFiles(before, after); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("new migrations %v, want %v", got, want)
	}
	if got := after[want[0]]; !strings.Contains(got, `ALTER TABLE "orders" ADD COLUMN "note" TEXT NOT NULL DEFAULT '';`) || !strings.Contains(got, `ALTER TABLE "orders" DROP COLUMN "note";`) {
		t.Errorf("postgres migration:\n%s", got)
	}
	if !strings.Contains(readFile(t, dir, ".microforge/schema.json"), `"name": "add_orders_note"`) {
		t.Error("schema.json does not record the new migration")
	}

	// Generating again changes nothing at all.
	settled := contents(t, dir)
	stdout, _ := regen(t, dir, ExitOK)
	if !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") {
		t.Errorf("second run: %s", stdout)
	}
	diffTrees(t, contents(t, dir), settled)
	// Even when it renders everything (another blueprint byte, same schema).
	writeFile(t, dir, "microforge.yaml", readFile(t, dir, "microforge.yaml")+"# reviewed\n")
	regen(t, dir, ExitOK)
	if got := newFiles(settled, contents(t, dir)); len(got) != 0 {
		t.Errorf("a rendering regeneration added %v", got)
	}
	sameFiles(t, migrationsOf(settled), migrations(t, dir))
}

func TestRegenMigrationRemovedField(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "microforge.yaml", orderFields, orderFieldsNote)
	regen(t, dir, ExitOK)

	// Removing the field drops its column: refused, nothing written.
	edit(t, dir, "microforge.yaml", orderFieldsNote, orderFields)
	before := contents(t, dir)
	_, stderr := regen(t, dir, ExitError)
	for _, want := range []string{
		"microforge.yaml:19:7: migration 00004 of service orders drops column note of table orders: every order's note is lost",
		`list "orders.Order.note" under allow_breaking`,
		"nothing was written",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %q in:\n%s", want, stderr)
		}
	}
	diffTrees(t, contents(t, dir), before)

	// Acknowledged in the blueprint: the drop migration.
	edit(t, dir, "microforge.yaml", "\nservices:\n", "\nallow_breaking: [orders.Order.note]\n\nservices:\n")
	regen(t, dir, ExitOK)
	after := migrations(t, dir)
	sameFiles(t, migrationsOf(before), after)
	got := newFiles(migrationsOf(before), after)
	if len(got) != 2 || !strings.HasSuffix(got[0], "/postgres/00004_drop_orders_note.sql") || !strings.HasSuffix(got[1], "/sqlite/00004_drop_orders_note.sql") {
		t.Fatalf("new migrations %v", got)
	}
	if s := after[got[1]]; !strings.Contains(s, "-- +goose Up\nALTER TABLE \"orders\" DROP COLUMN \"note\";\n") {
		t.Errorf("sqlite migration:\n%s", s)
	}
}

func TestRegenMigrationAddedEntity(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	before := migrations(t, dir)
	edit(t, dir, "microforge.yaml", "      Stock: {sku: string, available: int32}\n",
		"      Stock: {sku: string, available: int32}\n      Warehouse: {name: string, city: string}\n")
	regen(t, dir, ExitOK)
	after := migrations(t, dir)
	sameFiles(t, before, after)
	got := newFiles(before, after)
	want := []string{
		"internal/inventory/migrations/mysql/00003_create_warehouses.sql",
		"internal/inventory/migrations/sqlite/00003_create_warehouses.sql",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("new migrations %v, want %v", got, want)
	}
	if s := after[want[0]]; !strings.Contains(s, "CREATE TABLE `warehouses` (\n    `id` VARCHAR(64) PRIMARY KEY,\n    `name` TEXT NOT NULL,\n    `city` TEXT NOT NULL\n);") {
		t.Errorf("mysql migration:\n%s", s)
	}
}

// Migrations the user writes are theirs: kept, and never numbered over.
func TestRegenMigrationAfterUserMigration(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	custom := "-- +goose Up\nCREATE INDEX orders_status_idx ON orders (status);\n-- +goose Down\nDROP INDEX orders_status_idx;\n"
	writeFile(t, dir, "internal/orders/migrations/postgres/00003_custom.sql", custom)
	writeFile(t, dir, "internal/orders/migrations/sqlite/00003_custom.sql", custom)
	before := migrations(t, dir)
	edit(t, dir, "microforge.yaml", orderFields, orderFieldsNote)
	regen(t, dir, ExitOK)
	after := migrations(t, dir)
	sameFiles(t, before, after)
	want := []string{
		"internal/orders/migrations/postgres/00004_add_orders_note.sql",
		"internal/orders/migrations/sqlite/00004_add_orders_note.sql",
	}
	if got := newFiles(before, after); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("new migrations %v, want %v", got, want)
	}
}

// A repository generated before microforge kept .microforge/schema.json
// (and wire.json) adopts its migrations: regenerated unchanged, no
// migration changes; changed, exactly one new migration.
func TestRegenMigrationEarlierRepository(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	schema := readFile(t, dir, ".microforge/schema.json")
	for _, p := range []string{".microforge/schema.json", ".microforge/wire.json"} {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			t.Fatal(err)
		}
	}
	before := contents(t, dir)
	regen(t, dir, ExitOK)
	after := contents(t, dir)
	sameFiles(t, migrationsOf(before), migrationsOf(after))
	if got := newFiles(before, after); strings.Join(got, " ") != ".microforge/schema.json .microforge/wire.json" {
		t.Errorf("new files %v", got)
	}
	if after[".microforge/schema.json"] != schema {
		t.Errorf("the adopted history differs from the one the first generation wrote:\n%s", after[".microforge/schema.json"])
	}

	// Once more without the history, with a changed blueprint.
	if err := os.Remove(filepath.Join(dir, ".microforge", "schema.json")); err != nil {
		t.Fatal(err)
	}
	edit(t, dir, "microforge.yaml", orderFields, orderFieldsNote)
	regen(t, dir, ExitOK)
	final := migrations(t, dir)
	sameFiles(t, migrationsOf(after), final)
	if got := newFiles(migrationsOf(after), final); len(got) != 2 || !strings.HasSuffix(got[0], "/00003_add_orders_note.sql") {
		t.Errorf("new migrations %v", got)
	}

	// With the history of new migrations lost, guessing would drop one:
	// refused.
	if err := os.Remove(filepath.Join(dir, ".microforge", "schema.json")); err != nil {
		t.Fatal(err)
	}
	if _, stderr := regen(t, dir, ExitError); !strings.Contains(stderr, "restore .microforge/schema.json from version control") {
		t.Errorf("lost history not refused:\n%s", stderr)
	}
}
