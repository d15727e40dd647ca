package merge

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
)

// GoCanonical returns Go source in a form that gofmt and goimports do not
// change the meaning of: all imports in one sorted block, then gofmt. Two
// versions of a file that differ only by what those tools do have the same
// canonical form. Source that does not parse is returned as is. (The writer
// remembers results across runs under a versioned name: a change to what
// this returns must bump that version.)
func GoCanonical(src []byte) []byte {
	out, ok := joinImports(src)
	if !ok {
		return src
	}
	return gofmt(out)
}

// GoCanonicalOfFormatted is GoCanonical for source that is gofmt's output
// already: joining its imports into one sorted block leaves it formatted,
// so the second gofmt (most of GoCanonical's cost) is skipped.
func GoCanonicalOfFormatted(src []byte) []byte {
	out, _ := joinImports(src)
	return out
}

// joinImports returns src with all its imports in one sorted block; ok is
// false when src does not parse. Where the block cannot be rebuilt without
// losing comments, src is returned unchanged.
func joinImports(src []byte) (out []byte, ok bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.ImportsOnly)
	if err != nil {
		return src, false
	}
	type spec struct{ name, path string }
	var specs []spec
	var first, last token.Pos
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		if first == token.NoPos {
			first = gd.Pos()
		}
		last = gd.End()
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			if is.Doc != nil || is.Comment != nil {
				return src, true // commented imports: leave the layout alone
			}
			name := ""
			if is.Name != nil {
				name = is.Name.Name + " "
			}
			p, _ := strconv.Unquote(is.Path.Value)
			specs = append(specs, spec{name, p})
		}
	}
	if len(specs) == 0 {
		return src, true
	}
	// Comments between the import declarations would be lost: keep as is.
	for _, cg := range f.Comments {
		if cg.Pos() > first && cg.End() < last {
			return src, true
		}
	}
	sort.Slice(specs, func(i, j int) bool {
		if specs[i].path != specs[j].path {
			return specs[i].path < specs[j].path
		}
		return specs[i].name < specs[j].name
	})
	var b bytes.Buffer
	b.Grow(len(src) + 64)
	b.Write(src[:fset.Position(first).Offset])
	b.WriteString("import (\n")
	for _, s := range specs {
		b.WriteString("\t" + s.name + strconv.Quote(s.path) + "\n")
	}
	b.WriteString(")")
	b.Write(src[fset.Position(last).Offset:])
	return b.Bytes(), true
}

func gofmt(src []byte) []byte {
	out, err := format.Source(src)
	if err != nil {
		return src
	}
	return out
}
