package writer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/microforge/microforge/internal/files"
)

// Manifest records what the last generation wrote. It is JSON with sorted
// keys, one file per entry, so that its git diffs read well.
type Manifest struct {
	Tool string `json:"tool"`
	// Inputs fingerprints what produced the files (see Options.Inputs).
	Inputs string           `json:"inputs,omitempty"`
	Files  map[string]Entry `json:"files"`
}

// Entry is one generated file in the manifest.
type Entry struct {
	SHA256 string `json:"sha256"`
	// Canonical is the SHA-256 of the file's gofmt/goimports-insensitive
	// form (see merge.GoCanonical) for owned Go files where it differs, so
	// that a user's gofmt run is not mistaken for an edit.
	Canonical string `json:"canonical,omitempty"`
	Policy    string `json:"policy"`
}

func readManifest(dir string) (Manifest, bool, error) {
	m := Manifest{Files: map[string]Entry{}}
	b, err := readFile(dir, ManifestPath)
	if err != nil || b == nil {
		return m, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, false, fmt.Errorf("%s: %v (delete it to start over; every existing file is then treated as yours)", ManifestPath, err)
	}
	if m.Files == nil {
		m.Files = map[string]Entry{}
	}
	return m, true, nil
}

// planManifest writes the manifest when it changes. The tool version and
// inputs alone do not count as a change: a no-op regeneration by a newer
// microforge writes nothing (it just cannot take QuickPlan's shortcut until
// something else changes).
func (p *Plan) planManifest() error {
	cur, err := readFile(p.Dir, ManifestPath)
	if err != nil {
		return err
	}
	if cur != nil && len(p.writes) == 0 && len(p.removes) == 0 {
		var old Manifest
		if json.Unmarshal(cur, &old) == nil && sameFiles(old.Files, p.manifest.Files) {
			return nil
		}
	}
	b, err := json.MarshalIndent(p.manifest, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if !bytes.Equal(cur, b) {
		p.writes[ManifestPath] = output{content: b}
	}
	return nil
}

func sameFiles(a, b map[string]Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// LastGenerated returns the files the last generation wrote, for which keep
// returns true, as they are on disk; files the user edited or deleted since
// are left out (their last generated content is not known).
func LastGenerated(dir string, keep func(path string) bool) (map[string][]byte, error) {
	m, _, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for pth, e := range m.Files {
		if !keep(pth) || files.CheckPath(pth) != nil || checkNoSymlink(dir, pth) != nil {
			continue
		}
		b, err := readFile(dir, pth)
		if err != nil {
			return nil, err
		}
		if b != nil && sum(b) == e.SHA256 {
			out[pth] = b
		}
	}
	return out, nil
}
