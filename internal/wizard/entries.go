package wizard

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/internal/blueprint"
)

// The questions about constraints, about what a command changes and about
// an entity's owner edit one entry of a multi-line answer (types,
// entities, commands, queries): the entry's line is parsed, changed as a
// YAML node and written back in flow style.

// entry is one line of a multi-line answer, parsed: "Name: {...}".
type entry struct {
	lines []string // every line of the answer
	at    int      // the entry's line among them
	key   *yaml.Node
	value *yaml.Node // a mapping
}

// findEntry finds the entry named name in the answer text.
func findEntry(text, name string) (*entry, error) {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		k, _, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok || strings.TrimSpace(k) != name {
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(l), &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) != 2 {
			return nil, fmt.Errorf("line %d: %s is not one entry in flow style (%s: {...})", i+1, name, name)
		}
		m := doc.Content[0]
		e := &entry{lines: lines, at: i, key: m.Content[0], value: m.Content[1]}
		if e.value.Kind == yaml.ScalarNode && e.value.Tag == "!!null" {
			e.value = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		if e.value.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: %s is not a mapping", i+1, name)
		}
		e.value.Content = joinEnums(e.value.Content)
		return e, nil
	}
	return nil, fmt.Errorf("no entry %s", name)
}

// text writes the answer back with the entry's line rewritten.
func (e *entry) text() string {
	lines := append([]string{}, e.lines...)
	lines[e.at] = flow(e.key) + ": " + flow(e.value)
	return strings.Join(lines, "\n")
}

// fields is the mapping of the entry's fields: the entry itself for a
// type, its input for a command or query (created when missing and make).
func (e *entry) fields(input, make bool) *yaml.Node {
	if !input {
		return e.value
	}
	if v := mappingValue(e.value, "input"); v != nil && v.Kind == yaml.MappingNode {
		v.Content = joinEnums(v.Content)
		return v
	}
	if !make {
		return nil
	}
	in := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	setKey(e.value, "input", in, 0)
	return in
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey sets key to v in the mapping m, where it is, or at position at
// (among the keys) when new; a nil v deletes it.
func setKey(m *yaml.Node, key string, v *yaml.Node, at int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v == nil {
				m.Content = slices.Delete(m.Content, i, i+2)
			} else {
				m.Content[i+1] = v
			}
			return
		}
	}
	if v == nil {
		return
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	at = min(max(at, 0)*2, len(m.Content))
	m.Content = slices.Insert(m.Content, at, k, v)
}

// fieldKeys are the keys of a field's mapping form that are no constraint.
var fieldKeys = []string{"type", "renamed_from", "default"}

// fieldRules returns the constraints of field in entry name of the answer
// text, as the inside of a flow mapping ("min: 1, max: 10"); input: the
// entry is a command or query, whose fields are its input.
func fieldRules(text, name string, input bool, field string) string {
	e, err := findEntry(text, name)
	if err != nil {
		return ""
	}
	fs := e.fields(input, false)
	if fs == nil {
		return ""
	}
	v := mappingValue(fs, field)
	if v == nil || v.Kind != yaml.MappingNode {
		return ""
	}
	v.Content = joinEnums(v.Content)
	rules := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(v.Content); i += 2 {
		if !slices.Contains(fieldKeys, v.Content[i].Value) {
			rules.Content = append(rules.Content, v.Content[i], v.Content[i+1])
		}
	}
	return inside(rules)
}

// withFieldRules returns the answer text with the constraints of field
// replaced by rules, the inside of a flow mapping ("" for none): the field
// is written as {type: T, ...rules} or, without rules or other keys, as
// its type alone.
func withFieldRules(text, name string, input bool, field, rules string) (string, error) {
	e, err := findEntry(text, name)
	if err != nil {
		return "", err
	}
	fs := e.fields(input, false)
	var v *yaml.Node
	if fs != nil {
		v = mappingValue(fs, field)
	}
	if v == nil {
		return "", fmt.Errorf("%s has no field %s", name, field)
	}
	var r yaml.Node
	if err := yaml.Unmarshal([]byte("{"+rules+"}"), &r); err != nil || len(r.Content) == 0 || r.Content[0].Kind != yaml.MappingNode {
		return "", fmt.Errorf("write the rules as key: value, separated by commas, e.g. min: 1, max: 100")
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	if v.Kind == yaml.MappingNode {
		v.Content = joinEnums(v.Content)
		for i := 0; i+1 < len(v.Content); i += 2 {
			if slices.Contains(fieldKeys, v.Content[i].Value) {
				m.Content = append(m.Content, v.Content[i], v.Content[i+1])
			}
		}
	} else {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "type"}, v)
	}
	m.Content = append(m.Content, r.Content[0].Content...)
	if len(m.Content) == 2 && m.Content[0].Value == "type" {
		setKey(fs, field, m.Content[1], 0)
	} else {
		setKey(fs, field, m, 0)
	}
	return e.text(), nil
}

// commandEffect returns what the command name of the answer text says it
// sets (the inside of its sets: mapping, "{}" for an empty one, "" for
// none) and the states it starts from.
func commandEffect(text, name string) (sets string, from []string) {
	e, err := findEntry(text, name)
	if err != nil {
		return "", nil
	}
	if v := mappingValue(e.value, "sets"); v != nil {
		sets = inside(v)
		if sets == "" {
			sets = "{}"
		}
	}
	if v := mappingValue(e.value, "from"); v != nil {
		for _, it := range v.Content {
			from = append(from, it.Value)
		}
	}
	return sets, from
}

// withCommandEffect returns the answer text with the command's sets: and
// from: replaced: sets as the inside of a flow mapping ("{}" for an empty
// one, "" for none), from as the states (none: no from:). They go after
// its input.
func withCommandEffect(text, name, sets string, from []string) (string, error) {
	e, err := findEntry(text, name)
	if err != nil {
		return "", err
	}
	at := 0
	for i := 0; i+1 < len(e.value.Content); i += 2 {
		if k := e.value.Content[i].Value; k == "description" || k == "input" {
			at = i/2 + 1
		}
	}
	var setsNode *yaml.Node
	if sets != "" {
		src := "{" + sets + "}"
		if sets == "{}" {
			src = "{}"
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			return "", fmt.Errorf("write what it sets as field: value, e.g. status: shipped")
		}
		setsNode = doc.Content[0]
	}
	setKey(e.value, "sets", nil, 0)
	setKey(e.value, "from", nil, 0)
	if setsNode != nil {
		setKey(e.value, "sets", setsNode, at)
		at++
	}
	if len(from) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, f := range from {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f})
		}
		setKey(e.value, "from", seq, at)
	}
	return e.text(), nil
}

// ownerKey is the key of an entity's owner rule.
const ownerKey = "owner"

// entityOwner returns the owner rule of entity name in the answer text
// (the entities), nil when it has none.
func entityOwner(text, name string) *Owner {
	e, err := findEntry(text, name)
	if err != nil {
		return nil
	}
	v := mappingValue(e.value, ownerKey)
	if v == nil || !blueprint.IsOwnerRule(v) {
		return nil
	}
	o := &Owner{}
	if f := mappingValue(v, "field"); f != nil {
		o.Field = f.Value
	}
	if c := mappingValue(v, "claim"); c != nil {
		o.Claim = c.Value
	}
	if r := mappingValue(v, "admin_roles"); r != nil {
		for _, it := range r.Content {
			o.AdminRoles = append(o.AdminRoles, it.Value)
		}
	}
	return o
}

// withEntityOwner returns the answer text with the owner rule of entity
// name replaced by o (nil: none). A new rule goes first among the
// entity's keys; an unchanged one keeps its text.
func withEntityOwner(text, name string, o *Owner) (string, error) {
	e, err := findEntry(text, name)
	if err != nil {
		return "", err
	}
	cur := entityOwner(text, name)
	if cur == nil && o == nil || cur != nil && o != nil && cur.Field == o.Field && cur.Claim == o.Claim && slices.Equal(cur.AdminRoles, o.AdminRoles) {
		return text, nil
	}
	if o == nil {
		setKey(e.value, ownerKey, nil, 0)
		return e.text(), nil
	}
	if cur == nil && mappingValue(e.value, ownerKey) != nil {
		return "", fmt.Errorf("%s has a field named owner: rename it to give %s an owner rule", name, name)
	}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	rule := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	rule.Content = append(rule.Content, str("field"), str(o.Field))
	if o.Claim != "" {
		rule.Content = append(rule.Content, str("claim"), str(o.Claim))
	}
	if len(o.AdminRoles) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, r := range o.AdminRoles {
			seq.Content = append(seq.Content, str(r))
		}
		rule.Content = append(rule.Content, str("admin_roles"), seq)
	}
	setKey(e.value, ownerKey, rule, 0)
	return e.text(), nil
}
