package docs

import (
	"strings"

	"github.com/microforge/microforge/internal/explain"
	"github.com/microforge/microforge/internal/model"
)

// constraintRow is one constrained field in a service page.
type constraintRow struct {
	Field string // "`LineItem.quantity`"
	Rules string // "at least 1"
}

// constraintRows lists the constrained fields of the service's types and
// of its commands' and queries' inputs, in declaration order.
func constraintRows(svc *model.Service) []constraintRow {
	var out []constraintRow
	add := func(m *model.Message) {
		for _, f := range m.Fields {
			if f.Constraints != nil {
				out = append(out, constraintRow{"`" + m.Name + "." + f.Name + "`", cell(explain.Constraint(f))})
			}
		}
	}
	for _, t := range svc.Types {
		add(t)
	}
	for _, c := range svc.Commands {
		add(c.Input)
	}
	for _, q := range svc.Queries {
		add(q.Input)
	}
	return out
}

// computesTotals reports whether a command of the service computes a total.
func computesTotals(svc *model.Service) bool {
	for _, c := range svc.Commands {
		if len(c.Totals) > 0 {
			return true
		}
	}
	return false
}

// cell escapes text for a Markdown table cell: a pattern's | would end it.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
