package explain_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/explain"
)

var update = flag.Bool("update", false, "rewrite testdata/explain/*.txt")

// TestGolden explains every service of every shipped and test blueprint
// and compares with testdata/explain/<blueprint>.txt.
func TestGolden(t *testing.T) {
	var paths []string
	for _, dir := range []string{"blueprints", filepath.Join("testdata", "blueprints")} {
		found, err := filepath.Glob(filepath.Join("..", "..", dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, found...)
	}
	if len(paths) < 5 {
		t.Fatalf("found %d blueprints", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		t.Run(name, func(t *testing.T) {
			sys, err := blueprint.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for i, svc := range sys.Services {
				if i > 0 {
					buf.WriteString("\n")
				}
				explain.Text(&buf, svc)
			}
			golden := filepath.Join("..", "..", "testdata", "explain", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./internal/explain -update writes it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("explain %s differs from %s (go test ./internal/explain -update rewrites it):\n%s", name, golden, got)
			}
		})
	}
}

// Every method gets a line per concern, and a command's fixed values say
// what decided them: sets:, the verb, or an event's name.
func TestRules(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "fulfilment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string][]string{}
	for _, m := range explain.Service(sys.Service("orders")) {
		for _, r := range m.Rules {
			rules[m.Name] = append(rules[m.Name], r.What+" "+r.Detail)
		}
	}
	for method, want := range map[string][]string{
		"PrepareOrder": {
			"from status placed (from: in the blueprint); any other: FailedPrecondition",
			"sets status to packed (sets: in the blueprint)",
			"folds OrderPrepared into the Order: status to packed",
		},
		"MarkShipped": {
			"sets status to shipped (from the event name OrderShipped)",
			"folds OrderShipped into the Order: status to shipped",
		},
		"CancelOrder": {
			"from status placed or packed (from: in the blueprint); any other: FailedPrecondition",
			`sets status to cancelled (from the verb "cancel")`,
		},
	} {
		for _, w := range want {
			found := false
			for _, r := range rules[method] {
				found = found || r == w
			}
			if !found {
				t.Errorf("%s: no rule %q in %q", method, w, rules[method])
			}
		}
	}
}

// Owner rules show where they apply: the owner input of commands and
// queries, the entities commands and queries by id load, the lists; with
// the roles that pass unchecked.
func TestOwnerRules(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "owned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string][]string{}
	for _, svc := range sys.Services {
		for _, m := range explain.Service(svc) {
			for _, r := range m.Rules {
				if r.What == "owner" {
					owner[m.Name] = append(owner[m.Name], r.Detail)
				}
			}
		}
	}
	for method, want := range map[string][]string{
		"OpenBoard": {"org must be the caller's org claim (empty: filled with it); another: PermissionDenied (role support, and calls from services: unchecked)"},
		"TagBoard": {
			"org must be the caller's org claim (empty: filled with it); another: PermissionDenied (role support, and calls from services: unchecked)",
			"a Board whose org is not the caller's org claim: NotFound (role support, and calls from services: unchecked)",
		},
		"GetBoard":   {"a Board whose org is not the caller's org claim: NotFound (role support, and calls from services: unchecked)"},
		"ListBoards": {"lists only the boards whose org is the caller's org claim (role support, and calls from services: unchecked)"},
		"RenameNote": {"a Note whose author is not the caller's sub claim: NotFound (calls from services: unchecked)"},
		"NotesBy": {
			"author must be the caller's sub claim (empty: filled with it); another: PermissionDenied (calls from services: unchecked)",
			"lists only the notes whose author is the caller's sub claim (calls from services: unchecked)",
		},
	} {
		if got := owner[method]; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: owner rules\n%q\nwant\n%q", method, got, want)
		}
	}
	// Entities without an owner rule say nothing of owners.
	shop, err := blueprint.Load(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range explain.Service(shop.Service("payments")) {
		for _, r := range m.Rules {
			if r.What == "owner" {
				t.Errorf("payments %s: %s %s", m.Name, r.What, r.Detail)
			}
		}
	}
}
