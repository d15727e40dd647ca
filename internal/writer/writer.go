// Package writer puts generated files on disk safely. It first plans — for
// every file, what happens given what is on disk and what the last generation
// wrote — and only then writes. It never writes outside the output directory,
// never follows symlinks out of it, leaves unchanged files untouched, merges
// new output into files the user edited, and never drops a user's edit
// without keeping a copy.
//
// What the last generation wrote is kept under .microforge/ and committed
// with the repository: manifest.json (per-file SHA-256 and policy) and, under
// base/, the last generated content of every file the user owns (Scaffold,
// kept as PATH.base), the common ancestor of the three-way merges. Writes go
// through a journal (see Apply), so an interrupted generation is finished by
// the next one.
//
// Import rule: writer imports files, merge and memo, never a generator or
// the model.
package writer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/memo"
	"github.com/microforge/microforge/internal/merge"
	"github.com/microforge/microforge/internal/sysio"
)

// Paths of the state kept under .microforge/.
const (
	StateDir     = ".microforge"
	ManifestPath = ".microforge/manifest.json"
	BaseDir      = ".microforge/base"   // last generated content of Scaffold files, as PATH.base
	BackupDir    = ".microforge/backup" // user versions microforge replaced
	journalPath  = ".microforge/journal.json"
	stagingDir   = ".microforge/staging" // contents of an unfinished write
)

// Action is what the plan does with one file.
type Action string

// Actions of a plan.
const (
	Create    Action = "create"    // new file
	Update    Action = "update"    // the user never edited it: replaced
	Merge     Action = "merge"     // the user edited it: the new generation merged in cleanly
	Conflict  Action = "conflict"  // the user's edits and the new generation overlap
	Replace   Action = "replace"   // an owned file the user edited: regenerated, their version backed up
	Delete    Action = "delete"    // no longer generated and never edited
	Keep      Action = "keep"      // the user's version (or deletion) stays as it is
	Unchanged Action = "unchanged" // nothing to do
)

// Writes reports whether the action changes the file on disk.
func (a Action) Writes() bool {
	switch a {
	case Create, Update, Merge, Conflict, Replace, Delete:
		return true
	}
	return false
}

// OnConflict says what to do with a file whose edits conflict with the new
// generation.
type OnConflict string

// Conflict policies.
const (
	Markers  OnConflict = ""          // default: write conflict markers, base section included
	KeepMine OnConflict = "keep-mine" // resolve each conflicting region with the user's lines
	TakeNew  OnConflict = "take-new"  // resolve with the new generation's lines (the user's version is backed up)
	Fail     OnConflict = "fail"      // write nothing at all
)

// Conflict markers name the three versions so.
var labels = merge.Labels{Mine: "yours", Base: "last generated", Theirs: "new generation"}

// Change is the plan for one path.
type Change struct {
	Path      string `json:"path"`
	Action    Action `json:"action"`
	Policy    string `json:"policy,omitempty"`
	Note      string `json:"note,omitempty"`      // why, for actions the user should read about
	Backup    string `json:"backup,omitempty"`    // where the user's version is saved
	Conflicts int    `json:"conflicts,omitempty"` // conflicting regions

	before, after []byte // on disk now, and after Apply (nil: absent)
	frozen        bool   // a Frozen file kept as last generated
}

// Options change how a plan treats an existing directory.
type Options struct {
	// Tool names the generator version recorded in the manifest.
	Tool string
	// Force allows writing into a directory that is not a microforge
	// repository but already holds files that would change; their previous
	// contents are backed up.
	Force bool
	// OnConflict chooses what happens to conflicting edits.
	OnConflict OnConflict
	// Inputs fingerprints everything the generated files depend on (the
	// blueprint, the microforge build); "" when unknown. Recorded in the
	// manifest, it lets QuickPlan skip rendering when nothing changed.
	Inputs string
	// AfterStep, when set, is called after each file lands during Apply (a
	// test hook: crash there to check recovery).
	AfterStep func(done int)
}

// Plan is a set of changes ready to apply.
type Plan struct {
	Dir     string
	Changes []Change

	opts     Options
	guard    *guard
	cache    map[string]cached // files read ahead, in parallel
	manifest Manifest
	writes   map[string]output // path -> new content, including state files
	removes  []string          // paths to delete, including state files
}

type output struct {
	content    []byte
	executable bool
}

// Errors a plan reports.
var (
	// ErrNotRepository: the plan would overwrite files in a directory
	// microforge did not generate.
	ErrNotRepository = errors.New("not a microforge repository")
	// ErrConflicts: with OnConflict Fail, a file has conflicts; nothing was written.
	ErrConflicts = errors.New("conflicts with your edits")
	// ErrInterrupted: an earlier generation stopped half-way; Recover finishes it.
	ErrInterrupted = errors.New("an earlier generation was interrupted")
)

// NewPlan compares generated files with the directory's contents and the
// state the last generation left. It reads, never writes.
func NewPlan(dir string, generated []files.File, opts Options) (*Plan, error) {
	if pending, err := Pending(dir); err != nil {
		return nil, err
	} else if pending {
		return nil, fmt.Errorf("%w in %s: run microforge generate to finish it", ErrInterrupted, dir)
	}
	prev, hasManifest, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Dir:      dir,
		opts:     opts,
		guard:    newGuard(dir),
		manifest: Manifest{Tool: opts.Tool, Inputs: opts.Inputs, Files: map[string]Entry{}},
		writes:   map[string]output{},
	}
	generatedPaths := map[string]bool{}
	for _, f := range generated {
		if err := files.CheckPath(f.Path); err != nil {
			return nil, fmt.Errorf("internal error: %w", err)
		}
		if isStatePath(f.Path) {
			return nil, fmt.Errorf("internal error: a generator produced %s, which holds microforge's own state", f.Path)
		}
		if err := p.guard.check(f.Path); err != nil {
			return nil, err
		}
		generatedPaths[f.Path] = true
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		p.cache = map[string]cached{} // a new directory: nothing to read
		p.guard.absent = true
	} else {
		p.prefetch(generated)
	}
	entries := p.entries(generated, prev)
	var foreign []string
	for i, f := range generated {
		c, err := p.planFile(f, prev, hasManifest)
		if err != nil {
			return nil, err
		}
		if c.Action == Replace && !hasManifest && !opts.Force {
			foreign = append(foreign, f.Path)
		}
		p.manifest.Files[f.Path] = entries[i]
		if c.frozen {
			p.manifest.Files[f.Path] = prev.Files[f.Path] // still what was generated
		}
		p.Changes = append(p.Changes, c)
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%w: %s already holds files microforge would overwrite:\n  %s\nchoose an empty directory, or pass --force to overwrite them (their contents are backed up under %s)",
			ErrNotRepository, dir, strings.Join(foreign, "\n  "), BackupDir)
	}
	var stale []string
	for pth := range prev.Files {
		if !generatedPaths[pth] {
			stale = append(stale, pth)
		}
	}
	sort.Strings(stale)
	for _, pth := range stale {
		if files.CheckPath(pth) != nil || isStatePath(pth) || p.guard.check(pth) != nil {
			continue // a tampered manifest never makes us touch anything outside
		}
		p.removeState(basePath(pth))
		disk, err := readFile(dir, pth)
		if err != nil {
			return nil, err
		}
		switch {
		case disk == nil:
			continue
		case unedited(pth, disk, prev.Files[pth]):
			p.Changes = append(p.Changes, Change{Path: pth, Action: Delete, Policy: prev.Files[pth].Policy, Note: "no longer generated", before: disk})
			p.removes = append(p.removes, pth)
		default:
			p.Changes = append(p.Changes, Change{Path: pth, Action: Keep, Policy: prev.Files[pth].Policy, Note: "no longer generated, but you edited it: kept", before: disk, after: disk})
		}
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Path < p.Changes[j].Path })
	if err := p.planManifest(); err != nil {
		return nil, err
	}
	return p, nil
}

// planFile decides what happens to one generated file.
func (p *Plan) planFile(f files.File, prev Manifest, hasManifest bool) (Change, error) {
	c := Change{Path: f.Path, Policy: f.Policy.String()}
	old, had := prev.Files[f.Path]
	disk, err := p.read(f.Path)
	if err != nil {
		return c, err
	}
	c.before, c.after = disk, disk
	write := func(a Action, content []byte) {
		c.Action, c.after = a, content
		p.writes[f.Path] = output{content, f.Executable}
	}
	backup := func() {
		c.Backup = p.backupPath(f.Path, disk)
		p.writes[c.Backup] = output{content: disk}
	}
	if f.Frozen && had && sum(f.Content) != old.SHA256 {
		// An applied migration is history: whatever microforge would write
		// now, the file (and its record) stays as generated, or as the user
		// left it.
		c.Action, c.frozen = Keep, true
		c.Note = "applied migrations are never edited: kept as it is, though microforge would now generate it differently"
		if disk == nil {
			c.Note = "you deleted this file; it stays deleted (applied migrations are never edited)"
		}
		return c, nil
	}
	if f.Policy == files.Scaffold {
		if err := p.planBase(f.Path, f.Content); err != nil {
			return c, err
		}
	}
	switch {
	case disk == nil && had && f.Policy == files.Scaffold:
		c.Action, c.Note = Keep, "you deleted this file; it stays deleted"
		return c, nil
	case disk == nil:
		write(Create, f.Content)
		return c, nil
	case bytes.Equal(disk, f.Content):
		c.Action = Unchanged
		return c, nil
	case hasManifest && isGo(f.Path) && bytes.Equal(merge.GoCanonical(disk), merge.GoCanonical(f.Content)):
		c.Action = Unchanged // only gofmt/goimports set it apart: keep the user's layout
		return c, nil
	case had && unedited(f.Path, disk, old):
		write(Update, f.Content)
		return c, nil
	case !hasManifest:
		write(Replace, f.Content)
		backup()
		c.Note = "was not written by microforge; your version is saved in " + c.Backup
		return c, nil
	case f.Policy == files.Owned:
		write(Replace, f.Content)
		backup()
		c.Note = "microforge owns this file (DO NOT EDIT), so it was regenerated; your version is saved in " + c.Backup
		return c, nil
	}
	// A file the user owns and edited.
	if merge.HasMarkers(disk) {
		c.Action, c.Conflicts = Conflict, 1
		c.Note = "still holds conflict markers: resolve them, then run microforge generate again"
		return c, nil
	}
	base, err := p.read(basePath(f.Path))
	if err != nil {
		return c, err
	}
	if base == nil || sum(base) != old.SHA256 {
		c.Action, c.Note = Keep, "you edited this file; your version stays (no record of the last generation to merge with)"
		return c, nil
	}
	if bytes.Equal(base, f.Content) {
		c.Action, c.Note = Keep, "you edited this file; your version stays"
		return c, nil
	}
	resolve := merge.Markers
	switch p.opts.OnConflict {
	case KeepMine:
		resolve = merge.Mine
	case TakeNew:
		resolve = merge.Theirs
	}
	m := merge.Merge3(base, disk, f.Content, labels, resolve)
	if m.Conflicts > 0 && isGo(f.Path) {
		// The user may have run gofmt or goimports: merge the canonical forms.
		if cm := merge.Merge3(merge.GoCanonical(base), merge.GoCanonical(disk), merge.GoCanonical(f.Content), labels, resolve); cm.Conflicts == 0 {
			m = cm
		}
	}
	switch {
	case m.Conflicts == 0 && bytes.Equal(m.Content, disk):
		c.Action, c.Note = Keep, "you edited this file; it already has what the new generation brings"
	case m.Conflicts == 0:
		write(Merge, m.Content)
		c.Note = "your edits and the new generation merged cleanly"
	case p.opts.OnConflict == KeepMine:
		write(Merge, m.Content)
		c.Conflicts = m.Conflicts
		c.Note = fmt.Sprintf("%d conflicting region(s) resolved with your version (--on-conflict=keep-mine)", m.Conflicts)
	case p.opts.OnConflict == TakeNew:
		write(Merge, m.Content)
		backup()
		c.Conflicts = m.Conflicts
		c.Note = fmt.Sprintf("%d conflicting region(s) resolved with the new generation (--on-conflict=take-new); your version is saved in %s", m.Conflicts, c.Backup)
	default:
		c.Conflicts = m.Conflicts
		c.Note = fmt.Sprintf("%d conflicting region(s) marked with <<<<<<< ||||||| ======= >>>>>>>: resolve them, then run microforge generate again", m.Conflicts)
		if p.opts.OnConflict == Fail {
			c.Action = Conflict
			c.after = m.Content
			c.Note = fmt.Sprintf("%d conflicting region(s); nothing was written (--on-conflict=fail)", m.Conflicts)
		} else {
			write(Conflict, m.Content)
		}
	}
	return c, nil
}

type cached struct {
	content []byte
	err     error
}

// prefetch reads every generated path and the base of every Scaffold file
// concurrently: a no-op regeneration is mostly reading.
func (p *Plan) prefetch(generated []files.File) {
	var paths []string
	for _, f := range generated {
		paths = append(paths, f.Path)
		if f.Policy == files.Scaffold {
			paths = append(paths, basePath(f.Path))
		}
	}
	results := make([]cached, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				b, err := readFile(p.Dir, paths[i])
				results[i] = cached{b, err}
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	p.cache = make(map[string]cached, len(paths))
	for i, pth := range paths {
		p.cache[pth] = results[i]
	}
}

// read returns a file's content (nil: absent), from the read-ahead when it
// has it. Paths were checked for symlinks before anything was read.
func (p *Plan) read(rel string) ([]byte, error) {
	if c, ok := p.cache[rel]; ok {
		return c.content, c.err
	}
	if p.guard.absent {
		return nil, nil
	}
	return readFile(p.Dir, rel)
}

// backupPath returns where to save the user's version of pth: the backup
// directory mirrors the tree, and an older backup with other content is never
// overwritten (the new one gets a numbered name instead).
func (p *Plan) backupPath(pth string, content []byte) string {
	for n := 0; ; n++ {
		bp := path.Join(BackupDir, pth)
		if n > 0 {
			bp += "." + strconv.Itoa(n)
		}
		cur, err := readFile(p.Dir, bp)
		if err == nil && (cur == nil || bytes.Equal(cur, content)) && p.guard.check(bp) == nil {
			return bp
		}
	}
}

// planBase records content as the last generation of a Scaffold file.
func (p *Plan) planBase(pth string, content []byte) error {
	bp := basePath(pth)
	if err := p.guard.check(bp); err != nil {
		return err
	}
	cur, err := p.read(bp)
	if err != nil {
		return err
	}
	if cur == nil || !bytes.Equal(cur, content) {
		p.writes[bp] = output{content: content}
	}
	return nil
}

func (p *Plan) removeState(pth string) {
	if p.guard.check(pth) != nil {
		return
	}
	if _, err := os.Lstat(filepath.Join(p.Dir, filepath.FromSlash(pth))); err == nil {
		p.removes = append(p.removes, pth)
	}
}

// entries computes the manifest entry of every generated file, reusing the
// previous entry's canonical hash when the content did not change (the
// canonical form costs a parse and a gofmt).
func (p *Plan) entries(generated []files.File, prev Manifest) []Entry {
	out := make([]Entry, len(generated))
	var todo []int
	for i, f := range generated {
		out[i] = Entry{SHA256: sum(f.Content), Policy: f.Policy.String()}
		if old, ok := prev.Files[f.Path]; ok && old.SHA256 == out[i].SHA256 && old.Policy == out[i].Policy {
			out[i].Canonical = old.Canonical
		} else if isGo(f.Path) && f.Policy == files.Owned {
			todo = append(todo, i)
		}
	}
	t := canonicalMemo()
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if generated[i].Formatted {
					if c := sum(merge.GoCanonicalOfFormatted(generated[i].Content)); c != out[i].SHA256 {
						out[i].Canonical = c
					}
					continue
				}
				var k memo.Key
				hex.Decode(k[:], []byte(out[i].SHA256))
				if v, ok := t.Get(k); ok {
					if string(v) != "=" {
						out[i].Canonical = string(v)
					}
					continue
				}
				c := sum(merge.GoCanonical(generated[i].Content))
				if c != out[i].SHA256 {
					out[i].Canonical = c
					t.Put(k, []byte(c))
				} else {
					t.Put(k, []byte("="))
				}
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// canonicalMemo remembers the hash of merge.GoCanonical of a content by the
// content's hash ("=" when they are the same): owned Go files come back
// unchanged from generation to generation. Bump the version in the name
// when GoCanonical changes what it returns.
var canonicalMemo = sync.OnceValue(func() *memo.Table { return memo.Open("gocanonical-" + memo.GoVersion + "-1") })

// unedited reports whether disk is what the last generation wrote, up to
// gofmt/goimports for Go files.
func unedited(pth string, disk []byte, old Entry) bool {
	if sum(disk) == old.SHA256 {
		return true
	}
	if !isGo(pth) || old.SHA256 == "" {
		return false
	}
	want := old.Canonical
	if want == "" {
		want = old.SHA256
	}
	return sum(merge.GoCanonical(disk)) == want
}

func isGo(pth string) bool { return strings.HasSuffix(pth, ".go") }

// basePath is where the last generated content of pth is kept. The ".base"
// suffix keeps formatters and linters (gofmt -w ., prettier, ...) from
// rewriting it: a base must stay byte for byte what was generated.
func basePath(pth string) string { return path.Join(BaseDir, pth) + ".base" }

// isStatePath reports whether pth is microforge's own bookkeeping.
func isStatePath(pth string) bool {
	for _, s := range []string{ManifestPath, journalPath} {
		if pth == s {
			return true
		}
	}
	for _, d := range []string{BaseDir, BackupDir, stagingDir} {
		if pth == d || strings.HasPrefix(pth, d+"/") {
			return true
		}
	}
	return false
}

// Count returns how many changes have the action.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// Conflicts returns the changes with unresolved conflicts.
func (p *Plan) Conflicts() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Action == Conflict {
			out = append(out, c)
		}
	}
	return out
}

// Drift reports whether the directory differs from what the generation
// produces: anything to create, update, merge, delete, or a conflict. Edits
// the user keeps are not drift.
func (p *Plan) Drift() bool {
	for _, c := range p.Changes {
		if c.Action.Writes() {
			return true
		}
	}
	return false
}

// Diff returns a unified diff of what applying the plan does to the change's
// file ("" when nothing).
func (c Change) Diff() string {
	if bytes.Equal(c.before, c.after) {
		return ""
	}
	a, b := "a/"+c.Path, "b/"+c.Path
	if c.before == nil {
		a = "/dev/null"
	}
	if c.after == nil {
		b = "/dev/null"
	}
	return merge.Unified(a, b, c.before, c.after)
}

// readFile returns the file's content, or nil when it does not exist.
func readFile(dir, rel string) ([]byte, error) {
	b, _, err := sysio.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)), nil, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	return b, nil
}

// readNoFollow reads the file at rel below dir into buf (reusing its
// storage), refusing a symlink as its last element; nil when the file does
// not exist.
func readNoFollow(dir, rel string, buf []byte) ([]byte, error) {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	b, _, err := sysio.ReadFile(full, buf, true)
	if errors.Is(err, sysio.ErrSymlink) {
		return nil, fmt.Errorf("refusing to read %s: %s is a symlink", rel, full)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	return b, nil
}

// checkNoSymlink refuses a path whose existing components below dir include
// a symlink: following it could write outside the output directory.
func checkNoSymlink(dir, rel string) error {
	return newGuard(dir).check(rel)
}

// guard checks paths for symlinks, remembering the directories it found to
// be real ones: a plan checks thousands of paths in the same few folders.
type guard struct {
	dir    string
	real   map[string]bool
	absent bool // dir did not exist when planning began: nothing below it can be a symlink
}

func newGuard(dir string) *guard { return &guard{dir: dir, real: map[string]bool{}} }

// checkParents checks the directories leading to rel, not rel itself.
func (g *guard) checkParents(rel string) error {
	if d := path.Dir(rel); d != "." {
		return g.check(d)
	}
	return nil
}

func (g *guard) check(rel string) error {
	if g.absent {
		return nil
	}
	parts := strings.Split(rel, "/")
	cur := ""
	for i, part := range parts {
		cur = path.Join(cur, part)
		last := i == len(parts)-1
		if g.real[cur] {
			continue
		}
		full := filepath.Join(g.dir, filepath.FromSlash(cur))
		fi, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("refusing to write %s: %s is a symlink", rel, full)
		}
		if !last || fi.IsDir() {
			g.real[cur] = true
		}
	}
	return nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func checkRel(rel string) error {
	if err := files.CheckPath(rel); err != nil {
		return fmt.Errorf("refusing to write: %w", err)
	}
	return nil
}
