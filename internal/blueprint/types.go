package blueprint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// typeExpr is a field type as written: a scalar, enum(a, b), list<T> or a
// reference to a type or entity, optionally qualified by a service.
type typeExpr struct {
	kind   model.TypeKind
	scalar model.Scalar
	values []enumValueExpr // enum
	ref    string          // "LineItem" or "orders.LineItem"
	at     pos             // position of the expression
	elem   *typeExpr       // list
}

type enumValueExpr struct {
	name string
	at   pos
}

var scalars = []model.Scalar{model.String, model.Bool, model.Int32, model.Int64, model.Double, model.Bytes, model.Timestamp}

// scalarAliases are other languages' names for scalars, with the
// blueprint's names to suggest instead.
var scalarAliases = map[string]string{
	"int": `"int32" or "int64"`, "integer": `"int32" or "int64"`, "long": `"int64"`,
	"float": `"double"`, "float64": `"double"`, "number": `"double"`, "boolean": `"bool"`,
	"str": `"string"`, "text": `"string"`, "uuid": `"string"`, "datetime": `"timestamp"`,
	"time": `"timestamp"`, "date": `"timestamp"`, "bytea": `"bytes"`, "blob": `"bytes"`,
}

var refRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*\.)?[A-Za-z][A-Za-z0-9_]*$`)

const typeHint = "write a scalar (string, bool, int32, int64, double, bytes, timestamp), enum(a, b), list<T>, a type or entity name, or service.Type"

// parseType parses s.V[off:end]; it reports problems and returns nil for a
// malformed type.
func (b *builder) parseType(s str, off, end int, inList bool) *typeExpr {
	for off < end && s.V[off] == ' ' {
		off++
	}
	for end > off && s.V[end-1] == ' ' {
		end--
	}
	t := s.V[off:end]
	at := s.at(off)
	switch {
	case t == "":
		b.errorf(at, typeHint, "missing field type")
		return nil
	case strings.HasPrefix(t, "list<") || strings.HasPrefix(t, "list <"):
		open := strings.IndexByte(s.V[off:end], '<') + off
		if !strings.HasSuffix(t, ">") {
			b.errorf(at, "write list<T>", "malformed type %q", t)
			return nil
		}
		if inList {
			b.errorf(at, "declare a type that holds the inner list and make a list of it", "lists of lists are not supported")
			return nil
		}
		elem := b.parseType(s, open+1, end-1, true)
		if elem == nil {
			return nil
		}
		return &typeExpr{kind: model.ListType, elem: elem, at: at}
	case strings.HasPrefix(t, "enum(") || strings.HasPrefix(t, "enum ("):
		open := strings.IndexByte(s.V[off:end], '(') + off
		if !strings.HasSuffix(t, ")") {
			b.errorf(at, "write enum(a, b)", "malformed type %q", t)
			return nil
		}
		e := &typeExpr{kind: model.EnumType, at: at}
		inner := s.V[open+1 : end-1]
		ok := true
		if strings.TrimSpace(inner) == "" {
			b.errorf(at, "write enum(a, b)", "enum has no values")
			return nil
		}
		seen := map[string]bool{}
		start := open + 1
		for _, part := range strings.Split(inner, ",") {
			lead := len(part) - len(strings.TrimLeft(part, " "))
			name := strings.TrimSpace(part)
			vat := s.at(start + lead)
			start += len(part) + 1
			switch {
			case name == "":
				b.errorf(vat, "", "empty enum value")
				ok = false
			case !lowerSnakeRE.MatchString(name):
				b.errorf(vat, snakeHint(name), "enum value %q must be lower_snake_case", name)
				ok = false
			case name == "unspecified":
				b.errorf(vat, "every enum already has an UNSPECIFIED zero value", "enum value %q is reserved", name)
				ok = false
			case seen[name]:
				b.errorf(vat, "", "duplicate enum value %q", name)
				ok = false
			}
			seen[name] = true
			e.values = append(e.values, enumValueExpr{name: name, at: vat})
		}
		if !ok {
			return nil
		}
		return e
	}
	for _, sc := range scalars {
		if t == string(sc) {
			return &typeExpr{kind: model.ScalarType, scalar: sc, at: at}
		}
	}
	if refRE.MatchString(t) {
		return &typeExpr{kind: model.MessageType, ref: t, at: at}
	}
	b.errorf(at, typeHint, "malformed type %q", t)
	return nil
}

// resolveType turns a parsed type into a model type for a field of svc,
// reporting unknown references. It returns nil on error.
func (b *builder) resolveType(sb *svcBuild, e *typeExpr) *model.Type {
	switch e.kind {
	case model.ScalarType:
		return &model.Type{Kind: model.ScalarType, Scalar: e.scalar}
	case model.EnumType:
		en := &model.Enum{}
		for _, v := range e.values {
			en.Values = append(en.Values, &model.EnumValue{Name: v.name})
		}
		return &model.Type{Kind: model.EnumType, Enum: en}
	case model.ListType:
		elem := b.resolveType(sb, e.elem)
		if elem == nil {
			return nil
		}
		return &model.Type{Kind: model.ListType, Elem: elem}
	}
	target, name := sb, e.ref
	if i := strings.IndexByte(e.ref, '.'); i >= 0 {
		svcName := e.ref[:i]
		name = e.ref[i+1:]
		target = b.svcs[svcName]
		if target == nil {
			b.errorf(e.at, didYouMean(svcName, b.serviceNames()), "unknown service %q in type %q", svcName, e.ref)
			return nil
		}
	}
	if m := target.named[name]; m != nil {
		return &model.Type{Kind: model.MessageType, Message: m}
	}
	if target.events[name] != nil {
		b.errorf(e.at, "declare a type under types: with the same fields", "%q is an event, not a type or entity", e.ref)
		return nil
	}
	if alt, ok := scalarAliases[strings.ToLower(e.ref)]; ok {
		b.errorf(e.at, "did you mean "+alt+"?", "unknown type %q", e.ref)
		return nil
	}
	if lower := strings.ToLower(name); e.ref == name && lower != "enum" && lower != "list" {
		for _, sc := range scalars {
			if lower == string(sc) {
				b.errorf(e.at, fmt.Sprintf("did you mean %q?", sc), "unknown type %q", e.ref)
				return nil
			}
		}
	}
	b.errorf(e.at, didYouMean(e.ref, b.typeCandidates(sb)), "unknown type %q", e.ref)
	return nil
}

// typeCandidates lists every type name a field of sb can use.
func (b *builder) typeCandidates(sb *svcBuild) []string {
	var out []string
	for _, sc := range scalars {
		out = append(out, string(sc))
	}
	out = append(out, sb.namedOrder...)
	for _, o := range b.order {
		if o == sb || o.m.Name == "" {
			continue
		}
		for _, n := range o.namedOrder {
			out = append(out, o.m.Name+"."+n)
		}
	}
	return out
}

// typeString writes a model type the way a blueprint does, as seen from svc.
func typeString(t *model.Type, from *model.Service) string { return model.TypeString(t, from) }
