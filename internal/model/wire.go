package model

import (
	"fmt"
	"sort"
	"strings"
)

// History is what earlier generations of a repository decided that must
// outlive them: the numbers on the wire and the migrations of every
// service. The CLI reads it from the repository (.microforge/wire.json,
// .microforge/schema.json, the migration folders) before Compile; nil on a
// first generation.
type History struct {
	Wire   *WireLock
	Schema *SchemaLock
	// MigrationFiles are the versions of the migration files in each
	// service's migration folders (any dialect), by service name: the user
	// writes migrations too, and a new one is numbered after all of them.
	MigrationFiles map[string][]int
}

// WireLock records every protobuf field and enum value number a repository
// has used, so that numbers never move: a field keeps its number wherever
// it stands in the blueprint, a new one takes the next free number, and a
// removed one stays reserved. Every API version of a service shares it.
// It is committed with the repository as .microforge/wire.json.
type WireLock struct {
	Version  int                     `json:"version"`
	Messages map[string]*MessageLock `json:"messages"` // by WireKey: "orders.Order"
	Enums    map[string]*EnumLock    `json:"enums"`    // by WireKey: "orders.OrderStatus"
}

// WireLockVersion is the format version of WireLock.
const WireLockVersion = 1

// MessageLock is the numbering of one message.
type MessageLock struct {
	Fields   map[string]*FieldLock `json:"fields"` // by field name
	Reserved []Reserved            `json:"reserved,omitempty"`
}

// FieldLock is the number and type of one field.
type FieldLock struct {
	Number int    `json:"number"`
	Type   string `json:"type"` // WireType
	// Optional: the field was added to a request after the message first
	// shipped, so callers generated before it may omit it.
	Optional bool `json:"optional,omitempty"`
	// Was lists the types the field had before, oldest first: stored events
	// may still hold values of them (see Field.WasTypes).
	Was []string `json:"was,omitempty"`
}

// EnumLock is the numbering of one enum's values (0 is always UNSPECIFIED).
type EnumLock struct {
	Values   map[string]int `json:"values"` // by value name as in the blueprint
	Reserved []Reserved     `json:"reserved,omitempty"`
}

// Reserved is a number no longer used and the name it had; neither may
// come back with another meaning.
type Reserved struct {
	Number int    `json:"number"`
	Name   string `json:"name,omitempty"` // field name, or enum value name as in the blueprint; "" once the name is used again
}

// WireKey names a message or enum of a service independently of its API
// version: "orders.Order".
func WireKey(svc *Service, name string) string { return svc.Name + "." + name }

// WireType spells a field's type independently of API versions, to tell
// when a field changed type: "int64", "orders.LineItem", "enum
// orders.OrderStatus", "list<orders.LineItem>".
func WireType(t *Type) string {
	switch t.Kind {
	case EnumType:
		return "enum " + WireKey(t.Enum.Service, t.Enum.Name)
	case MessageType:
		return WireKey(t.Message.Service, t.Message.Name)
	case ListType:
		return "list<" + WireType(t.Elem) + ">"
	}
	return string(t.Scalar)
}

// WireChangeKind says what a generation decided about a number.
type WireChangeKind string

// Kinds of wire changes.
const (
	WireAdded      WireChangeKind = "added"       // a new field or value of an existing message or enum: the next free number
	WireRenamed    WireChangeKind = "renamed"     // renamed_from: the old number kept
	WireRemoved    WireChangeKind = "removed"     // gone from the blueprint: number and name reserved
	WireTypeChange WireChangeKind = "type_change" // same number, another type: stored data and old clients no longer read it
)

// WireChange is one decision about a number, against the previous
// generation's lock, shown by plan.
type WireChange struct {
	Kind    WireChangeKind `json:"kind"`
	Path    string         `json:"path"` // "orders.Order.note", "orders.OrderStatus.shipped"
	Number  int            `json:"number"`
	From    string         `json:"from,omitempty"` // renamed: the old name; type_change: the old type
	To      string         `json:"to,omitempty"`   // type_change: the new type
	Message *Message       `json:"-"`              // the message, for fields
	Field   *Field         `json:"-"`              // the field, when it still exists
}

func (c WireChange) String() string {
	switch c.Kind {
	case WireRenamed:
		return fmt.Sprintf("%s = %d (renamed from %s, number kept)", c.Path, c.Number, c.From)
	case WireRemoved:
		return fmt.Sprintf("%s = %d removed: number and name reserved", c.Path, c.Number)
	case WireTypeChange:
		return fmt.Sprintf("%s = %d changes type from %s to %s", c.Path, c.Number, c.From, c.To)
	}
	return fmt.Sprintf("%s = %d (new, next free number)", c.Path, c.Number)
}

// assignWireNumbers numbers every message field and enum value from the
// previous lock (sys.History), records the new lock in sys.Wire and what
// changed in sys.WireChanges. Without a previous entry, numbers follow
// declaration order from 1.
func assignWireNumbers(sys *System) {
	var prev *WireLock
	if sys.History != nil {
		prev = sys.History.Wire
	}
	next := &WireLock{Version: WireLockVersion, Messages: map[string]*MessageLock{}, Enums: map[string]*EnumLock{}}
	sys.WireChanges = nil
	for _, svc := range sys.Services {
		for _, m := range svc.Messages() {
			key := WireKey(svc, m.Name)
			var old *MessageLock
			if prev != nil {
				old = prev.Messages[key]
			}
			next.Messages[key] = numberFields(sys, svc, m, old)
		}
		for _, e := range svc.Enums {
			key := WireKey(svc, e.Name)
			var old *EnumLock
			if prev != nil {
				old = prev.Enums[key]
				if old == nil && e.Field.RenamedFrom != "" {
					old = prev.Enums[WireKey(svc, EnumName(e.Owner.Name, e.Field.RenamedFrom))]
				}
			}
			next.Enums[key] = numberValues(sys, svc, e, old)
		}
	}
	// Messages and enums no longer declared keep their numbers: declared
	// again, they mean what they meant.
	if prev != nil {
		for k, m := range prev.Messages {
			if next.Messages[k] == nil {
				next.Messages[k] = m
			}
		}
		for k, e := range prev.Enums {
			if next.Enums[k] == nil {
				next.Enums[k] = e
			}
		}
	}
	sortWireChanges(sys.WireChanges)
	sys.Wire = next
}

func numberFields(sys *System, svc *Service, m *Message, old *MessageLock) *MessageLock {
	lock := &MessageLock{Fields: map[string]*FieldLock{}}
	if old == nil {
		for i, f := range m.Fields {
			f.Number, f.Optional, f.WasTypes = i+1, false, nil
			lock.Fields[f.Name] = &FieldLock{Number: f.Number, Type: WireType(f.Type)}
		}
		m.Reserved = nil
		return lock
	}
	last := 0 // the highest number ever used: new fields never fill gaps
	for _, fl := range old.Fields {
		last = max(last, fl.Number)
	}
	for _, r := range old.Reserved {
		last = max(last, r.Number)
	}
	kept := map[string]bool{}
	later := map[*Field]bool{} // added to a request after it first shipped
	path := WireKey(svc, m.Name)
	var added []*Field
	for _, f := range m.Fields {
		name := f.Name
		if _, ok := old.Fields[name]; !ok && f.RenamedFrom != "" {
			name = f.RenamedFrom
		}
		fl, ok := old.Fields[name]
		if !ok || kept[name] {
			added = append(added, f)
			continue
		}
		kept[name] = true
		f.Number = fl.Number
		later[f] = fl.Optional
		f.WasTypes = append([]string(nil), fl.Was...)
		if name != f.Name {
			sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireRenamed, Path: path + "." + f.Name, Number: f.Number, From: name, Message: m, Field: f})
		}
		if t := WireType(f.Type); t != fl.Type {
			f.WasTypes = append(f.WasTypes, fl.Type)
			sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireTypeChange, Path: path + "." + f.Name, Number: f.Number, From: fl.Type, To: t, Message: m, Field: f})
		}
	}
	for _, f := range added {
		f.WasTypes = nil
		last++
		f.Number = last
		// A caller generated before the field existed does not send it.
		later[f] = m.Kind == RequestMessage
		sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireAdded, Path: path + "." + f.Name, Number: f.Number, Message: m, Field: f})
	}
	m.Reserved = append([]Reserved(nil), old.Reserved...)
	for name, fl := range old.Fields {
		if !kept[name] {
			m.Reserved = append(m.Reserved, Reserved{Number: fl.Number, Name: name})
			sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireRemoved, Path: path + "." + name, Number: fl.Number, Message: m})
		}
	}
	for i, r := range m.Reserved {
		if m.Field(r.Name) != nil { // the name is back with a new number: only the old number stays reserved
			m.Reserved[i].Name = ""
		}
	}
	sortReserved(m.Reserved)
	for _, f := range m.Fields {
		f.Optional = later[f] && f.Default == ""
		lock.Fields[f.Name] = &FieldLock{Number: f.Number, Type: WireType(f.Type), Optional: later[f], Was: f.WasTypes}
	}
	lock.Reserved = m.Reserved
	return lock
}

func numberValues(sys *System, svc *Service, e *Enum, old *EnumLock) *EnumLock {
	lock := &EnumLock{Values: map[string]int{}}
	if old == nil {
		for j, v := range e.Values {
			v.Number = j + 1
			lock.Values[v.Name] = v.Number
		}
		e.Reserved = nil
		return lock
	}
	last := 0
	for _, n := range old.Values {
		last = max(last, n)
	}
	for _, r := range old.Reserved {
		last = max(last, r.Number)
	}
	path := WireKey(svc, e.Name)
	kept := map[string]bool{}
	var added []*EnumValue
	for _, v := range e.Values {
		n, ok := old.Values[v.Name]
		if !ok {
			added = append(added, v)
			continue
		}
		kept[v.Name] = true
		v.Number = n
	}
	for _, v := range added {
		last++
		v.Number = last
		sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireAdded, Path: path + "." + v.Name, Number: v.Number})
	}
	e.Reserved = append([]Reserved(nil), old.Reserved...)
	for name, n := range old.Values {
		if !kept[name] {
			e.Reserved = append(e.Reserved, Reserved{Number: n, Name: name})
			sys.WireChanges = append(sys.WireChanges, WireChange{Kind: WireRemoved, Path: path + "." + name, Number: n})
		}
	}
	for _, v := range e.Values {
		lock.Values[v.Name] = v.Number
	}
	for i, r := range e.Reserved {
		if _, back := lock.Values[r.Name]; back {
			e.Reserved[i].Name = ""
		}
	}
	sortReserved(e.Reserved)
	lock.Reserved = e.Reserved
	return lock
}

func sortReserved(rs []Reserved) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Number < rs[j].Number })
}

// sortWireChanges orders decisions by path, then kind, for stable output.
func sortWireChanges(cs []WireChange) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Path != cs[j].Path {
			return cs[i].Path < cs[j].Path
		}
		return strings.Compare(string(cs[i].Kind), string(cs[j].Kind)) < 0
	})
}
