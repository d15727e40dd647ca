// Package templates holds every template microforge renders, embedded in the
// binary. A template is named after the path it produces, relative to this
// folder, with ".tmpl" appended; placeholders in brackets stand for names
// ("service/internal/[service]/store.go.tmpl"). Files whose base name starts
// with "_" are partials: they only {{define}} blocks for other templates.
//
// Templates only format: every value they print is decided in the model or in
// the generator's view of it.
//
// Templates of HTML files ("*.html.tmpl") use [[ and ]] as delimiters: the
// HTML they produce is itself an html/template, whose actions are {{ and }}.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

//go:embed all:proto all:service all:gateway all:docs all:deploy all:ci
var files embed.FS

var (
	parseOnce sync.Once
	parsed    *template.Template
	parseErr  error
)

func load() (*template.Template, error) {
	parseOnce.Do(func() {
		root := template.New("").Funcs(sprig.TxtFuncMap()).Option("missingkey=error")
		parseErr = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") {
				return err
			}
			src, err := files.ReadFile(p)
			if err != nil {
				return err
			}
			t := root.New(strings.TrimSuffix(p, ".tmpl"))
			if strings.HasSuffix(p, ".html.tmpl") {
				t.Delims("[[", "]]")
			}
			if _, err := t.Parse(string(src)); err != nil {
				return fmt.Errorf("internal error: parse template %s: %w", p, err)
			}
			return nil
		})
		parsed = root
	})
	return parsed, parseErr
}

// Preload parses the templates now (they are otherwise parsed on the first
// Render), so that a caller can overlap the parsing with other work.
func Preload() error {
	_, err := load()
	return err
}

// Render executes the template named name (its path without ".tmpl").
func Render(name string, data any) ([]byte, error) {
	t, err := load()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if n, ok := sizes.Load(name); ok {
		buf.Grow(n.(int) + n.(int)/4) // growing the buffer by doubling was a tenth of rendering
	}
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("internal error: render %s: %w", name, err)
	}
	sizes.Store(name, buf.Len())
	return buf.Bytes(), nil
}

// sizes holds the size of each template's last output.
var sizes sync.Map

// Names returns the names of the non-partial templates below dir, sorted.
func Names(dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(files, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") || strings.HasPrefix(d.Name(), "_") {
			return err
		}
		out = append(out, strings.TrimSuffix(p, ".tmpl"))
		return nil
	})
	return out, err
}
