package breaking_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"

	protogen "github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/writer/breaking"
)

// The differential test: every case of testdata/corpus (and a few built from
// a real blueprint through the proto generator) is checked by Check and by
// the real buf, per category, and the sets of rule IDs must be equal.

// bufVersion is the buf the verdicts are compared with. It is built from
// source like the protoc plugins (protoc.GoInstall, into the user cache),
// not required in go.mod as a tool: that would pull buf's whole module graph
// into microforge's go.mod and go.sum.
const bufVersion = "v1.75.0"

var bufTool = protoc.Plugin{
	Name:    "buf",
	Package: "github.com/bufbuild/buf/cmd/buf",
	Module:  "github.com/bufbuild/buf",
	Version: bufVersion,
}

var updateCorpus = flag.Bool("update-corpus", false, "record buf's verdicts in the want section of testdata/corpus/*.txtar")

var categories = []string{breaking.File, breaking.WireJSON, breaking.Wire}

// notImplemented are the rules of the three categories that package
// breaking leaves out, as its doc comment says.
var notImplemented = []string{
	"ENUM_SAME_JSON_FORMAT",
	"EXTENSION_NO_DELETE",
	"FIELD_SAME_CPP_STRING_TYPE",
	"FIELD_SAME_DEFAULT",
	"FIELD_SAME_JAVA_UTF8_VALIDATION",
	"FIELD_SAME_UTF8_VALIDATION",
	"MESSAGE_SAME_JSON_FORMAT",
}

// A corpusCase is two versions of a set of .proto files and, for cases of
// testdata/corpus, the rules buf reported per category when the case was
// recorded.
type corpusCase struct {
	name     string
	file     string // the .txtar, "" for a case built in the test
	old, new []protoc.Source
	want     map[string][]string // by category; nil if not recorded
}

// loadCorpus reads testdata/corpus/*.txtar: a comment saying what changed,
// the files of each version under old/ and new/, and a want section with
// one "CATEGORY: RULE..." line per category.
func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	names, err := filepath.Glob("testdata/corpus/*.txtar")
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var cases []corpusCase
	for _, name := range names {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(name), ".txtar"), file: name}
		for _, f := range ar.Files {
			switch {
			case strings.HasPrefix(f.Name, "old/"):
				c.old = append(c.old, protoc.Source{Path: strings.TrimPrefix(f.Name, "old/"), Content: f.Data})
			case strings.HasPrefix(f.Name, "new/"):
				c.new = append(c.new, protoc.Source{Path: strings.TrimPrefix(f.Name, "new/"), Content: f.Data})
			case f.Name == "want":
				c.want = map[string][]string{}
				for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
					cat, rules, ok := strings.Cut(line, ":")
					if !ok || !slices.Contains(categories, cat) {
						t.Fatalf("%s: want line %q is not CATEGORY: RULE...", name, line)
					}
					c.want[cat] = strings.Fields(rules)
				}
			default:
				t.Fatalf("%s: unexpected file %s (want old/..., new/... or want)", name, f.Name)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// ourRules returns the sorted, distinct rule IDs Check reports for the
// category.
func ourRules(t *testing.T, c corpusCase, category string) []string {
	t.Helper()
	probs, err := breaking.CheckCategories(t.Context(), c.old, c.new, category)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	var rules []string
	for _, p := range probs {
		if !p.In(category) {
			t.Errorf("%s: %s reported for %s but its categories are %v", c.name, p.Rule, category, p.Categories)
		}
		rules = append(rules, p.Rule)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

// TestCorpus compares Check with the verdicts buf gave when the corpus was
// recorded: the differential test without buf.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 25 {
		t.Errorf("the corpus holds %d cases; keep at least 25", len(cases))
	}
	for _, c := range cases {
		if c.want == nil {
			t.Errorf("%s: no want section: record buf's verdict with go test -run TestAgainstBuf -update-corpus", c.file)
			continue
		}
		for _, cat := range categories {
			if got := ourRules(t, c, cat); !slices.Equal(got, c.want[cat]) {
				t.Errorf("%s, %s:\n\tmicroforge: %v\n\tbuf:        %v", c.name, cat, got, c.want[cat])
			}
		}
	}
}

// bufBinary builds buf once into the user cache and returns its path. It
// skips the test when buf cannot be built, unless MICROFORGE_REQUIRE_TOOLS=1.
func bufBinary(t *testing.T) string {
	t.Helper()
	bin, err := (&protoc.GoInstall{}).Install(t.Context(), bufTool)
	if err == nil {
		var out []byte
		out, err = exec.Command(bin, "--version").Output()
		if err == nil && "v"+strings.TrimSpace(string(out)) != bufVersion {
			err = fmt.Errorf("%s --version says %s", bin, out)
		}
	}
	if err != nil {
		if os.Getenv("MICROFORGE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("buf is required (MICROFORGE_REQUIRE_TOOLS=1) but could not be built: %v", err)
		}
		t.Skipf("buf could not be built: %v", err)
	}
	return bin
}

// TestAgainstBuf runs buf breaking over every case, configured with one
// category at a time, and fails on any difference from Check.
func TestAgainstBuf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs buf")
	}
	bin := bufBinary(t)
	googleAPIs := googleAPIsSources(t)
	cases := append(loadCorpus(t), blueprintCases(t)...)
	cache := t.TempDir()

	type verdict struct {
		rules    []string
		messages []string
		err      error
	}
	results := make([][]verdict, len(cases))
	var wg sync.WaitGroup
	work := make(chan [2]int)
	for range 2 { // two buf processes at a time: the machine has few cores
		wg.Go(func() {
			for job := range work {
				c := cases[job[0]]
				rules, messages, err := bufRules(t, bin, cache, c, categories[job[1]], googleAPIs)
				results[job[0]][job[1]] = verdict{rules, messages, err}
			}
		})
	}
	for i := range cases {
		results[i] = make([]verdict, len(categories))
		for j := range categories {
			work <- [2]int{i, j}
		}
	}
	close(work)
	wg.Wait()

	agree := 0
	for i, c := range cases {
		want := map[string][]string{}
		for j, cat := range categories {
			v := results[i][j]
			if v.err != nil {
				t.Errorf("%s, %s: %v", c.name, cat, v.err)
				continue
			}
			want[cat] = v.rules
			got := ourRules(t, c, cat)
			if !slices.Equal(got, v.rules) {
				t.Errorf("%s, %s:\n\tmicroforge: %v\n\tbuf:        %v\n\tbuf said:\n\t\t%s", c.name, cat, got, v.rules, strings.Join(v.messages, "\n\t\t"))
				continue
			}
			agree++
			if c.file != "" && c.want != nil && !*updateCorpus && !slices.Equal(c.want[cat], v.rules) {
				t.Errorf("%s, %s: recorded verdict %v, buf %s now says %v: re-record with -update-corpus", c.file, cat, c.want[cat], bufVersion, v.rules)
			}
		}
		if c.file == "" {
			t.Logf("%s: buf and microforge report %v", c.name, want)
		}
		if *updateCorpus && c.file != "" && len(want) == len(categories) {
			recordVerdict(t, c.file, want)
		}
	}
	t.Logf("%d cases × %d categories: %d verdicts agree with buf %s", len(cases), len(categories), agree, bufVersion)
}

// bufRules runs buf breaking new --against old with buf.yaml selecting one
// category, and returns the sorted, distinct rule IDs it reported with its
// messages.
func bufRules(t *testing.T, bin, cache string, c corpusCase, category string, googleAPIs []protoc.Source) ([]string, []string, error) {
	root := filepath.Join(t.TempDir(), c.name, category)
	config := fmt.Sprintf("version: v2\nbreaking:\n  use:\n    - %s\n", category)
	for dir, srcs := range map[string][]protoc.Source{"old": c.old, "new": c.new} {
		files := append([]protoc.Source{{Path: "buf.yaml", Content: []byte(config)}}, googleAPIs...)
		for _, f := range append(files, srcs...) {
			p := filepath.Join(root, dir, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(p, f.Content, 0o644); err != nil {
				return nil, nil, err
			}
		}
	}
	cmd := exec.CommandContext(t.Context(), bin, "breaking", "new", "--against", "old", "--error-format=json")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+cache)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 100) { // 100: breaking changes found
		return nil, nil, fmt.Errorf("buf breaking: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var rules, messages []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var a struct{ Type, Message string }
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			return nil, nil, fmt.Errorf("buf breaking printed %q: %v", line, err)
		}
		rules = append(rules, a.Type)
		messages = append(messages, a.Type+": "+a.Message)
	}
	slices.Sort(rules)
	return slices.Compact(rules), messages, nil
}

// recordVerdict writes buf's verdict into the case's want section.
func recordVerdict(t *testing.T, file string, want map[string][]string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, cat := range categories {
		fmt.Fprintf(&b, "%s:", cat)
		for _, r := range want[cat] {
			b.WriteString(" " + r)
		}
		b.WriteString("\n")
	}
	ar.Files = slices.DeleteFunc(ar.Files, func(f txtar.File) bool { return f.Name == "want" })
	ar.Files = append(ar.Files, txtar.File{Name: "want", Data: []byte(b.String())})
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// googleAPIsSources returns the google/api files buf needs to compile
// protos using the google.api.http option (Check resolves them from the Go
// registry of genproto instead).
func googleAPIsSources(t *testing.T) []protoc.Source {
	var srcs []protoc.Source
	for _, name := range []string{"annotations.proto", "http.proto"} {
		b, err := os.ReadFile(filepath.Join("testdata", "googleapis", "google", "api", name))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, protoc.Source{Path: "google/api/" + name, Content: b})
	}
	return srcs
}

// blueprintCases are changes to the shipped shop blueprint, compared
// through the protos the proto generator makes of each version.
func blueprintCases(t *testing.T) []corpusCase {
	// The shop as it was before it declared constraints: its protos then
	// import buf/validate/validate.proto, which buf here cannot fetch.
	src, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := generatedProtos(t, "shop.yaml", src)
	var cases []corpusCase
	for _, e := range []struct{ name, old, new string }{
		{"blueprint-entity-field-inserted", "        customer_id: string\n", "        customer_id: string\n        note: string\n"},
		{"blueprint-type-field-widened", "LineItem: {sku: string, quantity: int32,", "LineItem: {sku: string, quantity: int64,"},
		{"blueprint-query-removed", "      ListOrders: {input: {customer_id: string}, output: list<Order>}\n", ""},
		{"blueprint-event-field-removed", "OrderCancelled: {order_id: string, reason: string}", "OrderCancelled: {order_id: string}"},
		{"blueprint-enum-value-added", "status: enum(pending, confirmed, cancelled)", "status: enum(pending, confirmed, shipped, cancelled)"},
	} {
		edited := bytes.Replace(src, []byte(e.old), []byte(e.new), 1)
		if bytes.Equal(edited, src) {
			t.Fatalf("%s: %q is not in shop.yaml", e.name, e.old)
		}
		cases = append(cases, corpusCase{name: e.name, old: old, new: generatedProtos(t, "shop.yaml", edited)})
	}
	return cases
}

func generatedProtos(t *testing.T, name string, src []byte) []protoc.Source {
	sys, err := blueprint.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := protogen.GenerateContext(t.Context(), sys, protogen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []protoc.Source
	for _, f := range out {
		if p, ok := strings.CutPrefix(f.Path, sys.ProtoRoot+"/"); ok && path.Ext(p) == ".proto" {
			srcs = append(srcs, protoc.Source{Path: p, Content: f.Content})
		}
	}
	return srcs
}

// TestRuleCategoriesMatchBuf checks the categories package breaking gives
// each rule against buf's own list, and that every rule of FILE, WIRE_JSON
// and WIRE is implemented or knowingly left out.
func TestRuleCategoriesMatchBuf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs buf")
	}
	bin := bufBinary(t)
	cmd := exec.CommandContext(t.Context(), bin, "config", "ls-breaking-rules", "--version", "v2", "--format", "json")
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("buf config ls-breaking-rules: %v", err)
	}
	implemented := map[string]bool{}
	for _, cat := range categories {
		for _, r := range breaking.Rules(cat) {
			implemented[r] = true
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			ID         string
			Categories []string
			Deprecated bool
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("buf printed %q: %v", line, err)
		}
		ours := slices.DeleteFunc(slices.Clone(r.Categories), func(c string) bool { return !slices.Contains(categories, c) })
		if len(ours) == 0 || r.Deprecated {
			continue
		}
		switch {
		case slices.Contains(notImplemented, r.ID):
		case !implemented[r.ID]:
			t.Errorf("buf's rule %s (%v) is neither implemented nor listed as left out", r.ID, ours)
		case !slices.Equal(breaking.Categories(r.ID), ours):
			t.Errorf("rule %s: categories %v, buf says %v", r.ID, breaking.Categories(r.ID), ours)
		}
		delete(implemented, r.ID)
	}
	for r := range implemented {
		t.Errorf("rule %s is not a rule of buf's FILE, WIRE_JSON or WIRE categories", r)
	}
}
