package sysio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if b, _, err := ReadFile(p, nil, true); b != nil || err != nil {
		t.Fatalf("missing file: %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _, err := ReadFile(filepath.Join(dir, "empty"), nil, true); b == nil || len(b) != 0 || err != nil {
		t.Fatalf("empty file: %q (nil %v), %v", b, b == nil, err)
	}
	want := make([]byte, 100_000)
	for i := range want {
		want[i] = byte(i)
	}
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	// Into a nil, a small and a large buffer.
	for _, buf := range [][]byte{nil, make([]byte, 3), make([]byte, 0, 1<<20)} {
		b, mtime, err := ReadFile(p, buf, true)
		if err != nil || string(b) != string(want) || mtime.IsZero() {
			t.Fatalf("read %d bytes (want %d), mtime %v, %v", len(b), len(want), mtime, err)
		}
	}
	if _, _, err := ReadFile(dir, nil, false); err == nil {
		t.Fatal("read a directory")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Skip(err)
	}
	if _, _, err := ReadFile(link, nil, true); !errors.Is(err, ErrSymlink) {
		t.Fatalf("no-follow read of a symlink: %v", err)
	}
	if b, _, err := ReadFile(link, nil, false); err != nil || len(b) != len(want) {
		t.Fatalf("read through a symlink: %d bytes, %v", len(b), err)
	}
}
