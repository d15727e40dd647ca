package blueprint

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// This file reads and checks what a command says it does to its entity:
// the fields it sets (sets: {status: shipped}) and the states it may start
// from (from: [packed]). Which entity a command changes is decided by
// model.Finalize, so most checks run after it.

// declaredEffects copies a command's sets: and from: into the model as
// written, reporting what needs no entity to be wrong.
func (b *builder) declaredEffects(c *model.Command, w commandWire) {
	if w.Sets.Set && !w.Sets.Bad {
		c.SetsDeclared = true
		for _, e := range w.Sets.Entries {
			if e.Value.Bad {
				continue
			}
			if strings.TrimSpace(e.Value.V) == "" {
				b.errorf(e.Key.Pos, "write the value it sets, such as status: shipped", "%s sets %s to nothing", c.Name, e.Key.V)
				continue
			}
			c.DeclaredSets = append(c.DeclaredSets, model.DeclaredValue{Field: e.Key.V, Value: e.Value.V})
		}
	}
	if !w.From.Set || w.From.Bad {
		return
	}
	if len(w.From.Items) == 0 {
		b.errorf(w.From.Pos, "list the states it may start from, such as [pending], or remove from", "from is empty")
		return
	}
	seen := map[string]bool{}
	for _, it := range w.From.Items {
		switch {
		case it.Bad:
		case strings.TrimSpace(it.V) == "":
			b.errorf(it.Pos, "", "from: empty entry")
		case seen[it.V]:
			b.errorf(it.Pos, "", "%s lists %q twice in from", c.Name, it.V)
		default:
			seen[it.V] = true
			c.DeclaredFrom = append(c.DeclaredFrom, it.V)
		}
	}
}

// checkEffects reports sets: and from: that do not fit the entity the
// command changes, once Finalize has decided it.
func (b *builder) checkEffects() {
	for _, sb := range b.order {
		if sb.w.Bad {
			continue
		}
		for _, e := range sb.w.Commands.Entries {
			c := sb.cmds[e.Key.V]
			if c == nil || e.Value.Bad {
				continue
			}
			w := e.Value
			if c.Entity == nil {
				if w.Sets.Set && !w.Sets.Bad {
					b.errorf(w.Sets.Pos, noEntityHint(c), "%s has sets:, but it changes no entity", c.Name)
				}
				if w.From.Set && !w.From.Bad {
					b.errorf(w.From.Pos, noEntityHint(c), "%s has from:, but it changes no entity", c.Name)
				}
				continue
			}
			if w.Sets.Set && !w.Sets.Bad {
				b.checkSets(c, w.Sets)
			}
			if w.From.Set && !w.From.Bad && len(w.From.Items) > 0 {
				b.checkFrom(c, w)
			}
		}
	}
}

// noEntityHint says how a command that changes no entity could change one.
func noEntityHint(c *model.Command) string {
	svc := c.Service
	if len(svc.Entities) == 0 {
		return "service " + svc.Name + " has no entities: declare the one it changes under entities:"
	}
	e := svc.Entities[0]
	for _, x := range svc.Entities {
		if strings.Contains(c.Name, x.Name()) {
			e = x
		}
	}
	return fmt.Sprintf("add %q to its input so that it changes the %s with that id", model.Snake(e.Name())+"_id: string", e.Name())
}

// checkSets reports entries of sets: naming no field of the entity, a
// field it cannot set, or a value the field cannot hold.
func (b *builder) checkSets(c *model.Command, sets ordered[str]) {
	ent := c.Entity
	var names []string
	for _, f := range ent.Message.Fields {
		if f != ent.ID {
			names = append(names, f.Name)
		}
	}
	for _, e := range sets.Entries {
		if e.Value.Bad || strings.TrimSpace(e.Value.V) == "" {
			continue
		}
		name, value := e.Key.V, e.Value.V
		f := ent.Message.Field(name)
		switch {
		case f == ent.ID:
			b.errorf(e.Key.Pos, "remove it from sets", "%s sets id: the id of %s %s never changes", c.Name, article(ent.Name()), ent.Name())
			continue
		case f == nil:
			hint := didYouMean(name, names)
			if hint == "" {
				hint = "fields of " + ent.Name() + ": " + strings.Join(names, ", ")
			}
			b.errorf(e.Key.Pos, hint, "%s sets %q, which is not a field of %s", c.Name, name, ent.Name())
			continue
		}
		if in := c.Input.Field(name); in != nil && model.SameType(in.Type, f.Type) {
			b.errorf(e.Key.Pos, "set it from the input or in sets, not both", "%s sets %s, which its input %s also sets", c.Name, name, name)
			continue
		}
		if _, problem := model.FixedValueOf(f, value); problem != "" {
			hint := ""
			if f.Type.Kind == model.EnumType {
				var values []string
				for _, v := range f.Type.Enum.Values {
					values = append(values, v.Name)
				}
				if hint = didYouMean(value, values); hint == "" {
					hint = "one of " + strings.Join(values, ", ")
				}
			}
			at := e.Value.Pos
			if strings.HasPrefix(problem, "cannot") {
				at, hint = e.Key.Pos, "sets takes enum, bool, number and string fields"
			}
			b.errorf(at, hint, "%s sets %s.%s to %q, which %s", c.Name, ent.Name(), name, value, problem)
		}
	}
}

// checkFrom reports a from: of a command that creates its entity, that
// names no state field, or that lists values the field does not have.
func (b *builder) checkFrom(c *model.Command, w commandWire) {
	ent := c.Entity
	if c.Mode == model.ModeCreate {
		b.errorf(w.From.Pos, "remove from", "%s creates a new %s, which has no state to start from", c.Name, ent.Name())
		return
	}
	f := c.StateField()
	if f == nil {
		var set, enums []string
		for _, v := range c.Sets {
			if v.Enum != nil {
				set = append(set, v.Field.Name)
			}
		}
		for _, x := range ent.Message.Fields {
			if x.Type.Kind == model.EnumType {
				enums = append(enums, x.Name)
			}
		}
		switch {
		case len(set) > 1:
			b.errorf(w.From.Pos, "keep one enum field in sets, or check the others in the command's code",
				"%s has from:, but it sets several enum fields of %s (%s): which holds the state is ambiguous", c.Name, ent.Name(), strings.Join(set, ", "))
		case len(enums) == 0:
			b.errorf(w.From.Pos, "add a field such as status: enum(pending, done) to "+ent.Name(),
				"%s has from:, but %s has no enum field to hold a state", c.Name, ent.Name())
		default:
			b.errorf(w.From.Pos, fmt.Sprintf("name the state %s moves to in sets, such as sets: {%s: %s}", c.Name, enums[0], ent.Message.Field(enums[0]).Type.Enum.Values[0].Name),
				"%s has from:, but it sets none of the enum fields of %s (%s): which holds the state is ambiguous", c.Name, ent.Name(), strings.Join(enums, ", "))
		}
		return
	}
	var values []string
	for _, v := range f.Type.Enum.Values {
		values = append(values, v.Name)
	}
	for _, it := range w.From.Items {
		if it.Bad || strings.TrimSpace(it.V) == "" {
			continue
		}
		found := false
		for _, v := range values {
			found = found || v == it.V
		}
		if found {
			continue
		}
		hint := didYouMean(it.V, values)
		if hint == "" {
			hint = "one of " + strings.Join(values, ", ")
		}
		b.errorf(it.Pos, hint, "%s starts from %q, which is not a value of %s.%s", c.Name, it.V, ent.Name(), f.Name)
	}
}
