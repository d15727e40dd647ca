package wizard

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/graph"
)

// blueprintsToEdit are the shipped blueprints and the test blueprints.
func blueprintsToEdit(t *testing.T) []string {
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
	return paths
}

// TestLoadKeepsEveryByte: the answers read from a blueprint, written back
// unchanged, give the blueprint byte for byte; written alone they describe
// the same architecture.
func TestLoadKeepsEveryByte(t *testing.T) {
	for _, p := range blueprintsToEdit(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Load(p, src)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Emit(a)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(src) {
				t.Errorf("unchanged answers rewrote %s:\n%s", p, out)
			}
			alone, _, err := emitNew(a)
			if err != nil {
				t.Fatal(err)
			}
			want, err := blueprint.Parse(p, src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := blueprint.Parse("alone.yaml", alone)
			if err != nil {
				t.Fatalf("the answers alone do not parse: %v\n%s", err, alone)
			}
			if g, w := graph.Build(got).Text(), graph.Build(want).Text(); g != w {
				t.Errorf("the answers alone draw\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestEditShop: answers changed in an edit of the shop rewrite the lines
// that hold them and nothing else; comments, quoting and the keys the
// wizard does not ask about stay.
func TestEditShop(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "    store: mysql\n", "    store: mysql # stock lives next to the warehouse\n", 1))
	a, err := Load("shop.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	a.Gateway.Port = 9090
	a.Gateway.RateLimit = &RateLimit{RequestsPerSecond: 5}
	a.Gateway.CORS = nil
	a.Services[0].Commands = strings.Replace(a.Services[0].Commands, "ConfirmOrder: {input: {order_id: string}, emits: [OrderConfirmed]}",
		"ConfirmOrder: {input: {order_id: string}, from: [pending], emits: [OrderConfirmed]}", 1)
	a.Services[2].Store = "sqlite"
	a.Sagas[0].Steps = a.Sagas[0].Steps[:2]
	out, err := Emit(a)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"  port: 8080\n", "  port: 9090\n",
		"  rate_limit: {requests_per_second: 100, burst: 200}\n", "  rate_limit: {requests_per_second: 5}\n",
		"  cors: {allowed_origins: [\"https://shop.acme.test\"]}\n", "",
		"      ConfirmOrder: {input: {order_id: string}, emits: [OrderConfirmed]}", "      ConfirmOrder: {input: {order_id: string}, from: [pending], emits: [OrderConfirmed]}",
		"    store: mysql # stock lives next to the warehouse\n", "    store: sqlite # stock lives next to the warehouse\n",
		"      - {call: orders.ConfirmOrder}\n", "",
	).Replace(string(src))
	if string(out) != want {
		t.Errorf("edited shop:\n%s", diffText(want, string(out)))
	}
	sys, err := blueprint.Parse("shop.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Gateway.Port != 9090 || sys.Gateway.CORS != nil || sys.Services[2].Store != "sqlite" || len(sys.Sagas[0].Steps) != 2 {
		t.Errorf("the edit does not say what was answered: %+v", sys.Gateway)
	}
}

// TestEditChecks: in an edit, an answer is checked in the edited blueprint
// and its problems are reported at the line of the answer they are on.
func TestEditChecks(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load("shop.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "services.0.commands", "services.1.store", "gateway.port", "sagas.0.steps.1"} {
		if err := check(a, key); err != nil {
			t.Errorf("%s of the shop: %v", key, err)
		}
	}
	lines := strings.Split(a.Services[0].Commands, "\n")
	lines[1] = strings.Replace(lines[1], "order_id: string", "order_id: strin", 1)
	a.Services[0].Commands = strings.Join(lines, "\n")
	if err := check(a, "services.0.commands"); err == nil || err.Error() != `line 2: unknown type "strin" (hint: did you mean "string"?)` {
		t.Errorf("got %v", err)
	}
	if err := check(a, "services.0.queries"); err != nil {
		t.Errorf("a problem of the commands is reported at the queries: %v", err)
	}
	a.Services[0].Commands = strings.Replace(a.Services[0].Commands, "strin}", "string}", 1)
	a.Gateway.Port = 70000
	if err := check(a, "gateway.port"); err == nil || !strings.Contains(err.Error(), "70000") {
		t.Errorf("port 70000: %v", err)
	}
	a.Gateway.Port = 8080
	a.Services[0].Types = "LineItem: {sku: {type: string, min_len: 5, max_len: 2}, quantity: int32, price_cents: int64}"
	if err := check(a, "services.0.types"); err == nil || !strings.Contains(err.Error(), "line 1: ") {
		t.Errorf("min_len above max_len: %v", err)
	}
}

func diffText(want, got string) string {
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
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + strconv.Quote(wl) + "\n  got  " + strconv.Quote(gl) + "\n")
		}
	}
	return b.String()
}
