package generate

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoSiblingImports: no generator imports another (their tests may). Facts several
// generators need (images, the call graph, names) are decided in the
// model, once.
func TestNoSiblingImports(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "generators", "*", "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	const generators = "github.com/microforge/microforge/generators/"
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue // tests may put several generators' output together
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		own := filepath.Base(filepath.Dir(p))
		for _, is := range f.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			if strings.HasPrefix(path, generators) && strings.TrimPrefix(path, generators) != own {
				t.Errorf("%s imports %s: put what both need in the model", p, path)
			}
		}
	}
}
