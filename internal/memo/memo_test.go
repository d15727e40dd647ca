package memo

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func table(t *testing.T) *Table {
	t.Helper()
	t.Setenv(RootEnv, t.TempDir())
	t.Setenv(OffEnv, "")
	tab := Open("test-1")
	if tab == nil {
		t.Fatal("no table")
	}
	// Before the temporary directory goes: the background Trim writes
	// its mark there.
	t.Cleanup(tab.trimmer.Wait)
	return tab
}

func TestPutGet(t *testing.T) {
	tab := table(t)
	k := KeyOf([]byte("input"))
	if _, ok := tab.Get(k); ok {
		t.Fatal("hit in an empty table")
	}
	tab.Put(k, []byte("result"))
	if v, ok := tab.Get(k); !ok || string(v) != "result" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	tab.Put(k, nil) // an empty result is a result
	if v, ok := tab.Get(k); !ok || len(v) != 0 {
		t.Fatalf("Get = %q, %v; want an empty hit", v, ok)
	}
}

func TestKeysFrameTheirParts(t *testing.T) {
	if KeyOf([]byte("ab"), []byte("c")) == KeyOf([]byte("a"), []byte("bc")) {
		t.Fatal("parts run into each other")
	}
	if KeyOf([]byte("a")) != KeyOf([]byte("a")) {
		t.Fatal("not deterministic")
	}
}

// A damaged entry is a miss, never a wrong value.
func TestDamagedEntryMisses(t *testing.T) {
	tab := table(t)
	k := KeyOf([]byte("input"))
	tab.Put(k, []byte("result"))
	p := tab.path(k)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{
		"flipped":   append(append([]byte{}, b[:len(b)-1]...), b[len(b)-1]^1),
		"truncated": b[:len(b)-2],
		"short":     b[:10],
		"empty":     {},
	} {
		if err := os.WriteFile(p, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		if v, ok := tab.Get(k); ok {
			t.Errorf("%s entry: hit %q", name, v)
		}
	}
}

func TestOff(t *testing.T) {
	t.Setenv(RootEnv, t.TempDir())
	t.Setenv(OffEnv, "off")
	tab := Open("test-1")
	if tab != nil {
		t.Fatal("a table while off")
	}
	tab.Put(KeyOf(nil), []byte("x")) // nil tables remember nothing
	if _, ok := tab.Get(KeyOf(nil)); ok {
		t.Fatal("hit in a nil table")
	}
}

// Trim removes what was not used for the given age, keeps the rest, and
// runs at most once a day.
func TestTrim(t *testing.T) {
	tab := &Table{dir: filepath.Join(t.TempDir(), "t")}
	old, fresh := KeyOf([]byte("old")), KeyOf([]byte("fresh"))
	tab.Put(old, []byte("o"))
	tab.Put(fresh, []byte("f"))
	long := time.Now().Add(-10 * 24 * time.Hour)
	if err := os.Chtimes(tab.path(old), long, long); err != nil {
		t.Fatal(err)
	}
	if err := tab.Trim(maxUnused); err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Get(old); ok {
		t.Error("an entry unused for 10 days survived")
	}
	if _, ok := tab.Get(fresh); !ok {
		t.Error("a fresh entry was trimmed")
	}
	tab.Put(old, []byte("o"))
	if err := os.Chtimes(tab.path(old), long, long); err != nil {
		t.Fatal(err)
	}
	if err := tab.Trim(maxUnused); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tab.path(old)); err != nil {
		t.Error("trimmed twice in a day")
	}
}

// A hit on an entry last used long ago marks it used, so Trim keeps it.
func TestGetRefreshes(t *testing.T) {
	tab := &Table{dir: filepath.Join(t.TempDir(), "t")}
	k := KeyOf([]byte("x"))
	tab.Put(k, []byte("x"))
	long := time.Now().Add(-10 * 24 * time.Hour)
	if err := os.Chtimes(tab.path(k), long, long); err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Get(k); !ok {
		t.Fatal("miss")
	}
	fi, err := os.Stat(tab.path(k))
	if err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Fatalf("not refreshed: %v %v", fi.ModTime(), err)
	}
}
