package blueprint

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/microforge/microforge/internal/model"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/invalid/*.txtar")

const invalidDir = "../../testdata/invalid"

// invalidCase is one file of the invalid-blueprint corpus. A case with a
// previous.yaml section is a regeneration: the blueprint is parsed against
// the history the previous one leaves.
type invalidCase struct {
	path     string
	archive  *txtar.Archive
	src      []byte
	previous []byte
	want     string
}

// parse parses the case's blueprint, against the previous generation's
// history when it has one.
func (c invalidCase) parse(t *testing.T) error {
	t.Helper()
	var o Options
	if c.previous != nil {
		prev, err := Parse("previous.yaml", c.previous)
		if err != nil {
			t.Fatalf("previous.yaml: %v", err)
		}
		o.History = &model.History{Wire: prev.Wire, Schema: prev.Schema}
	}
	_, err := ParseWith("microforge.yaml", c.src, o)
	return err
}

func loadInvalidCases(t *testing.T) []invalidCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(invalidDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 35 {
		t.Fatalf("found %d invalid cases, want at least 35", len(paths))
	}
	var cases []invalidCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := invalidCase{path: p, archive: a}
		for _, f := range a.Files {
			switch f.Name {
			case "microforge.yaml":
				c.src = f.Data
			case "previous.yaml":
				c.previous = f.Data
			case "want":
				c.want = string(f.Data)
			}
		}
		if c.src == nil {
			t.Fatalf("%s: no microforge.yaml section", p)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestInvalid parses every blueprint of testdata/invalid and compares the
// diagnostics with the want section exactly.
func TestInvalid(t *testing.T) {
	for _, c := range loadInvalidCases(t) {
		t.Run(strings.TrimSuffix(filepath.Base(c.path), ".txtar"), func(t *testing.T) {
			err := c.parse(t)
			if err == nil {
				t.Fatal("Parse succeeded, want diagnostics")
			}
			var diags Diagnostics
			if !errors.As(err, &diags) {
				t.Fatalf("Parse returned %T, want Diagnostics: %v", err, err)
			}
			got := err.Error() + "\n"
			if *update {
				writeWant(t, c, got)
				return
			}
			if got != c.want {
				t.Errorf("diagnostics differ\ngot:\n%swant:\n%s", got, c.want)
			}
		})
	}
}

func writeWant(t *testing.T, c invalidCase, got string) {
	t.Helper()
	found := false
	for i := range c.archive.Files {
		if c.archive.Files[i].Name == "want" {
			c.archive.Files[i].Data = []byte(got)
			found = true
		}
	}
	if !found {
		c.archive.Files = append(c.archive.Files, txtar.File{Name: "want", Data: []byte(got)})
	}
	if err := os.WriteFile(c.path, txtar.Format(c.archive), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMessagesAvoidGoTypeNames checks that no diagnostic of the corpus
// mentions a Go type.
func TestMessagesAvoidGoTypeNames(t *testing.T) {
	goWords := []string{"map[", "[]", "*model", "model.", "blueprint.", "yaml.Node", "!!", "int64 into", "struct {", "reflect.", "interface {", "wire"}
	for _, c := range loadInvalidCases(t) {
		err := c.parse(t)
		if err == nil {
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			for _, w := range goWords {
				if strings.Contains(line, w) {
					t.Errorf("%s: message mentions %q: %s", filepath.Base(c.path), w, line)
				}
			}
		}
	}
}
