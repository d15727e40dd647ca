package writer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/files"
)

func gen(kv ...string) []files.File {
	var out []files.File
	for i := 0; i < len(kv); i += 2 {
		pol := files.Owned
		if strings.HasPrefix(kv[i], "user/") {
			pol = files.Scaffold
		}
		out = append(out, files.File{Path: kv[i], Content: []byte(kv[i+1]), Policy: pol})
	}
	return out
}

func apply(t *testing.T, dir string, fs []files.File, opts Options) *Plan {
	t.Helper()
	p, err := NewPlan(dir, fs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	return p
}

func actions(p *Plan) map[string]Action {
	m := map[string]Action{}
	for _, c := range p.Changes {
		m[c.Path] = c.Action
	}
	return m
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRegenerationKeepsEditsAndSkipsUnchanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	first := gen("a/owned.go", "owned v1", "user/logic.go", "header v1\nbody\nfooter\n", "old/stale.txt", "stale", "old/edited.txt", "e1")
	p := apply(t, dir, first, Options{})
	if p.Count(Create) != 4 {
		t.Fatalf("first run: %v", actions(p))
	}

	// Nothing changed: nothing written, modification times untouched.
	past := time.Now().Add(-time.Hour)
	for _, f := range first {
		if err := os.Chtimes(filepath.Join(dir, f.Path), past, past); err != nil {
			t.Fatal(err)
		}
	}
	p = apply(t, dir, first, Options{})
	if p.Count(Unchanged) != 4 || len(p.Changes) != 4 {
		t.Fatalf("no-op run: %v", actions(p))
	}
	for _, f := range first {
		fi, _ := os.Stat(filepath.Join(dir, f.Path))
		if !fi.ModTime().Equal(past) {
			t.Errorf("%s was rewritten by a no-op generation", f.Path)
		}
	}

	// The user edits their file, an owned file and a file about to go stale.
	os.WriteFile(filepath.Join(dir, "user/logic.go"), []byte("header v1\nmy logic\nfooter\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a/owned.go"), []byte("hacked"), 0o644)
	os.WriteFile(filepath.Join(dir, "old/edited.txt"), []byte("mine"), 0o644)

	second := gen("a/owned.go", "owned v2", "user/logic.go", "header v2\nbody\nfooter\n", "b/new.go", "new")
	p = apply(t, dir, second, Options{})
	want := map[string]Action{
		"a/owned.go": Replace, "user/logic.go": Merge, "b/new.go": Create,
		"old/stale.txt": Delete, "old/edited.txt": Keep,
	}
	for k, v := range want {
		if actions(p)[k] != v {
			t.Errorf("%s: got %s, want %s (plan %v)", k, actions(p)[k], v, actions(p))
		}
	}
	if got := read(t, dir, "user/logic.go"); got != "header v2\nmy logic\nfooter\n" {
		t.Errorf("user edit and new generation not merged: %q", got)
	}
	if got := read(t, dir, "a/owned.go"); got != "owned v2" {
		t.Errorf("owned file not regenerated: %q", got)
	}
	if got := read(t, dir, BackupDir+"/a/owned.go"); got != "hacked" {
		t.Errorf("backup of the edited owned file: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "old/stale.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale unedited file not deleted: %v", err)
	}
	if got := read(t, dir, "old/edited.txt"); got != "mine" {
		t.Errorf("edited stale file lost: %q", got)
	}

	// A scaffold file the user deleted stays deleted.
	os.Remove(filepath.Join(dir, "user/logic.go"))
	p = apply(t, dir, second, Options{})
	if actions(p)["user/logic.go"] != Keep {
		t.Errorf("deleted scaffold: %v", actions(p))
	}
	if _, err := os.Stat(filepath.Join(dir, "user/logic.go")); !errors.Is(err, os.ErrNotExist) {
		t.Error("deleted scaffold file was recreated")
	}
}

func TestRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not ours"), 0o644)
	_, err := NewPlan(dir, gen("README.md", "ours"), Options{})
	if !errors.Is(err, ErrNotRepository) || !strings.Contains(err.Error(), "README.md") {
		t.Fatalf("got %v", err)
	}
	if got := read(t, dir, "README.md"); got != "not ours" {
		t.Fatal("foreign file changed")
	}
	// Files that would not change are fine, and --force backs up the rest.
	p := apply(t, dir, gen("README.md", "ours"), Options{Force: true})
	if actions(p)["README.md"] != Replace || read(t, dir, BackupDir+"/README.md") != "not ours" {
		t.Fatalf("force: %v", actions(p))
	}
}

func TestRefusesSymlinksAndEscapes(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if _, err := NewPlan(dir, gen("link/x.go", "x"), Options{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlink: got %v", err)
	}
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x", "a//b"} {
		if _, err := NewPlan(dir, gen(bad, "x"), Options{}); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Fatal("wrote outside the output directory")
	}
}

// A Frozen file (an applied migration) already generated is never
// rewritten with other content: kept as it is, with its record, whether
// the user edited it or not; the same content is unchanged as usual.
func TestFrozenFileIsNeverRewritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	frozen := func(kv ...string) []files.File {
		fs := gen(kv...)
		for i := range fs {
			fs[i].Frozen = strings.HasSuffix(fs[i].Path, ".sql")
		}
		return fs
	}
	apply(t, dir, frozen("user/00001_a.sql", "CREATE TABLE a;\n", "user/00002_b.sql", "CREATE TABLE b;\n"), Options{})
	m1, _, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "user/00002_b.sql"), []byte("CREATE TABLE b; -- mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	p := apply(t, dir, frozen("user/00001_a.sql", "CREATE TABLE a (x);\n", "user/00002_b.sql", "CREATE TABLE b (x);\n", "user/00003_c.sql", "CREATE TABLE c;\n"), Options{})
	got := actions(p)
	if got["user/00001_a.sql"] != Keep || got["user/00002_b.sql"] != Keep || got["user/00003_c.sql"] != Create {
		t.Fatalf("actions: %v", got)
	}
	for _, c := range p.Changes {
		if c.Action == Keep && !strings.Contains(c.Note, "applied migrations are never edited") {
			t.Errorf("%s: note %q", c.Path, c.Note)
		}
	}
	if read(t, dir, "user/00001_a.sql") != "CREATE TABLE a;\n" || read(t, dir, "user/00002_b.sql") != "CREATE TABLE b; -- mine\n" {
		t.Error("a frozen file was rewritten")
	}
	if read(t, dir, ".microforge/base/user/00001_a.sql.base") != "CREATE TABLE a;\n" {
		t.Error("the base of a frozen file moved on")
	}
	m2, _, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, pth := range []string{"user/00001_a.sql", "user/00002_b.sql"} {
		if m2.Files[pth] != m1.Files[pth] {
			t.Errorf("%s: manifest entry %v, want the first generation's %v", pth, m2.Files[pth], m1.Files[pth])
		}
	}
	// Generated as first written, it is unchanged (and the edited one kept).
	p = apply(t, dir, frozen("user/00001_a.sql", "CREATE TABLE a;\n", "user/00002_b.sql", "CREATE TABLE b;\n", "user/00003_c.sql", "CREATE TABLE c;\n"), Options{})
	if got := actions(p); got["user/00001_a.sql"] != Unchanged || got["user/00002_b.sql"] != Keep || got["user/00003_c.sql"] != Unchanged {
		t.Errorf("actions: %v", got)
	}
}
