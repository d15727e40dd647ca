package service

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// upcastView is the upcaster of one event of an event-sourced service whose
// fields changed type since events were first stored: the fold passes every
// stored event of the type through it.
type upcastView struct {
	Package  string // the service's Go package, "orders"
	TestName string // "TestUpcastOrderPlaced"
	Event    string // "OrderPlaced"
	// Mark names the checkpoint row holding the last event stored before
	// the change: "ledger@upcast/Posted/1" (the count of the event's type
	// changes, so that a later change gets a mark of its own).
	Mark   string
	Func   string // "upcastOrderPlaced"
	QualGo string // "ordersv1.OrderPlaced"
	Type   string // stored name of the current version, "shop.orders.v1.OrderPlaced"
	Fields []*upcastField
	// Apply is the fold the test passes the old event through when a
	// projection of the event creates its entity, "applyOrder"; "" otherwise.
	Apply    string
	Testable bool // every field has a default conversion the test can check
	Imports  imports
	Test     imports
}

// upcastField converts one field's old values.
type upcastField struct {
	Name    string // "total_cents"
	GoName  string // "TotalCents"
	Number  int
	From    string   // the previous type, "int64"
	To      string   // the current type, "string"
	Convert []string // Go statements: read v (an outbox.OldValue), set event.<GoName>; return an error on failure
	// WireType is the protowire constant of the previous type's encoding;
	// OldValue appends a sample of it to old in the test, Want is the
	// converted value the test expects.
	WireType string
	OldValue string
	Want     string
	// Zero is what an old event that left the field out (its old type's
	// zero) converts to when that is not the new type's zero: "\"0\"".
	Zero string
	// Entity is the getter of the entity field the fold sets from this
	// field, when the test folds the old event into a new entity.
	Entity string
}

// wireTypes are the protobuf wire types of the types a field can change
// between; a change within one wire type decodes without help.
var wireTypes = map[string]string{
	"int32": "varint", "int64": "varint", "bool": "varint",
	"double": "fixed64",
	"string": "bytes", "bytes": "bytes", "timestamp": "bytes",
}

// newUpcastViews decides the upcasters of an event-sourced service: one per
// folded event with a field whose previous type has another wire type.
func newUpcastViews(sv *serviceView) {
	svc := sv.model
	if !sv.EventSourced {
		return
	}
	for _, e := range sv.ReadModels {
		for _, f := range e.model.Message.Fields {
			e.Retyped = e.Retyped || len(f.WasTypes) > 0
		}
	}
	seen := map[*model.Message]bool{}
	for _, p := range svc.Projections {
		ev := p.Event
		if seen[ev] || ev.Service != svc {
			continue
		}
		seen[ev] = true
		var fields []*upcastField
		im := imports{}.add(sv.Sys.Module+"/internal/platform/outbox", "google.golang.org/protobuf/encoding/protowire")
		test := imports{}.add("testing", "google.golang.org/protobuf/encoding/protowire", sv.Sys.Module+"/internal/platform/outbox")
		for _, f := range ev.Fields {
			if len(f.WasTypes) == 0 {
				continue
			}
			from, to := f.WasTypes[len(f.WasTypes)-1], model.WireType(f.Type)
			if wireTypes[from] != "" && wireTypes[from] == wireTypes[to] {
				continue
			}
			fields = append(fields, upcastFieldOf(f, from, to, im, test))
		}
		if len(fields) == 0 {
			continue
		}
		importProto(svc, im)
		importProto(svc, test)
		test.add("google.golang.org/protobuf/proto")
		u := &upcastView{
			Package: sv.Name, TestName: "TestUpcast" + ev.Name,
			Event: ev.Name, Func: "upcast" + ev.Name, QualGo: ev.QualGo, Type: ev.FullName,
			Fields: fields, Imports: im, Test: test, Testable: true,
		}
		if p.Create {
			u.Apply = "apply" + p.Entity.Name()
			for _, a := range p.Fields {
				for _, f := range fields {
					if a.Source.Name == f.Name && model.WireType(a.Target.Type) == f.To {
						f.Entity = "Get" + a.Target.GoName
					}
				}
			}
		}
		changes := 0
		for _, f := range fields {
			u.Testable = u.Testable && f.Want != ""
		}
		for _, f := range ev.Fields {
			changes = max(changes, len(f.WasTypes))
		}
		u.Mark = fmt.Sprintf("%s@upcast/%s/%d", svc.Name, ev.Name, changes)
		sv.Upcasts = append(sv.Upcasts, u)
		for _, pv := range sv.Projections {
			if pv.EventType == ev.FullName {
				pv.Upcast = u
			}
		}
	}
}

// upcastFieldOf writes the default conversion of a field from one type to
// another: the obvious one between numbers, text and booleans; otherwise a
// conversion that fails, naming the field, for the service's owner to write.
func upcastFieldOf(f *model.Field, from, to string, im, test imports) *upcastField {
	u := &upcastField{Name: f.Name, GoName: f.GoName, Number: f.Number, From: from, To: to,
		WireType: map[string]string{"varint": "VarintType", "fixed64": "Fixed64Type", "bytes": "BytesType"}[wireTypes[from]]}
	set := "event." + f.GoName + " = "
	read := map[string]string{
		"int32": "n, err := v.Int64()", "int64": "n, err := v.Int64()", "bool": "b, err := v.Bool()",
		"double": "x, err := v.Float64()", "string": "s, err := v.String()", "bytes": "s, err := v.Bytes()",
	}[from]
	sample := map[string]string{
		"int32": "protowire.AppendVarint(old, 1250)", "int64": "protowire.AppendVarint(old, 1250)",
		"bool":   "protowire.AppendVarint(old, 1)",
		"double": "protowire.AppendFixed64(old, math.Float64bits(12.5))",
		"string": `protowire.AppendString(old, "1250")`, "bytes": `protowire.AppendBytes(old, []byte("1250"))`,
	}[from]
	if from == "double" {
		test.add("math")
	}
	u.OldValue = sample
	var value string
	switch {
	case to == "string" && (from == "int32" || from == "int64"):
		value, u.Want, u.Zero = "strconv.FormatInt(n, 10)", `"1250"`, `"0"`
		im.add("strconv")
	case to == "string" && from == "double":
		value, u.Want, u.Zero = "strconv.FormatFloat(x, 'g', -1, 64)", `"12.5"`, `"0"`
		im.add("strconv")
	case to == "string" && from == "bool":
		value, u.Want, u.Zero = "strconv.FormatBool(b)", `"true"`, `"false"`
		im.add("strconv")
	case to == "int32" || to == "int64":
		switch from {
		case "string", "bytes":
			bits := strings.TrimPrefix(to, "int")
			u.Convert = []string{read, "if err != nil {", "return err", "}",
				"n, err := strconv.ParseInt(string(s), 10, " + bits + ")", "if err != nil {", "return err", "}",
				set + map[string]string{"int32": "int32(n)", "int64": "n"}[to], "return nil"}
			im.add("strconv")
			u.Want = "1250"
			return u
		case "double":
			value, u.Want = to+"(x)", "12"
		case "bool":
			u.Convert = []string{read, "if b {", set + "1", "}", "return err"}
			u.Want = "1"
			return u
		}
	case to == "double":
		switch from {
		case "string", "bytes":
			u.Convert = []string{read, "if err != nil {", "return err", "}",
				"x, err := strconv.ParseFloat(string(s), 64)", set + "x", "return err"}
			im.add("strconv")
			u.Want = "1250"
			return u
		case "int32", "int64":
			value, u.Want = "float64(n)", "1250"
		}
	case to == "bool":
		switch from {
		case "string", "bytes":
			u.Convert = []string{read, "if err != nil {", "return err", "}",
				"b, err := strconv.ParseBool(string(s))", set + "b", "return err"}
			im.add("strconv")
			u.OldValue = `protowire.AppendString(old, "true")`
			u.Want = "true"
			return u
		case "int32", "int64":
			value, u.Want = "n != 0", "true"
		case "double":
			value, u.Want = "x != 0", "true"
		}
	}
	if value == "" || read == "" {
		im.add("fmt")
		if u.WireType == "" { // an enum's number, or a message's or list's encoding
			u.WireType, u.OldValue = "BytesType", "protowire.AppendBytes(old, nil)"
			if strings.HasPrefix(from, "enum ") {
				u.WireType, u.OldValue = "VarintType", "protowire.AppendVarint(old, 1)"
			}
		}
		u.Convert = []string{fmt.Sprintf("return fmt.Errorf(%q)", fmt.Sprintf("%s: write how a stored %s becomes a %s", f.Name, from, to))}
		u.Want = ""
		return u
	}
	u.Convert = []string{read, set + value, "return err"}
	return u
}
