package service

import (
	"fmt"
	"strconv"

	"github.com/microforge/microforge/internal/model"
)

// validated reports whether a request the service serves has constraints:
// its handler then checks them before running (package validation).
func validated(svc *model.Service) bool {
	for _, c := range svc.Commands {
		if c.Input.Constrained() {
			return true
		}
	}
	for _, q := range svc.Queries {
		if q.Input.Constrained() {
			return true
		}
	}
	return false
}

// newTotalView is how a command computes a total.
func newTotalView(t *model.Total) totalView {
	sum := "the sum of " + t.Quantity.Name + " × " + t.Price.Name + " over " + t.List.Name
	// An element's factor as the int64 checked.Mul takes, converted only
	// when it is not one already.
	factor := func(f *model.Field) string {
		get := "x.Get" + f.GoName + "()"
		if f.Type.Scalar == model.Int64 {
			return get
		}
		return "int64(" + get + ")"
	}
	return totalView{
		Target: t.Target.GoName, List: t.List.GoName, Quantity: factor(t.Quantity), Price: factor(t.Price),
		Type:     string(t.Target.Type.Scalar),
		Doc:      t.Target.Name + " is " + sum + " (checked: an overflow is InvalidArgument).",
		Field:    t.Target.Name,
		Overflow: "overflows " + string(t.Target.Type.Scalar) + ": " + sum + " is too large",
	}
}

// sagaError is the Go expression passing a saga's error (expr) to field:
// cut to the field's max_len, so that a long error still fails the saga
// with its on_failure call rather than being refused by it.
func sagaError(expr string, field *model.Field, im imports, module string) string {
	c := field.Constraints
	if c == nil || c.MaxLen == nil {
		return expr
	}
	im.add(module + "/internal/platform/validation")
	return fmt.Sprintf("validation.Truncate(%s, %d)", expr, *c.MaxLen)
}

// constraintsTest is the data of internal/[service]/constraints_test.go:
// requests breaking each constraint, and totals made to overflow, sent
// through the service's handler as Mount serves it.
type constraintsTest struct {
	Validated bool           // the service validates requests: the samples must pass
	Package   string         // Go package of the test, the service's
	Tenancy   *model.Tenancy // the tests serve the handler in their tenant
	Client    string         // "ordersv1connect.NewOrdersServiceClient"
	Methods   []*constraintsMethod
	Imports   imports
}

// constraintsMethod is one command or query with constraints to break.
type constraintsMethod struct {
	Name     string // "PlaceOrder"
	ReqType  string // "ordersv1.PlaceOrderRequest"
	Request  []assignment
	Cases    []constraintCase
	Overflow *overflowCase
}

// constraintCase breaks one constraint.
type constraintCase struct {
	Rule  string // "min"
	Field string // the field the error names, "items[0].quantity"
	Set   string // statement on req breaking it
}

// overflowCase fills a total's list with values that follow every
// constraint and still overflow the total.
type overflowCase struct {
	Field string // "total_cents"
	Set   string // statement on req
}

// newConstraintsTest returns the test of the service's constraints and
// totals, nil when it has neither.
func newConstraintsTest(sv *serviceView) *constraintsTest {
	svc := sv.model
	t := &constraintsTest{
		Package: sv.Name,
		Tenancy: sv.Sys.Tenancy,
		Client:  sv.Connect + ".New" + sv.ProtoService + "Client",
		Imports: imports{}.add("net/http", "net/http/httptest", "strings", "testing", "connectrpc.com/connect", svc.ConnectImport),
	}
	importProto(svc, t.Imports)
	method := func(name string, in *model.Message, totals []*model.Total) {
		m := &constraintsMethod{Name: name, ReqType: in.QualGo}
		for _, v := range in.Violations() {
			m.Cases = append(m.Cases, constraintCase{Rule: v.Rule, Field: v.Name, Set: violationSet(v, t.Imports)})
		}
		for _, tot := range totals {
			input := in.Field(tot.List.Name)
			if input == nil {
				continue
			}
			q, p, n, ok := tot.Overflow(input)
			if !ok {
				continue
			}
			elem := "req." + input.GoName + "[0]"
			set := fmt.Sprintf("%s.%s, %s.%s = %d, %d", elem, tot.Quantity.GoName, elem, tot.Price.GoName, q, p)
			if n > 1 {
				t.Imports.add("slices")
				set += fmt.Sprintf("\n\t\t\treq.%s = slices.Repeat(req.%s[:1], %d)", input.GoName, input.GoName, n)
			}
			m.Overflow = &overflowCase{Field: tot.Target.Name, Set: set}
			break
		}
		if len(m.Cases) == 0 && m.Overflow == nil {
			return
		}
		for _, f := range in.Fields {
			m.Request = append(m.Request, assignment{f.GoName, sample(f, t.Imports)})
		}
		t.Methods = append(t.Methods, m)
	}
	for _, c := range svc.Commands {
		method(c.Name, c.Input, c.Totals)
	}
	for _, q := range svc.Queries {
		method(q.Name, q.Input, nil)
	}
	if len(t.Methods) == 0 {
		return nil
	}
	if t.Validated = sv.Validated; t.Validated {
		t.Imports.add(sv.Sys.Module + "/internal/platform/validation")
	}
	return t
}

// violationSet is the Go statement setting a request's field to the value
// that breaks a constraint.
func violationSet(v model.Violation, im imports) string {
	target := "req"
	for i, f := range v.Path {
		target += "." + f.GoName
		if f.Type.Kind == model.ListType && (i < len(v.Path)-1 || v.Element) {
			target += "[0]"
		}
	}
	last := v.Path[len(v.Path)-1]
	t := last.Type
	if v.Element {
		t = t.Elem
	}
	bytes := t.Kind == model.ScalarType && t.Scalar == model.Bytes
	value := ""
	switch v.Kind {
	case model.ViolateZero:
		value = "0"
		switch {
		case t.Kind == model.ListType || t.Kind == model.MessageType || bytes || t.Scalar == model.Timestamp:
			value = "nil"
		case t.Kind == model.ScalarType && t.Scalar == model.String:
			value = `""`
		}
	case model.ViolateInt:
		value = strconv.FormatInt(v.Int, 10)
	case model.ViolateFloat:
		value = strconv.FormatFloat(v.Float, 'g', -1, 64)
	case model.ViolateText:
		value = strconv.Quote(v.Text)
		if bytes {
			value = "[]byte(" + value + ")"
		}
	case model.ViolateRepeat:
		value = `""`
		if v.Repeat > 0 {
			im.add("strings")
			value = fmt.Sprintf("strings.Repeat(%q, %d)", "x", v.Repeat)
		}
		if bytes {
			value = "[]byte(" + value + ")"
		}
	case model.ViolateItems:
		value = "nil"
		if v.Repeat > 0 {
			im.add("slices")
			value = fmt.Sprintf("slices.Repeat(%s[:1], %d)", target, v.Repeat)
		}
	}
	return target + " = " + value
}
