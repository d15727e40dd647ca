package writer

import (
	"os"
	"path/filepath"
	"testing"
)

// QuickPlan takes the shortcut exactly when the full plan would write
// nothing, and then agrees with it file by file.
func TestQuickPlanAgreesWithTheFullPlan(t *testing.T) {
	generated := gen("a/owned.go", "package a\n", "user/f.txt", logicV1, "user/g.txt", "g\n")
	for _, c := range []struct {
		name   string
		inputs string
		change func(t *testing.T, dir string)
		ok     bool
	}{
		{"untouched", "in", func(*testing.T, string) {}, true},
		{"other inputs", "other", func(*testing.T, string) {}, false},
		{"no inputs", "", func(*testing.T, string) {}, false},
		{"user file edited", "in", func(t *testing.T, dir string) { write(t, dir, "user/f.txt", mine) }, true},
		{"user file deleted", "in", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "user/g.txt")) }, true},
		{"owned file reformatted", "in", func(t *testing.T, dir string) { write(t, dir, "a/owned.go", "package   a\n") }, true},
		{"owned file edited", "in", func(t *testing.T, dir string) { write(t, dir, "a/owned.go", "package b\n") }, false},
		{"owned file deleted", "in", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "a/owned.go")) }, false},
		{"markers left", "in", func(t *testing.T, dir string) {
			write(t, dir, "user/f.txt", "<<<<<<< yours\nx\n>>>>>>> new generation\n")
		}, false},
		{"base lost", "in", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, filepath.FromSlash(basePath("user/f.txt"))))
		}, false},
		{"owned file now a symlink", "in", func(t *testing.T, dir string) { symlinkTo(t, dir, "a/owned.go", "package a\n") }, false},
		{"user file now a symlink", "in", func(t *testing.T, dir string) { symlinkTo(t, dir, "user/g.txt", "g\n") }, false},
		{"base now a symlink", "in", func(t *testing.T, dir string) { symlinkTo(t, dir, basePath("user/g.txt"), "g\n") }, false},
		{"folder now a symlink", "in", func(t *testing.T, dir string) {
			elsewhere := t.TempDir()
			if err := os.Rename(filepath.Join(dir, "user"), filepath.Join(elsewhere, "user")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(elsewhere, "user"), filepath.Join(dir, "user")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"interrupted", "in", func(t *testing.T, dir string) { write(t, dir, journalPath, `{"steps": []}`) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			apply(t, dir, generated, Options{Inputs: "in"})
			c.change(t, dir)
			q, ok, err := QuickPlan(dir, Options{Inputs: c.inputs})
			if err != nil || ok != c.ok {
				t.Fatalf("QuickPlan: ok %v, err %v; want ok %v", ok, err, c.ok)
			}
			if !ok {
				return
			}
			full, err := NewPlan(dir, generated, Options{Inputs: "in"})
			if err != nil {
				t.Fatal(err)
			}
			if full.Drift() || len(full.writes) != 0 {
				t.Fatalf("the full plan writes: %v", full.Changes)
			}
			if len(q.Changes) != len(full.Changes) {
				t.Fatalf("quick %v, full %v", q.Changes, full.Changes)
			}
			for i := range q.Changes {
				qc, fc := q.Changes[i], full.Changes[i]
				if qc.Path != fc.Path || qc.Action != fc.Action || qc.Note != fc.Note {
					t.Errorf("quick %+v, full %+v", qc, fc)
				}
			}
		})
	}
}

// symlinkTo replaces rel by a symlink to a file outside dir with content.
func symlinkTo(t *testing.T, dir, rel, content string) {
	t.Helper()
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
