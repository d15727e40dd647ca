package service

import (
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// This file formats what a command does to its entity beyond copying its
// input (model.Command.Sets and From) as Go: assignments, the guard on the
// entity's state, and the test seeds in a state it starts from or not.

// fixedValues are the assignments of a command's or projection's fixed
// values.
func fixedValues(sets []*model.FixedValue) []assignment {
	var out []assignment
	for _, v := range sets {
		out = append(out, assignment{v.Field.GoName, fixedGo(v)})
	}
	return out
}

// fixedGo is the Go expression of a fixed value.
func fixedGo(v *model.FixedValue) string {
	switch {
	case v.Enum != nil:
		return qualEnumValue(v.Field.Type.Enum, v.Enum)
	case v.Field.Type.Scalar == model.String:
		return strconv.Quote(v.Literal)
	}
	return v.Literal // bool and numbers are canonical Go literals already
}

// newStateGuard is the check that the entity in variable v is in a state
// command c starts from.
func newStateGuard(c *model.Command, v string, g *model.StateGuard) *stateGuard {
	get := v + ".Get" + g.Field.GoName + "()"
	var conds, protoNames []string
	for _, val := range g.Values {
		conds = append(conds, "current != "+qualEnumValue(g.Field.Type.Enum, val))
		protoNames = append(protoNames, val.ProtoName)
	}
	msg := c.Entity.Message.Snake + " %s has " + g.Field.Name + " %v: " + c.Name + " starts from " + strings.Join(protoNames, " or ")
	return &stateGuard{
		Cond: "current := " + get + "; " + strings.Join(conds, " && "),
		Err:  "connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(" + strconv.Quote(msg) + ", " + v + ".GetId(), current))",
	}
}

// wantValue is an entity field a test checks.
type wantValue struct {
	Field string // Go field name
	Value string // Go expression it must equal
	Cond  string // Go condition on got, true when it does not
}

func newWantValue(a assignment) wantValue {
	get := "got.Get" + a.Field + "()"
	cond := get + " != " + a.Value
	switch a.Value {
	case "true":
		cond = "!" + get
	case "false":
		cond = get
	}
	return wantValue{a.Field, a.Value, cond}
}

// guardSeeds are the arguments after (t, s) of the seed calls that store
// an entity in a state the guarded command starts from (in, "" when the
// sample's state is one) and in one it does not (out, "" when it starts
// from every state).
func guardSeeds(e *entityView, g *model.StateGuard) (in, out string) {
	seedIn := func(v *model.EnumValue) string {
		return ", func(x *" + e.QualGo + ") { x." + g.Field.GoName + " = " + qualEnumValue(g.Field.Type.Enum, v) + " }"
	}
	values := g.Field.Type.Enum.Values
	if !g.Allows(values[0]) { // samples hold the first value
		in = seedIn(g.Values[0])
	}
	for _, v := range values {
		if !g.Allows(v) {
			out = seedIn(v)
			break
		}
	}
	return in, out
}

// startsAfter reports whether command c may change the entity that command
// created (nil: any creating command) has just created: c starts from any
// state, or from the one a new entity is in.
func startsAfter(c, created *model.Command) bool {
	g := c.From
	if g == nil {
		return true
	}
	v := g.Field.Type.Enum.Values[0]
	if created != nil {
		for _, s := range created.Sets {
			if s.Field == g.Field && s.Enum != nil {
				v = s.Enum
			}
		}
	}
	return g.Allows(v)
}

// rerunnable reports whether command c may change again the entity it has
// just changed: it starts from any state, or from the one it leaves.
func rerunnable(c *model.Command) bool {
	g := c.From
	if g == nil {
		return true
	}
	for _, v := range c.Sets {
		if v.Field == g.Field && v.Enum != nil {
			return g.Allows(v.Enum)
		}
	}
	return true // it leaves the state as it found it
}
