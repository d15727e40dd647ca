package blueprint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// Diagnostic is one problem in a blueprint, at a 1-based line and column.
type Diagnostic struct {
	File      string
	Line, Col int
	Msg       string
	Hint      string // optional advice, printed after the message
}

// String formats the diagnostic as `file:line:col: message (hint: hint)`.
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
	if d.Hint != "" {
		s += " (hint: " + d.Hint + ")"
	}
	return s
}

// Diagnostics is every problem found in a blueprint, sorted by position. It is
// the only error type Parse returns for mistakes in the blueprint.
type Diagnostics []Diagnostic

// Error prints one diagnostic per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

func (ds Diagnostics) sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Col < ds[j].Col
	})
}

// InternalError is a bug in microforge, not a mistake in the blueprint.
type InternalError struct {
	Err error
}

func (e *InternalError) Error() string { return "internal error (please report): " + e.Err.Error() }
func (e *InternalError) Unwrap() error { return e.Err }

// pos is a 1-based position in the blueprint file.
type pos struct{ Line, Col int }

// sink collects diagnostics of one file.
type sink struct {
	file  string
	diags Diagnostics
	seen  map[Diagnostic]bool
}

func (s *sink) errorf(p pos, hint string, format string, args ...any) {
	if p.Line < 1 {
		p.Line = 1
	}
	if p.Col < 1 {
		p.Col = 1
	}
	d := Diagnostic{File: s.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...), Hint: hint}
	if s.seen == nil {
		s.seen = map[Diagnostic]bool{}
	}
	if s.seen[d] {
		return
	}
	s.seen[d] = true
	s.diags = append(s.diags, d)
}

// didYouMean returns a hint naming the candidate closest to name, or "".
func didYouMean(name string, candidates []string) string { return model.DidYouMean(name, candidates) }

// closest returns the candidate nearest to name by edit distance (ignoring
// case), or "" when none is near enough to be a likely typo.
func closest(name string, candidates []string) string { return model.Closest(name, candidates) }
