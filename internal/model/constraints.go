package model

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
