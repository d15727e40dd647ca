package blueprint

import (
	"strings"
	"testing"
)

// patchSrc is a blueprint as its author keeps it: comments, block and flow
// styles, quoting, and keys a writer of answers does not know (types,
// owners, observability).
const patchSrc = `# The shop.
version: 1
name: shop   # the system
module: example.com/shop
owners: ["@acme/platform"]

services:
  # Orders first.
  - name: orders
    owners: ["@acme/orders"]
    store: postgres
    types:
      LineItem: {sku: string}
    entities:
      Order:
        customer: string   # who ordered
        items: list<LineItem>
    commands:
      PlaceOrder: {input: {customer: string, items: list<LineItem>}, emits: [OrderPlaced]}
      # Confirms it.
      ConfirmOrder: {input: {order_id: string}}
    events:
      OrderPlaced: {order_id: string}

  - name: payments
    store: 'sqlite'
    commands:
      Pay: {input: {order_id: string}}

observability: {tracing: otlp}
`

// patchOld is what a writer of answers makes of patchSrc.
const patchOld = `version: 1
name: shop
module: example.com/shop
services:
  - name: orders
    store: postgres
    entities:
      Order: {customer: string, items: list<LineItem>}
    commands:
      PlaceOrder: {input: {customer: string, items: list<LineItem>}, emits: [OrderPlaced]}
      ConfirmOrder: {input: {order_id: string}}
    events:
      OrderPlaced: {order_id: string}
  - name: payments
    store: sqlite
    commands:
      Pay: {input: {order_id: string}}
`

func patched(t *testing.T, new string) (string, []int) {
	t.Helper()
	out, lines, err := Patch([]byte(patchSrc), []byte(patchOld), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "\n"); len(lines) != n+1 {
		t.Errorf("%d lines mapped, the result has %d", len(lines)-1, n)
	}
	return string(out), lines
}

// Nothing changed: not a byte moves.
func TestPatchUnchanged(t *testing.T) {
	out, lines := patched(t, patchOld)
	if out != patchSrc {
		t.Errorf("unchanged answers changed the blueprint:\n%s", out)
	}
	// name: shop is line 3 of the source and line 2 of new.
	if lines[3] != 2 {
		t.Errorf("line 3 maps to %d, want 2", lines[3])
	}
	// The Order entity, four lines in the source, is one line of new.
	for l := 15; l <= 17; l++ {
		if lines[l] != 8 {
			t.Errorf("line %d (Order) maps to %d, want 8", l, lines[l])
		}
	}
}

// One changed command, a renamed system, a service's store, a new key and
// a new service: only those lines change, everything else keeps its bytes.
func TestPatchChanges(t *testing.T) {
	new := strings.NewReplacer(
		"name: shop", "name: store",
		"ConfirmOrder: {input: {order_id: string}}", "ConfirmOrder: {input: {order_id: string}, sets: {status: confirmed}}",
		"    store: sqlite\n", "    store: mysql\n    description: Takes payments.\n",
	).Replace(patchOld) + "  - name: stock\n    store: sqlite\ngateway:\n  port: 8080\n  routes:\n    - {service: orders}\n"
	out, lines := patched(t, new)
	want := strings.NewReplacer(
		"name: shop   # the system", "name: store # the system",
		"ConfirmOrder: {input: {order_id: string}}", "ConfirmOrder: {input: {order_id: string}, sets: {status: confirmed}}",
		"    store: 'sqlite'\n", "    store: mysql\n    description: Takes payments.\n",
		"      Pay: {input: {order_id: string}}\n", "      Pay: {input: {order_id: string}}\n\n  - name: stock\n    store: sqlite\n",
		"\nobservability: {tracing: otlp}\n", "\ngateway:\n  port: 8080\n  routes:\n    - {service: orders}\n\nobservability: {tracing: otlp}\n",
	).Replace(patchSrc)
	if out != want {
		t.Errorf("patched:\n%s\nwant:\n%s", out, want)
	}
	// Every line that says something maps to the line of new saying it.
	newLines := strings.Split(new, "\n")
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		n := lines[i+1]
		switch text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- ")); {
		case text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "owners") || strings.HasPrefix(text, "observability") ||
			strings.HasPrefix(text, "types") || strings.HasPrefix(text, "LineItem"):
			if n != 0 {
				t.Errorf("line %d %q, which new does not hold, maps to line %d", i+1, l, n)
			}
		case strings.HasPrefix(l, "        "): // inside the block-style Order
			if !strings.HasPrefix(strings.TrimSpace(newLines[n-1]), "Order:") {
				t.Errorf("line %d %q maps to line %d of new, %q", i+1, l, n, newLines[n-1])
			}
		case n == 0 || !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(newLines[n-1]), "- ")), strings.Fields(text)[0]):
			t.Errorf("line %d %q maps to line %d of new", i+1, l, n)
		}
	}
}

// Dropped keys and items go, with the blank line and the comments above a
// top-level section.
func TestPatchDeletes(t *testing.T) {
	src := patchSrc + "\n# The gateway.\ngateway:\n  routes:\n    - {service: orders}\n"
	old := patchOld + "gateway:\n  port: 8080\n  routes:\n    - {service: orders}\n"
	new := strings.Replace(patchOld, "  - name: payments\n    store: sqlite\n    commands:\n      Pay: {input: {order_id: string}}\n", "", 1)
	new = strings.Replace(new, "    events:\n      OrderPlaced: {order_id: string}\n", "", 1)
	out, _, err := Patch([]byte(src), []byte(old), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(patchSrc, "    events:\n      OrderPlaced: {order_id: string}\n\n  - name: payments\n    store: 'sqlite'\n    commands:\n      Pay: {input: {order_id: string}}\n", "", 1)
	if string(out) != want {
		t.Errorf("patched:\n%s\nwant:\n%s", out, want)
	}
}

// A changed entry written in block style is followed key by key: a key
// new adds goes after the one before it (first when it is first), a
// changed one gets new's text, a dropped one goes; the others keep their
// lines, comments included. Its neighbours keep theirs.
func TestPatchBlockEntry(t *testing.T) {
	for _, tc := range []struct{ name, from, to, src, want string }{
		{"added last", "Order: {customer: string, items: list<LineItem>, note: string}", "",
			"        items: list<LineItem>\n", "        items: list<LineItem>\n        note: string\n"},
		{"added first", "Order: {owner: {field: customer, admin_roles: [admin]}, customer: string, items: list<LineItem>}", "",
			"      Order:\n", "      Order:\n        owner: {field: customer, admin_roles: [admin]}\n"},
		{"changed", "Order: {customer: {type: string, max_len: 9}, items: list<LineItem>}", "",
			"        customer: string   # who ordered\n", "        customer: {type: string, max_len: 9} # who ordered\n"},
		{"dropped", "Order: {items: list<LineItem>}", "",
			"        customer: string   # who ordered\n", ""},
		{"an enum's commas", "Order: {customer: string, items: list<LineItem>, status: enum(open, shut)}", "",
			"        items: list<LineItem>\n", "        items: list<LineItem>\n        status: enum(open, shut)\n"},
		// The owner rule is a block mapping in src: followed too.
		{"nested", "Order: {owner: {field: customer, claim: org}, customer: string, items: list<LineItem>}",
			"Order: {owner: {field: customer}, customer: string, items: list<LineItem>}",
			"      Order:\n", "      Order:\n        owner:\n          field: customer\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, old := patchSrc, patchOld
			if tc.to != "" {
				src = strings.Replace(src, "      Order:\n", "      Order:\n        owner:\n          field: customer\n          claim: org # the team\n", 1)
				old = strings.Replace(old, "Order: {customer: string, items: list<LineItem>}", tc.from, 1)
			}
			new := tc.to
			if new == "" {
				new = tc.from
			}
			new = strings.Replace(patchOld, "Order: {customer: string, items: list<LineItem>}", new, 1)
			out, lines, err := Patch([]byte(src), []byte(old), []byte(new))
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(src, tc.src, tc.want, 1)
			if tc.to != "" {
				want = strings.Replace(src, "          claim: org # the team\n", "", 1)
			}
			if string(out) != want {
				t.Errorf("patched:\n%s\nwant:\n%s", out, want)
			}
			if n := strings.Count(string(out), "\n"); len(lines) != n+1 {
				t.Errorf("%d lines mapped, the result has %d", len(lines)-1, n)
			}
			for l, text := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(strings.TrimSpace(text), "customer:") && lines[l+1] != 8 {
					t.Errorf("line %d %q stands for line %d of new, want 8 (Order's)", l+1, text, lines[l+1])
				}
			}
		})
	}
}

// An entry src writes in flow style, or one whose entries src does not
// all hold, changes as a whole.
func TestPatchFlowEntry(t *testing.T) {
	src := strings.Replace(patchSrc, "      Order:\n        customer: string   # who ordered\n        items: list<LineItem>\n", "      Order: {customer: string, items: list<LineItem>}\n", 1)
	new := strings.Replace(patchOld, "Order: {customer: string, items: list<LineItem>}", "Order: {customer: string, note: string}", 1)
	out, _, err := Patch([]byte(src), []byte(patchOld), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "Order: {customer: string, items: list<LineItem>}", "Order: {customer: string, note: string}", 1); string(out) != want {
		t.Errorf("patched:\n%s\nwant:\n%s", out, want)
	}
	old := strings.Replace(patchOld, "Order: {customer: string, items: list<LineItem>}", "Order: {customer: string, items: list<LineItem>, extra: string}", 1)
	out, _, err = Patch([]byte(patchSrc), []byte(old), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(patchSrc, "      Order:\n        customer: string   # who ordered\n        items: list<LineItem>\n", "      Order: {customer: string, note: string}\n", 1); string(out) != want {
		t.Errorf("patched:\n%s\nwant:\n%s", out, want)
	}
}
