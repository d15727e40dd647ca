package blueprint

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file lets Patch follow, key by key, a mapping that src writes in
// block style and the writer of old and new on one line in flow style:
//
//	src:  Order:                          new:  Order: {owner: {field: customer_id}, customer_id: string}
//	        owner: {field: buyer}
//	        customer_id: string   # who
//
// Only the owner: line changes. The flow text is split by scanning it
// (brackets, braces and parentheses nest, quotes are skipped) rather than
// by its YAML nodes: in a flow mapping, YAML splits the blueprint's
// enum(a, b) at its comma.

// flowPair is one entry of a flow mapping: its key as written, the key's
// value, and the entry's value as written.
type flowPair struct {
	raw, key, value string
}

// flowOntoBlock patches src's block mapping s from old's flow mapping a to
// new's flow mapping b, each written on one line, entry by entry. It
// reports false, having changed nothing, when a or b is not such a
// mapping or s lacks an entry of a.
func (p *patcher) flowOntoBlock(s, a, b *yaml.Node) bool {
	if a.Kind != yaml.MappingNode || b.Kind != yaml.MappingNode || b.Style&yaml.FlowStyle == 0 {
		return false
	}
	at, ok := p.old.flowText(a)
	if !ok {
		return false
	}
	bt, ok := p.new.flowText(b)
	if !ok {
		return false
	}
	return p.pairsOntoBlock(s, at, bt, b.Line, true)
}

// pairsOntoBlock patches src's block mapping s from the flow mapping text
// olds to news, new's line line. With dry, it first checks that it can.
func (p *patcher) pairsOntoBlock(s *yaml.Node, olds, news string, line int, dry bool) bool {
	op, ok := flowPairs(olds)
	if !ok {
		return false
	}
	np, ok := flowPairs(news)
	if !ok {
		return false
	}
	for _, o := range op {
		if k, _ := keyValue(s, o.key); k == nil {
			return false // src does not hold what old says: replace it whole
		}
	}
	if dry {
		// The entries to follow further must be followable too.
		for _, n := range np {
			o, found := pairNamed(op, n.key)
			if _, sv := keyValue(s, n.key); found && o.value != n.value && blockMapping(sv) && isFlowMapping(o.value) && isFlowMapping(n.value) &&
				!p.pairsOntoBlock(sv, o.value, n.value, line, true) {
				return false
			}
		}
		return p.pairsOntoBlock(s, olds, news, line, false)
	}
	col := s.Content[0].Column - 1
	for i, n := range np {
		o, inOld := pairNamed(op, n.key)
		sk, sv := keyValue(s, n.key)
		switch {
		case sk == nil:
			after := 0
			for j := i - 1; j >= 0 && after == 0; j-- {
				if pk, pv := keyValue(s, np[j].key); pk != nil {
					after = p.src.end(pv, pk.Column-1)
				}
			}
			if after == 0 {
				after = s.Content[0].Line - 1 // first in new: first in src
			}
			p.edit(after+1, after, []string{strings.Repeat(" ", col) + n.raw + ": " + n.value}, []int{line})
		case inOld && o.value == n.value:
			p.keep(sk.Line, p.src.end(sv, sk.Column-1), line, line)
		case inOld && blockMapping(sv) && isFlowMapping(o.value) && isFlowMapping(n.value):
			p.keep(sk.Line, sk.Line, line, line)
			p.pairsOntoBlock(sv, o.value, n.value, line, false)
		default:
			from, to := sk.Line, p.src.end(sv, sk.Column-1)
			text := p.src.lines[from-1][:byteOffset(p.src.lines[from-1], sk.Column-1)] + n.raw + ": " + n.value
			if c := lineComment(sk, sv); c != "" && from == to {
				text += " " + c
			}
			p.edit(from, to, []string{text}, []int{line})
		}
	}
	for _, o := range op {
		if _, found := pairNamed(np, o.key); found {
			continue
		}
		if sk, sv := keyValue(s, o.key); sk != nil {
			p.edit(sk.Line, p.src.end(sv, sk.Column-1), nil, nil)
		}
	}
	return true
}

func pairNamed(pairs []flowPair, key string) (flowPair, bool) {
	for _, p := range pairs {
		if p.key == key {
			return p, true
		}
	}
	return flowPair{}, false
}

func isFlowMapping(text string) bool { return strings.HasPrefix(text, "{") }

// flowText is the text of the flow mapping n when it is written on one
// line.
func (d *editDoc) flowText(n *yaml.Node) (string, bool) {
	if n.Line < 1 || n.Line > len(d.lines) {
		return "", false
	}
	line := d.lines[n.Line-1]
	rest := line[byteOffset(line, n.Column-1):]
	if !strings.HasPrefix(rest, "{") {
		return "", false
	}
	end := flowEnd(rest, 0)
	if end < 0 {
		return "", false
	}
	return rest[:end+1], true
}

// flowPairs splits the text of a flow mapping into its entries.
func flowPairs(text string) ([]flowPair, bool) {
	if !strings.HasPrefix(text, "{") || flowEnd(text, 0) != len(text)-1 {
		return nil, false
	}
	inner := text[1 : len(text)-1]
	var pairs []flowPair
	for len(strings.TrimSpace(inner)) > 0 {
		end := flowEnd(inner, ',')
		item := inner
		if end >= 0 {
			item, inner = inner[:end], inner[end+1:]
		} else {
			inner = ""
		}
		raw, value := strings.TrimSpace(item), ""
		if c := flowEnd(item, ':'); c >= 0 {
			raw, value = strings.TrimSpace(item[:c]), strings.TrimSpace(item[c+1:])
		}
		if raw == "" {
			return nil, false
		}
		key := raw
		if strings.ContainsAny(raw[:1], `"'`) {
			var k string
			if yaml.Unmarshal([]byte(raw), &k) != nil {
				return nil, false
			}
			key = k
		}
		pairs = append(pairs, flowPair{raw: raw, key: key, value: value})
	}
	return pairs, true
}

// flowEnd scans flow text from its start. With stop 0, it returns the
// index of the bracket closing the one text starts with; otherwise the
// index of the first stop outside brackets and quotes (a colon only when
// a space or the end follows it). It returns -1 when there is none.
func flowEnd(text string, stop byte) int {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '"':
			for i++; i < len(text) && text[i] != '"'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(text); i++ {
				if text[i] == '\'' {
					if i+1 < len(text) && text[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 && stop == 0 {
				return i
			}
			if depth < 0 {
				return -1
			}
		default:
			if depth == 0 && stop != 0 && c == stop && (c != ':' || i+1 == len(text) || text[i+1] == ' ') {
				return i
			}
		}
	}
	return -1
}

// byteOffset is the byte offset of the column col (0-based, in
// characters, as YAML counts) of line.
func byteOffset(line string, col int) int {
	off := 0
	for i := 0; i < col && off < len(line); i++ {
		_, n := utf8.DecodeRuneInString(line[off:])
		off += n
	}
	return off
}
