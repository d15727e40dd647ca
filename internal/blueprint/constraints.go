package blueprint

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microforge/microforge/internal/model"
)

// constraintKeys are the keys of a field's mapping form that constrain its
// value, in the order the blueprint documents them.
var constraintKeys = []string{"required", "min", "max", "exclusive_min", "exclusive_max", "min_len", "max_len", "pattern", "format", "min_items", "max_items"}

// constraints checks the constraints a field's mapping form states and sets
// f.Constraints; msg is the field's message, owner names it in messages.
func (b *builder) constraints(f *model.Field, o fieldOptionsWire, msg *model.Message, owner string) {
	first, ok := firstConstraint(o)
	if !ok {
		return
	}
	if msg.Kind != model.RequestMessage && msg.Kind != model.TypeMessage {
		b.errorf(first.p, "constraints check what callers send: set them on the command's or query's input, or on a type it uses",
			"%s on field %q of %s, which no caller sends", first.key, f.Name, owner)
		return
	}
	c := &model.Constraints{}
	good := true
	fail := func(p pos, hint, format string, args ...any) {
		b.errorf(p, hint, format, args...)
		good = false
	}
	t, list := f.Type, f.Type.Kind == model.ListType
	elem := t
	if list {
		elem = t.Elem
	}
	typ := typeString(t, msg.Service)
	scalar := func(s ...model.Scalar) bool {
		if elem.Kind != model.ScalarType {
			return false
		}
		for _, x := range s {
			if elem.Scalar == x {
				return true
			}
		}
		return false
	}
	numeric := scalar(model.Int32, model.Int64, model.Double)
	text := scalar(model.String)
	sized := scalar(model.String, model.Bytes)
	each := ""
	if list {
		each = " (on a list, it applies to each element)"
	}

	if r := o.Required; r.Set && !r.Bad && r.V {
		switch {
		case t.Kind == model.ScalarType && t.Scalar == model.Bool:
			fail(r.Pos, "a required bool could only be true: check it in the command, or use an enum", "required on field %q of type bool", f.Name)
		case f.Default != "":
			fail(r.Pos, "a field with a default is never empty: remove required or the default", "field %q is required and has a default", f.Name)
		default:
			c.Required = true
		}
	}

	// Numeric bounds.
	type bound struct {
		key  string
		w    numeral
		dest *string
	}
	bounds := []bound{{"min", o.Min, &c.Min}, {"max", o.Max, &c.Max}, {"exclusive_min", o.ExclusiveMin, &c.ExclusiveMin}, {"exclusive_max", o.ExclusiveMax, &c.ExclusiveMax}}
	for _, bd := range bounds {
		if !bd.w.Set || bd.w.Bad {
			continue
		}
		if !numeric {
			hint := "min, max, exclusive_min and exclusive_max apply to numbers (int32, int64, double)"
			switch {
			case list && sized:
				hint = "for the number of elements, use min_items and max_items; for each element's length, min_len and max_len"
			case list:
				hint = "for the number of elements, use min_items and max_items"
			case sized:
				hint = "for a length, use min_len and max_len"
			}
			fail(bd.w.Pos, hint, "%s on field %q of type %s", bd.key, f.Name, typ)
			continue
		}
		v, why := numberFor(elem.Scalar, bd.w)
		if why != "" {
			fail(bd.w.Pos, "", "%s %s of field %q %s", bd.key, bd.w.V, f.Name, why)
			continue
		}
		*bd.dest = v
	}
	lowKey, low, lowExcl := "min", c.Min, false
	if c.ExclusiveMin != "" {
		if c.Min != "" {
			fail(o.ExclusiveMin.Pos, "keep one of them", "field %q has both min and exclusive_min", f.Name)
		}
		lowKey, low, lowExcl = "exclusive_min", c.ExclusiveMin, true
	}
	highKey, high, highExcl := "max", c.Max, false
	if c.ExclusiveMax != "" {
		if c.Max != "" {
			fail(o.ExclusiveMax.Pos, "keep one of them", "field %q has both max and exclusive_max", f.Name)
		}
		highKey, high, highExcl = "exclusive_max", c.ExclusiveMax, true
	}
	if low != "" && high != "" {
		l, _ := strconv.ParseFloat(low, 64)
		h, _ := strconv.ParseFloat(high, 64)
		if elem.Scalar != model.Double {
			li, _ := strconv.ParseInt(low, 10, 64)
			hi, _ := strconv.ParseInt(high, 10, 64)
			l, h = float64(cmpInt(li, hi)), 0
		}
		if l > h || (l == h && (lowExcl || highExcl)) {
			at := o.Min.Pos
			if lowExcl {
				at = o.ExclusiveMin.Pos
			}
			fail(at, "no value could pass: swap them, or widen the range", "%s %s of field %q is not below its %s %s", lowKey, low, f.Name, highKey, high)
		}
	}

	// Lengths.
	lengths := []struct {
		key  string
		w    integer
		dest **int
		ok   bool
		hint string
	}{
		{"min_len", o.MinLen, &c.MinLen, sized, "min_len and max_len apply to strings and bytes"},
		{"max_len", o.MaxLen, &c.MaxLen, sized, "min_len and max_len apply to strings and bytes"},
		{"min_items", o.MinItems, &c.MinItems, list, "min_items and max_items apply to lists"},
		{"max_items", o.MaxItems, &c.MaxItems, list, "min_items and max_items apply to lists"},
	}
	for _, l := range lengths {
		if !l.w.Set || l.w.Bad {
			continue
		}
		switch {
		case !l.ok:
			hint := l.hint
			if numeric && strings.HasSuffix(l.key, "_len") {
				hint = "for a number, use min and max"
			} else if list && strings.HasSuffix(l.key, "_len") {
				hint = "min_len and max_len apply to strings and bytes, and to each element of a list of them; for the number of elements, use min_items and max_items"
			}
			fail(l.w.Pos, hint, "%s on field %q of type %s", l.key, f.Name, typ)
		case l.w.V < 0:
			fail(l.w.Pos, "", "%s %d of field %q is negative", l.key, l.w.V, f.Name)
		default:
			n := l.w.V
			*l.dest = &n
		}
	}
	if c.MinLen != nil && c.MaxLen != nil && *c.MinLen > *c.MaxLen {
		fail(o.MinLen.Pos, "no value could pass: swap them", "min_len %d of field %q is greater than its max_len %d", *c.MinLen, f.Name, *c.MaxLen)
	}
	if c.MinItems != nil && c.MaxItems != nil && *c.MinItems > *c.MaxItems {
		fail(o.MinItems.Pos, "no value could pass: swap them", "min_items %d of field %q is greater than its max_items %d", *c.MinItems, f.Name, *c.MaxItems)
	}

	// Strings.
	if p := o.Pattern; p.Set && !p.Bad {
		switch {
		case !text:
			fail(p.Pos, "pattern applies to strings"+each, "pattern on field %q of type %s", f.Name, typ)
		case p.V == "":
			fail(p.Pos, "remove it, or write an RE2 regular expression", "pattern of field %q is empty", f.Name)
		default:
			if _, err := regexp.Compile(p.V); err != nil {
				fail(p.Pos, "write an RE2 regular expression (the syntax of Go's regexp package)", "pattern of field %q does not compile: %s", f.Name, regexpProblem(err))
				break
			}
			c.Pattern = p.V
		}
	}
	if fm := o.Format; fm.Set && !fm.Bad {
		switch {
		case !text:
			fail(fm.Pos, "format applies to strings"+each, "format on field %q of type %s", f.Name, typ)
		default:
			if v, ok := b.choice(fm, "format", model.Formats, ""); ok {
				c.Format = v
			} else {
				good = false
			}
		}
	}
	if !good {
		return
	}
	if f.Default != "" {
		if why := defaultBreaks(c, f.Default); why != "" {
			b.errorf(o.Default.Pos, "", "default %q of field %q %s", f.Default, f.Name, why)
			return
		}
	}
	f.Constraints = c
}

// namedPos is a constraint key with the position of its value.
type namedPos struct {
	key string
	p   pos
}

// firstConstraint returns the first constraint the mapping form states.
func firstConstraint(o fieldOptionsWire) (namedPos, bool) {
	set := map[string]pos{}
	note := func(key string, p pos, on bool) {
		if on {
			set[key] = p
		}
	}
	note("required", o.Required.Pos, o.Required.Set)
	note("min", o.Min.Pos, o.Min.Set)
	note("max", o.Max.Pos, o.Max.Set)
	note("exclusive_min", o.ExclusiveMin.Pos, o.ExclusiveMin.Set)
	note("exclusive_max", o.ExclusiveMax.Pos, o.ExclusiveMax.Set)
	note("min_len", o.MinLen.Pos, o.MinLen.Set)
	note("max_len", o.MaxLen.Pos, o.MaxLen.Set)
	note("pattern", o.Pattern.Pos, o.Pattern.Set)
	note("format", o.Format.Pos, o.Format.Set)
	note("min_items", o.MinItems.Pos, o.MinItems.Set)
	note("max_items", o.MaxItems.Pos, o.MaxItems.Set)
	var out namedPos
	found := false
	for _, k := range constraintKeys {
		p, ok := set[k]
		if ok && (!found || p.Line < out.p.Line || (p.Line == out.p.Line && p.Col < out.p.Col)) {
			out, found = namedPos{k, p}, true
		}
	}
	return out, found
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// numberFor checks a bound for a field of scalar s and returns it in
// canonical form, or why it cannot be one.
func numberFor(s model.Scalar, n numeral) (string, string) {
	if s == model.Double {
		v, err := strconv.ParseFloat(n.V, 64)
		if err != nil || math.IsInf(v, 0) {
			return "", "is out of range of double"
		}
		return strconv.FormatFloat(v, 'g', -1, 64), ""
	}
	if n.Float {
		return "", fmt.Sprintf("is not an integer, as the field is %s", s)
	}
	bits := 64
	if s == model.Int32 {
		bits = 32
	}
	v, err := strconv.ParseInt(n.V, 10, bits)
	if err != nil {
		return "", fmt.Sprintf("is out of range of %s", s)
	}
	return strconv.FormatInt(v, 10), ""
}

// regexpProblem says what is wrong with a pattern, without Go's prefix.
func regexpProblem(err error) string {
	if se, ok := err.(*syntax.Error); ok {
		return fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
	}
	return err.Error()
}

// defaultBreaks says which constraint a field's default value breaks, or "".
// The default is already known to be valid for the field's type.
func defaultBreaks(c *model.Constraints, v string) string {
	if x, err := strconv.ParseFloat(v, 64); err == nil {
		check := func(key, bound string, bad func(x, b float64) bool) string {
			if bound == "" {
				return ""
			}
			b, _ := strconv.ParseFloat(bound, 64)
			if bad(x, b) {
				return fmt.Sprintf("breaks its %s %s", key, bound)
			}
			return ""
		}
		for _, why := range []string{
			check("min", c.Min, func(x, b float64) bool { return x < b }),
			check("max", c.Max, func(x, b float64) bool { return x > b }),
			check("exclusive_min", c.ExclusiveMin, func(x, b float64) bool { return x <= b }),
			check("exclusive_max", c.ExclusiveMax, func(x, b float64) bool { return x >= b }),
		} {
			if why != "" {
				return why
			}
		}
	}
	n := utf8.RuneCountInString(v)
	switch {
	case c.MinLen != nil && n < *c.MinLen:
		return fmt.Sprintf("is shorter than its min_len %d", *c.MinLen)
	case c.MaxLen != nil && n > *c.MaxLen:
		return fmt.Sprintf("is longer than its max_len %d", *c.MaxLen)
	case c.Pattern != "" && !regexp.MustCompile(c.Pattern).MatchString(v):
		return fmt.Sprintf("does not match its pattern %q", c.Pattern)
	}
	return ""
}
