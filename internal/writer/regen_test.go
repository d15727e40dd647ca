package writer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/files"
)

// tree returns every file under dir (state included) with its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	logicV1 = "header v1\nbody\nfooter\n"
	logicV2 = "header v2\nbody\nfooter v2\n"
	mine    = "header v1\nmy body\nfooter\n"
	clash   = "header mine\nbody\nfooter\n"
)

func TestConflictMarkersThenResolved(t *testing.T) {
	dir := t.TempDir()
	apply(t, dir, gen("user/logic.go.txt", logicV1, "a/owned.txt", "o1"), Options{})
	write(t, dir, "user/logic.go.txt", clash)

	p := apply(t, dir, gen("user/logic.go.txt", logicV2, "a/owned.txt", "o2"), Options{})
	if got := actions(p)["user/logic.go.txt"]; got != Conflict || len(p.Conflicts()) != 1 || p.Conflicts()[0].Conflicts != 1 {
		t.Fatalf("plan: %v", p.Changes)
	}
	want := "<<<<<<< yours\nheader mine\n||||||| last generated\nheader v1\n=======\nheader v2\n>>>>>>> new generation\nbody\nfooter v2\n"
	if got := read(t, dir, "user/logic.go.txt"); got != want {
		t.Fatalf("markers:\n%s", got)
	}
	if read(t, dir, "a/owned.txt") != "o2" {
		t.Error("the rest of the generation was not written")
	}

	// Rerunning before resolving still reports the conflict.
	p = apply(t, dir, gen("user/logic.go.txt", logicV2, "a/owned.txt", "o2"), Options{})
	if actions(p)["user/logic.go.txt"] != Conflict {
		t.Fatalf("unresolved markers not reported: %v", actions(p))
	}

	// Resolved: the next run is clean and changes nothing.
	write(t, dir, "user/logic.go.txt", "header mine v2\nbody\nfooter v2\n")
	before := tree(t, dir)
	p = apply(t, dir, gen("user/logic.go.txt", logicV2, "a/owned.txt", "o2"), Options{})
	if p.Drift() || actions(p)["user/logic.go.txt"] != Keep {
		t.Fatalf("after resolving: %v", p.Changes)
	}
	if after := tree(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a clean rerun changed files")
	}
}

func TestOnConflictPolicies(t *testing.T) {
	for _, c := range []struct {
		policy OnConflict
		action Action
		want   string
		backup bool
	}{
		{KeepMine, Merge, "header mine\nbody\nfooter v2\n", false},
		{TakeNew, Merge, "header v2\nbody\nfooter v2\n", true},
		{Fail, Conflict, clash, false},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			dir := t.TempDir()
			apply(t, dir, gen("user/f.txt", logicV1, "a/o.txt", "o1"), Options{})
			write(t, dir, "user/f.txt", clash)
			before := tree(t, dir)
			p, err := NewPlan(dir, gen("user/f.txt", logicV2, "a/o.txt", "o2"), Options{OnConflict: c.policy})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Apply()
			if c.policy == Fail {
				if !errors.Is(err, ErrConflicts) {
					t.Fatalf("fail policy: %v", err)
				}
				if fmt.Sprint(tree(t, dir)) != fmt.Sprint(before) {
					t.Fatal("--on-conflict=fail wrote something")
				}
				return
			} else if err != nil {
				t.Fatal(err)
			}
			if actions(p)["user/f.txt"] != c.action {
				t.Errorf("action %v", actions(p))
			}
			if got := read(t, dir, "user/f.txt"); got != c.want {
				t.Errorf("content %q", got)
			}
			if c.backup && read(t, dir, BackupDir+"/user/f.txt") != clash {
				t.Error("the user's version was not backed up")
			}
			// The choice is remembered: the next run keeps the file.
			p = apply(t, dir, gen("user/f.txt", logicV2, "a/o.txt", "o2"), Options{})
			if p.Drift() {
				t.Errorf("second run: %v", p.Changes)
			}
		})
	}
}

// A crash after any step of Apply, then Recover and a rerun, ends exactly
// where an uninterrupted run does.
func TestCrashAtEveryStepRecovers(t *testing.T) {
	first := gen("a/owned.txt", "o1", "user/f.txt", logicV1, "old/stale.txt", "s", "user/gone.txt", "g")
	second := gen("a/owned.txt", "o2", "user/f.txt", logicV2, "b/new.txt", "n")
	prepare := func(t *testing.T) string {
		dir := t.TempDir()
		apply(t, dir, first, Options{})
		write(t, dir, "user/f.txt", mine)
		write(t, dir, "a/owned.txt", "hacked")
		return dir
	}
	ref := prepare(t)
	p := apply(t, ref, second, Options{})
	steps := len(p.writes) + len(p.removes)
	want := fmt.Sprint(tree(t, ref))
	if !strings.Contains(want, "header v2\nmy body\nfooter v2") {
		t.Fatalf("reference run lost the merge: %s", want)
	}
	for crashAt := 0; crashAt <= steps; crashAt++ {
		t.Run(fmt.Sprint(crashAt), func(t *testing.T) {
			dir := prepare(t)
			p, err := NewPlan(dir, second, Options{AfterStep: func(done int) {
				if done == crashAt {
					panic("crash")
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			func() {
				defer func() { recover() }()
				p.Apply()
			}()
			if crashAt > 0 {
				if _, err := NewPlan(dir, second, Options{}); !errors.Is(err, ErrInterrupted) {
					t.Fatalf("an interrupted generation was not noticed: %v", err)
				}
			}
			if _, err := Recover(dir); err != nil {
				t.Fatal(err)
			}
			apply(t, dir, second, Options{})
			if got := fmt.Sprint(tree(t, dir)); got != want {
				t.Errorf("after a crash at step %d:\n%s\nwant\n%s", crashAt, got, want)
			}
		})
	}
}

// A crash while staging (before the journal) leaves the files as they were.
func TestCrashWhileStagingChangesNothing(t *testing.T) {
	dir := t.TempDir()
	apply(t, dir, gen("a/o.txt", "o1"), Options{})
	before := tree(t, dir)
	staging := filepath.Join(dir, filepath.FromSlash(stagingDir))
	os.MkdirAll(staging, 0o755)
	os.WriteFile(filepath.Join(staging, "0"), []byte("half"), 0o644)
	if n, err := Recover(dir); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if fmt.Sprint(tree(t, dir)) != fmt.Sprint(before) {
		t.Error("recovering from an unjournaled crash changed files")
	}
}

func TestGofmtAndGoimportsAreNotEdits(t *testing.T) {
	owned := "// Code generated by microforge. DO NOT EDIT.\n\npackage p\n\nimport (\n\t\"context\"\n\n\tv1 \"example.com/x/gen/v1\"\n\t\"fmt\"\n)\n\nvar _ = context.Background\nvar _ = fmt.Sprint\nvar _ = v1.X\n"
	goimported := strings.Replace(owned, "\t\"context\"\n\n\tv1 \"example.com/x/gen/v1\"\n\t\"fmt\"\n", "\t\"context\"\n\t\"fmt\"\n\n\tv1 \"example.com/x/gen/v1\"\n", 1)
	logic := "package p\n\nimport (\n\t\"context\"\n\n\tv1 \"example.com/x/gen/v1\"\n\t\"fmt\"\n)\n\nfunc F(ctx context.Context) {\n\tfmt.Println(v1.X)\n\t// your logic\n}\n"
	dir := t.TempDir()
	apply(t, dir, []files.File{{Path: "gen/o.go", Content: []byte(owned), Policy: files.Owned}, {Path: "user/l.go", Content: []byte(logic), Policy: files.Scaffold}}, Options{})
	write(t, dir, "gen/o.go", goimported)
	userLogic := strings.Replace(strings.Replace(logic, "\t\"context\"\n\n\tv1 \"example.com/x/gen/v1\"\n\t\"fmt\"\n", "\t\"context\"\n\t\"fmt\"\n\n\tv1 \"example.com/x/gen/v1\"\n", 1), "\t// your logic\n", "\tdoIt()\n", 1)
	write(t, dir, "user/l.go", userLogic)

	// The import block itself changes in the next generation.
	owned2 := strings.Replace(owned, "var _ = v1.X\n", "var _ = v1.X\nvar _ = 2\n", 1)
	logic2 := strings.Replace(logic, "\t\"context\"\n", "\t\"context\"\n\t\"errors\"\n", 1)
	logic2 = strings.Replace(logic2, "func F(", "var _ = errors.New\n\nfunc F(", 1)
	p := apply(t, dir, []files.File{{Path: "gen/o.go", Content: []byte(owned2), Policy: files.Owned}, {Path: "user/l.go", Content: []byte(logic2), Policy: files.Scaffold}}, Options{})
	if a := actions(p); a["gen/o.go"] != Update || a["user/l.go"] != Merge {
		t.Fatalf("plan %v", p.Changes)
	}
	got := read(t, dir, "user/l.go")
	if !strings.Contains(got, "doIt()") || !strings.Contains(got, "errors.New") || strings.Contains(got, "<<<<<<<") {
		t.Errorf("merge:\n%s", got)
	}
}

// A second edit of an owned file never overwrites the backup of the first.
func TestBackupsAreNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	apply(t, dir, gen("a/o.txt", "v1"), Options{})
	write(t, dir, "a/o.txt", "first edit")
	p := apply(t, dir, gen("a/o.txt", "v2"), Options{})
	if c := p.Changes[0]; c.Action != Replace || c.Backup != BackupDir+"/a/o.txt" {
		t.Fatalf("first: %+v", c)
	}
	write(t, dir, "a/o.txt", "second edit")
	p = apply(t, dir, gen("a/o.txt", "v3"), Options{})
	if c := p.Changes[0]; c.Backup != BackupDir+"/a/o.txt.1" || !strings.Contains(c.Note, c.Backup) {
		t.Fatalf("second: %+v", c)
	}
	if read(t, dir, BackupDir+"/a/o.txt") != "first edit" || read(t, dir, BackupDir+"/a/o.txt.1") != "second edit" {
		t.Error("backups lost")
	}
}

// Plan.Diff shows what applying does to each file.
func TestChangeDiff(t *testing.T) {
	dir := t.TempDir()
	apply(t, dir, gen("a.txt", "one\ntwo\n", "gone.txt", "x\n"), Options{})
	p, err := NewPlan(dir, gen("a.txt", "one\n2\n", "new.txt", "n\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range p.Changes {
		got[c.Path] = c.Diff()
	}
	want := map[string]string{
		"a.txt":    "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n",
		"gone.txt": "--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
		"new.txt":  "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+n\n",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diffs:\n%v\nwant\n%v", got, want)
	}
}
