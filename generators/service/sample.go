package service

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// sampleTime is the instant every sample timestamp holds.
const sampleTime = "timestamppb.New(time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC))"

// sample returns a Go expression of a valid sample value for field f, as
// generated tests and examples use: strings "<name>-1", small numbers
// derived from the name (so a request field and the entity field of the
// same name get the same value), true, the first enum value, one-element
// lists and messages with every field sampled. Values follow the field's
// constraints (model.Constraints.FitInt and the like), so that a sample
// request passes validation.
func sample(f *model.Field, im imports) string {
	return sampleDepth(f.Name, f.Type, f.Constraints, im, 0)
}

func sampleDepth(name string, t *model.Type, c *model.Constraints, im imports, depth int) string {
	switch t.Kind {
	case model.ScalarType:
		switch t.Scalar {
		case model.String:
			return strconv.Quote(c.FitString(name + "-1"))
		case model.Bool:
			return "true"
		case model.Int32, model.Int64:
			return strconv.FormatInt(c.FitInt(int64(sampleNumber(name))), 10)
		case model.Double:
			x := c.FitFloat(float64(sampleNumber(name)) + 0.5)
			if x == float64(int64(x)) {
				return strconv.FormatFloat(x, 'f', 1, 64)
			}
			return strconv.FormatFloat(x, 'g', -1, 64)
		case model.Bytes:
			return "[]byte(" + strconv.Quote(c.FitString(name+"-1")) + ")"
		case model.Timestamp:
			im.add("time", "google.golang.org/protobuf/types/known/timestamppb")
			return sampleTime
		}
	case model.EnumType:
		importProto(t.Enum.Service, im)
		return qualEnumValue(t.Enum, t.Enum.Values[0])
	case model.MessageType:
		importProto(t.Message.Service, im)
		return "&" + sampleMessage(t.Message, im, depth)
	case model.ListType:
		elem := sampleDepth(name, t.Elem, c, im, depth)
		if t.Elem.Kind == model.MessageType {
			elem = strings.TrimPrefix(elem, "&"+t.Elem.Message.QualGo)
		}
		elems := make([]string, c.FitItems(1))
		for i := range elems {
			elems[i] = elem
		}
		return goType(t, im) + "{" + strings.Join(elems, ", ") + "}"
	}
	panic(fmt.Sprintf("internal error: no sample for %+v", t))
}

// sampleMessage returns a composite literal "pkg.Msg{...}" with every field
// set, stopping at depth 3 so recursive types end.
func sampleMessage(m *model.Message, im imports, depth int) string {
	if depth >= 3 {
		return m.QualGo + "{}"
	}
	var parts []string
	for _, f := range m.Fields {
		parts = append(parts, f.GoName+": "+sampleDepth(f.Name, f.Type, f.Constraints, im, depth+1))
	}
	return m.QualGo + "{" + strings.Join(parts, ", ") + "}"
}

// sampleNumber is a small positive number derived from a name.
func sampleNumber(name string) int {
	n := 0
	for _, c := range name {
		n += int(c)
	}
	return n%9 + 1
}

// qualEnumValue is the qualified Go constant of an enum value.
func qualEnumValue(e *model.Enum, v *model.EnumValue) string {
	return e.Service.GoPackageName + "." + v.GoName
}

// qualEnumUnspecified is the qualified Go constant of an enum's zero value.
func qualEnumUnspecified(e *model.Enum) string {
	return e.Service.GoPackageName + "." + e.UnspecifiedGoName
}
