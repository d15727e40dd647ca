package explain

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// Constraint says in words what a field's constraints allow: "required,
// 1 to 64 characters", "each element at least 1". It is "" for a field
// without constraints.
func Constraint(f *model.Field) string {
	c := f.Constraints
	if c == nil {
		return ""
	}
	var rules []string
	if c.Required {
		rules = append(rules, "required")
	}
	t := f.Type
	if t.Kind == model.ListType {
		if r := between(c.MinItems, c.MaxItems, "element"); r != "" {
			rules = append(rules, r)
		}
		t = t.Elem
	}
	var each []string
	lo, hi := "at least "+c.Min, "at most "+c.Max
	if c.ExclusiveMin != "" {
		lo = "greater than " + c.ExclusiveMin
	}
	if c.ExclusiveMax != "" {
		hi = "less than " + c.ExclusiveMax
	}
	switch hasLo, hasHi := c.Min != "" || c.ExclusiveMin != "", c.Max != "" || c.ExclusiveMax != ""; {
	case c.Min != "" && c.Max != "":
		each = append(each, "from "+c.Min+" to "+c.Max)
	case hasLo && hasHi:
		each = append(each, lo+" and "+hi)
	case hasLo:
		each = append(each, lo)
	case hasHi:
		each = append(each, hi)
	}
	unit := "character"
	if t.Kind == model.ScalarType && t.Scalar == model.Bytes {
		unit = "byte"
	}
	if r := between(c.MinLen, c.MaxLen, unit); r != "" {
		each = append(each, r)
	}
	if c.Pattern != "" {
		each = append(each, "matches `"+c.Pattern+"`")
	}
	switch c.Format {
	case model.FormatEmail:
		each = append(each, "an email address")
	case model.FormatUUID:
		each = append(each, "a UUID")
	case model.FormatURI:
		each = append(each, "an absolute URI")
	}
	if len(each) > 0 {
		if f.Type.Kind == model.ListType {
			each[0] = "each element " + each[0]
		}
		rules = append(rules, each...)
	}
	s := strings.Join(rules, ", ")
	if !c.Required && (f.Optional || f.Default != "") {
		s += " (when set)"
	}
	return s
}

// between is "1 to 64 characters", "at least 1 element", "at most 64
// characters", or "" with neither bound.
func between(lo, hi *int, unit string) string {
	plural := func(n int) string {
		if n == 1 {
			return unit
		}
		return unit + "s"
	}
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d to %d %s", *lo, *hi, plural(*hi))
	case lo != nil:
		return fmt.Sprintf("at least %d %s", *lo, plural(*lo))
	case hi != nil:
		return fmt.Sprintf("at most %d %s", *hi, plural(*hi))
	}
	return ""
}
