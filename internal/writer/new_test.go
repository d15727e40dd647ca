package writer

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/files"
)

// A new repository is written whole: every file with its mode, the state
// (manifest, bases), nothing left beside it; and it is the same tree a
// generation into an existing empty directory writes.
func TestNewRepositoryAppearsWhole(t *testing.T) {
	generated := append(gen("a/owned.go", "package a\n", "user/f.txt", "f\n", "deep/er/x.txt", "x\n"),
		files.File{Path: "bin/run.sh", Content: []byte("#!/bin/sh\n"), Policy: files.Owned, Executable: true})
	parent := t.TempDir()
	dir := filepath.Join(parent, "new", "repo") // its parent is missing too
	apply(t, dir, generated, Options{Inputs: "in"})

	existing := filepath.Join(t.TempDir(), "repo")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	apply(t, existing, generated, Options{Inputs: "in"})
	if got, want := treeModes(t, dir), treeModes(t, existing); !equalTrees(got, want) {
		t.Fatalf("new directory:\n%v\nexisting empty directory:\n%v", got, want)
	}
	entries, err := os.ReadDir(filepath.Join(parent, "new"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("beside the repository: %v (%v)", entries, err)
	}
	if p, err := NewPlan(dir, generated, Options{Inputs: "in"}); err != nil || p.Drift() {
		t.Fatalf("regenerating the new repository: drift %v, %v", p != nil && p.Drift(), err)
	}
}

// When the directory appears while the new repository is being written,
// the generation fails and leaves that directory alone.
func TestNewRepositoryNeverOverwrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	p, err := NewPlan(dir, gen("a.txt", "a\n", "b.txt", "b\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.opts.AfterStep = func(n int) {
		if n == 1 {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "theirs.txt"), []byte("theirs"), 0o644)
		}
	}
	if err := p.Apply(); err == nil {
		t.Fatal("Apply succeeded over a directory that appeared")
	}
	if got := treeModes(t, dir); len(got) != 1 || got["theirs.txt"] != "theirs" {
		t.Fatalf("the directory changed: %v", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("left beside it: %v", entries)
	}
}

// What a crashed new generation left is removed by the next one, unless it
// is recent (another generation may still be writing it).
func TestNewRepositoryRemovesStaleLeftovers(t *testing.T) {
	parent := t.TempDir()
	stale := filepath.Join(parent, ".repo"+newSuffix+"0001")
	young := filepath.Join(parent, ".repo"+newSuffix+"0002")
	other := filepath.Join(parent, ".other"+newSuffix+"0003")
	for _, d := range []string{stale, young, other} {
		if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	for _, d := range []string{stale, other} {
		if err := os.Chtimes(d, long, long); err != nil {
			t.Fatal(err)
		}
	}
	apply(t, filepath.Join(parent, "repo"), gen("a.txt", "a\n"), Options{})
	for d, want := range map[string]bool{stale: false, young: true, other: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(d), err == nil, want)
		}
	}
}

// treeModes maps every file below dir to its content, with its mode when not
// 0644.
func treeModes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." {
				out[filepath.ToSlash(rel)+"/"] = fi.Mode().Perm().String()
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		v := string(b)
		if fi.Mode().Perm() != 0o644 {
			v += " " + fi.Mode().Perm().String()
		}
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v && !strings.HasSuffix(k, "manifest.json") {
			return false
		}
	}
	return true
}
