package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// refusal is a call through the gateway that breaks a constraint of the
// blueprint, or makes a total overflow: the service refuses it, and the
// caller gets 400 with the field named.
type refusal struct {
	Name string // subtest name, "PlaceOrder items[0].quantity min"
	Path string // REST path of a command, the procedure of a query
	Body string // Go string literal of the JSON body
	Role string // role the token holds; "" for no token
	Want string // what the error message says, "items[0].quantity:"
}

// newRefusals returns a refusal per constraint of every routed method's
// input, and per total that can overflow.
func newRefusals(all []method, subject string) []*refusal {
	var out []*refusal
	for _, m := range all {
		path := m.procedure
		if m.command != nil && m.path != "" {
			path = m.path
		}
		add := func(name, want string, obj map[string]any) {
			body, err := json.Marshal(obj)
			if err != nil {
				panic("internal error: " + err.Error())
			}
			out = append(out, &refusal{Name: m.name + " " + name, Path: path, Body: fmt.Sprintf("%q", body), Role: acceptRole(m.route), Want: want})
		}
		for _, v := range m.input.Violations() {
			if owner := m.owner(); owner != nil && v.Path[0] == owner {
				// A value of the owner input other than the caller's is
				// refused as another owner's (403) before the constraints
				// are checked; the service's constraints test breaks it.
				continue
			}
			obj := sampleRequest(m.input, m.owner(), subject)
			breakJSON(obj, v)
			add(v.Name+" "+v.Rule+" "+valueOf(v), v.Name+":", obj)
		}
		if m.command == nil {
			continue
		}
		for _, t := range m.command.Totals {
			input := m.input.Field(t.List.Name)
			if input == nil {
				continue
			}
			q, p, n, ok := t.Overflow(input)
			if !ok {
				continue
			}
			obj := sampleRequest(m.input, m.owner(), subject)
			items := obj[input.JSONName].([]any)
			elem := items[0].(map[string]any)
			elem[t.Quantity.JSONName], elem[t.Price.JSONName] = jsonInt(t.Quantity, q), jsonInt(t.Price, p)
			list := make([]any, n)
			for i := range list {
				list[i] = elem
			}
			obj[input.JSONName] = list
			add(t.Target.Name+" overflow", t.Target.Name+" overflows", obj)
		}
	}
	return out
}

// jsonInt is an integer as protojson writes it: int64 as a string.
func jsonInt(f *model.Field, v int64) any {
	if f.Type.Kind == model.ScalarType && f.Type.Scalar == model.Int64 {
		return strconv.FormatInt(v, 10)
	}
	return v
}

// breakJSON sets the field of the sample object obj that v leads to to the
// value that breaks its constraint.
func breakJSON(obj map[string]any, v model.Violation) {
	cur := obj
	for _, f := range v.Path[:len(v.Path)-1] {
		next := cur[f.JSONName]
		if l, ok := next.([]any); ok {
			next = l[0]
		}
		cur = next.(map[string]any)
	}
	last := v.Path[len(v.Path)-1]
	t := last.Type
	if v.Element {
		t = t.Elem
	}
	bytes := t.Kind == model.ScalarType && t.Scalar == model.Bytes
	text := func(s string) any {
		if bytes {
			return base64.StdEncoding.EncodeToString([]byte(s))
		}
		return s
	}
	var value any
	switch v.Kind {
	case model.ViolateZero:
		switch {
		case t.Kind == model.ListType:
			value = []any{}
		case t.Kind == model.MessageType || t.Scalar == model.Timestamp:
			delete(cur, last.JSONName)
			return
		case t.Kind == model.EnumType:
			value = 0
		case t.Scalar == model.String || bytes:
			value = ""
		default:
			value = 0
		}
	case model.ViolateInt:
		value = jsonInt(&model.Field{Type: t}, v.Int)
	case model.ViolateFloat:
		value = v.Float
	case model.ViolateText:
		value = text(v.Text)
	case model.ViolateRepeat:
		value = text(strings.Repeat("x", v.Repeat))
	case model.ViolateItems:
		l := cur[last.JSONName].([]any)
		items := make([]any, v.Repeat)
		for i := range items {
			items[i] = l[0]
		}
		value = items
	}
	if v.Element {
		l := cur[last.JSONName].([]any)
		l[0] = value
		return
	}
	cur[last.JSONName] = value
}

// valueOf says which value breaks a constraint, for test names.
func valueOf(v model.Violation) string {
	switch v.Kind {
	case model.ViolateInt:
		return strconv.FormatInt(v.Int, 10)
	case model.ViolateFloat:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case model.ViolateText:
		return strconv.Quote(v.Text)
	case model.ViolateRepeat:
		return fmt.Sprintf("(%d characters)", v.Repeat)
	case model.ViolateItems:
		return fmt.Sprintf("(%d elements)", v.Repeat)
	}
	return "(empty)"
}
