package blueprint

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Patch applies to src the change that turns old into new. old and new are
// two blueprints written by one writer (the wizard's answers before and
// after an edit); src is the blueprint old stands for as its author keeps
// it: with comments, blank lines, quoting, block or flow style, and keys
// old does not hold at all. Like the other edits here, Patch changes src
// as a person would:
//
//   - a key whose value is the same in old and new keeps its bytes in src,
//     whatever its style there;
//   - a changed value is replaced by new's text for it, re-indented (a
//     comment at the end of a one-line value stays);
//   - a key new adds is inserted after the key that precedes it in new, a
//     list item new adds after the list's last item;
//   - a key or item new drops is deleted from src;
//   - keys src holds that neither old nor new mention are left alone.
//
// Mappings written in block style in src and new are followed key by key,
// and lists of block mappings item by item, so changing one command of a
// service rewrites that command's line only. A mapping new writes on one
// line in flow style ({a: b, c: d}) that src writes in block style is
// followed key by key too, so changing an entity's owner rule rewrites the
// owner: line of the entity only. Anything else changes as a whole.
//
// lines maps each line of the result (1-based; lines[0] is unused) to the
// line of new it stands for, or 0 for lines that stand for nothing in new
// (comments, keys only src holds). The result is not validated: parse it.
func Patch(src, old, new []byte) (out []byte, lines []int, err error) {
	s, err := newEditDoc(src)
	if err != nil {
		return nil, nil, err
	}
	o, err := newEditDoc(old)
	if err != nil {
		return nil, nil, fmt.Errorf("internal error: the blueprint before the edit: %v", err)
	}
	n, err := newEditDoc(new)
	if err != nil {
		return nil, nil, err
	}
	p := &patcher{src: s, old: o, new: n}
	if s.root.Style&yaml.FlowStyle != 0 {
		return nil, nil, fmt.Errorf("the blueprint is one flow mapping ({...}): edit it by hand")
	}
	if err := p.mapping(s.root, o.root, n.root); err != nil {
		return nil, nil, err
	}
	out, lines = p.apply()
	return out, lines, nil
}

// patcher collects the edits of src, applied at the end in one pass.
type patcher struct {
	src, old, new *editDoc
	edits         []textEdit
	kept          []keptRange
}

// textEdit replaces the lines from..to of src (1-based, inclusive) with
// text; to == from-1 inserts before line from.
type textEdit struct {
	from, to int
	text     []string
	newLines []int // the line of new each text line comes from
	order    int   // keeps inserts at one place in the order they were made
}

// keptRange says that src's lines from..to hold what new's lines
// newFrom..newTo hold.
type keptRange struct{ from, to, newFrom, newTo int }

func (p *patcher) edit(from, to int, text []string, newLines []int) {
	p.edits = append(p.edits, textEdit{from: from, to: to, text: text, newLines: newLines, order: len(p.edits)})
}

func (p *patcher) keep(from, to, newFrom, newTo int) {
	p.kept = append(p.kept, keptRange{from, to, newFrom, newTo})
}

// mapping patches src's block mapping s from old's a to new's b.
func (p *patcher) mapping(s, a, b *yaml.Node) error {
	for i := 0; i+1 < len(b.Content); i += 2 {
		bk, bv := b.Content[i], b.Content[i+1]
		ak, av := keyValue(a, bk.Value)
		sk, sv := keyValue(s, bk.Value)
		switch {
		case ak != nil && same(av, bv) && !(blockMapping(sv) && blockMapping(bv)) && !(blockSequence(sv) && blockSequence(bv)):
			if sk != nil {
				p.keep(sk.Line, p.src.end(sv, sk.Column-1), bk.Line, p.new.end(bv, bk.Column-1))
			}
		case sk == nil:
			p.insertKey(s, b, i)
		case ak != nil && blockMapping(sv) && p.flowOntoBlock(sv, av, bv):
			p.keep(sk.Line, sk.Line, bk.Line, bk.Line)
		case ak != nil && blockMapping(sv) && blockMapping(av) && blockMapping(bv):
			p.keep(sk.Line, sk.Line, bk.Line, bk.Line)
			if err := p.mapping(sv, av, bv); err != nil {
				return err
			}
		case ak != nil && blockSequence(sv) && av.Kind == yaml.SequenceNode && blockSequence(bv):
			p.keep(sk.Line, sk.Line, bk.Line, bk.Line)
			if err := p.sequence(sv, av, bv); err != nil {
				return err
			}
		default:
			if err := p.replaceKey(sk, sv, bk, bv); err != nil {
				return err
			}
		}
	}
	for i := 0; i+1 < len(a.Content); i += 2 {
		if k, _ := keyValue(b, a.Content[i].Value); k != nil {
			continue
		}
		if sk, sv := keyValue(s, a.Content[i].Value); sk != nil {
			if err := p.deleteKey(sk, sv, s == p.src.root); err != nil {
				return err
			}
		}
	}
	return nil
}

// sequence patches src's block list s item by item.
func (p *patcher) sequence(s, a, b *yaml.Node) error {
	for j, bi := range b.Content {
		switch {
		case j >= len(a.Content) || j >= len(s.Content):
			if err := p.appendItem(s, bi); err != nil {
				return err
			}
		case same(a.Content[j], bi) && !(blockMapping(s.Content[j]) && blockMapping(bi)):
			si := s.Content[j]
			if sd, nd := p.src.dashIndent(si), p.new.dashIndent(bi); sd >= 0 && nd >= 0 {
				p.keep(si.Line, p.src.end(si, sd), bi.Line, p.new.end(bi, nd))
			}
		case blockMapping(s.Content[j]) && blockMapping(a.Content[j]) && blockMapping(bi) && p.src.dashIndent(s.Content[j]) >= 0:
			if err := p.mapping(s.Content[j], a.Content[j], bi); err != nil {
				return err
			}
		default:
			if err := p.replaceItem(s.Content[j], bi); err != nil {
				return err
			}
		}
	}
	for j := len(b.Content); j < len(a.Content) && j < len(s.Content); j++ {
		if err := p.deleteItem(s.Content[j]); err != nil {
			return err
		}
	}
	return nil
}

// newText returns new's lines from..to with indent columns taken off
// every line but the first, whose text starts at column col+1.
func (p *patcher) newText(from, to, col int) ([]string, []int) {
	var text []string
	var at []int
	for l := from; l <= to; l++ {
		line := p.new.lines[l-1]
		if l == from {
			line = line[min(col, len(line)):]
		} else {
			lead := len(line) - len(strings.TrimLeft(line, " "))
			line = line[min(col, lead):]
		}
		text = append(text, line)
		at = append(at, l)
	}
	return text, at
}

// indented prefixes every line but the first with indent spaces (blank
// lines stay blank).
func indented(text []string, indent int) []string {
	out := make([]string, len(text))
	for i, l := range text {
		if i > 0 && l != "" {
			l = strings.Repeat(" ", indent) + l
		}
		out[i] = l
	}
	return out
}

// replaceKey replaces the key sk and its value in src with new's bk and bv.
func (p *patcher) replaceKey(sk, sv, bk, bv *yaml.Node) error {
	from, to := sk.Line, p.src.end(sv, sk.Column-1)
	text, at := p.newText(bk.Line, p.new.end(bv, bk.Column-1), bk.Column-1)
	text = indented(text, sk.Column-1)
	prefix := p.src.lines[from-1][:sk.Column-1]
	text[0] = prefix + text[0]
	if c := lineComment(sk, sv); c != "" && from == to && len(text) == 1 {
		text[0] += " " + c
	}
	p.edit(from, to, text, at)
	return nil
}

// lineComment is the comment at the end of a one-line key and value.
func lineComment(k, v *yaml.Node) string {
	if v.LineComment != "" {
		return v.LineComment
	}
	return k.LineComment
}

// insertKey inserts new's key b.Content[i] into src's mapping s, after the
// key that precedes it in new (the last of s when none does). At the top
// level, the comments just above it in new come along, after a blank line.
func (p *patcher) insertKey(s, b *yaml.Node, i int) {
	bk, bv := b.Content[i], b.Content[i+1]
	col := s.Content[0].Column - 1
	after := 0
	for j := i - 2; j >= 0 && after == 0; j -= 2 {
		if sk, sv := keyValue(s, b.Content[j].Value); sk != nil {
			after = p.src.end(sv, sk.Column-1)
		}
	}
	if after == 0 {
		last := len(s.Content) - 2
		after = p.src.end(s.Content[last+1], s.Content[last].Column-1)
	}
	from := bk.Line
	top := s == p.src.root
	if top {
		for from > 1 && strings.HasPrefix(strings.TrimSpace(p.new.lines[from-2]), "#") {
			from--
		}
	}
	text, at := p.newText(from, p.new.end(bv, bk.Column-1), bk.Column-1)
	text = indented(text, col)
	text[0] = strings.Repeat(" ", col) + text[0]
	if top {
		text, at = append([]string{""}, text...), append([]int{0}, at...)
	}
	p.edit(after+1, after, text, at)
}

// deleteKey deletes the key sk and its value from src; at the top level,
// with the comment lines and the blank line just above it.
func (p *patcher) deleteKey(sk, sv *yaml.Node, top bool) error {
	from, to := sk.Line, p.src.end(sv, sk.Column-1)
	if strings.TrimSpace(p.src.lines[from-1][:sk.Column-1]) != "" {
		return fmt.Errorf("%d:%d: cannot remove %s, the first key of its list item: edit the blueprint by hand", sk.Line, sk.Column, sk.Value)
	}
	if top {
		for from > 1 && strings.HasPrefix(strings.TrimSpace(p.src.lines[from-2]), "#") {
			from--
		}
		if from > 1 && strings.TrimSpace(p.src.lines[from-2]) == "" {
			from--
		}
	}
	p.edit(from, to, nil, nil)
	return nil
}

// itemRange is the lines of the list item n of src, from its dash.
func (p *patcher) itemRange(n *yaml.Node) (from, to, dash int, err error) {
	dash = p.src.dashIndent(n)
	if dash < 0 {
		return 0, 0, 0, fmt.Errorf("%d:%d: cannot tell where this list item starts: edit the blueprint by hand", n.Line, n.Column)
	}
	return n.Line, p.src.end(n, dash), dash, nil
}

// itemText is new's list item bi, its dash at column dash.
func (p *patcher) itemText(bi *yaml.Node, dash int) ([]string, []int, error) {
	bdash := p.new.dashIndent(bi)
	if bdash < 0 {
		return nil, nil, fmt.Errorf("internal error: new list item at line %d has no dash", bi.Line)
	}
	text, at := p.newText(bi.Line, p.new.end(bi, bdash), bdash)
	text = indented(text, dash)
	text[0] = strings.Repeat(" ", dash) + text[0]
	return text, at, nil
}

func (p *patcher) replaceItem(si, bi *yaml.Node) error {
	from, to, dash, err := p.itemRange(si)
	if err != nil {
		return err
	}
	text, at, err := p.itemText(bi, dash)
	if err != nil {
		return err
	}
	p.edit(from, to, text, at)
	return nil
}

// appendItem adds new's item bi after the last item of src's list s, after
// a blank line when the list's items are apart.
func (p *patcher) appendItem(s, bi *yaml.Node) error {
	_, to, dash, err := p.itemRange(s.Content[len(s.Content)-1])
	if err != nil {
		return err
	}
	text, at, err := p.itemText(bi, dash)
	if err != nil {
		return err
	}
	if len(s.Content) > 1 && p.src.blankBefore(s.Content[1].Line) {
		text, at = append([]string{""}, text...), append([]int{0}, at...)
	}
	p.edit(to+1, to, text, at)
	return nil
}

// deleteItem deletes the list item si of src, with the blank line above.
func (p *patcher) deleteItem(si *yaml.Node) error {
	from, to, _, err := p.itemRange(si)
	if err != nil {
		return err
	}
	if p.src.blankBefore(from) {
		from--
	}
	p.edit(from, to, nil, nil)
	return nil
}

// apply writes src with the edits, and maps every line of the result.
func (p *patcher) apply() ([]byte, []int) {
	sort.SliceStable(p.edits, func(i, j int) bool {
		if p.edits[i].from != p.edits[j].from {
			return p.edits[i].from < p.edits[j].from
		}
		return p.edits[i].order < p.edits[j].order
	})
	srcNew := make([]int, len(p.src.lines)+1)
	for _, k := range p.kept {
		for l := k.from; l <= k.to && l < len(srcNew); l++ {
			if k.to-k.from == k.newTo-k.newFrom {
				srcNew[l] = k.newFrom + l - k.from
			} else {
				srcNew[l] = k.newFrom
			}
		}
	}
	var out []string
	lines := []int{0}
	e := 0
	for l := 1; l <= len(p.src.lines)+1; l++ {
		skipTo := 0
		for e < len(p.edits) && p.edits[e].from == l {
			out = append(out, p.edits[e].text...)
			lines = append(lines, p.edits[e].newLines...)
			skipTo = max(skipTo, p.edits[e].to)
			e++
		}
		if skipTo >= l {
			l = skipTo
			continue
		}
		if l <= len(p.src.lines) {
			out = append(out, p.src.lines[l-1])
			lines = append(lines, srcNew[l])
		}
	}
	nl := "\n"
	if p.src.crlf {
		nl = "\r\n"
	}
	return []byte(strings.Join(out, nl) + nl), lines
}

// same reports whether two nodes hold the same value, whatever their style.
func same(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		return a.Value == b.Value && (a.Tag == "!!null") == (b.Tag == "!!null")
	}
	for i := range a.Content {
		if !same(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

func blockMapping(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
}

func blockSequence(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
}
