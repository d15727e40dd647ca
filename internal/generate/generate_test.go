package generate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/testblueprint"
)

var update = flag.Bool("update", false, "rewrite the golden trees in testdata/golden")

// shipped are the blueprints in blueprints/, each with a golden tree.
var shipped = []string{"shop", "minimal", "travel"}

func load(t testing.TB, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// withGo reports whether tests generate Go code from protos: always, except
// with -short (building the protoc plugins on a cold machine is slow).
func withGo() bool { return !testing.Short() }

func opts() Options { return Options{GoCode: withGo()} }

// TestGolden compares the whole generated tree of every shipped blueprint
// with testdata/golden/<name>. With -short the Go code generated from protos
// (gen/) is left out of the comparison.
func TestGolden(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			set, err := Files(load(t, name), opts())
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("..", "..", "testdata", "golden", name)
			if *update {
				if testing.Short() {
					t.Fatal("-update needs the full tree: run without -short")
				}
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for _, f := range set.Files() {
					p := filepath.Join(dir, filepath.FromSlash(f.Path))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Content, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := map[string][]byte{}
			err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				rel = filepath.ToSlash(rel)
				if !withGo() && strings.HasPrefix(rel, "gen/") {
					return nil
				}
				b, err := os.ReadFile(p)
				want[rel] = b
				return err
			})
			if err != nil {
				t.Fatalf("%v (run with -update to create the golden tree)", err)
			}
			for _, f := range set.Files() {
				w, ok := want[f.Path]
				if !ok {
					t.Errorf("%s: generated but not in the golden tree", f.Path)
					continue
				}
				delete(want, f.Path)
				if !bytes.Equal(w, f.Content) {
					t.Errorf("%s differs from the golden file:\n%s", f.Path, firstDiff(string(w), string(f.Content)))
				}
			}
			for p := range want {
				t.Errorf("%s: in the golden tree but no longer generated", p)
			}
			if t.Failed() {
				t.Log("if the change is intended: go test ./internal/generate -run TestGolden -update")
			}
		})
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  golden: " + w + "\n  now:    " + g
		}
	}
	return "(trailing difference)"
}

// TestDeterministic: the same blueprint twice gives byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, name := range shipped {
		a, err := Files(load(t, name), opts())
		if err != nil {
			t.Fatal(err)
		}
		b, err := Files(load(t, name), opts())
		if err != nil {
			t.Fatal(err)
		}
		af, bf := a.Files(), b.Files()
		if len(af) != len(bf) {
			t.Fatalf("%s: %d files, then %d", name, len(af), len(bf))
		}
		for i := range af {
			if af[i].Path != bf[i].Path || !bytes.Equal(af[i].Content, bf[i].Content) || af[i].Policy != bf[i].Policy {
				t.Errorf("%s: %s differs between two generations", name, af[i].Path)
			}
		}
	}
}

// TestOwnedHeader: every Go file microforge owns says so, and no file the
// user owns claims to be generated.
func TestOwnedHeader(t *testing.T) {
	set, err := Files(load(t, "shop"), opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Files() {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		generated := bytes.Contains(f.Content, []byte("DO NOT EDIT."))
		if (f.Policy == files.Owned) != generated {
			t.Errorf("%s: policy %s but DO NOT EDIT header present=%v", f.Path, f.Policy, generated)
		}
	}
}

func benchGenerate(b *testing.B, src []byte, withGo bool) {
	b.Helper()
	if withGo {
		if err := (&protoc.GoInstall{}).Prepare(context.Background(), protoc.GoPlugin, protoc.ConnectGoPlugin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		sys, err := blueprint.Parse("microforge.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Files(sys, Options{GoCode: withGo}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerate measures a whole generation in memory (parse, validate,
// every generator) without and with Go code generation from the protos
// (plugins already built). Writing to disk is measured by the writer.
func BenchmarkGenerate(b *testing.B) {
	shop, err := os.ReadFile(filepath.Join("..", "..", "blueprints", "shop.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	synth := testblueprint.Synthetic(100)
	for _, bc := range []struct {
		name string
		src  []byte
	}{{"shop", shop}, {"synthetic100", synth}} {
		b.Run(bc.name+"/protos-only", func(b *testing.B) { benchGenerate(b, bc.src, false) })
		b.Run(bc.name+"/with-go-codegen", func(b *testing.B) { benchGenerate(b, bc.src, true) })
	}
}

// TestSyntheticBlueprintIsValid keeps the benchmark input honest.
func TestSyntheticBlueprintIsValid(t *testing.T) {
	sys, err := blueprint.Parse("synthetic.yaml", testblueprint.Synthetic(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Services) != 100 {
		t.Fatalf("%d services", len(sys.Services))
	}
	if _, err := Files(sys, Options{}); err != nil {
		t.Fatal(err)
	}
}
