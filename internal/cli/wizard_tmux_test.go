package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests drive the real microforge binary in a real terminal: a tmux
// session of 200x50, answered with send-keys and read with capture-pane.
// They are skipped when tmux is missing, unless MICROFORGE_REQUIRE_TOOLS=1.

// terminal is one tmux session running microforge new.
type terminal struct {
	t      *testing.T
	socket string
}

// buildMicroforge builds the binary under test into a temporary directory.
func buildMicroforge(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("drives the real binary in tmux; runs without -short")
	}
	bin := filepath.Join(t.TempDir(), "microforge")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/microforge/microforge/cmd/microforge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build microforge: %v\n%s", err, out)
	}
	return bin
}

// startTerminal runs "bin args..." in dir inside a new tmux server of its
// own; the shell prints EXIT=<code> when microforge ends.
func startTerminal(t *testing.T, dir string, bin string, args ...string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("MICROFORGE_REQUIRE_TOOLS") == "1" {
			t.Fatal("tmux is required (MICROFORGE_REQUIRE_TOOLS=1) but not installed")
		}
		t.Skip("tmux not installed")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	tt := &terminal{t: t, socket: "microforge-test-" + hex.EncodeToString(b[:])}
	quoted := []string{shellQuote(bin)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	script := strings.Join(quoted, " ") + "; echo EXIT=$?; sleep 3600"
	tt.tmux("new-session", "-d", "-x", "200", "-y", "50", "-c", dir, "env -u ACCESSIBLE sh -c "+shellQuote(script))
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tt.socket, "kill-server").Run() })
	return tt
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (tt *terminal) tmux(args ...string) string {
	tt.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tt.socket}, args...)...).CombinedOutput()
	if err != nil {
		tt.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns what the terminal shows.
func (tt *terminal) screen() string {
	tt.t.Helper()
	return tt.tmux("capture-pane", "-p", "-J")
}

// waitFor polls the screen until it matches re, and fails after a deadline.
func (tt *terminal) waitFor(re string) string {
	tt.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := tt.screen()
		if rx.MatchString(s) {
			return s
		}
		if strings.Contains(s, "EXIT=") && !strings.Contains(re, "EXIT") {
			tt.t.Fatalf("microforge ended while waiting for %q; screen:\n%s", re, s)
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("timed out waiting for %q; screen:\n%s", re, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// focused waits until the field titled title has the focus (huh marks the
// focused field's lines with ┃), so keys go to it.
func (tt *terminal) focused(title string) {
	tt.t.Helper()
	tt.waitFor(`(?m)^┃ ` + regexp.QuoteMeta(title))
}

// keys sends tmux key names (Enter, C-u, Down) or literal text.
func (tt *terminal) keys(keys ...string) {
	tt.t.Helper()
	tt.tmux(append([]string{"send-keys"}, keys...)...)
}

// answer waits for the question and replaces the offered text with text.
func (tt *terminal) answer(title, text string) {
	tt.t.Helper()
	tt.focused(title)
	tt.keys("C-u")
	tt.keys("-l", text)
	tt.keys("Enter")
}

// enter waits for the question and takes what is offered.
func (tt *terminal) enter(title string) {
	tt.t.Helper()
	tt.focused(title)
	tt.keys("Enter")
}

// TestWizardTwoServices is the acceptance session: a new user creates two
// services, routes one through the gateway with a role, adds a saga, and
// gets the expected blueprint and a repository that builds and passes its
// tests.
func TestWizardTwoServices(t *testing.T) {
	bin := buildMicroforge(t)
	start := time.Now()
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "bazaar")

	tt.answer("System name", "bazaar")
	tt.answer("Go module path", "example.com/bazaar")
	tt.enter("Start from") // empty
	tt.enter("Description")

	tt.answer("Service 1: name", "orders")
	tt.answer("Description", "Takes orders.")
	tt.enter("Store")    // sqlite
	tt.enter("Patterns") // none
	tt.waitFor(`Order: \{name: string\}`)
	tt.enter("Types of orders")
	tt.enter("Entities")
	tt.enter("Events")
	tt.enter("Commands")
	tt.enter("Queries")
	tt.enter("Fields of orders with rules") // none
	tt.focused("Add another service?")
	tt.keys("y")

	tt.answer("Service 2: name", "payments")
	tt.answer("Description", "Captures payments.")
	tt.enter("Store")
	tt.enter("Patterns")
	tt.waitFor(`CreatePayment: \{input: \{name: string\}, emits: \[PaymentCreated\]\}`)
	tt.enter("Types of payments")
	tt.enter("Entities")
	tt.enter("Events")
	tt.enter("Commands")
	tt.enter("Queries")
	tt.enter("payments calls")
	tt.focused("payments consumes")
	tt.keys("x", "Enter") // orders.OrderCreated
	tt.enter("Fields of payments with rules")
	tt.focused("Add another service?")
	tt.keys("n")

	tt.enter("Add an API gateway?") // yes
	tt.focused("Services the gateway routes")
	tt.keys("Down", "x", "Enter") // only orders
	tt.enter("Methods of orders routed")
	tt.enter("Authentication") // required
	tt.answer("Roles the caller needs", "customer")
	tt.enter("Gateway port")
	tt.enter("Rate limit per client")
	tt.enter("Burst")
	tt.enter("CORS allowed origins")
	tt.enter("JWT issuer")
	tt.answer("JWT audience", "bazaar")
	tt.enter("JWKS URL")
	tt.enter("Entities owned by a user") // none

	tt.focused("Add a saga?")
	tt.keys("y")
	tt.answer("Saga name", "checkout")
	tt.enter("How it runs")          // orchestrated
	tt.enter("Started by the event") // orders.OrderCreated
	tt.enter("Orchestrator")         // orders
	tt.focused("Step 1 of checkout")
	tt.keys("Down", "Enter") // payments.CreatePayment
	tt.enter("Inputs of payments.CreatePayment")
	tt.enter("Undo payments.CreatePayment with") // none
	tt.enter("Step 2 of checkout")               // no more steps
	tt.enter("When checkout fails, call")        // none
	tt.focused("Add another saga?")
	tt.keys("n")

	tt.enter("Kubernetes namespace")
	tt.enter("Autoscale the services on CPU?")
	tt.enter("CI")
	tt.enter("Minimum replicas")
	tt.enter("Maximum replicas")
	tt.enter("Target CPU %")
	s := tt.waitFor(`Write bazaar/microforge.yaml and generate the repository\?`)
	for _, want := range []string{`bazaar \(example.com/bazaar\): 2 service\(s\), a gateway on :8080, 1 saga\(s\)`,
		`gateway +--> +orders +all methods; JWT customer`, `orders +-\.-> +payments +OrderCreated`, `saga_checkout +==> +payments +1\. CreatePayment`} {
		if !regexp.MustCompile(want).MatchString(s) {
			t.Errorf("summary lacks %s:\n%s", want, s)
		}
	}
	tt.keys("Enter")
	tt.waitFor(`EXIT=0`)
	t.Logf("wizard session: %s", time.Since(start).Round(time.Millisecond))

	dir := filepath.Join(work, "bazaar")
	compareGolden(t, filepath.Join(dir, "microforge.yaml"), "two-services.yaml")
	if testing.Short() {
		return
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in the generated repository: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Logf("wizard session, then go build, vet and test in the repository: %s", time.Since(start).Round(time.Millisecond))
}

// TestWizardDefaults: pressing Enter at every question gives the system
// `new --yes` gives, which is valid and generates.
func TestWizardDefaults(t *testing.T) {
	bin := buildMicroforge(t)
	start := time.Now()
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "app")
	for i := 0; i < 60; i++ {
		s := tt.waitFor(`(?m)^┃|EXIT=`)
		if strings.Contains(s, "EXIT=") {
			break
		}
		before := s
		tt.keys("Enter")
		deadline := time.Now().Add(10 * time.Second)
		for tt.screen() == before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	tt.waitFor(`EXIT=0`)
	t.Logf("defaults session: %s", time.Since(start).Round(time.Millisecond))
	compareGolden(t, filepath.Join(work, "app", "microforge.yaml"), "defaults.yaml")

	yes := t.TempDir()
	cmd := exec.Command(bin, "new", "app", "--yes")
	cmd.Dir = yes
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("new --yes: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(work, "app", "microforge.yaml"))
	b, _ := os.ReadFile(filepath.Join(yes, "app", "microforge.yaml"))
	if !bytes.Equal(a, b) {
		t.Errorf("Enter through the wizard and new --yes differ:\n%s\n---\n%s", a, b)
	}
}

// TestWizardInvalidNameThenQuit: a typed invalid service name shows the
// validator's message inline and can be corrected; Ctrl-C after that leaves
// the directory as it was (empty).
func TestWizardInvalidNameThenQuit(t *testing.T) {
	bin := buildMicroforge(t)
	dir := t.TempDir()
	tt := startTerminal(t, dir, bin, "new")
	tt.enter("System name")
	tt.enter("Go module path")
	tt.enter("Start from")
	tt.enter("Description")
	tt.focused("Service 1: name")
	tt.keys("C-u")
	tt.keys("-l", "Billing-Service")
	tt.keys("Enter")
	tt.waitFor(regexp.QuoteMeta(`service name "Billing-Service" must be lower_snake_case (hint: try "billing_service")`))
	tt.keys("C-u")
	tt.keys("-l", "main")
	tt.keys("Enter")
	tt.waitFor(regexp.QuoteMeta(`service name "main" is reserved: the generated repository has or imports a package of that name (hint: service names become Go package names)`))
	tt.answer("Service 1: name", "billing")
	tt.enter("Description")
	tt.focused("Store")
	tt.keys("C-c")
	tt.waitFor(`cancelled; nothing was written[\s\S]*EXIT=1`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("the directory holds %d entries after Ctrl-C, want none", len(entries))
	}
}

// compareGolden compares a file with testdata/wizard/name (rewritten with
// -update).
func compareGolden(t *testing.T, path, name string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "testdata", "wizard", name)
	if *updateWizard {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update-wizard):\n%s", path, golden, diffLines(string(want), string(got)))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

var updateWizard = flag.Bool("update-wizard", false, "rewrite the expected blueprints in testdata/wizard")

// TestWizardAddService: add service without flags, in a terminal, asks with
// the service form and adds what was answered.
func TestWizardAddService(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	cmd := exec.Command(bin, "new", "app", "--yes")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("new --yes: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "app")
	tt := startTerminal(t, dir, bin, "add", "service")
	tt.answer("Service 2: name", "catalog") // taken: the message, then a new name
	tt.waitFor(regexp.QuoteMeta(`there is already a service named "catalog"`))
	tt.answer("Service 2: name", "reviews")
	tt.answer("Description", "Collects reviews.")
	tt.enter("Store")
	tt.enter("Patterns")
	tt.waitFor(`Review: \{name: string\}`)
	tt.enter("Types of reviews")
	tt.enter("Entities")
	tt.enter("Events")
	tt.enter("Commands")
	tt.enter("Queries")
	tt.enter("reviews calls")
	tt.focused("reviews consumes")
	tt.keys("x", "Enter")
	tt.enter("Fields of reviews with rules")
	tt.waitFor(`EXIT=0`)
	got, err := os.ReadFile(filepath.Join(dir, "microforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `  - name: reviews
    description: Collects reviews.
    store: sqlite
    entities:
      Review: {name: string}
    commands:
      CreateReview: {input: {name: string}, emits: [ReviewCreated]}
    queries:
      GetReview: {input: {review_id: string}, output: Review}
    events:
      ReviewCreated: {review_id: string, name: string}
    consumes: [catalog.CatalogCreated]
`
	if !strings.Contains(string(got), want) {
		t.Errorf("microforge.yaml lacks the new service:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal", "reviews")); err != nil {
		t.Errorf("the service was not generated: %v", err)
	}
}

// TestWizardAccessible: with ACCESSIBLE set, huh asks with plain numbered
// prompts, one per line; taking every offer gives the default system.
func TestWizardAccessible(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "app", "--accessible")
	lastLine := func(s string) string {
		lines := strings.Split(strings.TrimRight(s, " \n"), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	tt.waitFor(`System name \(Enter keeps app\)`)
	for i := 0; i < 80; i++ {
		s := tt.screen()
		if strings.Contains(s, "EXIT=") {
			break
		}
		if strings.HasPrefix(lastLine(s), "Enter a number between 0 and") {
			tt.keys("0", "Enter") // a multi-select: confirm what is selected
		} else {
			tt.keys("Enter")
		}
		deadline := time.Now().Add(10 * time.Second)
		for tt.screen() == s && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	s := tt.waitFor(`EXIT=0`)
	if strings.Contains(s, "\x1b[") || strings.Contains(s, "┃") {
		t.Errorf("accessible mode drew a TUI:\n%s", s)
	}
	compareGolden(t, filepath.Join(work, "app", "microforge.yaml"), "defaults.yaml")
}

// TestWizardEscQuits: Esc quits like Ctrl-C, without writing; DIR, which
// did not exist, is not created.
func TestWizardEscQuits(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "later")
	tt.enter("System name")
	tt.focused("Go module path")
	tt.keys("Escape")
	tt.waitFor(`cancelled; nothing was written[\s\S]*EXIT=1`)
	if _, err := os.Stat(filepath.Join(work, "later")); !os.IsNotExist(err) {
		t.Errorf("later/ exists after Esc: %v", err)
	}
}

// TestWizardStarter: choosing the shop starter in the terminal gives what
// `new --starter shop --yes` gives.
func TestWizardStarter(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "shop", "--module", "example.com/x")
	tt.enter("System name")
	tt.focused("Start from")
	tt.keys("Down", "Enter") // shop
	tt.focused("Add a service to the shop starter?")
	tt.keys("n")
	s := tt.waitFor(`Write shop/microforge.yaml and generate the repository\?`)
	if !regexp.MustCompile(`saga_checkout +==> +inventory +1\. ReserveStock / undo ReleaseStock`).MatchString(s) {
		t.Errorf("the summary does not draw the shop:\n%s", s)
	}
	tt.keys("Enter")
	tt.waitFor(`EXIT=0`)

	yes := t.TempDir()
	cmd := exec.Command(bin, "new", "shop", "--starter", "shop", "--module", "example.com/x", "--yes")
	cmd.Dir = yes
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("new --yes: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(work, "shop", "microforge.yaml"))
	b, _ := os.ReadFile(filepath.Join(yes, "shop", "microforge.yaml"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the shop starter from the wizard and from new --yes differ:\n%s\n---\n%s", a, b)
	}
}

// replaceText waits for the multi-line question and replaces its text with
// lines (ctrl+j between them).
func (tt *terminal) replaceText(title string, lines ...string) {
	tt.t.Helper()
	tt.focused(title)
	tt.keys("C-u")
	for i, l := range lines {
		if i > 0 {
			tt.keys("C-j")
		}
		tt.keys("-l", l)
	}
	tt.keys("Enter")
}

// pick waits for the select or multi-select titled title, moves down n
// options and sends then (Enter, or x and Enter).
func (tt *terminal) pick(title string, down int, then ...string) {
	tt.t.Helper()
	tt.focused(title)
	for i := 0; i < down; i++ {
		tt.keys("Down")
	}
	tt.keys(then...)
}

// enterUntil presses Enter at every question until the one titled title
// has the focus.
func (tt *terminal) enterUntil(title string) {
	tt.t.Helper()
	rx := regexp.MustCompile(`(?m)^┃ ` + regexp.QuoteMeta(title))
	for i := 0; i < 60; i++ {
		s := tt.waitFor(`(?m)^┃`)
		if rx.MatchString(s) {
			return
		}
		tt.keys("Enter")
		deadline := time.Now().Add(10 * time.Second)
		for tt.screen() == s && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	tt.t.Fatalf("no question %q after 60 answers; screen:\n%s", title, tt.screen())
}

// runGo runs go with args in dir and fails the test when it fails.
func runGo(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

// TestWizardChoreography: a choreographed saga whose steps are picked in
// an order other than the options' (a warehouse step first), a field with
// rules, and a command that says what it sets and the state it starts
// from; the repository builds and passes its tests.
func TestWizardChoreography(t *testing.T) {
	bin := buildMicroforge(t)
	start := time.Now()
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "depot")

	tt.answer("System name", "depot")
	tt.answer("Go module path", "example.com/depot")
	tt.enter("Start from")
	tt.enter("Description")

	tt.answer("Service 1: name", "orders")
	tt.enter("Description")
	tt.enter("Store")
	tt.enter("Patterns")
	tt.enter("Types of orders")
	tt.replaceText("Entities", "Order: {item: string, status: enum(placed, packed, shipped)}")
	tt.replaceText("Events", "OrderPlaced: {order_id: string, item: string}", "OrderPacked: {order_id: string}", "OrderShipped: {order_id: string}")
	tt.replaceText("Commands",
		"PlaceOrder: {input: {item: string}, emits: [OrderPlaced]}",
		"PackOrder: {input: {order_id: string}, emits: [OrderPacked]}",
		"MarkShipped: {input: {order_id: string}, emits: [OrderShipped]}")
	tt.enter("Queries")
	tt.pick("Fields of orders with rules", 0, "x", "Enter") // PlaceOrder.item
	tt.focused("Rules of PlaceOrder.item (string)")
	tt.keys("-l", "min_len: 3, max_len: 2")
	tt.keys("Enter")
	tt.waitFor(regexp.QuoteMeta(`min_len 3 of field "item" is greater than its max_len 2`))
	tt.answer("Rules of PlaceOrder.item (string)", "min_len: 1, max_len: 40")
	s := tt.waitFor(`(?m)^┃ Commands of orders that say what they change`)
	if !strings.Contains(s, `MarkShipped — sets status to shipped (from the event name OrderShipped)`) {
		t.Errorf("the commands are not offered with what microforge decides:\n%s", s)
	}
	tt.pick("Commands of orders that say what they change", 1, "x", "Enter") // PackOrder
	tt.pick("PackOrder sets", 2, "Enter")                                    // status: packed
	tt.pick("PackOrder starts from", 0, "x", "Enter")                        // placed
	tt.focused("Add another service?")
	tt.keys("y")

	tt.answer("Service 2: name", "warehouse")
	tt.enter("Description")
	tt.enter("Store")
	tt.enter("Patterns")
	tt.enter("Types of warehouse")
	tt.replaceText("Entities", "Pick: {order_id: string}")
	tt.replaceText("Events", "ItemsPicked: {order_id: string}")
	tt.replaceText("Commands", "PickItems: {input: {order_id: string}, emits: [ItemsPicked]}")
	tt.replaceText("Queries", "GetPick: {input: {pick_id: string}, output: Pick}")
	tt.enter("warehouse calls")
	tt.enter("warehouse consumes")
	tt.enter("Fields of warehouse with rules")
	tt.focused("Add another service?")
	tt.keys("n")

	tt.focused("Add an API gateway?")
	tt.keys("n")
	tt.focused("Add a saga?")
	tt.keys("y")
	tt.answer("Saga name", "fulfilment")
	tt.pick("How it runs", 1, "Enter") // choreographed
	tt.enter("Started by the event")   // orders.OrderPlaced
	// Options: orders.PlaceOrder, orders.PackOrder, orders.MarkShipped,
	// warehouse.PickItems; from step 2 on, "(no more steps)" first.
	tt.pick("Step 1 of fulfilment", 3, "Enter") // warehouse.PickItems
	tt.enter("Inputs of warehouse.PickItems")
	tt.enter("Undo warehouse.PickItems with")
	tt.pick("Step 2 of fulfilment", 2, "Enter") // orders.PackOrder
	tt.enter("Inputs of orders.PackOrder")
	tt.enter("Undo orders.PackOrder with")
	tt.pick("Step 3 of fulfilment", 3, "Enter") // orders.MarkShipped
	tt.enter("Inputs of orders.MarkShipped")
	tt.enter("Undo orders.MarkShipped with")
	tt.enter("Step 4 of fulfilment") // no more steps
	tt.enter("When fulfilment fails, call")
	tt.focused("Add another saga?")
	tt.keys("n")
	tt.enterUntil("Write depot/microforge.yaml and generate the repository?")
	s = tt.screen()
	for _, want := range []string{`1 saga\(s\)`, `saga fulfilment \(choreography\)`,
		`saga_fulfilment +==> +warehouse +1\. PickItems`, `saga_fulfilment +==> +orders +2\. PackOrder`, `saga_fulfilment +==> +orders +3\. MarkShipped`} {
		if !regexp.MustCompile(want).MatchString(s) {
			t.Errorf("summary lacks %s:\n%s", want, s)
		}
	}
	tt.keys("Enter")
	tt.waitFor(`EXIT=0`)
	t.Logf("wizard session: %s", time.Since(start).Round(time.Millisecond))

	dir := filepath.Join(work, "depot")
	compareGolden(t, filepath.Join(dir, "microforge.yaml"), "choreography.yaml")
	got, _ := os.ReadFile(filepath.Join(dir, "microforge.yaml"))
	for _, want := range []string{
		"    choreography: true\n    trigger: orders.OrderPlaced\n    steps:\n      - {call: warehouse.PickItems}\n      - {call: orders.PackOrder}\n      - {call: orders.MarkShipped}\n",
		"PlaceOrder: {input: {item: {type: string, min_len: 1, max_len: 40}}, emits: [OrderPlaced]}",
		"PackOrder: {input: {order_id: string}, sets: {status: packed}, from: [placed], emits: [OrderPacked]}",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the blueprint lacks %q:\n%s", want, got)
		}
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "./..."}} {
		runGo(t, dir, args...)
	}
	t.Logf("wizard session, then go build, vet and test in the repository: %s", time.Since(start).Round(time.Millisecond))
}

// TestWizardGateway: the gateway's port, rate limit and CORS are asked,
// checked as typed, written to the blueprint and into the gateway.
func TestWizardGateway(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	tt := startTerminal(t, work, bin, "new", "gate")
	tt.enterUntil("Gateway port")
	tt.answer("Gateway port", "http")
	tt.waitFor(regexp.QuoteMeta(`"http" is not a port number`))
	tt.answer("Gateway port", "70000")
	tt.waitFor(`port 70000`)
	tt.answer("Gateway port", "9090")
	tt.answer("Rate limit per client (requests per second)", "0")
	tt.waitFor(regexp.QuoteMeta(`requests_per_second must be positive`))
	tt.answer("Rate limit per client (requests per second)", "50")
	tt.answer("Burst", "120")
	tt.answer("CORS allowed origins", "https://gate.example.com, https://admin.example.com")
	tt.enterUntil("Write gate/microforge.yaml and generate the repository?")
	if s := tt.screen(); !strings.Contains(s, "a gateway on :9090") {
		t.Errorf("the summary does not show the port:\n%s", s)
	}
	tt.keys("Enter")
	tt.waitFor(`EXIT=0`)
	dir := filepath.Join(work, "gate")
	compareGolden(t, filepath.Join(dir, "microforge.yaml"), "gateway.yaml")
	got, _ := os.ReadFile(filepath.Join(dir, "microforge.yaml"))
	want := "gateway:\n  port: 9090\n  rate_limit: {requests_per_second: 50, burst: 120}\n  cors: {allowed_origins: [https://gate.example.com, https://admin.example.com]}\n"
	if !strings.Contains(string(got), want) {
		t.Errorf("the blueprint lacks\n%s\n%s", want, got)
	}
	var gateway []byte
	for _, f := range []string{"config.go", "routes.go"} {
		b, err := os.ReadFile(filepath.Join(dir, "internal", "gateway", f))
		if err != nil {
			t.Fatal(err)
		}
		gateway = append(gateway, b...)
	}
	for _, w := range []string{"9090", `"https://admin.example.com"`, "RequestsPerSecond: 50.0, Burst: 120"} {
		if !strings.Contains(string(gateway), w) {
			t.Errorf("the gateway's code lacks %s", w)
		}
	}
}

// TestWizardEdit: new on an existing repository opens its blueprint with
// every answer offered as it is; the changed answers, an owner rule among
// them, are written into the blueprint (its comments and the rest kept),
// the repository is regenerated, and a hand edit of a handler survives.
func TestWizardEdit(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	cmd := exec.Command(bin, "new", "app", "--yes")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("new --yes: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "app")
	bp := filepath.Join(dir, "microforge.yaml")
	src, err := os.ReadFile(bp)
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(strings.Replace(string(src), "    store: sqlite\n", "    store: sqlite # small enough for SQLite\n", 1),
		"services:\n", "services:\n  # The catalog comes first.\n", 1))
	if err := os.WriteFile(bp, src, 0o644); err != nil {
		t.Fatal(err)
	}
	handler := filepath.Join(dir, "internal", "catalog", "create_catalog.go")
	code, err := os.ReadFile(handler)
	if err != nil {
		t.Fatal(err)
	}
	const mine = "\t// Hand edit: catalogs are reviewed before they are listed.\n"
	anchor := "\t// Business rules that need no stored state go here.\n"
	if !strings.Contains(string(code), anchor) {
		t.Fatalf("%s has no line %q", handler, anchor)
	}
	if err := os.WriteFile(handler, []byte(strings.Replace(string(code), anchor, anchor+mine, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	tt := startTerminal(t, work, bin, "new", "app")
	s := tt.waitFor(`(?m)^┃ System name`)
	for _, want := range []string{"> app", "> example.com/app", "> The app system."} {
		if !strings.Contains(s, want) {
			t.Errorf("the system's answers are not offered (%q):\n%s", want, s)
		}
	}
	tt.enter("System name")
	tt.enter("Go module path")
	tt.enter("Description")
	tt.enter("Service 1: name")
	tt.answer("Description", "The product catalog.")
	tt.enter("Store")
	tt.enter("Patterns")
	// The text fields wrap long lines: compare words.
	s = strings.Join(strings.Fields(tt.waitFor(`(?m)^┃ Types of catalog`)), " ")
	for _, want := range []string{"Catalog: {name: string}", "CreateCatalog: {input: {name: string}, emits: [CatalogCreated]}", "GetCatalog: {input: {catalog_id: string}, output: Catalog}"} {
		if !strings.Contains(s, want) {
			t.Errorf("the service's answers are not offered (%q):\n%s", want, s)
		}
	}
	tt.enter("Types of catalog")
	tt.replaceText("Entities", "Catalog: {name: string, note: string, seller_id: string}")
	tt.enter("Events")
	tt.replaceText("Commands", "CreateCatalog: {input: {name: string, note: string, seller_id: string}, emits: [CatalogCreated]}", "ArchiveCatalog: {input: {catalog_id: string}}")
	tt.enter("Queries")
	tt.pick("Fields of catalog with rules", 0, "x", "Enter") // CreateCatalog.name
	tt.answer("Rules of CreateCatalog.name (string)", "max_len: 80")
	tt.focused("Add another service?")
	tt.keys("n")
	tt.enter("Keep the API gateway?")
	tt.enter("Services the gateway routes")
	tt.enterUntil("Gateway port")
	tt.answer("Gateway port", "9191")
	// Catalogs belong to their sellers; admins reach every one.
	tt.enterUntil("Entities owned by a user")
	tt.keys("x", "Enter")
	s = tt.waitFor(`(?m)^┃ Owner field of Catalog`)
	if !strings.Contains(s, "> seller_id") {
		t.Errorf("the field named like an id is not offered first:\n%s", s)
	}
	tt.keys("Enter")
	tt.answer("Token claim of Catalog's owner", "exp")
	tt.waitFor(regexp.QuoteMeta(`owner claim "exp" of Catalog is the token's expiry, which names no user`))
	tt.answer("Token claim of Catalog's owner", "sub")
	tt.answer("Roles acting on every Catalog", "admin")
	tt.enterUntil("Write app/microforge.yaml and regenerate the repository?")
	tt.keys("Enter")
	s = tt.waitFor(`EXIT=0`)
	if !regexp.MustCompile(`merge +internal/catalog/create_catalog.go`).MatchString(s) {
		t.Errorf("the handler was not merged:\n%s", s)
	}

	got, err := os.ReadFile(bp)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"    description: The catalog service.\n", "    description: The product catalog.\n",
		"      Catalog: {name: string}\n", "      Catalog: {owner: {field: seller_id, admin_roles: [admin]}, name: string, note: string, seller_id: string}\n",
		"      CreateCatalog: {input: {name: string}, emits: [CatalogCreated]}\n",
		"      CreateCatalog: {input: {name: {type: string, max_len: 80}, note: string, seller_id: string}, emits: [CatalogCreated]}\n      ArchiveCatalog: {input: {catalog_id: string}}\n",
		"  port: 8080\n", "  port: 9191\n",
	).Replace(string(src))
	if string(got) != want {
		t.Errorf("the edited blueprint:\n%s", diffLines(want, string(got)))
	}
	code, err = os.ReadFile(handler)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(code), mine) || !strings.Contains(string(code), "req.GetNote()") {
		t.Errorf("%s lacks the hand edit or the new field:\n%s", handler, code)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal", "catalog", "archive_catalog.go")); err != nil {
		t.Errorf("the new command was not generated: %v", err)
	}
	config, err := os.ReadFile(filepath.Join(dir, "internal", "gateway", "config.go"))
	if err != nil || !strings.Contains(string(config), "9191") {
		t.Errorf("the gateway was not regenerated on port 9191 (%v)", err)
	}
	owners, err := os.ReadFile(filepath.Join(dir, "internal", "catalog", "ownership.go"))
	if err != nil || !strings.Contains(string(owners), `ownership.Rule{Entity: "Catalog", Field: "seller_id", Claim: "sub", AdminRoles: []string{"admin"}}`) {
		t.Errorf("the catalog service does not enforce the owner rule (%v):\n%s", err, owners)
	}
	runGo(t, dir, "build", "./...")
	runGo(t, dir, "test", "./internal/catalog/...")
}

// TestWizardEditUnchanged: every answer of the shop is offered as the shop
// has it, so pressing Enter at every question of microforge edit changes
// no byte of the blueprint and nothing in the repository.
func TestWizardEditUnchanged(t *testing.T) {
	bin := buildMicroforge(t)
	work := t.TempDir()
	cmd := exec.Command(bin, "new", "shop", "--starter", "shop", "--yes")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("new --yes: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "shop")
	src, err := os.ReadFile(filepath.Join(dir, "microforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tt := startTerminal(t, dir, bin, "edit")
	questions := 0
	for ; questions < 200; questions++ {
		s := tt.waitFor(`(?m)^┃|EXIT=`)
		if strings.Contains(s, "EXIT=") {
			break
		}
		tt.keys("Enter")
		deadline := time.Now().Add(10 * time.Second)
		for tt.screen() == s {
			if time.Now().After(deadline) {
				t.Fatalf("Enter did not take the answer offered (%d taken); screen:\n%s", questions, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	s := tt.waitFor(`EXIT=0`)
	t.Logf("%d answers taken as offered", questions)
	if !regexp.MustCompile(`: 0 created, 0 updated, 0 merged, \d+ unchanged, 0 deleted`).MatchString(strings.Join(strings.Fields(s), " ")) {
		t.Errorf("regenerating the unchanged shop changed files:\n%s", s)
	}
	got, err := os.ReadFile(filepath.Join(dir, "microforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) {
		t.Errorf("taking every answer as offered changed the blueprint:\n%s", diffLines(string(src), string(got)))
	}
}
