// Package memo remembers results of pure functions of content across runs
// of microforge: the gofmt of a rendered Go file, the canonical hash of a
// generated one, the Go code protoc plugins made of a set of protos. A
// generation then computes only what no earlier generation on this machine
// computed, the way the go command's build cache works.
//
// Entries live under <cache root>/memo/<table>/, one file per key, named by
// the key's hex. Each is written to a temporary file and renamed into place,
// so concurrent processes never see half of one, and starts with the SHA-256
// of its value, checked on every read: a damaged entry is a miss, never a
// wrong result. Entries unused for a few days are removed (Trim).
//
// The memo changes how fast microforge is, never what it generates: with no
// cache directory, or MICROFORGE_MEMO=off, every Get misses.
package memo

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/microforge/microforge/internal/sysio"
)

// RootEnv overrides the cache root; OffEnv=off turns memoization off.
const (
	RootEnv = "MICROFORGE_CACHE_DIR"
	OffEnv  = "MICROFORGE_MEMO"
)

// Root returns microforge's per-user cache root: $MICROFORGE_CACHE_DIR if
// set, else the "microforge" folder of the user's cache directory.
func Root() (string, error) {
	if dir := os.Getenv(RootEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory (set %s): %w", RootEnv, err)
	}
	return filepath.Join(dir, "microforge"), nil
}

// Key names an entry: the SHA-256 of everything the result depends on.
type Key [sha256.Size]byte

// KeyOf returns the key of a function's inputs. Each part is framed by its
// length, so ("ab", "c") and ("a", "bc") differ.
func KeyOf(parts ...[]byte) Key {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		for i := range n {
			n[i] = byte(uint64(len(p)) >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	var k Key
	h.Sum(k[:0])
	return k
}

// Table is one kind of memoized result. The zero of *Table (nil) is a memo
// that remembers nothing.
type Table struct {
	dir     string
	dirs    sync.Map       // shard directories known to exist
	trimmer sync.WaitGroup // the Trim Open started
}

var (
	tablesMu sync.Mutex
	tables   = map[string]*Table{}
)

// Open returns the table named name (which should say what it holds and
// carry a version, "gofmt-go1.26.1-v1"), or nil when there is no cache
// directory or memoization is off.
func Open(name string) *Table {
	if os.Getenv(OffEnv) == "off" {
		return nil
	}
	root, err := Root()
	if err != nil {
		return nil
	}
	dir := filepath.Join(root, "memo", name)
	tablesMu.Lock()
	defer tablesMu.Unlock()
	if t, ok := tables[dir]; ok {
		return t
	}
	t := &Table{dir: dir}
	tables[dir] = t
	t.trimmer.Go(func() { t.Trim(maxUnused) }) // in the background, at most once a day
	return t
}

// GoVersion is the Go release microforge was built with: results of Go's
// own packages (go/format) belong in tables named after it.
var GoVersion = runtime.Version()

func (t *Table) path(k Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(t.dir, h[:2], h)
}

// Get returns the value stored under k.
func (t *Table) Get(k Key) ([]byte, bool) {
	if t == nil {
		return nil, false
	}
	p := t.path(k)
	b, mtime, err := sysio.ReadFile(p, nil, false)
	if err != nil || len(b) < sha256.Size {
		return nil, false
	}
	sum, value := b[:sha256.Size], b[sha256.Size:]
	if got := sha256.Sum256(value); !bytes.Equal(sum, got[:]) {
		return nil, false
	}
	if time.Since(mtime) > refresh {
		now := time.Now()
		os.Chtimes(p, now, now)
	}
	return value, true
}

// Put stores value under k; failing to, it stores nothing (the memo is an
// optimisation, never a reason for a generation to fail).
func (t *Table) Put(k Key, value []byte) {
	if t == nil {
		return
	}
	p := t.path(k)
	dir := filepath.Dir(p)
	if _, made := t.dirs.Load(dir); !made {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		t.dirs.Store(dir, true)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := p + ".tmp-" + hex.EncodeToString(rnd[:])
	sum := sha256.Sum256(value)
	if sysio.WriteNew(tmp, append(sum[:], value...), 0o644) != nil || os.Rename(tmp, p) != nil {
		os.Remove(tmp)
	}
}

// Entries used within refresh keep their modification time; older ones
// get a new one when used, so Trim sees what is still in use without a
// write on every hit.
const (
	refresh   = time.Hour
	maxUnused = 5 * 24 * time.Hour
	trimEvery = 24 * time.Hour
)

// Trim removes the entries not used for maxAge, at most once per day per
// table (the time of the last trim is kept in the table's trim.txt).
func (t *Table) Trim(maxAge time.Duration) error {
	if t == nil {
		return nil
	}
	mark := filepath.Join(t.dir, "trim.txt")
	if fi, err := os.Stat(mark); err == nil && time.Since(fi.ModTime()) < trimEvery {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(mark, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return err
	}
	cutoff := time.Now().Add(-maxAge)
	return filepath.WalkDir(t.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == mark {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(p)
		}
		return nil
	})
}
