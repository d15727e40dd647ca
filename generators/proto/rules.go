package proto

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// validateImport is the file declaring protovalidate's rules, the
// (buf.validate.field) option. buf resolves it from the
// buf.build/bufbuild/protovalidate module the generated buf.yaml declares.
const validateImport = "buf/validate/validate.proto"

// fieldRules returns the protovalidate options that state a field's
// constraints, in the blueprint's order, each "(buf.validate.field)...";
// none for a field without constraints. A field callers may leave empty
// (one added to a request after it first shipped, or one with a default,
// filled by the handler) is checked only when set.
func fieldRules(f *model.Field) []string {
	c := f.Constraints
	if c == nil {
		return nil
	}
	const opt = "(buf.validate.field)."
	var out []string
	add := func(rule string, v any) { out = append(out, fmt.Sprintf("%s%s = %v", opt, rule, v)) }
	if c.Required {
		add("required", true)
	} else if f.Optional || f.Default != "" {
		add("ignore", "IGNORE_IF_ZERO_VALUE")
	}
	t, prefix := f.Type, ""
	if t.Kind == model.ListType {
		if c.MinItems != nil {
			add("repeated.min_items", *c.MinItems)
		}
		if c.MaxItems != nil {
			add("repeated.max_items", *c.MaxItems)
		}
		t, prefix = t.Elem, "repeated.items."
	}
	if t.Kind != model.ScalarType {
		return out
	}
	kind := prefix + string(t.Scalar) + "."
	for _, b := range []struct{ rule, v string }{{"gte", c.Min}, {"gt", c.ExclusiveMin}, {"lte", c.Max}, {"lt", c.ExclusiveMax}} {
		if b.v != "" {
			add(kind+b.rule, b.v)
		}
	}
	if c.MinLen != nil {
		add(kind+"min_len", *c.MinLen)
	}
	if c.MaxLen != nil {
		add(kind+"max_len", *c.MaxLen)
	}
	if c.Pattern != "" {
		add(kind+"pattern", protoString(c.Pattern))
	}
	if c.Format != "" {
		add(kind+c.Format, true)
	}
	return out
}

// protoString quotes s as a .proto string literal: backslashes, quotes and
// control characters escaped, everything else as written (UTF-8).
func protoString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// constrained reports whether a field of the system has constraints: its
// protos then import protovalidate's rules.
func constrained(sys *model.System) bool {
	for _, svc := range sys.Services {
		for _, m := range svc.Messages() {
			for _, f := range m.Fields {
				if f.Constraints != nil {
					return true
				}
			}
		}
	}
	return false
}
