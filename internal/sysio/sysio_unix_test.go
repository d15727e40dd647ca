//go:build unix

package sysio

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteNew(t *testing.T) {
	// A mask stricter than the modes asked for (set before the package
	// first reads it; microforge never changes its umask).
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, mode := range []fs.FileMode{0o644, 0o755} {
		p := filepath.Join(dir, mode.String())
		if err := WriteNew(p, []byte("content"), mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("mode %v, want %v", fi.Mode().Perm(), mode)
		}
		if b, _ := os.ReadFile(p); string(b) != "content" {
			t.Errorf("content %q", b)
		}
		if err := WriteNew(p, []byte("again"), mode); err == nil {
			t.Error("overwrote an existing file")
		}
	}
}
