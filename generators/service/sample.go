package service

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/microforge/microforge/internal/model"
)

// sampleTime is the Go expression of model.SampleTime.
var sampleTime = fmt.Sprintf("timestamppb.New(time.Date(%d, time.%s, %d, %d, %d, %d, 0, time.UTC))",
	model.SampleTime.Year(), model.SampleTime.Month(), model.SampleTime.Day(),
	model.SampleTime.Hour(), model.SampleTime.Minute(), model.SampleTime.Second())

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
		switch v := model.SampleScalar(name, t.Scalar, c).(type) {
		case string:
			return strconv.Quote(v)
		case []byte:
			return "[]byte(" + strconv.Quote(string(v)) + ")"
		case bool:
			return strconv.FormatBool(v)
		case int64:
			return strconv.FormatInt(v, 10)
		case float64:
			if v == float64(int64(v)) {
				return strconv.FormatFloat(v, 'f', 1, 64)
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		case time.Time:
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

// sampleNumber is model.SampleNumber.
func sampleNumber(name string) int { return model.SampleNumber(name) }

// qualEnumValue is the qualified Go constant of an enum value.
func qualEnumValue(e *model.Enum, v *model.EnumValue) string {
	return e.Service.GoPackageName + "." + v.GoName
}

// qualEnumUnspecified is the qualified Go constant of an enum's zero value.
func qualEnumUnspecified(e *model.Enum) string {
	return e.Service.GoPackageName + "." + e.UnspecifiedGoName
}
