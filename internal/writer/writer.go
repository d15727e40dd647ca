// Package writer puts generated files on disk safely. It first plans — for
// every file, what happens given what is on disk and what the last generation
// wrote (recorded in .microforge/manifest.json) — and only then writes. It
// never writes outside the output directory, never follows symlinks out of
// it, leaves unchanged files untouched, and never overwrites a user's edit
// without keeping a copy.
//
// Import rule: writer imports files, never a generator or the model.
package writer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/files"
)

// ManifestPath is where a repository records what microforge last wrote.
const ManifestPath = ".microforge/manifest.json"

// BackupDir holds user versions of owned files that a generation replaced.
const BackupDir = ".microforge/backup"

// Action is what the plan does with one file.
type Action string

// Actions of a plan.
const (
	Create    Action = "create"    // new file
	Update    Action = "update"    // the user never edited it: replaced
	Unchanged Action = "unchanged" // same bytes on disk: not touched
	Replace   Action = "replace"   // an owned file the user edited: replaced, their version backed up
	Keep      Action = "keep"      // the user's version stays: edited scaffold, or no longer generated but edited
	Delete    Action = "delete"    // no longer generated and never edited
	Deleted   Action = "deleted"   // a scaffold file the user deleted stays deleted
)

// Change is the plan for one path.
type Change struct {
	Path   string
	Action Action
	Note   string // why, for actions the user should read about
}

// Manifest records what the last generation wrote.
type Manifest struct {
	Tool  string           `json:"tool"`
	Files map[string]Entry `json:"files"`
}

// Entry is one generated file in the manifest.
type Entry struct {
	SHA256 string `json:"sha256"`
	Policy string `json:"policy"`
}

// Options change how a plan treats an existing directory.
type Options struct {
	// Tool names the generator version recorded in the manifest.
	Tool string
	// Force allows writing into a directory that is not a microforge
	// repository but already holds files that would change; their previous
	// contents are backed up.
	Force bool
}

// Plan is a set of changes ready to apply.
type Plan struct {
	Dir     string
	Changes []Change

	content  map[string]files.File
	manifest Manifest
	backups  map[string][]byte
}

// ErrNotRepository is returned when a plan would overwrite files in a
// directory microforge did not generate.
var ErrNotRepository = errors.New("not a microforge repository")

// NewPlan compares generated files with the directory's contents.
func NewPlan(dir string, generated []files.File, opts Options) (*Plan, error) {
	p := &Plan{
		Dir:      dir,
		content:  map[string]files.File{},
		manifest: Manifest{Tool: opts.Tool, Files: map[string]Entry{}},
		backups:  map[string][]byte{},
	}
	prev, hasManifest, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	var foreign []string
	for _, f := range generated {
		if err := files.CheckPath(f.Path); err != nil {
			return nil, fmt.Errorf("internal error: %w", err)
		}
		if err := checkNoSymlink(dir, f.Path); err != nil {
			return nil, err
		}
		p.content[f.Path] = f
		newSum := sum(f.Content)
		p.manifest.Files[f.Path] = Entry{SHA256: newSum, Policy: f.Policy.String()}
		old, had := prev.Files[f.Path]
		disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if had && f.Policy == files.Scaffold {
				p.add(f.Path, Deleted, "you deleted this file; it stays deleted")
				continue
			}
			p.add(f.Path, Create, "")
			continue
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		diskSum := sum(disk)
		switch {
		case bytes.Equal(disk, f.Content):
			p.add(f.Path, Unchanged, "")
		case had && diskSum == old.SHA256:
			p.add(f.Path, Update, "")
		case !hasManifest && !opts.Force:
			foreign = append(foreign, f.Path)
		case !hasManifest || f.Policy == files.Owned:
			p.backups[f.Path] = disk
			p.add(f.Path, Replace, "your version is saved in "+path.Join(BackupDir, f.Path))
		default:
			p.add(f.Path, Keep, "you edited this file; your version stays")
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%w: %s already holds files microforge would overwrite:\n  %s\nchoose an empty directory, or pass --force to overwrite them (their contents are backed up under %s)",
			ErrNotRepository, dir, strings.Join(foreign, "\n  "), BackupDir)
	}
	var stale []string
	for pth := range prev.Files {
		if _, ok := p.content[pth]; !ok {
			stale = append(stale, pth)
		}
	}
	sort.Strings(stale)
	for _, pth := range stale {
		if files.CheckPath(pth) != nil || checkNoSymlink(dir, pth) != nil {
			continue // a tampered manifest never makes us touch anything outside
		}
		disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pth)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", pth, err)
		case sum(disk) == prev.Files[pth].SHA256:
			p.add(pth, Delete, "no longer generated")
		default:
			p.add(pth, Keep, "no longer generated, but you edited it: kept")
		}
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Path < p.Changes[j].Path })
	return p, nil
}

func (p *Plan) add(pth string, a Action, note string) {
	p.Changes = append(p.Changes, Change{Path: pth, Action: a, Note: note})
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

// Apply writes the plan: backups first, then files (each atomically through
// a temporary file and a rename), deletions, and the manifest last. Unchanged
// files are not touched.
func (p *Plan) Apply() error {
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return err
	}
	for pth, b := range p.backups {
		if err := writeFile(p.Dir, path.Join(BackupDir, pth), b, false); err != nil {
			return err
		}
	}
	for _, c := range p.Changes {
		switch c.Action {
		case Create, Update, Replace:
			f := p.content[c.Path]
			if err := writeFile(p.Dir, c.Path, f.Content, f.Executable); err != nil {
				return err
			}
		case Delete:
			if err := os.Remove(filepath.Join(p.Dir, filepath.FromSlash(c.Path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("delete %s: %w", c.Path, err)
			}
		}
	}
	m, err := json.MarshalIndent(p.manifest, "", "  ")
	if err != nil {
		return err
	}
	m = append(m, '\n')
	if old, err := os.ReadFile(filepath.Join(p.Dir, ManifestPath)); err == nil && bytes.Equal(old, m) {
		return nil
	}
	return writeFile(p.Dir, ManifestPath, m, false)
}

func readManifest(dir string) (Manifest, bool, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestPath))
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, false, fmt.Errorf("%s: %v (delete it to start over; every existing file is then treated as yours)", ManifestPath, err)
	}
	return m, true, nil
}

// checkNoSymlink refuses a path whose existing components below dir include
// a symlink: following it could write outside the output directory.
func checkNoSymlink(dir, rel string) error {
	cur := dir
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("refusing to write %s: %s is a symlink", rel, cur)
		}
	}
	return nil
}

func writeFile(dir, rel string, content []byte, executable bool) error {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".microforge-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	mode := fs.FileMode(0o644)
	if executable {
		mode = 0o755
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
