package protoc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/microforge/microforge/internal/memo"
)

// CompileAndGenerate compiles sources (see Compile) and runs the plugins
// over them (see Generate). With the GoInstall runner the result is
// remembered by the sources, the plugins and this build's dependencies: a
// generation whose protos did not change neither compiles them nor builds
// the plugins' request again. (The compile is a check as well; sources
// remembered compiled before.)
func CompileAndGenerate(ctx context.Context, r Runner, sources []Source, plugins ...Plugin) ([]File, error) {
	t, key, ok := sourcesKey(r, sources, plugins)
	if ok {
		if b, hit := t.Get(key); hit {
			if out, err := decodeFiles(b); err == nil {
				return out, nil
			}
		}
	}
	compiled, err := Compile(ctx, sources)
	if err != nil {
		return nil, CompileError{err}
	}
	out, err := Generate(ctx, r, compiled, plugins...)
	if err != nil {
		return nil, err
	}
	if ok {
		t.Put(key, encodeFiles(out))
	}
	return out, nil
}

// CompileError is CompileAndGenerate's error when the sources do not
// compile (rather than a plugin failing).
type CompileError struct{ Err error }

func (e CompileError) Error() string { return e.Err.Error() }
func (e CompileError) Unwrap() error { return e.Err }

var generatedMemo = sync.OnceValue(func() *memo.Table { return memo.Open("protoc-sources-1") })

// buildDeps names the module versions this binary was built with: what
// compiles the protos (protocompile, protobuf-go and the registered
// imports) is among them. "" when unknown.
var buildDeps = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", bi.GoVersion, bi.Main.Path)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		fmt.Fprintf(&b, "%s %s %s\n", d.Path, d.Version, d.Sum)
	}
	return b.String()
})

// sourcesKey is the memo key of a CompileAndGenerate; ok is false when the
// result cannot be remembered (another runner, an unknown build, a plugin
// not built yet).
func sourcesKey(r Runner, sources []Source, plugins []Plugin) (*memo.Table, memo.Key, bool) {
	g, isGoInstall := r.(*GoInstall)
	deps := buildDeps()
	t := generatedMemo()
	if !isGoInstall || deps == "" || t == nil {
		return nil, memo.Key{}, false
	}
	parts := [][]byte{[]byte(deps)}
	for _, p := range plugins {
		bin, err := g.Path(p)
		if err != nil {
			return nil, memo.Key{}, false
		}
		fi, err := os.Stat(bin)
		if err != nil {
			return nil, memo.Key{}, false
		}
		parts = append(parts, []byte(fmt.Sprint(p.String(), " ", p.Parameter, " ", fi.Size(), " ", fi.ModTime().UnixNano())))
	}
	sorted := append([]Source(nil), sources...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, s := range sorted {
		parts = append(parts, []byte(s.Path), s.Content)
	}
	return t, memo.KeyOf(parts...), true
}

// encodeFiles and decodeFiles store files as length-prefixed fields: name,
// plugin, content.
func encodeFiles(fs []File) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		for _, field := range [][]byte{[]byte(f.Name), []byte(f.Plugin), f.Content} {
			b.Write(binary.AppendUvarint(nil, uint64(len(field))))
			b.Write(field)
		}
	}
	return b.Bytes()
}

func decodeFiles(b []byte) ([]File, error) {
	var out []File
	for len(b) > 0 {
		var fields [3][]byte
		for i := range fields {
			n, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < n {
				return nil, errors.New("damaged")
			}
			fields[i], b = b[k:k+int(n)], b[k+int(n):]
		}
		out = append(out, File{Name: string(fields[0]), Plugin: string(fields[1]), Content: fields[2]})
	}
	return out, nil
}
