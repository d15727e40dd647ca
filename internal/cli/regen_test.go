package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/imports"
)

// Regeneration scenarios (issue 5), each on a generated shop repository:
// the user edits, the blueprint or the templates change, microforge
// generates again, and no edit is lost. Building and testing the result is
// left to the long run (not -short).

// shopRepo generates the shop blueprint in place into a new directory and
// returns it; the repository's own microforge.yaml is its blueprint.
func shopRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	src, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "microforge.yaml", string(src))
	regen(t, dir, ExitOK)
	return dir
}

// regen runs microforge generate in dir and checks the exit code.
func regen(t *testing.T, dir string, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := run(t, append([]string{"generate", "-f", filepath.Join(dir, "microforge.yaml")}, args...)...)
	if code != want {
		t.Fatalf("generate: exit %d, want %d\n%s%s", code, want, stdout, stderr)
	}
	return stdout, stderr
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit replaces old by new in a file, failing when old is not there (the
// generated code moved on: update the scenario).
func edit(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	s := readFile(t, dir, rel)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	writeFile(t, dir, rel, strings.Replace(s, old, new, 1))
}

// contents returns every file's content below dir (nil map entries never).
func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, s := range snapshot(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = s.content
	}
	return out
}

func diffTrees(t *testing.T, got, want map[string]string) {
	t.Helper()
	var bad []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			bad = append(bad, "missing "+p)
		} else if g != w {
			bad = append(bad, "differs "+p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			bad = append(bad, "extra "+p)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("trees differ:\n  %s", strings.Join(bad, "\n  "))
	}
}

// The user's business rule in CancelOrder, replacing the default's comment.
const (
	cancelDefault = "\t\t// Check that the change is allowed here, e.g. by the current state,\n\t\t// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.\n"
	cancelMine    = "\t\tif order.GetStatus() == ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED && req.GetReason() != \"fraud\" {\n\t\t\treturn invalidArgument(\"reason\", \"a confirmed order is only cancelled for fraud\")\n\t\t}\n"
	// The blueprint change: CancelOrder takes a note, with a default for
	// callers generated before it (without one it would be optional, and the
	// default handler would not read it).
	cancelInput    = "CancelOrder: {input: {order_id: string, reason: {type: string, max_len: 500}}"
	cancelInputNew = "CancelOrder: {input: {order_id: string, reason: {type: string, max_len: 500}, note: {type: string, default: none}}"
	cancelSaga     = "on_failure: {call: orders.CancelOrder, with: {reason: saga.error}}"
	cancelSagaNew  = "on_failure: {call: orders.CancelOrder, with: {reason: saga.error, note: saga.id}}"
)

// addNote is the blueprint change: CancelOrder takes a note, which the
// checkout saga fills when it cancels.
func addNote(t *testing.T, dir string) {
	t.Helper()
	edit(t, dir, "microforge.yaml", cancelInput, cancelInputNew)
	edit(t, dir, "microforge.yaml", cancelSaga, cancelSagaNew)
}

// Scenario 1: the user rewrites a handler's logic; the blueprint adds a field
// to the command's input; the handler keeps the logic and the field is wired
// everywhere. It builds and its tests pass.
func TestRegenEditedHandlerGetsNewField(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)
	addNote(t, dir)
	_, stderr := regen(t, dir, ExitOK)

	if !strings.Contains(stderr, "merge     internal/orders/cancel_order.go") {
		t.Errorf("the handler was not merged:\n%s", stderr)
	}
	handler := readFile(t, dir, "internal/orders/cancel_order.go")
	if !strings.Contains(handler, cancelMine) {
		t.Errorf("the user's logic is gone:\n%s", handler)
	}
	if !strings.Contains(handler, "GetNote()") {
		t.Errorf("the new field is not wired into the handler:\n%s", handler)
	}
	if !strings.Contains(readFile(t, dir, "proto/shop/orders/v1/orders.proto"), "string note = 3;") {
		t.Error("the proto has no note field")
	}
	if !strings.Contains(readFile(t, dir, "gen/shop/orders/v1/orders.pb.go"), "func (x *CancelOrderRequest) GetNote() string") {
		t.Error("the generated Go code has no note field")
	}
	if testing.Short() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	goIn(t, ctx, dir, "build", "./...")
	goIn(t, ctx, dir, "test", "-count=1", "./internal/orders/...")
}

// Scenario 2: the blueprint adds a service; its files, protos, gateway
// route, manifests and docs appear; the user's edits elsewhere stay as they
// are.
func TestRegenAddedService(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)
	mine := readFile(t, dir, "internal/orders/cancel_order.go")
	before := contents(t, dir)
	edit(t, dir, "microforge.yaml", "\nsagas:", `
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

sagas:`)
	edit(t, dir, "microforge.yaml", "    - {service: payments, auth: required, roles: [admin]}\n",
		"    - {service: payments, auth: required, roles: [admin]}\n    - {service: shipping, auth: required, roles: [admin]}\n")
	stdout, _ := regen(t, dir, ExitOK)
	if !strings.Contains(stdout, " 0 merged,") || !strings.Contains(stdout, " 0 conflicts") {
		t.Errorf("summary: %s", stdout)
	}
	after := contents(t, dir)
	if after["internal/orders/cancel_order.go"] != mine {
		t.Error("the user's edit elsewhere changed")
	}
	// Every folder that holds one service's files has the new service's too.
	dirs := map[string]bool{}
	for p := range before {
		if d := filepath.ToSlash(filepath.Dir(p)); strings.Contains("/"+d+"/", "/payments/") && !strings.HasPrefix(d, ".microforge") {
			dirs[strings.ReplaceAll(d, "payments", "shipping")] = true
		}
	}
	if len(dirs) < 4 {
		t.Fatalf("expected per-service folders, found %v", dirs)
	}
	for d := range dirs {
		found := false
		for p := range after {
			found = found || strings.HasPrefix(p, d+"/")
		}
		if !found {
			t.Errorf("no files for the new service in %s", d)
		}
	}
	// Files about the whole system (docs, local runner, manifests, CI)
	// that name the other services name the new one too.
	for p, s := range after {
		whole := p == "README.md" || p == "cmd/local/main.go" || p == "compose.yaml" ||
			strings.HasPrefix(p, ".github/") || (strings.HasPrefix(p, "deploy/") && strings.HasSuffix(p, "kustomization.yaml") && !strings.Contains(p, "/payments/") && !strings.Contains(p, "/shipping/"))
		if whole && strings.Contains(s, "payments") && !strings.Contains(s, "shipping") {
			t.Errorf("%s names payments but not shipping", p)
		}
	}
	if !strings.Contains(after["README.md"], "shipping") {
		t.Error("the README does not describe the new service")
	}
}

// Scenario 3: the blueprint removes a service; its unedited files are
// deleted, the edited one is kept and reported; the rest still builds.
func TestRegenRemovedService(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/payments/refund_payment.go", "// Business rules that need no stored state go here.\n", "// Refunds need a manager's approval first.\n")
	bp := readFile(t, dir, "microforge.yaml")
	start := strings.Index(bp, "  - name: payments")
	end := strings.Index(bp, "  - name: inventory")
	bp = bp[:start] + bp[end:]
	for _, line := range []string{
		"      - {call: payments.CapturePayment, with: {amount_cents: total_cents}, compensate: payments.RefundPayment}\n",
		"    - {service: payments, auth: required, roles: [admin]}\n",
	} {
		if !strings.Contains(bp, line) {
			t.Fatalf("blueprint has no %q", line)
		}
		bp = strings.Replace(bp, line, "", 1)
	}
	writeFile(t, dir, "microforge.yaml", bp)
	_, stderr := regen(t, dir, ExitOK)

	if !strings.Contains(stderr, "keep      internal/payments/refund_payment.go: no longer generated, but you edited it: kept") {
		t.Errorf("the kept file is not reported:\n%s", stderr)
	}
	var left []string
	for p := range contents(t, dir) {
		if strings.Contains(p, "payments") && !strings.HasPrefix(p, ".microforge/backup/") {
			left = append(left, p)
		}
	}
	if len(left) != 1 || left[0] != "internal/payments/refund_payment.go" {
		t.Errorf("files of the removed service left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "proto", "shop", "payments")); !errors.Is(err, os.ErrNotExist) {
		t.Error("empty folders of the removed service are left")
	}
	if testing.Short() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// Everything but the kept file's package (which now refers to code
	// that is gone: the user decides what becomes of it) builds.
	pkgs := strings.Fields(goIn(t, ctx, dir, "list", "-e", "./..."))
	var build []string
	for _, p := range pkgs {
		if !strings.HasSuffix(p, "/internal/payments") {
			build = append(build, p)
		}
	}
	goIn(t, ctx, dir, append([]string{"build"}, build...)...)
}

// The user's reading of CancelOrder's checks clashes with the generation
// that adds the note field (scenario 4).
const (
	cancelDoc     = "//   - It checks that order_id and reason are set.\n"
	cancelDocMine = "//   - It checks that order_id is set and that reason is not blank.\n"
)

// Scenario 4: a real conflict gets markers (with the base), is listed, and
// exits with code 3; once resolved, the next run is clean and changes
// nothing else.
func TestRegenConflictThenResolved(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/orders/cancel_order.go", cancelDoc, cancelDocMine)
	addNote(t, dir)

	// --on-conflict=fail writes nothing at all.
	before := contents(t, dir)
	_, stderr := regen(t, dir, ExitConflict, "--on-conflict=fail")
	if !strings.Contains(stderr, "internal/orders/cancel_order.go (1 region(s))") {
		t.Errorf("conflict not listed:\n%s", stderr)
	}
	diffTrees(t, contents(t, dir), before)

	_, stderr = regen(t, dir, ExitConflict)
	if !strings.Contains(stderr, "conflicts in 1 file(s)") || !strings.Contains(stderr, "  internal/orders/cancel_order.go (1 region(s))") {
		t.Errorf("conflict not listed:\n%s", stderr)
	}
	got := readFile(t, dir, "internal/orders/cancel_order.go")
	want := "<<<<<<< yours\n" + cancelDocMine + "||||||| last generated\n" + cancelDoc + "=======\n"
	if !strings.Contains(got, want) || !strings.Contains(got, ">>>>>>> new generation\n") {
		t.Fatalf("markers:\n%s", got)
	}
	// Unresolved, a rerun still says so.
	regen(t, dir, ExitConflict)

	// Resolve: keep the user's wording, extended to the new field.
	i, j := strings.Index(got, "<<<<<<<"), strings.Index(got, ">>>>>>> new generation\n")+len(">>>>>>> new generation\n")
	writeFile(t, dir, "internal/orders/cancel_order.go", got[:i]+"//   - It checks that order_id and note are set and that reason is not blank.\n"+got[j:])
	settled := snapshot(t, dir)
	stdout, stderr := regen(t, dir, ExitOK)
	if !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") || !strings.Contains(stdout, " 0 conflicts") || strings.Contains(stderr, "conflict") {
		t.Errorf("after resolving:\n%s%s", stdout, stderr)
	}
	if after := snapshot(t, dir); len(after) != len(settled) {
		t.Errorf("files appeared or vanished: %d -> %d", len(settled), len(after))
	} else {
		for p, s := range settled {
			if after[p] != s {
				t.Errorf("the clean rerun touched %s", p)
			}
		}
	}
}

// Scenario 5: regenerating an unchanged repository writes nothing: same
// bytes, same modification times; plan --check agrees.
func TestRegenNoOp(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	for p := range snapshot(t, dir) {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, dir)
	stdout, stderr := regen(t, dir, ExitOK)
	if !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") || stderr != "" {
		t.Errorf("no-op:\n%s%s", stdout, stderr)
	}
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Fatalf("files: %d -> %d", len(before), len(after))
	}
	for p, s := range before {
		if after[p] != s {
			t.Errorf("no-op regeneration touched %s", p)
		}
	}
	if code, out, errb := run(t, "plan", "--check", "-f", filepath.Join(dir, "microforge.yaml")); code != ExitOK {
		t.Errorf("plan --check on a clean repository: exit %d\n%s%s", code, out, errb)
	}
}

// Scenario 6: kill -9 in the middle of writing, rerun: the same end state as
// an uninterrupted run. The test binary runs itself as microforge (see
// TestMain) and kills itself after a given number of files landed.
func TestRegenKilledMidWrite(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("kill -9 is a Unix notion")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "microforge")
	if err := os.Symlink(exe, bin); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	change := func(dir string) {
		edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)
		addNote(t, dir)
		edit(t, dir, "microforge.yaml", "\nsagas:", "\n  - name: reviews\n    store: sqlite\n    entities:\n      Review: {sku: string, stars: int32}\n\nsagas:")
	}
	ref := shopRepo(t)
	change(ref)
	regen(t, ref, ExitOK)
	want := contents(t, ref)

	for _, killAfter := range []int{1, 17, 40} {
		t.Run(strconv.Itoa(killAfter), func(t *testing.T) {
			dir := shopRepo(t)
			change(dir)
			cmd := exec.Command(bin, "generate", "-f", filepath.Join(dir, "microforge.yaml"))
			cmd.Env = append(os.Environ(), killAfterEnv+"="+strconv.Itoa(killAfter))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != -1 {
				t.Fatalf("the generation was not killed (%v):\n%s", err, out)
			}
			if pending, _ := os.Stat(filepath.Join(dir, ".microforge", "journal.json")); pending == nil {
				t.Fatal("no journal left by the killed generation")
			}
			if code, out, errb := run(t, "plan", "-f", filepath.Join(dir, "microforge.yaml")); code != ExitError || !strings.Contains(errb, "interrupted") {
				t.Errorf("plan on an interrupted repository: exit %d\n%s%s", code, out, errb)
			}
			_, stderr := regen(t, dir, ExitOK)
			if !strings.Contains(stderr, "finished an interrupted generation") {
				t.Errorf("recovery not reported:\n%s", stderr)
			}
			diffTrees(t, contents(t, dir), want)
		})
	}
}

// Scenario 9: a file the user owns and deleted stays deleted, reported; a
// deleted file microforge owns comes back.
func TestRegenUserDeletedFile(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	for _, p := range []string{"internal/orders/get_order_test.go", "internal/orders/store.go"} {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			t.Fatal(err)
		}
	}
	addNote(t, dir)
	_, stderr := regen(t, dir, ExitOK)
	if !strings.Contains(stderr, "keep      internal/orders/get_order_test.go: you deleted this file; it stays deleted") {
		t.Errorf("deletion not reported:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/orders/get_order_test.go")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the deleted file came back")
	}
	if !strings.Contains(readFile(t, dir, "internal/orders/store.go"), "DO NOT EDIT") {
		t.Error("the deleted owned file was not regenerated")
	}
	// And it stays deleted on the next run too.
	regen(t, dir, ExitOK)
	if _, err := os.Stat(filepath.Join(dir, "internal/orders/get_order_test.go")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the deleted file came back on the second run")
	}
}

// Scenario 8: gofmt and goimports (with a local-prefix grouping that differs
// from microforge's) run over the repository do not make the next
// regeneration report conflicts or edits to owned files.
func TestRegenAfterGoimports(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)
	gofmt := filepath.Join(runtime.GOROOT(), "bin", "gofmt")
	if out, err := exec.Command(gofmt, "-l", "-w", dir).CombinedOutput(); err != nil {
		t.Fatalf("gofmt: %v\n%s", err, out)
	}
	imports.LocalPrefix = "github.com/acme/shop"
	defer func() { imports.LocalPrefix = "" }()
	changed := 0
	for p, s := range snapshot(t, dir) {
		if !strings.HasSuffix(p, ".go") || strings.Contains(p, string(filepath.Separator)+".microforge"+string(filepath.Separator)) {
			continue
		}
		out, err := imports.Process(p, []byte(s.content), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s.content {
			changed++
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if changed < 10 {
		t.Fatalf("goimports changed only %d files: the scenario tests nothing", changed)
	}
	// Regenerate with a blueprint change that touches the reformatted files.
	addNote(t, dir)
	stdout, stderr := regen(t, dir, ExitOK)
	if strings.Contains(stderr, "WARNING") || strings.Contains(stderr, "conflict") || strings.Contains(stderr, "backup") {
		t.Errorf("formatting was taken for edits:\n%s%s", stdout, stderr)
	}
	if !strings.Contains(readFile(t, dir, "internal/orders/cancel_order.go"), cancelMine) {
		t.Error("the user's logic is gone")
	}
	// And a regeneration right after is a no-op.
	if stdout, _ := regen(t, dir, ExitOK); !strings.Contains(stdout, " 0 created, 0 updated, 0 merged,") {
		t.Errorf("second run: %s", stdout)
	}
}

// Uncommitted changes in files the generation writes are listed first;
// without a terminal the generation goes on, and --yes silences the list.
func TestRegenWarnsAboutUncommittedChanges(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := shopRepo(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", ".")
	git("add", "-A")
	git("commit", "-q", "-m", "generated")
	edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)
	// An uncommitted edit the generation does not touch is not listed.
	writeFile(t, dir, "internal/inventory/get_stock.go", readFile(t, dir, "internal/inventory/get_stock.go")+"\n// Stock is counted nightly.\n")
	addNote(t, dir)
	_, stderr := regen(t, dir, ExitOK)
	if !strings.Contains(stderr, "git has uncommitted changes in 1 file(s) this generation writes:\n  internal/orders/cancel_order.go\n") ||
		!strings.Contains(stderr, "going on (no terminal to ask; pass --yes to silence this)") {
		t.Errorf("no warning about the uncommitted handler:\n%s", stderr)
	}
	// Another change to the same handler, still uncommitted.
	edit(t, dir, "microforge.yaml", "note: {type: string, default: none}}", "note: {type: string, default: none}, channel: {type: string, default: web}}")
	edit(t, dir, "microforge.yaml", "note: saga.id}", "note: saga.id, channel: saga.id}")
	_, stderr = regen(t, dir, ExitOK, "--yes")
	if !strings.Contains(stderr, "merge     internal/orders/cancel_order.go") || strings.Contains(stderr, "uncommitted") {
		t.Errorf("--yes: the dirty handler must be merged without a warning:\n%s", stderr)
	}
}

// A blueprint change that breaks the served API is refused, naming the
// rule and the way to acknowledge it, and nothing is written; acknowledged
// (allow_breaking or --allow-breaking) it goes ahead with a warning. A field
// added anywhere breaks nothing: it takes the next free number.
func TestRegenFlagsBreakingChanges(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	before := snapshot(t, dir)
	edit(t, dir, "microforge.yaml", "GetOrder: {input: {order_id: string}", "GetOrder: {input: {id: string}")
	_, _, stderr := run(t, "generate", "-f", filepath.Join(dir, "microforge.yaml"))
	for _, want := range []string{
		"breaking change(s) to the served API; nothing was written:",
		`proto/shop/orders/v1/orders.proto: field 1 "order_id" of message shop.orders.v1.GetOrderRequest was deleted`,
		"(FIELD_NO_DELETE)",
		"Safe alternatives: add a field with a new name",
		"allow_breaking: [orders.GetOrderRequest.order_id]",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, stderr)
		}
	}
	for p, s := range snapshot(t, dir) {
		if p != filepath.Join(dir, "microforge.yaml") && before[p] != s {
			t.Errorf("a refused generation wrote %s", p)
		}
	}
	code, stdout, _ := run(t, "plan", "--json", "-f", filepath.Join(dir, "microforge.yaml"))
	if code != ExitError || !strings.Contains(stdout, `"refused": [`) || !strings.Contains(stdout, `"element": "shop.orders.v1.GetOrderRequest.order_id"`) ||
		!strings.Contains(stdout, `"path": "orders.GetOrderRequest.id"`) {
		t.Errorf("plan --json: exit %d, want the refusal and the number decision:\n%s", code, stdout)
	}

	// Acknowledged in the blueprint: generated, its number reserved.
	edit(t, dir, "microforge.yaml", "\nservices:", "\nallow_breaking: [orders.GetOrderRequest.order_id]\n\nservices:")
	_, stderr = regen(t, dir, ExitOK)
	if !strings.Contains(stderr, "breaking API change(s) against the last generated protos") || !strings.Contains(stderr, "(FIELD_NO_DELETE)") {
		t.Errorf("the acknowledged change is not reported:\n%s", stderr)
	}
	if proto := readFile(t, dir, "proto/shop/orders/v1/orders.proto"); !strings.Contains(proto, "  string id = 2;\n  // Removed fields: their numbers and names are never reused.\n  reserved 1;\n  reserved \"order_id\";") {
		t.Errorf("order_id is not reserved:\n%s", proto)
	}
	// Once generated, the new API is the reference: nothing is flagged.
	if _, stderr := regen(t, dir, ExitOK); strings.Contains(stderr, "breaking") {
		t.Errorf("flagged again:\n%s", stderr)
	}

	// A type change keeps its number: refused by the blueprint check, then
	// accepted with --allow-breaking.
	edit(t, dir, "microforge.yaml", "Stock: {sku: string, available: int32}", "Stock: {sku: string, available: int64}")
	if code, _, stderr := run(t, "plan", "-f", filepath.Join(dir, "microforge.yaml")); code != ExitError || !strings.Contains(stderr, "field inventory.Stock.available changes type from int32 to int64 but keeps number 3") {
		t.Errorf("plan: exit %d, want the type change refused:\n%s", code, stderr)
	}
	_, stderr = regen(t, dir, ExitOK, "--allow-breaking")
	if !strings.Contains(stderr, `field 3 "available" of message shop.inventory.v1.Stock changed type from int32 to int64`) || !strings.Contains(stderr, "(FIELD_SAME_TYPE)") {
		t.Errorf("the type change is not reported:\n%s", stderr)
	}
}
