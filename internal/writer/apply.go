package writer

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"sync/atomic"
	"time"

	"github.com/microforge/microforge/internal/sysio"
)

// journal lists the steps of one Apply. Once it is on disk the generation
// is decided: every step is idempotent, and Recover replays the ones a crash
// left undone.
type journal struct {
	Steps []step `json:"steps"`
}

type step struct {
	Path       string `json:"path"`
	Staged     string `json:"staged,omitempty"` // file under stagingDir to move into place; empty: remove Path
	Executable bool   `json:"executable,omitempty"`
}

// Apply writes the plan as one unit:
//
//  1. every new content is written under .microforge/staging/;
//  2. the journal listing each move and removal is written (atomically,
//     by rename): from here on, the generation will complete;
//  3. staged files are renamed into place and stale files removed;
//  4. the journal and staging directory are removed.
//
// A crash before 2 leaves the repository as it was (the next run discards
// the staging directory); a crash after 2 is finished by Recover. Either
// way the next generation reaches the same end state as an uninterrupted
// one. Nothing is written when nothing changes. With OnConflict Fail and a
// conflict, Apply writes nothing and returns ErrConflicts.
//
// A new repository (the directory did not exist) is written whole into a
// hidden sibling directory instead, which one rename then puts in place
// (see applyNew).
func (p *Plan) Apply() error {
	if p.opts.OnConflict == Fail && len(p.Conflicts()) > 0 {
		return ErrConflicts
	}
	if len(p.writes) == 0 && len(p.removes) == 0 {
		return nil
	}
	if p.guard.absent && len(p.removes) == 0 {
		if _, err := os.Lstat(p.Dir); errors.Is(err, fs.ErrNotExist) {
			return p.applyNew()
		}
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return err
	}
	if err := checkNoSymlink(p.Dir, stagingDir); err != nil {
		return err
	}
	staging := filepath.Join(p.Dir, filepath.FromSlash(stagingDir))
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	paths := make([]string, 0, len(p.writes))
	for pth := range p.writes {
		paths = append(paths, pth)
	}
	// Backups land first and the manifest last, so that even a reader who
	// looks mid-way never sees a manifest newer than the files.
	sort.Slice(paths, func(i, j int) bool {
		return order(paths[i]) < order(paths[j]) || (order(paths[i]) == order(paths[j]) && paths[i] < paths[j])
	})
	var j journal
	for i, pth := range paths {
		j.Steps = append(j.Steps, step{Path: pth, Staged: strconv.Itoa(i), Executable: p.writes[pth].executable})
	}
	if err := stage(staging, j.Steps, p.writes); err != nil {
		return err
	}
	removes := append([]string(nil), p.removes...)
	sort.Strings(removes)
	for _, pth := range removes {
		j.Steps = append(j.Steps, step{Path: pth})
	}
	// The manifest moves after the removals.
	for i, s := range j.Steps {
		if s.Path == ManifestPath {
			j.Steps = append(append(j.Steps[:i:i], j.Steps[i+1:]...), s)
			break
		}
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(p.Dir, filepath.FromSlash(journalPath)), b); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return replay(p.Dir, j, p.opts.AfterStep, true)
}

// stage writes the content of every step into the staging directory, with
// its final mode, on every CPU (a new repository is thousands of files).
func stage(staging string, steps []step, writes map[string]output) error {
	errs := make([]error, len(steps))
	next := make(chan int, len(steps))
	for i := range steps {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := steps[i]
				if err := sysio.WriteNew(filepath.Join(staging, s.Staged), writes[s.Path].content, modeOf(s)); err != nil {
					errs[i] = fmt.Errorf("stage %s: %w", s.Path, err)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// newSuffix marks the sibling directory a new repository is written into:
// ".<name>.microforge-new-<random>".
const newSuffix = ".microforge-new-"

// applyNew writes a new repository into a hidden directory next to p.Dir,
// every file straight where it belongs and on every CPU, then renames that
// directory to p.Dir: the repository appears whole or not at all, without
// staging every file and moving it again. A crash leaves only the hidden
// directory, which a later new generation next to it removes.
func (p *Plan) applyNew() error {
	parent, name := filepath.Split(filepath.Clean(p.Dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	removeStaleNew(parent, name)
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(parent, "."+name+newSuffix+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	paths := make([]string, 0, len(p.writes))
	dirs := map[string]bool{}
	for pth := range p.writes {
		paths = append(paths, pth)
		for d := path.Dir(pth); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sort.Strings(paths)
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted) // parents first
	for _, d := range sorted {
		if err := os.Mkdir(filepath.Join(tmp, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", d, err)
		}
	}
	// Each worker fills one directory at a time: creating files in the
	// same directory from several threads contends on its lock, which
	// costs more CPU than it saves (BenchmarkGenerate100).
	// (Sorted paths do not keep a directory's files together: "a/b.go",
	// "a/b/c.go", "a/c.go".)
	var groups [][]int
	group := map[string]int{}
	for i, pth := range paths {
		g, ok := group[path.Dir(pth)]
		if !ok {
			g = len(groups)
			group[path.Dir(pth)] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	var landed atomic.Int64
	errs := make([]error, len(paths))
	next := make(chan []int, len(groups))
	for _, g := range groups {
		next <- g
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				for _, i := range g {
					w := p.writes[paths[i]]
					mode := fs.FileMode(0o644)
					if w.executable {
						mode = 0o755
					}
					if err := sysio.WriteNew(filepath.Join(tmp, filepath.FromSlash(paths[i])), w.content, mode); err != nil {
						errs[i] = fmt.Errorf("write %s: %w", paths[i], err)
					} else if p.opts.AfterStep != nil {
						p.opts.AfterStep(int(landed.Add(1)))
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.Rename(tmp, p.Dir); err != nil {
		return fmt.Errorf("move the new repository into place: %w", err)
	}
	done = true
	return nil
}

// removeStaleNew removes what crashed new generations of name left in
// parent: hidden directories older than an hour (a younger one may be
// another generation's, still being written).
func removeStaleNew(parent, name string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "."+name+newSuffix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

func modeOf(s step) fs.FileMode {
	if s.Executable {
		return 0o755
	}
	return 0o644
}

func order(pth string) int {
	switch {
	case pth == ManifestPath:
		return 2
	case len(pth) > len(BackupDir) && pth[:len(BackupDir)+1] == BackupDir+"/":
		return 0
	}
	return 1
}

// Pending reports whether dir holds the journal of an unfinished generation.
func Pending(dir string) (bool, error) {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(journalPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Recover finishes a generation that was interrupted after its journal was
// written, and discards the staging files of one interrupted before. It
// returns how many steps the journal held (0: nothing to finish).
func Recover(dir string) (int, error) {
	b, err := readFile(dir, journalPath)
	if err != nil {
		return 0, err
	}
	if b == nil {
		staging := filepath.Join(dir, filepath.FromSlash(stagingDir))
		if checkNoSymlink(dir, stagingDir) == nil {
			if err := os.RemoveAll(staging); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return 0, fmt.Errorf("%s is damaged (%v): delete it and .microforge/staging, then generate again", journalPath, err)
	}
	return len(j.Steps), replay(dir, j, nil, false)
}

// replay carries out the journal's steps; each is idempotent. staged says
// the staged files have their final modes (this process staged them);
// otherwise each gets it before it moves.
func replay(dir string, j journal, after func(int), staged bool) error {
	staging := filepath.Join(dir, filepath.FromSlash(stagingDir))
	g := newGuard(dir)
	made := map[string]bool{} // directories known to exist
	for i, s := range j.Steps {
		if err := checkRel(s.Path); err != nil {
			return err
		}
		// Only the folders: rename and unlink replace or remove a symlink
		// in the last element itself, never what it points to.
		if err := g.checkParents(s.Path); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(s.Path))
		if s.Staged == "" {
			if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("delete %s: %w", s.Path, err)
			}
			pruneEmptyDirs(dir, path.Dir(s.Path))
			clear(made) // pruning may have removed some
			clear(g.real)
		} else {
			src := filepath.Join(staging, filepath.Base(s.Staged))
			if parent := filepath.Dir(target); !made[parent] {
				if err := os.MkdirAll(parent, 0o755); err != nil {
					return fmt.Errorf("write %s: %w", s.Path, err)
				}
				made[parent] = true
			}
			if !staged {
				err := os.Chmod(src, modeOf(s))
				if errors.Is(err, fs.ErrNotExist) {
					continue // moved into place before the interruption
				}
				if err != nil {
					return fmt.Errorf("write %s: %w", s.Path, err)
				}
			}
			if err := os.Rename(src, target); err != nil {
				if _, lerr := os.Lstat(src); errors.Is(lerr, fs.ErrNotExist) {
					continue // moved into place before the interruption
				}
				return fmt.Errorf("write %s: %w", s.Path, err)
			}
		}
		if after != nil {
			after(i + 1)
		}
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(journalPath))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.RemoveAll(staging)
}

// pruneEmptyDirs removes rel and its parents while they are empty, stopping
// at the output directory.
func pruneEmptyDirs(dir, rel string) {
	for rel != "." && rel != "/" && rel != "" {
		if os.Remove(filepath.Join(dir, filepath.FromSlash(rel))) != nil {
			return // not empty (or gone): stop
		}
		rel = path.Dir(rel)
	}
}

// writeAtomic writes a file through a temporary file and a rename.
func writeAtomic(full string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".microforge-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), full)
}
