// Package blueprint reads a microforge blueprint (YAML, format version 1),
// checks it and builds the resolved model.System that every generator reads.
//
// Decoding is strict: unknown and duplicate keys and values of the wrong kind
// are errors. Every problem found is reported, each at the precise token it
// concerns, as a Diagnostics value whose Error method prints one line per
// problem, sorted by position:
//
//	file:line:col: message
//	file:line:col: message (hint: did you mean "payments"?)
//
// Lines and columns are 1-based. The optional hint is always the last thing
// on the line, in parentheses after "hint: ".
//
// Parse returns a Diagnostics error for mistakes in the blueprint, and an
// *InternalError for bugs in microforge; Load may also return the error of
// reading the file.
package blueprint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/internal/model"
)

// Options of a parse.
type Options struct {
	// History is what earlier generations of the repository decided: the
	// numbers on the wire, the migrations. nil for a first generation.
	History *model.History
	// AllowBreaking accepts every breaking change (--allow-breaking), as if
	// the blueprint listed each under allow_breaking.
	AllowBreaking bool
}

// Load reads the blueprint at path and parses it; diagnostics name the path
// as given.
func Load(path string) (*model.System, error) { return LoadWith(path, Options{}) }

// LoadWith is Load against a repository's history.
func LoadWith(path string, o Options) (*model.System, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read blueprint: %w", err)
	}
	return ParseWith(path, src, o)
}

// Parse decodes and validates the blueprint src, read from filename, and
// returns the finalized model. Mistakes in the blueprint are reported as
// Diagnostics.
func Parse(filename string, src []byte) (*model.System, error) {
	return ParseWith(filename, src, Options{})
}

// ParseWith is Parse against a repository's history: numbers on the wire
// stay where earlier generations put them, applied migrations stay as they
// are and a changed schema becomes a new one, and changes that existing
// data or callers cannot read, or migrations that lose data, are refused
// unless acknowledged.
func ParseWith(filename string, src []byte, o Options) (sys *model.System, err error) {
	defer func() {
		if r := recover(); r != nil {
			sys, err = nil, &InternalError{Err: fmt.Errorf("parse %s: %v\n%s", filename, r, debug.Stack())}
		}
	}()
	s := &sink{file: filename}
	root, ok := parseYAML(s, src)
	if !ok {
		return nil, s.result()
	}
	var w fileWire
	d := &decoder{sink: s}
	d.decode(root, reflect.ValueOf(&w).Elem(), "blueprint")
	b := newBuilder(s, &w)
	sys = b.build()
	if len(s.diags) > 0 {
		return nil, s.result()
	}
	b.compile(o)
	if len(s.diags) > 0 {
		return nil, s.result()
	}
	sys.Blueprint = src
	return sys, nil
}

func (s *sink) result() error {
	s.diags.sort()
	return s.diags
}

var yamlErrRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parseYAML parses src into the root mapping node, reporting syntax errors.
func parseYAML(s *sink, src []byte) (root *yaml.Node, ok bool) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			s.errorf(pos{1, 1}, "start with \"version: 1\"", "the blueprint is empty")
			return nil, false
		}
		reportYAMLError(s, err)
		return nil, false
	}
	var extra yaml.Node
	if err := safeDecode(dec, &extra); err == nil {
		s.errorf(nodePos(&extra), "", "a blueprint holds one YAML document; remove the second one")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		reportYAMLError(s, err)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		s.errorf(pos{1, 1}, "start with \"version: 1\"", "the blueprint is empty")
		return nil, false
	}
	return doc.Content[0], true
}

// safeDecode decodes one document, turning a panic of the YAML library into
// an error so that a malformed file is always a diagnostic.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

func reportYAMLError(s *sink, err error) {
	line, msg := 1, err.Error()
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
	}
	s.errorf(pos{line, 1}, "", "invalid YAML: %s", msg)
}
