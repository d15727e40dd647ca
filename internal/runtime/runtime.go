// Package runtime holds the shared code of generated systems as real Go:
// the packages below internal/platform and internal/dashboard of every
// generated repository. They are compiled, vetted and tested here, in
// microforge's module, and copied into each generated repository with only
// their import path rewritten, so a generated repository depends on no
// unpublished module.
//
// A directory here mirrors the generated repository's internal/ folder:
// runtime/platform/saga becomes internal/platform/saga. Files built only
// for multi-tenant systems carry the constraint "//go:build tenancy", their
// single-tenant counterparts "//go:build !tenancy"; a copy keeps the files
// of its system's variant and drops the constraint line. Test both
// variants with
//
//	go test ./internal/runtime/... && go test -tags tenancy ./internal/runtime/...
//
// What differs between systems (a stream's name, a tenancy claim) is not
// here: a template in templates/service renders the file holding it, and a
// copy skips the runtime file of the same path (its stand-in for tests).
package runtime

import (
	"bytes"
	"embed"
	"fmt"
	"go/build/constraint"
	"io/fs"
	"path"
	"strings"

	"github.com/microforge/microforge/internal/files"
)

//go:embed platform dashboard
var src embed.FS

// ImportPath is the import path of this package; the import paths of the
// runtime packages start with it.
const ImportPath = "github.com/microforge/microforge/internal/runtime"

// File is one runtime file as a generated repository holds it.
type File struct {
	Path    string // relative to the repository, "internal/platform/saga/saga.go"
	Content []byte
}

// Files returns the runtime files below dir (relative to this package,
// "platform/saga"), as a repository of module module holds them: import
// paths rewritten, and, for Go files, only those of the variant that tags
// selects with their build constraint removed.
func Files(dir, module string, tags map[string]bool) ([]File, error) {
	var out []File
	err := fs.WalkDir(src, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := src.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") {
			var keep bool
			b, keep, err = variant(b, tags)
			if err != nil {
				return fmt.Errorf("internal error: runtime file %s: %w", p, err)
			}
			if !keep {
				return nil
			}
			b = bytes.ReplaceAll(b, []byte(ImportPath+"/"), []byte(module+"/internal/"))
		}
		out = append(out, File{Path: path.Join("internal", p), Content: b})
		return nil
	})
	return out, err
}

// Package returns the files of the runtime package dir ("platform/saga";
// not those of packages below it, each ships on its own condition) as
// generated files of generator: Files' copies, Go files with the "Code
// generated" header. They are gofmt's output already (a test checks every
// runtime file is), so generation does not format them again.
func Package(dir, module string, tags map[string]bool, generator string) ([]files.File, error) {
	rfs, err := Files(dir, module, tags)
	if err != nil {
		return nil, err
	}
	var out []files.File
	for _, rf := range rfs {
		if strings.Contains(strings.TrimPrefix(rf.Path, "internal/"+dir+"/"), "/") {
			continue
		}
		f := files.File{Path: rf.Path, Content: rf.Content, Policy: files.Owned, Generator: generator}
		if strings.HasSuffix(rf.Path, ".go") {
			f.Content = append([]byte(files.GoHeader+"\n\n"), rf.Content...)
			f.Formatted = true
		}
		out = append(out, f)
	}
	return out, nil
}

// variant reports whether a Go source belongs to the variant tags selects
// and returns it without its "//go:build" line (and the blank line after).
func variant(b []byte, tags map[string]bool) ([]byte, bool, error) {
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		if end < 0 {
			break
		}
		line := string(b[off : off+end])
		if strings.HasPrefix(line, "package ") {
			break
		}
		if constraint.IsGoBuild(line) {
			expr, err := constraint.Parse(line)
			if err != nil {
				return nil, false, err
			}
			if !expr.Eval(func(tag string) bool { return tags[tag] }) {
				return nil, false, nil
			}
			rest := b[off+end+1:]
			rest = bytes.TrimPrefix(rest, []byte("\n"))
			return append(append([]byte{}, b[:off]...), rest...), true, nil
		}
		off += end + 1
	}
	return b, true, nil
}
