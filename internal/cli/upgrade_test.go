package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/writer"
)

// Two template sets: what the current templates render is release 1;
// release 2 changes the command handler template — a reworded doc comment
// and a new line opening every handler's body. upgradeTemplates applies that
// change to the files the handler template rendered.
const (
	v1Doc  = "// The default:\n"
	v2Doc  = "// The default, as microforge wrote it:\n"
	v1Body = "\t// Business rules that need no stored state go here.\n"
	v2Body = "\t// Release 2: the request was decoded and authorised before this point.\n" + v1Body
)

func upgradeTemplates(t *testing.T, fs []files.File) []files.File {
	t.Helper()
	out := make([]files.File, len(fs))
	handlers := 0
	for i, f := range fs {
		s := string(f.Content)
		if f.Policy == files.Scaffold && strings.Contains(s, v1Doc) && strings.Contains(s, v1Body) {
			s = strings.Replace(strings.Replace(s, v1Doc, v2Doc, 1), v1Body, v2Body, 1)
			handlers++
		}
		f.Content = []byte(s)
		out[i] = f
	}
	if handlers < 5 {
		t.Fatalf("release 2 changes %d handlers: the templates moved on, update the scenario", handlers)
	}
	return out
}

// Scenario 7: a template change of a new microforge release lands in a
// handler the user edited, by a clean three-way merge; unedited handlers are
// simply updated.
func TestRegenTemplateUpgrade(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	edit(t, dir, "internal/orders/cancel_order.go", cancelDefault, cancelMine)

	bp := filepath.Join(dir, "microforge.yaml")
	sys, err := blueprint.Load(bp)
	if err != nil {
		t.Fatal(err)
	}
	set, err := generate.Files(sys, generate.Options{GoCode: true, BlueprintInPlace: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := writer.NewPlan(dir, upgradeTemplates(t, set.Files()), writer.Options{Tool: "microforge release-2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(); err != nil {
		t.Fatal(err)
	}
	acts := map[string]writer.Action{}
	for _, c := range plan.Changes {
		acts[c.Path] = c.Action
	}
	if acts["internal/orders/cancel_order.go"] != writer.Merge || acts["internal/orders/place_order.go"] != writer.Update || len(plan.Conflicts()) != 0 {
		t.Fatalf("plan: %v", acts)
	}
	got := readFile(t, dir, "internal/orders/cancel_order.go")
	for _, want := range []string{cancelMine, v2Doc, v2Body} {
		if !strings.Contains(got, want) {
			t.Errorf("merged handler lacks %q:\n%s", want, got)
		}
	}
	// The release-2 output is now the base: regenerating with it is a no-op.
	plan, err = writer.NewPlan(dir, upgradeTemplates(t, set.Files()), writer.Options{Tool: "microforge release-2"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Drift() {
		t.Errorf("second run with release 2 is not a no-op")
	}
}
