package model

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The Fit methods turn a sample value, as generated tests and examples
// write them ("sku-1", a small number, one element), into one that follows
// the field's constraints, so that a sample request passes validation. A
// nil Constraints keeps the value.

// FitInt returns n moved into the field's bounds.
func (c *Constraints) FitInt(n int64) int64 {
	if c == nil {
		return n
	}
	if v, err := strconv.ParseInt(c.Min, 10, 64); err == nil && n < v {
		n = v
	}
	if v, err := strconv.ParseInt(c.ExclusiveMin, 10, 64); err == nil && n <= v {
		n = v + 1
	}
	if v, err := strconv.ParseInt(c.Max, 10, 64); err == nil && n > v {
		n = v
	}
	if v, err := strconv.ParseInt(c.ExclusiveMax, 10, 64); err == nil && n >= v {
		n = v - 1
	}
	if c.Required && n == 0 {
		n = 1
	}
	return n
}

// FitFloat returns x moved into the field's bounds.
func (c *Constraints) FitFloat(x float64) float64 {
	if c == nil {
		return x
	}
	lo, hasLo := parseFloat(c.Min)
	if v, ok := parseFloat(c.ExclusiveMin); ok {
		lo, hasLo = v, true
	}
	hi, hasHi := parseFloat(c.Max)
	if v, ok := parseFloat(c.ExclusiveMax); ok {
		hi, hasHi = v, true
	}
	switch {
	case hasLo && hasHi && (x <= lo || x >= hi):
		x = lo + (hi-lo)/2
	case hasLo && x <= lo:
		x = lo + 1
	case hasHi && x >= hi:
		x = hi - 1
	}
	if (hasLo && c.Min != "" && x == lo-1) || (c.Required && x == 0) {
		x = lo + 1
	}
	return x
}

func parseFloat(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// FitItems returns n moved into the list's bounds on its length.
func (c *Constraints) FitItems(n int) int {
	if c == nil {
		return n
	}
	if c.MinItems != nil && n < *c.MinItems {
		n = *c.MinItems
	}
	if c.MaxItems != nil && n > *c.MaxItems {
		n = *c.MaxItems
	}
	return n
}

// FitString returns s in the field's format, matching its pattern, and
// within its lengths where it can.
func (c *Constraints) FitString(s string) string {
	if c == nil {
		return s
	}
	switch c.Format {
	case FormatEmail:
		s = strings.ReplaceAll(s, "_", "-") + "@example.com"
	case FormatUUID:
		s = "01890a5d-ac96-774b-bcce-b302099a8057"
	case FormatURI:
		s = "https://example.com/" + s
	}
	if c.Pattern != "" {
		if re, err := regexp.Compile(c.Pattern); err == nil && !re.MatchString(s) {
			if m, ok := patternSample(c.Pattern); ok {
				s = m
			}
		}
	}
	if c.MinLen != nil {
		if n := utf8.RuneCountInString(s); n < *c.MinLen {
			s += strings.Repeat("x", *c.MinLen-n)
		}
	}
	if c.MaxLen != nil && utf8.RuneCountInString(s) > *c.MaxLen {
		s = string([]rune(s)[:*c.MaxLen])
	}
	return s
}

// patternSample returns a short string matching the RE2 pattern: each
// repetition at its minimum, the first alternative, the first character
// of each class.
func patternSample(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !writeSample(&b, re.Simplify()) {
		return "", false
	}
	s := b.String()
	return s, regexp.MustCompile(pattern).MatchString(s)
}

func writeSample(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) < 2 {
			return false
		}
		r := re.Rune[0]
		for i := 0; i+1 < len(re.Rune); i += 2 { // prefer a letter or digit
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo <= 'a' && 'a' <= hi {
				r = 'a'
				break
			}
			if lo <= '0' && '0' <= hi {
				r = '0'
			}
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpPlus:
		return writeSample(b, re.Sub[0])
	case syntax.OpRepeat:
		for range re.Min {
			if !writeSample(b, re.Sub[0]) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !writeSample(b, sub) {
				return false
			}
		}
	case syntax.OpAlternate:
		return writeSample(b, re.Sub[0])
	case syntax.OpNoMatch:
		return false
	}
	return true // empty matches, anchors, star and quest: nothing
}

// SampleTime is the instant every sample timestamp holds, in generated
// tests, examples and documentation alike.
var SampleTime = time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)

// SampleScalar returns the sample value of a scalar field called name that
// follows its constraints c (nil: none): the one sample every generator
// renders, as Go, JSON or documentation. Strings and bytes are
// "<name>-1", numbers small and derived from the name (so a request field
// and the entity field of the same name get the same value; doubles end in
// .5), booleans true and timestamps SampleTime. The value is a string,
// []byte, bool, int64, float64 or time.Time.
func SampleScalar(name string, s Scalar, c *Constraints) any {
	switch s {
	case String:
		return c.FitString(name + "-1")
	case Bytes:
		return []byte(c.FitString(name + "-1"))
	case Bool:
		return true
	case Int32, Int64:
		return c.FitInt(int64(SampleNumber(name)))
	case Double:
		return c.FitFloat(float64(SampleNumber(name)) + 0.5)
	case Timestamp:
		return SampleTime
	}
	panic("internal error: no sample for scalar " + string(s))
}

// SampleNumber is the small positive number, 1 to 9, derived from a name
// that integer samples start from.
func SampleNumber(name string) int {
	n := 0
	for _, c := range name {
		n += int(c)
	}
	return n%9 + 1
}
