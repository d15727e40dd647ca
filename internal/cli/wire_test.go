package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// protoFiles returns the contents of every .proto of a repository.
func protoFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, s := range snapshot(t, filepath.Join(dir, "proto")) {
		out[p] = s.content
	}
	if len(out) == 0 {
		t.Fatal("no protos")
	}
	return out
}

// A field inserted in the middle of a message takes the next free number:
// the numbers after it stay, and the decisions are shown by plan.
func TestRegenFieldInsertedKeepsNumbers(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "microforge.yaml", "        customer_id: string\n        items: list<LineItem>\n", "        customer_id: string\n        note: string\n        items: list<LineItem>\n")
	edit(t, dir, "microforge.yaml", "          customer_id: {type: string, max_len: 64}\n          items:", "          customer_id: {type: string, max_len: 64}\n          note: string\n          items:")
	edit(t, dir, "microforge.yaml", "OrderPlaced: {order_id: string, customer_id: string, items", "OrderPlaced: {order_id: string, customer_id: string, note: string, items")
	code, stdout, stderr := run(t, "plan", "-f", filepath.Join(dir, "microforge.yaml"))
	for _, want := range []string{
		"numbers on the wire (kept in .microforge/wire.json):",
		"  orders.Order.note = 6 (new, next free number)",
		"  orders.OrderPlaced.note = 5 (new, next free number)",
		"  orders.PlaceOrderRequest.note = 3 (new, next free number)",
		"new migration internal/orders/migrations/sqlite/00003_add_orders_note.sql:\n",
		`  | ALTER TABLE "orders" ADD COLUMN "note" TEXT NOT NULL DEFAULT '';`,
	} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("plan: exit %d, lacks %q:\n%s%s", code, want, stdout, stderr)
		}
	}
	_, stderr = regen(t, dir, ExitOK)
	if strings.Contains(stderr, "breaking") {
		t.Errorf("adding fields was taken for a breaking change:\n%s", stderr)
	}
	types := readFile(t, dir, "proto/shop/orders/v1/types.proto")
	for _, want := range []string{"  string customer_id = 2;\n  string note = 6;\n  repeated LineItem items = 3;\n  int64 total_cents = 4;\n  OrderStatus status = 5;\n"} {
		if !strings.Contains(types, want) {
			t.Errorf("types.proto lacks %q:\n%s", want, types)
		}
	}
	// Old callers do not send note: the default handler must not require it.
	if handler := readFile(t, dir, "internal/orders/place_order.go"); strings.Contains(handler, `invalidArgument("note"`) {
		t.Errorf("PlaceOrder requires the new field, which callers generated before it never send:\n%s", handler)
	}
	// Generating again decides nothing new and writes nothing.
	if stdout, _ := regen(t, dir, ExitOK); !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") {
		t.Errorf("second run: %s", stdout)
	}
}

// A repository generated before microforge kept .microforge/wire.json
// adopts the numbers its protos hold on its first regeneration, changing no
// .proto, even when the blueprint changed meanwhile.
func TestRegenEarlierRepositoryAdoptsNumbers(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	// An earlier repository: its protos numbered a field out of
	// declaration order (as a hand edit or an older scheme may have), and it
	// has no lock.
	edit(t, dir, "proto/shop/orders/v1/types.proto", "  repeated LineItem items = 3;\n  int64 total_cents = 4;\n", "  repeated LineItem items = 4;\n  int64 total_cents = 3;\n")
	if err := os.Remove(filepath.Join(dir, ".microforge", "wire.json")); err != nil {
		t.Fatal(err)
	}
	before := protoFiles(t, dir)
	_, stderr := regen(t, dir, ExitOK)
	if strings.Contains(stderr, "breaking API change") {
		t.Errorf("adopting the numbers changed the API:\n%s", stderr)
	}
	after := protoFiles(t, dir)
	for p, s := range before {
		if after[p] != s {
			t.Errorf("adoption changed %s", p)
		}
	}
	if lock := readFile(t, dir, ".microforge/wire.json"); !strings.Contains(lock, `"total_cents": {
          "number": 3,`) {
		t.Errorf("the lock does not hold the adopted number:\n%s", lock)
	}
}

const ledgerBlueprint = `version: 1
name: books
module: example.com/books
services:
  - name: ledger
    patterns: [event-sourcing]
    entities:
      Entry: {account: string, amount: int64, memo: string}
    commands:
      Post: {input: {account: string, amount: int64, memo: string}, emits: [Posted]}
    queries:
      GetEntry: {input: {entry_id: string}, output: Entry}
    events:
      Posted: {entry_id: string, account: string, amount: int64, memo: string}
`

// A field that changes type is refused with a positioned message, and
// nothing is written; acknowledged, the event-sourced service gets an
// upcaster it owns, whose generated test folds an event stored in the old
// shape.
func TestRegenTypeChangeUpcasts(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "books")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "microforge.yaml", ledgerBlueprint)
	regen(t, dir, ExitOK)
	before := snapshot(t, dir)
	changed := strings.ReplaceAll(ledgerBlueprint, "amount: int64", "amount: string")
	writeFile(t, dir, "microforge.yaml", changed)
	// validate in the repository knows its history too.
	if code, _, stderr := run(t, "validate", "-f", filepath.Join(dir, "microforge.yaml")); code != ExitError || !strings.Contains(stderr, "field ledger.Posted.amount changes type from int64 to string") {
		t.Errorf("validate: exit %d, want the type change refused:\n%s", code, stderr)
	}
	_, _, stderr := run(t, "generate", "-f", filepath.Join(dir, "microforge.yaml"))
	if !strings.Contains(stderr, "microforge.yaml:14:51: field ledger.Posted.amount changes type from int64 to string but keeps number 3") ||
		!strings.Contains(stderr, `list "ledger.Posted.amount" under allow_breaking`) {
		t.Errorf("the type change is not refused with its position:\n%s", stderr)
	}
	for p, s := range snapshot(t, dir) {
		if !strings.HasSuffix(p, "microforge.yaml") && before[p] != s {
			t.Errorf("a refused generation wrote %s", p)
		}
	}
	writeFile(t, dir, "microforge.yaml", strings.Replace(changed, "module: example.com/books\n",
		"module: example.com/books\nallow_breaking: [ledger.Entry.amount, ledger.Posted.amount, ledger.PostRequest.amount]\n", 1))
	regen(t, dir, ExitOK)
	upcaster := readFile(t, dir, "internal/ledger/upcast_posted.go")
	for _, want := range []string{"func upcastPosted(event *ledgerv1.Posted, stored bool) error {", "event.Amount = strconv.FormatInt(n, 10)"} {
		if !strings.Contains(upcaster, want) {
			t.Errorf("upcaster lacks %q:\n%s", want, upcaster)
		}
	}
	if fold := readFile(t, dir, "internal/ledger/projections.go"); !strings.Contains(fold, `if err := upcastPosted(event, e.Seq <= q.upcastMarks["ledger@upcast/Posted/1"]); err != nil`) {
		t.Errorf("the fold does not read old events through the upcaster:\n%s", fold)
	}
	if lock := readFile(t, dir, ".microforge/wire.json"); !strings.Contains(lock, `"was": [
            "int64"
          ]`) {
		t.Errorf("the lock forgot the old type:\n%s", lock)
	}
	// The upcaster stays for as long as old events may be stored.
	if stdout, _ := regen(t, dir, ExitOK); !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") {
		t.Errorf("second run: %s", stdout)
	}
	if testing.Short() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	goIn(t, ctx, dir, "vet", "./internal/ledger/...", "./internal/platform/outbox/...")
	out := goIn(t, ctx, dir, "test", "-count=1", "-run", "TestUpcast", "-v", "./internal/ledger/...", "./internal/platform/outbox/...")
	for _, want := range []string{"--- PASS: TestUpcastPosted", "--- PASS: TestUpcastConvertsOldValues"} {
		if !strings.Contains(out, want) {
			t.Errorf("generated test did not pass: %q missing in\n%s", want, out)
		}
	}
}
