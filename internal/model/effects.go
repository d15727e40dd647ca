package model

import (
	"strconv"
	"strings"
)

// This file decides what a command does to its entity beyond copying its
// input: the fields it sets to fixed values (Command.Sets) and the states it
// may start from (Command.From). Precedence, most explicit first:
//
//  1. sets: in the blueprint, as written (an empty sets: sets nothing);
//  2. the command's verb names an enum value: ConfirmOrder sets confirmed,
//     CancelOrder cancelled;
//  3. the name of an event it emits ends with an enum value: a MarkShipped
//     that emits ParcelShipped sets shipped.
//
// The first that decides anything wins; the others are not consulted.

// decideSets fills c.Sets, c.SetsBy, c.SetsEvent and c.SetStatus for a
// command changing entity e.
func decideSets(c *Command, e *Entity) {
	switch {
	case c.SetsDeclared:
		for _, d := range c.DeclaredSets {
			if f := e.Message.Field(d.Field); f != nil && f != e.ID {
				if v, problem := FixedValueOf(f, d.Value); problem == "" {
					c.Sets = append(c.Sets, v)
				}
			}
		}
		if len(c.Sets) > 0 {
			c.SetsBy = SetsDeclared
		}
	default:
		if st := statusChange(c.Name, e); st != nil {
			c.Sets, c.SetsBy = []*FixedValue{{Field: st.Field, Enum: st.Value}}, SetsByVerb
			break
		}
		for _, ev := range c.Emits {
			if st := eventStatus(ev, e); st != nil {
				c.Sets, c.SetsBy, c.SetsEvent = []*FixedValue{{Field: st.Field, Enum: st.Value}}, SetsByEvent, ev
				break
			}
		}
	}
	for _, v := range c.Sets {
		if v.Enum != nil {
			c.SetStatus = &StatusChange{Field: v.Field, Value: v.Enum}
			break
		}
	}
}

// setsField reports whether the command sets entity field f to a fixed
// value.
func (c *Command) setsField(f *Field) bool {
	for _, v := range c.Sets {
		if v.Field == f {
			return true
		}
	}
	return false
}

// eventStatus finds an enum value of the entity that the event's name ends
// with, word for word: "ParcelShipped" sets "shipped",
// "ParcelOutForDelivery" "out_for_delivery". The longest such value wins,
// then the first field.
func eventStatus(ev *Message, e *Entity) *StatusChange {
	name := Snake(ev.Name)
	var best *StatusChange
	for _, f := range e.Message.Fields {
		if f.Type.Kind != EnumType {
			continue
		}
		for _, v := range f.Type.Enum.Values {
			if name != v.Name && !strings.HasSuffix(name, "_"+v.Name) {
				continue
			}
			if best == nil || len(v.Name) > len(best.Value.Name) {
				best = &StatusChange{Field: f, Value: v}
			}
		}
	}
	return best
}

// FixedValueOf returns value v, as written in a command's sets:, for entity
// field f; otherwise the reason it cannot be one, worded for the
// blueprint's author ("is not one of the field's values").
func FixedValueOf(f *Field, v string) (*FixedValue, string) {
	t := f.Type
	switch t.Kind {
	case EnumType:
		for _, ev := range t.Enum.Values {
			if ev.Name == v {
				return &FixedValue{Field: f, Enum: ev}, ""
			}
		}
		return nil, "is not one of the field's values"
	case ListType:
		return nil, "cannot be written: the field is a list"
	case MessageType:
		return nil, "cannot be written: the field is a message"
	}
	switch t.Scalar {
	case String:
		return &FixedValue{Field: f, Literal: v}, ""
	case Bool:
		switch v {
		case "true", "True", "TRUE":
			return &FixedValue{Field: f, Literal: "true"}, ""
		case "false", "False", "FALSE":
			return &FixedValue{Field: f, Literal: "false"}, ""
		}
		return nil, "is not true or false"
	case Int32, Int64:
		bits := 64
		if t.Scalar == Int32 {
			bits = 32
		}
		if n, err := strconv.ParseInt(v, 10, bits); err == nil {
			return &FixedValue{Field: f, Literal: strconv.FormatInt(n, 10)}, ""
		}
		return nil, "is not a valid " + string(t.Scalar)
	case Double:
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return &FixedValue{Field: f, Literal: strconv.FormatFloat(x, 'g', -1, 64)}, ""
		}
		return nil, "is not a valid double"
	}
	if t.Scalar == Timestamp {
		return nil, "cannot be written: the field is a timestamp"
	}
	return nil, "cannot be written: the field holds " + string(t.Scalar)
}

// StateField returns the enum field whose values a command's from: lists:
// the one enum field its Sets change, else (when they change none) the
// entity's only enum field. nil without an entity, when there is no such
// field, or when Sets change several enum fields.
func (c *Command) StateField() *Field {
	if c.Entity == nil {
		return nil
	}
	var set []*Field
	for _, v := range c.Sets {
		if v.Enum != nil {
			set = append(set, v.Field)
		}
	}
	switch len(set) {
	case 1:
		return set[0]
	case 0:
	default:
		return nil
	}
	var only *Field
	for _, f := range c.Entity.Message.Fields {
		if f.Type.Kind != EnumType {
			continue
		}
		if only != nil {
			return nil
		}
		only = f
	}
	return only
}

// decideFrom resolves the states a command may start from; nil when it
// declares none (or none resolves: validation reports why).
func decideFrom(c *Command) *StateGuard {
	if len(c.DeclaredFrom) == 0 {
		return nil
	}
	f := c.StateField()
	if f == nil {
		return nil
	}
	g := &StateGuard{Field: f}
	for _, name := range c.DeclaredFrom {
		for _, v := range f.Type.Enum.Values {
			if v.Name == name && !g.Allows(v) {
				g.Values = append(g.Values, v)
			}
		}
	}
	if len(g.Values) == 0 {
		return nil
	}
	return g
}

// Text is the value as the blueprint writes it: shipped, true, 3, "gift".
func (v *FixedValue) Text() string {
	if v.Enum != nil {
		return v.Enum.Name
	}
	if v.Field.Type.Scalar == String {
		return strconv.Quote(v.Literal)
	}
	return v.Literal
}

// SetsField reports whether sets fixes the value of field f.
func SetsField(sets []*FixedValue, f *Field) bool {
	for _, v := range sets {
		if v.Field == f {
			return true
		}
	}
	return false
}

// OrList joins enum value names as "a", "a or b" or "a, b or c".
func OrList(values []*EnumValue) string {
	var names []string
	for _, v := range values {
		names = append(names, v.Name)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
