package templates

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
)

// TestTemplatesVary: a long template holds what varies between systems. A
// file of 150 lines or more with fewer than four actions is code kept as
// text: it belongs in internal/runtime, compiled and tested as Go.
func TestTemplatesVary(t *testing.T) {
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		open := []byte("{{")
		if strings.HasSuffix(p, ".html.tmpl") {
			open = []byte("[[")
		}
		lines, actions := bytes.Count(b, []byte("\n")), bytes.Count(b, open)
		if lines >= 150 && actions < 4 {
			t.Errorf("%s: %d lines, %d template actions: move it to internal/runtime", p, lines, actions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
