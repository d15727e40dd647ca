package generate

import (
	"bytes"
	"go/scanner"
	"go/token"
	"path"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/model"
)

// maxSharedRun is the longest run of lines two services' files may share
// once names, strings and numbers are set aside: a longer one is code that
// belongs in the shared platform (issue 13).
const maxSharedRun = 40

// TestServicesAreThin generates shop and checks that no two services' Go
// files share a run of maxSharedRun or more lines that differ only in
// service and entity names, literals and numbers. It logs the count of
// non-test Go lines outside gen/, the size issue 13 tracks.
func TestServicesAreThin(t *testing.T) {
	sys := load(t, "shop")
	set, err := Files(sys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	norm := newNormaliser(sys)
	type goFile struct {
		service, path string
		lines         []string
	}
	var perService []goFile
	lines := 0
	for _, f := range set.Files() {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		if !strings.HasPrefix(f.Path, "gen/") && !strings.HasSuffix(f.Path, "_test.go") {
			lines += bytes.Count(f.Content, []byte("\n"))
		}
		for _, s := range sys.Services {
			if path.Dir(f.Path) == "internal/"+s.Name {
				perService = append(perService, goFile{s.Name, f.Path, norm.lines(t, f.Path, f.Content)})
			}
		}
	}
	t.Logf("shop: %d lines of non-test Go outside gen/", lines)
	if len(perService) == 0 {
		t.Fatal("no service files generated")
	}
	for i, a := range perService {
		for _, b := range perService[i+1:] {
			if a.service == b.service {
				continue
			}
			n, atA, atB := longestSharedRun(a.lines, b.lines)
			if n >= maxSharedRun {
				t.Errorf("%s and %s share %d lines (normalised line %d and %d on): move them to the shared platform", a.path, b.path, n, atA+1, atB+1)
			}
		}
	}
}

// TestNormaliser checks the normaliser on a small source: names of the
// system's services and entities, literals and numbers become
// placeholders; comments and blank lines drop out.
func TestNormaliser(t *testing.T) {
	n := &normaliser{names: []string{"orders", "payment"}}
	got := n.lines(t, "x.go", []byte("package orders\n\n// a comment\nfunc GetPayment(id string) error {\n\treturn fmt.Errorf(\"payment %q: %d\", id, 42)\n}\n"))
	want := []string{"package _N", "func _N ( id string ) error {", "return fmt . Errorf ( _L , id , _L )", "}"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("normalised\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r, _, _ := longestSharedRun([]string{"a", "b", "c", "d"}, []string{"x", "b", "c", "y", "b"}); r != 2 {
		t.Errorf("longest shared run = %d, want 2", r)
	}
}

// normaliser turns Go source into lines of tokens in which identifiers
// containing a service or entity name, literals and numbers are
// placeholders.
type normaliser struct {
	names []string // lower case
}

func newNormaliser(sys *model.System) *normaliser {
	n := &normaliser{}
	for _, s := range sys.Services {
		n.names = append(n.names, strings.ToLower(strings.ReplaceAll(s.Name, "_", "")))
		for _, e := range s.Entities {
			n.names = append(n.names, strings.ToLower(e.Name()))
		}
	}
	return n
}

// lines returns the normalised lines of src that hold tokens.
func (n *normaliser) lines(t *testing.T, name string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, func(pos token.Position, msg string) { t.Errorf("%s: %s", pos, msg) }, 0)
	var out []string
	var cur []string
	line := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at line ends
		}
		if l := file.Line(pos); l != line {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, " "))
			}
			cur, line = nil, l
		}
		cur = append(cur, n.token(tok, lit))
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

func (n *normaliser) token(tok token.Token, lit string) string {
	switch {
	case tok.IsLiteral() && tok != token.IDENT:
		return "_L"
	case tok == token.IDENT:
		lower := strings.ToLower(lit)
		for _, name := range n.names {
			if strings.Contains(lower, name) {
				return "_N"
			}
		}
		return lit
	}
	return tok.String()
}

// longestSharedRun returns the length of the longest run of equal
// consecutive lines in a and b, and where it starts in each.
func longestSharedRun(a, b []string) (n, atA, atB int) {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
				if cur[j] > n {
					n, atA, atB = cur[j], i-cur[j], j-cur[j]
				}
			} else {
				cur[j] = 0
			}
		}
		prev, cur = cur, prev
	}
	return n, atA, atB
}
