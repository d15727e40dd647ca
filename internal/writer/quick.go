package writer

import (
	"bytes"
	"runtime"
	"sort"
	"sync"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/merge"
)

// QuickPlan answers the commonest regeneration — nothing changed — without
// rendering anything. When the manifest was written for the same inputs
// (Options.Inputs: the blueprint and the microforge build), the generation
// would produce exactly the files the manifest records; if the directory
// still holds them (files the user owns may be edited or deleted, as long as
// no conflict markers are left), the plan is all "unchanged" and "keep",
// and QuickPlan returns it with ok. Otherwise ok is false and the caller
// renders and plans in full.
func QuickPlan(dir string, opts Options) (p *Plan, ok bool, err error) {
	if opts.Inputs == "" {
		return nil, false, nil
	}
	if pending, err := Pending(dir); err != nil || pending {
		return nil, false, err
	}
	m, has, err := readManifest(dir)
	if err != nil || !has || m.Inputs != opts.Inputs {
		return nil, false, err
	}
	paths := make([]string, 0, len(m.Files))
	for pth := range m.Files {
		paths = append(paths, pth)
	}
	sort.Strings(paths)
	// The directories are checked for symlinks here, once each; the files
	// themselves as they are read (readNoFollow).
	g := newGuard(dir)
	for _, pth := range paths {
		e := m.Files[pth]
		if files.CheckPath(pth) != nil || isStatePath(pth) || g.checkParents(pth) != nil {
			return nil, false, nil
		}
		if e.Policy == files.Scaffold.String() && g.checkParents(basePath(pth)) != nil {
			return nil, false, nil
		}
	}
	changes := make([]Change, len(paths))
	fresh := make([]bool, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	next := make(chan int, len(paths))
	for i := range paths {
		next <- i
	}
	close(next)
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var bufs quickBuffers
			for i := range next {
				changes[i], fresh[i], errs[i] = quickFile(dir, paths[i], m.Files[paths[i]], &bufs)
			}
		}()
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil {
			return nil, false, errs[i]
		}
		if !fresh[i] {
			return nil, false, nil
		}
	}
	return &Plan{Dir: dir, Changes: changes, opts: opts, manifest: m, writes: map[string]output{}}, true, nil
}

// quickBuffers are one reader's storage for a file and its base, reused
// from file to file: QuickPlan keeps no content (nothing it plans changes a
// file, so there is nothing to diff).
type quickBuffers struct{ disk, base []byte }

// quickFile tells what the full plan would do with a file whose new content
// is what the manifest records; fresh is false when that would be a write
// (or when the file is a symlink, which the full plan reports).
func quickFile(dir, pth string, e Entry, bufs *quickBuffers) (c Change, fresh bool, err error) {
	c = Change{Path: pth, Policy: e.Policy}
	disk, err := readNoFollow(dir, pth, bufs.disk)
	if err != nil {
		return c, false, nil
	}
	if disk != nil {
		bufs.disk = disk
	}
	if e.Policy != files.Scaffold.String() {
		if disk == nil || !unedited(pth, disk, e) {
			return c, false, nil // recreate or replace
		}
		c.Action = Unchanged
		return c, true, nil
	}
	base, err := readNoFollow(dir, basePath(pth), bufs.base)
	if err != nil || base == nil || sum(base) != e.SHA256 {
		return c, false, nil // the full plan would write the base
	}
	bufs.base = base
	switch {
	case disk == nil:
		c.Action, c.Note = Keep, "you deleted this file; it stays deleted"
	case bytes.Equal(disk, base) || (isGo(pth) && bytes.Equal(merge.GoCanonical(disk), merge.GoCanonical(base))):
		c.Action = Unchanged
	case merge.HasMarkers(disk):
		return c, false, nil
	default:
		c.Action, c.Note = Keep, "you edited this file; your version stays"
	}
	return c, true, nil
}
