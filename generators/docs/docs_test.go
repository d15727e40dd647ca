package docs_test

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/graph"
	"github.com/microforge/microforge/internal/model"
)

var shipped = []string{"shop", "minimal", "travel"}

func load(t testing.TB, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// repo returns every generated file (protos without their Go code).
func repo(t testing.TB, sys *model.System) map[string][]byte {
	t.Helper()
	set, err := generate.Files(sys, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range set.Files() {
		out[f.Path] = f.Content
	}
	return out
}

// exists reports whether p is a generated file or a folder holding one.
func exists(repo map[string][]byte, p string) bool {
	if _, ok := repo[p]; ok {
		return true
	}
	for f := range repo {
		if strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}

var mdLinkRE = regexp.MustCompile(`\]\(([^)#]+)\)`)

// brokenLinks returns the relative links of Markdown files that point at
// nothing generated.
func brokenLinks(repo map[string][]byte) []string {
	var out []string
	for p, b := range repo {
		if !strings.HasSuffix(p, ".md") {
			continue
		}
		for _, m := range mdLinkRE.FindAllSubmatch(b, -1) {
			target := string(m[1])
			if strings.Contains(target, "://") {
				continue
			}
			if !exists(repo, path.Join(path.Dir(p), target)) {
				out = append(out, p+": "+target)
			}
		}
	}
	return out
}

func TestPages(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			sys := load(t, name)
			files := repo(t, sys)
			arch := files[docs.ArchitecturePath]
			if !bytes.Contains(arch, []byte(graph.Build(sys).Mermaid())) {
				t.Error("architecture.md lacks the system's mermaid diagram")
			}
			for _, p := range []string{docs.ADRDir + "/README.md", docs.ADRDir + "/0001-generated-architecture.md", docs.CatalogPath} {
				if _, ok := files[p]; !ok {
					t.Errorf("no %s", p)
				}
			}
			for _, svc := range sys.Services {
				page, ok := files["docs/services/"+svc.Name+".md"]
				if !ok {
					t.Errorf("no page for %s", svc.Name)
					continue
				}
				for _, c := range svc.Commands {
					if !bytes.Contains(page, []byte("| `"+c.Name+"` | command |")) {
						t.Errorf("%s page: no API row for %s", svc.Name, c.Name)
					}
				}
				for _, q := range svc.Queries {
					if !bytes.Contains(page, []byte("| `"+q.Name+"` | query |")) {
						t.Errorf("%s page: no API row for %s", svc.Name, q.Name)
					}
				}
				for _, e := range svc.Events {
					if !bytes.Contains(page, []byte("| `"+e.Name+"` | `"+e.Subject+"` |")) {
						t.Errorf("%s page: no row for event %s", svc.Name, e.Name)
					}
				}
				for _, e := range svc.Consumes {
					if !bytes.Contains(page, []byte("| `"+e.Name+"` | `"+e.Service.Name+"` |")) {
						t.Errorf("%s page: no row for consumed %s", svc.Name, e.Name)
					}
				}
				if !bytes.Contains(bytes.ToLower(page), []byte(string(svc.Store))) {
					t.Errorf("%s page: store not named", svc.Name)
				}
				if !bytes.Contains(arch, []byte("(services/"+svc.Name+".md)")) {
					t.Errorf("architecture.md does not link %s", svc.Name)
				}
			}
			for _, l := range brokenLinks(files) {
				t.Errorf("broken link %s", l)
			}
			for _, f := range catalogFindings(files) {
				t.Error(f)
			}
		})
	}
}

func TestBrokenLinksCatchesDefects(t *testing.T) {
	files := repo(t, load(t, "shop"))
	files[docs.ArchitecturePath] = bytes.Replace(files[docs.ArchitecturePath], []byte("(services/orders.md)"), []byte("(services/order.md)"), 1)
	if got := brokenLinks(files); len(got) != 1 || !strings.Contains(got[0], "services/order.md") {
		t.Errorf("broken links %v", got)
	}
}

// Backstage's entity name rule: letters, digits, '-', '_', '.', at most 63,
// starting and ending with a letter or digit.
var entityNameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)

// specFields are the spec fields of each kind in Backstage's entity schemas.
var specFields = map[string][]string{
	"System":    {"owner", "domain", "type"},
	"Location":  {"type", "target", "targets", "presence"},
	"Component": {"type", "lifecycle", "owner", "system", "subcomponentOf", "providesApis", "consumesApis", "dependsOn", "dependencyOf"},
	"API":       {"type", "lifecycle", "owner", "system", "definition"},
	"Resource":  {"type", "owner", "system", "dependsOn", "dependencyOf"},
}

var metadataFields = []string{"name", "namespace", "title", "description", "labels", "annotations", "tags", "links"}

type entity struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   map[string]any `yaml:"metadata"`
	Spec       map[string]any `yaml:"spec"`
}

// catalogFindings checks the Backstage catalog the way the catalog's
// processors would reject it: every file parses as entities of
// backstage.io/v1alpha1 with valid names and the fields their kind
// requires, the Location reaches every service's file, and every reference
// (system, APIs, resources, definitions) resolves.
func catalogFindings(repo map[string][]byte) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	entities := map[string]bool{} // "kind:name", lower-case kind
	type ref struct{ from, kind, target string }
	var refs []ref
	var catalogs []string
	var queue = []string{docs.CatalogPath}
	seen := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		src, ok := repo[p]
		if !ok {
			bad("catalog file %s is not generated", p)
			continue
		}
		catalogs = append(catalogs, p)
		dec := yaml.NewDecoder(bytes.NewReader(src))
		dec.KnownFields(true)
		for {
			var e entity
			err := dec.Decode(&e)
			if err != nil {
				if err.Error() != "EOF" {
					bad("%s: %v", p, err)
				}
				break
			}
			name, _ := e.Metadata["name"].(string)
			if e.APIVersion != "backstage.io/v1alpha1" {
				bad("%s: apiVersion %q", p, e.APIVersion)
			}
			if !entityNameRE.MatchString(name) {
				bad("%s: %s name %q is not a valid entity name", p, e.Kind, name)
			}
			entities[strings.ToLower(e.Kind)+":"+name] = true
			for k := range e.Metadata {
				if !slices.Contains(metadataFields, k) {
					bad("%s: unknown metadata field %q", p, k)
				}
			}
			if allowed, ok := specFields[e.Kind]; ok {
				for k := range e.Spec {
					if !slices.Contains(allowed, k) {
						bad("%s: %s has no spec field %q", p, e.Kind, k)
					}
				}
			}
			str := func(k string) string { s, _ := e.Spec[k].(string); return s }
			list := func(k string) []string {
				var l []string
				items, _ := e.Spec[k].([]any)
				for _, i := range items {
					l = append(l, fmt.Sprint(i))
				}
				return l
			}
			from := p + " " + e.Kind + " " + name
			switch e.Kind {
			case "System":
				if str("owner") == "" {
					bad("%s: no owner", from)
				}
			case "Location":
				for _, t := range list("targets") {
					queue = append(queue, path.Clean(path.Join(path.Dir(p), t)))
				}
			case "Component", "API", "Resource":
				for _, k := range []string{"type", "owner"} {
					if str(k) == "" {
						bad("%s: no spec.%s", from, k)
					}
				}
				if e.Kind != "Resource" && str("lifecycle") == "" {
					bad("%s: no spec.lifecycle", from)
				}
				if s := str("system"); s != "" {
					refs = append(refs, ref{from, "system", s})
				}
				for _, a := range append(list("providesApis"), list("consumesApis")...) {
					refs = append(refs, ref{from, "api", a})
				}
				for _, d := range list("dependsOn") {
					kind, target, _ := strings.Cut(d, ":")
					refs = append(refs, ref{from, kind, target})
				}
				if e.Kind == "API" {
					def, _ := e.Spec["definition"].(map[string]any)
					text, _ := def["$text"].(string)
					if _, ok := repo[path.Clean(path.Join(path.Dir(p), text))]; !ok {
						bad("%s: definition %q is not generated", from, text)
					}
				}
			default:
				bad("%s: unexpected kind %q", p, e.Kind)
			}
		}
	}
	for _, r := range refs {
		if !entities[r.kind+":"+r.target] {
			bad("%s: refers to unknown %s %q", r.from, r.kind, r.target)
		}
	}
	for p := range repo {
		if strings.HasSuffix(p, "/"+docs.CatalogPath) && !seen[p] {
			bad("%s: not reachable from %s", p, docs.CatalogPath)
		}
	}
	if len(catalogs) < 2 {
		bad("the catalog has no service")
	}
	return out
}

func TestCatalogCheckCatchesDefects(t *testing.T) {
	files := repo(t, load(t, "shop"))
	for _, tc := range []struct{ file, old, new, want string }{
		{"cmd/orders/catalog-info.yaml", "    - payments-api", "    - payment-api", `unknown api "payment-api"`},
		{"cmd/orders/catalog-info.yaml", "  lifecycle: production", "  lifecycle: production\n  lifecycel: production", "lifecycel"},
		{docs.CatalogPath, "    - ./cmd/inventory/catalog-info.yaml\n", "", "not reachable"},
		{"cmd/payments/catalog-info.yaml", "  name: payments\n", "  name: payments_\n", "not a valid entity name"},
	} {
		bad := map[string][]byte{}
		for p, b := range files {
			bad[p] = b
		}
		bad[tc.file] = bytes.Replace(files[tc.file], []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad[tc.file], files[tc.file]) {
			t.Fatalf("planting %q: %q not found", tc.new, tc.old)
		}
		if found := strings.Join(catalogFindings(bad), "\n"); !strings.Contains(found, tc.want) {
			t.Errorf("planted %q: found %q", tc.new, found)
		}
	}
}

// TestReadmeSagaFailure checks that the README tells how to make each
// shipped saga with a limited step fail, with the limit's variable and the
// trigger field the amount comes from.
func TestReadmeSagaFailure(t *testing.T) {
	for _, tc := range []struct {
		blueprint string
		want      []string
	}{
		{"shop", []string{"`PAYMENTS_MAX_AMOUNT_CENTS=1000 go run ./cmd/local`", "the trigger's `total_cents`", "compensated in reverse order, then `orders.CancelOrder` runs."}},
		{"travel", []string{"`HOTELS_MAX_AMOUNT_CENTS=1000 go run ./cmd/local`", "the trigger's `room_price_cents`", "compensated by their participants, on the saga's failure event, then `bookings.RejectTrip` runs.",
			"| `HOTELS_MAX_AMOUNT_CENTS` |", "the participants undo the completed steps"}},
	} {
		t.Run(tc.blueprint, func(t *testing.T) {
			readme := string(repo(t, load(t, tc.blueprint))["README.md"])
			for _, want := range tc.want {
				if !strings.Contains(readme, want) {
					t.Errorf("README lacks %s", want)
				}
			}
		})
	}
}

// The page of a service serving v1 and v2 lists both, v2 as current, with
// links that resolve; the README explains versioning.
func TestVersionedPages(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := repo(t, sys)
	for p, want := range map[string]string{
		"docs/services/catalog.md": "| API versions | v1 ([`store.catalog.v1`](../../proto/store/catalog/v1)), v2 ([`store.catalog.v2`](../../proto/store/catalog/v2), current) |",
		"docs/services/orders.md":  "| API versions | v1 ([`store.orders.v1`](../../proto/store/orders/v1), current) |",
		"README.md":                "## API versions",
	} {
		if !bytes.Contains(files[p], []byte(want)) {
			t.Errorf("%s lacks %q:\n%s", p, want, files[p])
		}
	}
	for _, l := range brokenLinks(files) {
		t.Errorf("broken link %s", l)
	}
}

// TestBehaviourChecks: a service page's default-behaviour table opens each
// method with the constraints of its request, as microforge explain prints
// them, and a pattern's | does not split its cell.
func TestBehaviourChecks(t *testing.T) {
	src := `version: 1
name: stickers
module: example.com/stickers
services:
  - name: labels
    types:
      Line: {code: {type: string, pattern: "^(red|blue)$"}}
    entities:
      Label: {name: string, lines: list<Line>}
    commands:
      CreateLabel: {input: {name: {type: string, min_len: 1, max_len: 40}, lines: {type: list<Line>, max_items: 5}}}
    queries:
      GetLabel: {input: {label_id: string}, output: Label}
`
	sys, err := blueprint.Parse("labels.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	page := string(repo(t, sys)["docs/services/labels.md"])
	for _, want := range []string{
		"| `CreateLabel` | checks | name: 1 to 40 characters |",
		"|  | checks | lines: at most 5 elements |",
		"|  | checks | lines[].code: matches `^(red\\|blue)$` |",
		"|  | refuses | a request that breaks any of these with InvalidArgument, naming each field, before the default runs |",
		"| `GetLabel` | finds | the Label whose id is label_id; none: NotFound |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("labels.md lacks %q:\n%s", want, page)
		}
	}
}
