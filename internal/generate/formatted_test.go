package generate

import (
	"bytes"
	"go/format"
	"os"
	"path/filepath"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/merge"
	"github.com/microforge/microforge/internal/testblueprint"
)

// Files marked Formatted are gofmt's output, and for them the writer's
// cheap canonical form (GoCanonicalOfFormatted: imports joined, no second
// gofmt) is exactly GoCanonical's: on every generated Go file of every
// shipped and test blueprint and of a synthetic system.
func TestFormattedFilesAndTheirCanonicalForm(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "blueprints", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range shipped {
		paths = append(paths, filepath.Join("..", "..", "blueprints", name+".yaml"))
	}
	sources := map[string][]byte{"synthetic": testblueprint.Synthetic(5)}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(p)] = b
	}
	checked := 0
	for name, src := range sources {
		sys, err := blueprint.Parse(name, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		set, err := Files(sys, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range set.Files() {
			if !f.Formatted {
				continue
			}
			checked++
			if again, err := format.Source(f.Content); err != nil || !bytes.Equal(again, f.Content) {
				t.Errorf("%s: %s is marked formatted but gofmt changes it (%v)", name, f.Path, err)
			}
			if !bytes.Equal(merge.GoCanonicalOfFormatted(f.Content), merge.GoCanonical(f.Content)) {
				t.Errorf("%s: %s: the cheap canonical form differs from GoCanonical's", name, f.Path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no formatted files")
	}
}
