package cli

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/blueprints"
)

// TestNewStarterEqualsGenerate: `new DIR --starter shop --module M --yes`
// writes exactly the tree `generate` writes from blueprints/shop.yaml with
// its module replaced by M.
func TestNewStarterEqualsGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two repositories")
	}
	for _, starter := range []string{"shop", "minimal"} {
		t.Run(starter, func(t *testing.T) {
			work := t.TempDir()
			src, err := fs.ReadFile(blueprints.FS, starter+".yaml")
			if err != nil {
				t.Fatal(err)
			}
			name := map[string]string{"shop": "shop", "minimal": "notebook"}[starter]
			var module string
			for _, l := range strings.Split(string(src), "\n") {
				if m, ok := strings.CutPrefix(l, "module: "); ok {
					module = m
				}
			}
			edited := bytes.Replace(src, []byte("module: "+module+"\n"), []byte("module: example.com/x\n"), 1)
			bp := filepath.Join(work, "blueprint.yaml")
			if err := os.WriteFile(bp, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), []string{"generate", "-f", bp, "-o", filepath.Join(work, "generated")}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("generate: exit %d\n%s", code, stderr.String())
			}
			if code := Run(context.Background(), []string{"new", filepath.Join(work, name), "--starter", starter, "--module", "example.com/x", "--yes"}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("new: exit %d\n%s", code, stderr.String())
			}
			want, got := readTree(t, filepath.Join(work, "generated")), readTree(t, filepath.Join(work, name))
			for p, w := range want {
				if g, ok := got[p]; !ok {
					t.Errorf("new did not write %s", p)
				} else if !bytes.Equal(g, w) {
					t.Errorf("%s differs", p)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("new wrote %s, which generate does not", p)
				}
			}
		})
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
