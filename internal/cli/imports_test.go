package cli

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoGeneratorImports keeps the layering: the CLI reaches the generators
// only through internal/generate, which decides how they run together.
func TestNoGeneratorImports(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	const generators = "github.com/microforge/microforge/generators/"
	for _, p := range paths {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range f.Imports {
			if path, _ := strconv.Unquote(is.Path.Value); strings.HasPrefix(path, generators) {
				t.Errorf("%s imports %s: go through internal/generate", p, path)
			}
		}
	}
}
