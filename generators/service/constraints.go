package service

import (
	"fmt"

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
	return totalView{
		Target: t.Target.GoName, List: t.List.GoName, Quantity: t.Quantity.GoName, Price: t.Price.GoName,
		Type:     string(t.Target.Type.Scalar),
		Doc:      t.Target.Name + " is " + sum + ", refused with InvalidArgument when it overflows " + string(t.Target.Type.Scalar) + ".",
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
