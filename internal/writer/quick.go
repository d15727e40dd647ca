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
	changes := make([]Change, len(paths))
	fresh := make([]bool, len(paths))
	g := newGuard(dir)
	for _, pth := range paths {
		if files.CheckPath(pth) != nil || isStatePath(pth) || g.check(pth) != nil || g.check(basePath(pth)) != nil {
			return nil, false, nil
		}
	}
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make([]error, len(paths))
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				changes[i], fresh[i], errs[i] = quickFile(dir, paths[i], m.Files[paths[i]])
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
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

// quickFile tells what the full plan would do with a file whose new content
// is what the manifest records; fresh is false when that would be a write.
func quickFile(dir, pth string, e Entry) (c Change, fresh bool, err error) {
	c = Change{Path: pth, Policy: e.Policy}
	disk, err := readFile(dir, pth)
	if err != nil {
		return c, false, err
	}
	c.before, c.after = disk, disk
	if e.Policy != files.Scaffold.String() {
		if disk == nil || !unedited(pth, disk, e) {
			return c, false, nil // recreate or replace
		}
		c.Action = Unchanged
		return c, true, nil
	}
	base, err := readFile(dir, basePath(pth))
	if err != nil || base == nil || sum(base) != e.SHA256 {
		return c, false, err // the full plan would write the base
	}
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
