package explain

import "github.com/microforge/microforge/internal/model"

// commandChecks and queryChecks list the constraints the service enforces
// on the method's request before its handler runs (protovalidate rules in
// the .proto): one rule per constrained field, through the messages the
// request holds, then what a request breaking one gets.
func commandChecks(c *model.Command) []Rule { return checks(c.Input) }

func queryChecks(q *model.Query) []Rule { return checks(q.Input) }

func checks(in *model.Message) []Rule {
	var out []Rule
	constrainedFields(in, "", map[*model.Message]bool{}, func(path string, f *model.Field) {
		out = append(out, Rule{"checks", path + ": " + Constraint(f)})
	})
	if len(out) > 0 {
		out = append(out, Rule{"refuses", "a request that breaks any of these with InvalidArgument, naming each field, before the default runs"})
	}
	return out
}

// constrainedFields calls fn for every constrained field of m and of the
// messages its fields hold, at any depth, in field order; path names the
// field from the request: "items[].quantity" is the quantity of each
// element of items. A message holding itself is followed once.
func constrainedFields(m *model.Message, prefix string, open map[*model.Message]bool, fn func(string, *model.Field)) {
	if open[m] {
		return
	}
	open[m] = true
	defer delete(open, m)
	for _, f := range m.Fields {
		path := prefix + f.Name
		if f.Constraints != nil {
			fn(path, f)
		}
		t := f.Type
		if t.Kind == model.ListType {
			t, path = t.Elem, path+"[]"
		}
		if t.Kind == model.MessageType {
			constrainedFields(t.Message, path+".", open, fn)
		}
	}
}
