package blueprint

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file decodes the YAML node tree into the wire structs strictly: every
// unknown or duplicate key and every value of the wrong kind is reported with
// its position, and decoding goes on so that all problems are found at once.

// nodeDecoder is implemented by wire values that decode themselves.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, what string)
}

// decoder walks a node tree into wire structs.
type decoder struct {
	*sink
	// joined maps a value rebuilt by joinFlowEnums to the positions of its
	// pieces.
	joined map[*yaml.Node][]segment
}

// segment says that the value's text from byte off on was read at p.
type segment struct {
	off int
	p   pos
}

func nodePos(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// describe names the kind of a node for messages, never in Go terms.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("%q", v)
	}
	return "something else"
}

// wrongKind reports a value of the wrong kind.
func (d *decoder) wrongKind(n *yaml.Node, what, want, hint string) {
	d.errorf(nodePos(n), hint, "%s: expected %s, found %s", what, want, describe(n))
}

// decode fills v (addressable) from n; what names the value in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind == yaml.AliasNode {
		d.errorf(nodePos(n), "repeat the value instead", "%s: YAML aliases are not supported", what)
		return
	}
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(d, n, what)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), what)
	case reflect.Struct:
		d.decodeStruct(n, v, what)
	default:
		panic(fmt.Sprintf("blueprint: no decoder for %s", v.Type()))
	}
}

// wireKeys returns the YAML keys of a wire struct type in declaration order,
// with the index of the struct field holding each.
func wireKeys(t reflect.Type) (keys []string, index map[string]int) {
	index = map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		keys = append(keys, tag)
		index[tag] = i
	}
	return keys, index
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, what string) {
	t := v.Type()
	if f, ok := t.FieldByName("Pos"); ok {
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(nodePos(n)))
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty section: its required keys are reported later
	}
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, what, "a mapping", "")
		if f, ok := t.FieldByName("Bad"); ok {
			v.FieldByIndex(f.Index).SetBool(true)
		}
		return
	}
	keys, index := wireKeys(t)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(nodePos(k), "", "%s: expected a key name, found %s", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(nodePos(k), "", "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		fi, ok := index[k.Value]
		if !ok {
			d.errorf(nodePos(k), didYouMean(k.Value, keys), "unknown key %q in %s", k.Value, nounOf(t))
			continue
		}
		d.decode(val, v.Field(fi), k.Value)
	}
}

// nounOf is the human name of a wire struct, from the `what` tag of its Pos.
func nounOf(t reflect.Type) string {
	if f, ok := t.FieldByName("Pos"); ok {
		if w := f.Tag.Get("what"); w != "" {
			return w
		}
	}
	return "this section"
}

// str is a string value with its position.
type str struct {
	V     string
	Pos   pos
	Set   bool // the key was present
	Bad   bool // the value was of the wrong kind (already reported)
	Style yaml.Style
	Multi bool // the scalar spans several lines
	segs  []segment
}

func (s *str) decodeNode(d *decoder, n *yaml.Node, what string) {
	s.Pos, s.Set, s.Style = nodePos(n), true, n.Style
	if n.Kind != yaml.ScalarNode {
		s.Bad = true
		d.wrongKind(n, what, "a string", "")
		return
	}
	if n.Tag != "!!null" {
		s.V = n.Value
	}
	s.Multi = strings.Contains(n.Value, "\n") || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	s.segs = d.joined[n]
}

// joinFlowEnums undoes what YAML does to an enum inside a flow mapping: in
// {status: enum(a, b)} the commas end the value, leaving "enum(a" and a key
// "b)" with no value (likewise for list<enum(a, b)>). The pieces are joined back into one value, keeping the
// position of each piece.
func (d *decoder) joinFlowEnums(content []*yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		k, v := content[i], content[i+1]
		out = append(out, k, v)
		if v.Kind != yaml.ScalarNode || v.Style != 0 || !strings.Contains(v.Value, "enum(") || strings.Contains(v.Value, ")") {
			continue
		}
		text, segs := v.Value, []segment{{0, nodePos(v)}}
		j := i + 2
		for ; j+1 < len(content); j += 2 {
			pk, pv := content[j], content[j+1]
			if pk.Kind != yaml.ScalarNode || pk.Style != 0 || pv.Kind != yaml.ScalarNode || pv.Tag != "!!null" || pv.Value != "" {
				break
			}
			text += ", "
			segs = append(segs, segment{len(text), nodePos(pk)})
			text += pk.Value
			if strings.Contains(pk.Value, ")") {
				break
			}
		}
		if j+1 >= len(content) || !strings.Contains(text, ")") {
			continue // not an enum after all: report it as written
		}
		joined := *v
		joined.Value = text
		if d.joined == nil {
			d.joined = map[*yaml.Node][]segment{}
		}
		d.joined[&joined] = segs
		out[len(out)-1] = &joined
		i = j
	}
	return out
}

// at returns the position of the byte offset off inside the value, when the
// value is written on one line; otherwise the value's position.
func (s str) at(off int) pos {
	if len(s.segs) > 0 {
		seg := s.segs[0]
		for _, g := range s.segs {
			if g.off <= off {
				seg = g
			}
		}
		return pos{seg.p.Line, seg.p.Col + len([]rune(s.V[seg.off:min(max(off, seg.off), len(s.V))]))}
	}
	if s.Multi || off <= 0 || strings.ContainsAny(s.V, "\\\"'") {
		return s.Pos
	}
	p := s.Pos
	if s.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		p.Col++
	}
	p.Col += len([]rune(s.V[:min(off, len(s.V))]))
	return p
}

// integer is an integer value with its position.
type integer struct {
	V   int
	Pos pos
	Set bool
	Bad bool
}

func (i *integer) decodeNode(d *decoder, n *yaml.Node, what string) {
	i.Pos, i.Set = nodePos(n), true
	var v int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v > math.MaxInt32 || v < math.MinInt32 {
		i.Bad = true
		d.wrongKind(n, what, "an integer", "")
		return
	}
	i.V = int(v)
}

// number is a numeric value with its position.
type number struct {
	V   float64
	Pos pos
	Set bool
	Bad bool
}

func (f *number) decodeNode(d *decoder, n *yaml.Node, what string) {
	f.Pos, f.Set = nodePos(n), true
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f.V) != nil ||
		math.IsNaN(f.V) || math.IsInf(f.V, 0) {
		f.Bad = true
		d.wrongKind(n, what, "a number", "")
	}
}

// numeral is a number kept as written, so that an int64 bound is exact;
// Float says it was written with a fraction or an exponent.
type numeral struct {
	V     string
	Float bool
	Pos   pos
	Set   bool
	Bad   bool
}

func (f *numeral) decodeNode(d *decoder, n *yaml.Node, what string) {
	f.Pos, f.Set = nodePos(n), true
	var v float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil ||
		math.IsNaN(v) || math.IsInf(v, 0) {
		f.Bad = true
		d.wrongKind(n, what, "a number", "")
		return
	}
	f.V, f.Float = strconv.FormatFloat(v, 'g', -1, 64), n.Tag == "!!float"
	var i int64
	if !f.Float {
		f.V = n.Value // out of int64's range: reported with the field's type
		if n.Decode(&i) == nil {
			f.V = strconv.FormatInt(i, 10)
		}
	}
}

// boolean is a true/false value with its position.
type boolean struct {
	V   bool
	Pos pos
	Set bool
	Bad bool
}

func (b *boolean) decodeNode(d *decoder, n *yaml.Node, what string) {
	b.Pos, b.Set = nodePos(n), true
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b.V) != nil {
		b.Bad = true
		d.wrongKind(n, what, "true or false", "")
	}
}

// list is a YAML sequence with its position.
type list[T any] struct {
	Items []T
	Pos   pos
	Set   bool
	Bad   bool
}

func (l *list[T]) decodeNode(d *decoder, n *yaml.Node, what string) {
	l.Pos, l.Set = nodePos(n), true
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.Bad = true
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("write [%s]", n.Value)
		}
		d.wrongKind(n, what, "a list", hint)
		return
	}
	l.Items = make([]T, len(n.Content))
	for i, c := range n.Content {
		d.decode(c, reflect.ValueOf(&l.Items[i]).Elem(), fmt.Sprintf("%s item %d", what, i+1))
	}
}

// entry is one key and value of an ordered mapping.
type entry[T any] struct {
	Key   str
	Value T
}

// ordered is a YAML mapping whose keys are names chosen by the user, kept in
// declaration order.
type ordered[T any] struct {
	Entries []entry[T]
	Pos     pos
	Set     bool
	Bad     bool
}

func (m *ordered[T]) decodeNode(d *decoder, n *yaml.Node, what string) {
	m.Pos, m.Set = nodePos(n), true
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		m.Bad = true
		d.wrongKind(n, what, "a mapping", "")
		return
	}
	content := n.Content
	if n.Style&yaml.FlowStyle != 0 {
		content = d.joinFlowEnums(content)
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(content); i += 2 {
		k, val := content[i], content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(nodePos(k), "", "%s: expected a name, found %s", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(nodePos(k), "", "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		var e entry[T]
		e.Key.decodeNode(d, k, what)
		d.decode(val, reflect.ValueOf(&e.Value).Elem(), k.Value)
		m.Entries = append(m.Entries, e)
	}
}
