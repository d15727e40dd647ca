package model

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
)

// Constraints are the rules a field's value must follow, as the blueprint
// states them (min, max, min_len, pattern, ...). Nothing is constrained
// implicitly: a field without any has nil Constraints. They are written
// into the .proto as protovalidate rules, which every service enforces on
// the requests it serves before the handler runs.
//
// On a list field, MinItems and MaxItems bound the list and every other
// rule applies to each of its elements.
type Constraints struct {
	// Numeric bounds (int32, int64, double), each as a canonical number
	// ("1", "-2.5") or "" for none. Min and Max are inclusive;
	// ExclusiveMin and ExclusiveMax are not.
	Min, Max                   string
	ExclusiveMin, ExclusiveMax string
	// MinLen and MaxLen bound a string's length in characters (Unicode
	// code points) or a bytes field's in bytes; nil for none.
	MinLen, MaxLen *int
	// Pattern is an RE2 regular expression the string must match
	// somewhere (anchor it with ^ and $ to match all of it); "" for none.
	Pattern string
	// Format is a well-known string format (FormatEmail, FormatUUID,
	// FormatURI); "" for none.
	Format string
	// Required: the value must not be the zero value (an empty string or
	// list, 0, an unset message or enum).
	Required bool
	// MinItems and MaxItems bound a list's length; nil for none.
	MinItems, MaxItems *int
}

// Well-known string formats.
const (
	FormatEmail = "email"
	FormatUUID  = "uuid"
	FormatURI   = "uri"
)

// Formats lists the well-known string formats, in the order the blueprint
// documents them.
var Formats = []string{FormatEmail, FormatUUID, FormatURI}

// Constrained reports whether any field of the message, or of a message
// its fields hold (at any depth), has constraints: validating the message
// can refuse it.
func (m *Message) Constrained() bool {
	return m.constrained(map[*Message]bool{})
}

func (m *Message) constrained(seen map[*Message]bool) bool {
	if seen[m] {
		return false
	}
	seen[m] = true
	for _, f := range m.Fields {
		if f.Constraints != nil {
			return true
		}
		t := f.Type
		if t.Kind == ListType {
			t = t.Elem
		}
		if t.Kind == MessageType && t.Message.constrained(seen) {
			return true
		}
	}
	return false
}

// Violation is one way to break a constraint of a request, for generated
// tests: a valid sample request with the value at Path replaced is refused,
// naming Name.
type Violation struct {
	// Path leads from a field of the request to the constrained field,
	// through messages; a list on the way steps into its first element.
	Path []*Field
	// Element: the constraint is on each element of the list at the end
	// of Path, and the value replaces its first element.
	Element bool
	Name    string // the field as protovalidate names it, "items[0].quantity"
	Rule    string // the blueprint key broken, "min"
	Kind    ViolationKind
	Int     int64   // ViolateInt
	Float   float64 // ViolateFloat
	Text    string  // ViolateText: a string (or bytes) value
	Repeat  int     // ViolateRepeat: a string of this many "x"; ViolateItems: this many elements
}

// ViolationKind says which value breaks a constraint.
type ViolationKind int

// Kinds of violating values.
const (
	ViolateZero   ViolationKind = iota // the zero value: empty, 0, unset
	ViolateInt                         // Int
	ViolateFloat                       // Float
	ViolateText                        // Text
	ViolateRepeat                      // Repeat times "x"
	ViolateItems                       // the list with Repeat copies of its first element
)

// Violations returns a way to break each constraint of the message and of
// the messages its fields hold (to depth 3), in field order: a value just
// outside each bound, an empty or over-long string, one that misses the
// pattern or the format, a list one element short or long. Bounds at the
// edge of their type (min of -2^63) have no violation.
func (m *Message) Violations() []Violation {
	return m.violations(nil, "", 0)
}

func (m *Message) violations(path []*Field, prefix string, depth int) []Violation {
	if depth >= 3 {
		return nil
	}
	var out []Violation
	for _, f := range m.Fields {
		p := append(append([]*Field{}, path...), f)
		name := prefix + f.Name
		if c := f.Constraints; c != nil {
			out = append(out, fieldViolations(f, c, p, name)...)
		}
		t, elem := f.Type, name
		if t.Kind == ListType {
			t, elem = t.Elem, name+"[0]"
		}
		if t.Kind == MessageType {
			out = append(out, t.Message.violations(p, elem+".", depth+1)...)
		}
	}
	return out
}

// fieldViolations breaks each constraint of one field.
func fieldViolations(f *Field, c *Constraints, path []*Field, name string) []Violation {
	var out []Violation
	add := func(v Violation) {
		v.Path = path
		if v.Name == "" {
			v.Name = name
		}
		out = append(out, v)
	}
	if c.Required {
		add(Violation{Rule: "required", Kind: ViolateZero})
	}
	t := f.Type
	element := false
	if t.Kind == ListType {
		if c.MinItems != nil && *c.MinItems > 0 {
			add(Violation{Rule: "min_items", Kind: ViolateItems, Repeat: *c.MinItems - 1})
		}
		if c.MaxItems != nil {
			add(Violation{Rule: "max_items", Kind: ViolateItems, Repeat: *c.MaxItems + 1})
		}
		t, element = t.Elem, true
	}
	elem := func(v Violation) {
		v.Element = element
		if element {
			v.Name = name + "[0]"
		}
		add(v)
	}
	if t.Kind != ScalarType {
		return out
	}
	switch t.Scalar {
	case Int32, Int64:
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if t.Scalar == Int32 {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if v, err := strconv.ParseInt(c.Min, 10, 64); err == nil && v > lo {
			elem(Violation{Rule: "min", Kind: ViolateInt, Int: v - 1})
			if v > 0 {
				elem(Violation{Rule: "min", Kind: ViolateInt, Int: -1}) // a negative value too
			}
		}
		if v, err := strconv.ParseInt(c.ExclusiveMin, 10, 64); err == nil {
			elem(Violation{Rule: "exclusive_min", Kind: ViolateInt, Int: v})
		}
		if v, err := strconv.ParseInt(c.Max, 10, 64); err == nil && v < hi {
			elem(Violation{Rule: "max", Kind: ViolateInt, Int: v + 1})
		}
		if v, err := strconv.ParseInt(c.ExclusiveMax, 10, 64); err == nil {
			elem(Violation{Rule: "exclusive_max", Kind: ViolateInt, Int: v})
		}
	case Double:
		for _, b := range []struct {
			rule, v string
			delta   float64
		}{{"min", c.Min, -1}, {"exclusive_min", c.ExclusiveMin, 0}, {"max", c.Max, 1}, {"exclusive_max", c.ExclusiveMax, 0}} {
			if v, err := strconv.ParseFloat(b.v, 64); err == nil {
				elem(Violation{Rule: b.rule, Kind: ViolateFloat, Float: v + b.delta})
			}
		}
	case String, Bytes:
		if c.MinLen != nil && *c.MinLen > 0 {
			elem(Violation{Rule: "min_len", Kind: ViolateRepeat, Repeat: *c.MinLen - 1})
		}
		if c.MaxLen != nil {
			elem(Violation{Rule: "max_len", Kind: ViolateRepeat, Repeat: *c.MaxLen + 1})
		}
		if c.Pattern != "" {
			re := regexp.MustCompile(c.Pattern)
			for _, s := range []string{"", "-", " ", "0", "a", "A", "_", "x y"} {
				if !re.MatchString(s) {
					elem(Violation{Rule: "pattern", Kind: ViolateText, Text: s})
					break
				}
			}
		}
		if c.Format != "" {
			bad := map[string]string{FormatEmail: "not-an-email", FormatUUID: "not-a-uuid", FormatURI: "not a uri"}
			elem(Violation{Rule: "format", Kind: ViolateText, Text: bad[c.Format]})
		}
	}
	return out
}

// Overflow returns a list that makes the total overflow while every value
// follows its constraints: items elements of quantity × price each, sent
// as the request field input (the list the total is computed from); ok is
// false when the constraints make an overflow impossible (or need more
// than 1000 elements).
func (t *Total) Overflow(input *Field) (quantity, price int64, items int, ok bool) {
	upper := func(f *Field) int64 {
		hi := int64(math.MaxInt64)
		if f.Type.Scalar == Int32 {
			hi = math.MaxInt32
		}
		if c := f.Constraints; c != nil {
			if v, err := strconv.ParseInt(c.Max, 10, 64); err == nil {
				hi = min(hi, v)
			}
			if v, err := strconv.ParseInt(c.ExclusiveMax, 10, 64); err == nil {
				hi = min(hi, v-1)
			}
		}
		return hi
	}
	quantity, price = upper(t.Quantity), upper(t.Price)
	if quantity <= 0 || price <= 0 {
		return 0, 0, 0, false
	}
	limit := big.NewInt(math.MaxInt64)
	if t.Target.Type.Scalar == Int32 {
		limit = big.NewInt(math.MaxInt32)
	}
	line := new(big.Int).Mul(big.NewInt(quantity), big.NewInt(price))
	need := new(big.Int).Div(limit, line)
	need.Add(need, big.NewInt(1))
	minItems, maxItems := int64(0), int64(1000)
	if c := input.Constraints; c != nil && c.MaxItems != nil {
		maxItems = min(maxItems, int64(*c.MaxItems))
	}
	if c := input.Constraints; c != nil && c.MinItems != nil {
		minItems = int64(*c.MinItems)
	}
	if !need.IsInt64() || need.Int64() > maxItems {
		return 0, 0, 0, false
	}
	return quantity, price, int(max(need.Int64(), minItems)), true
}
