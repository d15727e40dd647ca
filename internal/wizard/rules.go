package wizard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/microforge/microforge/internal/explain"
	"github.com/microforge/microforge/internal/model"
)

// constrainable is a field the constraints question offers: a field of a
// type, or of a command's or query's input.
type constrainable struct {
	section string // "types", "commands" or "queries": the answer holding it
	entry   string // the type, command or query
	field   *model.Field
}

func (c constrainable) key() string { return c.section + "." + c.entry + "." + c.field.Name }
func (c constrainable) input() bool { return c.section != "types" }
func (c constrainable) label() string {
	return c.entry + "." + c.field.Name + " (" + typeLabel(c.field.Type) + ")"
}

// answer returns the service's answer holding the field.
func (c constrainable) answer(s *Service) *string {
	switch c.section {
	case "types":
		return &s.Types
	case "commands":
		return &s.Commands
	}
	return &s.Queries
}

// serviceModel parses the answers with s as service idx and returns its
// model.
func (w *wizard) serviceModel(s *Service, idx int) (*model.Service, error) {
	sys, _, err := Parse(withService(w.a, idx, *s))
	if err != nil {
		return nil, err // a bug: the service's answers were checked together
	}
	return sys.Service(s.Name), nil
}

// constraints asks which fields of the service's types and of its
// commands' and queries' inputs are constrained, then for the rules of
// each (min: 1, max_len: 64, ...); the fields that have rules are offered
// chosen, and a field left out loses them.
func (w *wizard) constraints(s *Service, idx int) error {
	svc, err := w.serviceModel(s, idx)
	if err != nil || svc == nil {
		return err
	}
	var fields []constrainable
	add := func(section, entry string, m *model.Message) {
		for _, f := range m.Fields {
			if !(f.Type.Kind == model.ScalarType && f.Type.Scalar == model.Bool) {
				fields = append(fields, constrainable{section, entry, f})
			}
		}
	}
	for _, t := range svc.Types {
		add("types", t.Name, t)
	}
	for _, c := range svc.Commands {
		add("commands", c.Name, c.Input)
	}
	for _, q := range svc.Queries {
		add("queries", q.Name, q.Input)
	}
	if len(fields) == 0 {
		return nil
	}
	var options []huh.Option[string]
	var chosen []string
	for _, c := range fields {
		options = append(options, huh.NewOption(c.label(), c.key()))
		if c.field.Constraints != nil {
			chosen = append(chosen, c.key())
		}
	}
	if err := w.run(huh.NewGroup(huh.NewMultiSelect[string]().Title("Fields of " + s.Name + " with rules").
		Description("checked on every request before the method runs (min, max, min_len, pattern, format, ...); none: any value goes").
		Options(options...).Value(&chosen))); err != nil {
		return err
	}
	chk := func(c constrainable, rules string) error {
		cs := *s
		text, err := withFieldRules(*c.answer(&cs), c.entry, c.input(), c.field.Name, rules)
		if err != nil {
			return err
		}
		*c.answer(&cs) = text
		return check(withService(w.a, idx, cs), fmt.Sprintf("services.%d.%s", idx, c.section))
	}
	// Rules of the fields left out go first, so that the others are
	// checked without them.
	for _, c := range fields {
		if !slices.Contains(chosen, c.key()) && c.field.Constraints != nil {
			text, err := withFieldRules(*c.answer(s), c.entry, c.input(), c.field.Name, "")
			if err != nil {
				return err
			}
			*c.answer(s) = text
		}
	}
	var inputs []huh.Field
	rules := make([]string, len(fields))
	for i, c := range fields {
		if !slices.Contains(chosen, c.key()) {
			continue
		}
		rules[i] = fieldRules(*c.answer(s), c.entry, c.input(), c.field.Name)
		inputs = append(inputs, huh.NewInput().Title(w.titled("Rules of "+c.label(), &rules[i])).Description(rulesHint(c.field.Type)).
			Value(&rules[i]).Validate(w.kept(&rules[i], func(v string) error { return chk(c, v) })))
	}
	if len(inputs) == 0 {
		return nil
	}
	if err := w.run(huh.NewGroup(inputs...).Title("Rules of " + s.Name + "'s fields")); err != nil {
		return err
	}
	for i, c := range fields {
		if !slices.Contains(chosen, c.key()) {
			continue
		}
		text, err := withFieldRules(*c.answer(s), c.entry, c.input(), c.field.Name, rules[i])
		if err != nil {
			return err
		}
		*c.answer(s) = text
	}
	return nil
}

// rulesHint names the rules a field of type t can take, with an example.
func rulesHint(t *model.Type) string {
	list := ""
	if t.Kind == model.ListType {
		list = "min_items, max_items; for each element: "
		t = t.Elem
	}
	switch {
	case t.Kind == model.ScalarType && t.Scalar == model.String:
		return list + "min_len, max_len, pattern (quoted), format (email, uuid, uri), required; e.g. min_len: 1, max_len: 64"
	case t.Kind == model.ScalarType && t.Scalar == model.Bytes:
		return list + "min_len, max_len, required; e.g. max_len: 1024"
	case t.Kind == model.ScalarType && (t.Scalar == model.Int32 || t.Scalar == model.Int64 || t.Scalar == model.Double):
		return list + "min, max, exclusive_min, exclusive_max, required; e.g. min: 1, max: 1000"
	}
	if list != "" {
		return "min_items, max_items, required; e.g. min_items: 1, max_items: 100"
	}
	return "required: true (not left empty)"
}

// typeLabel writes a type as the blueprint does.
func typeLabel(t *model.Type) string {
	switch t.Kind {
	case model.ListType:
		return "list<" + typeLabel(t.Elem) + ">"
	case model.EnumType:
		return "enum"
	case model.MessageType:
		return t.Message.Name
	}
	return string(t.Scalar)
}

// effects asks which commands say what they change on their entity, then,
// for each, what it sets (sets:) and the states it may start from (from:);
// the commands that say so are offered chosen, and a command left out goes
// back to what microforge decides.
func (w *wizard) effects(s *Service, idx int) error {
	svc, err := w.serviceModel(s, idx)
	if err != nil || svc == nil {
		return err
	}
	var cmds []*model.Command
	var options []huh.Option[string]
	var chosen []string
	for _, c := range svc.Commands {
		if c.Entity == nil || c.Mode == model.ModeRecord {
			continue
		}
		// Worth asking where the entity has states, or the command says
		// what it sets already.
		sets, from := commandEffect(s.Commands, c.Name)
		said := sets != "" || len(from) > 0
		if !said && !slices.ContainsFunc(c.Entity.Message.Fields, func(f *model.Field) bool { return f.Type.Kind == model.EnumType }) {
			continue
		}
		cmds = append(cmds, c)
		options = append(options, huh.NewOption(c.Name+" — "+decided(c), c.Name))
		if said {
			chosen = append(chosen, c.Name)
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	if err := w.run(huh.NewGroup(huh.NewMultiSelect[string]().Title("Commands of " + s.Name + " that say what they change").
		Description("sets: the values a command sets on its entity, from: the states it starts from; none: microforge decides (microforge explain shows what)").
		Options(options...).Value(&chosen))); err != nil {
		return err
	}
	chk := func(name, sets string, from []string) error {
		cs := *s
		text, err := withCommandEffect(cs.Commands, name, sets, from)
		if err != nil {
			return err
		}
		cs.Commands = text
		return check(withService(w.a, idx, cs), fmt.Sprintf("services.%d.commands", idx))
	}
	for _, c := range cmds {
		if slices.Contains(chosen, c.Name) {
			continue
		}
		if sets, from := commandEffect(s.Commands, c.Name); sets != "" || len(from) > 0 {
			text, err := withCommandEffect(s.Commands, c.Name, "", nil)
			if err != nil {
				return err
			}
			s.Commands = text
		}
	}
	for _, c := range cmds {
		if !slices.Contains(chosen, c.Name) {
			continue
		}
		sets, from := commandEffect(s.Commands, c.Name)
		var setOpts []huh.Option[string]
		setOpts = append(setOpts, huh.NewOption("what microforge decides: "+w.inferred(s, idx, c), ""))
		var values []string
		for _, f := range c.Entity.Message.Fields {
			if f.Type.Kind != model.EnumType {
				continue
			}
			for _, v := range f.Type.Enum.Values {
				values = append(values, f.Name+": "+v.Name)
			}
		}
		for _, v := range values {
			setOpts = append(setOpts, huh.NewOption(v, v))
		}
		setOpts = append(setOpts, huh.NewOption("nothing beyond its input (sets: {})", "{}"))
		if sets != "" && sets != "{}" && !slices.Contains(values, sets) {
			setOpts = append(setOpts, huh.NewOption("as written: {"+sets+"}", sets))
		}
		if err := w.run(huh.NewGroup(huh.NewSelect[string]().Title(c.Name + " sets").Options(setOpts...).Value(&sets).
			Validate(func(v string) error { return chk(c.Name, v, nil) }))); err != nil {
			return err
		}
		text, err := withCommandEffect(s.Commands, c.Name, sets, nil)
		if err != nil {
			return err
		}
		s.Commands = text
		if c.Mode == model.ModeCreate {
			continue
		}
		states := w.startStates(s, idx, c.Name)
		if len(states) == 0 {
			continue
		}
		from = slices.DeleteFunc(from, func(v string) bool { return !slices.Contains(states, v) })
		if err := w.run(huh.NewGroup(huh.NewMultiSelect[string]().Title(c.Name + " starts from").
			Description("the states it may change; from any other: FailedPrecondition; none selected: any state").
			Options(huh.NewOptions(states...)...).Value(&from).
			Validate(func(v []string) error { return chk(c.Name, sets, v) }))); err != nil {
			return err
		}
		if s.Commands, err = withCommandEffect(s.Commands, c.Name, sets, from); err != nil {
			return err
		}
	}
	return nil
}

// inferred says what microforge decides the command sets when it says
// nothing itself.
func (w *wizard) inferred(s *Service, idx int, c *model.Command) string {
	cs := *s
	text, err := withCommandEffect(cs.Commands, c.Name, "", nil)
	if err != nil {
		return decided(c)
	}
	cs.Commands = text
	svc, err := w.serviceModel(&cs, idx)
	if err != nil || svc == nil || svc.Command(c.Name) == nil {
		return decided(c)
	}
	return decided(svc.Command(c.Name))
}

// startStates lists the states from: of the command can name: the values
// of the enum field it sets, or of its entity's only enum field.
func (w *wizard) startStates(s *Service, idx int, name string) []string {
	svc, err := w.serviceModel(s, idx)
	if err != nil || svc == nil {
		return nil
	}
	c := svc.Command(name)
	if c == nil || c.Entity == nil {
		return nil
	}
	var field *model.Field
	if c.SetStatus != nil {
		field = c.SetStatus.Field
	} else {
		for _, f := range c.Entity.Message.Fields {
			if f.Type.Kind != model.EnumType {
				continue
			}
			if field != nil {
				return nil // several: from: needs sets: to say which
			}
			field = f
		}
	}
	if field == nil {
		return nil
	}
	var out []string
	for _, v := range field.Type.Enum.Values {
		out = append(out, v.Name)
	}
	return out
}

// decided says what microforge decides a command sets, as explain does:
// "sets status to confirmed (from the verb "confirm")".
func decided(c *model.Command) string {
	var parts []string
	for _, r := range explain.Service(c.Service) {
		if r.Name != c.Name {
			continue
		}
		for _, rule := range r.Rules {
			if rule.What == "sets" || rule.What == "from" {
				parts = append(parts, rule.What+" "+rule.Detail)
			}
		}
	}
	if len(parts) == 0 {
		return "sets nothing beyond its input"
	}
	return strings.Join(parts, "; ")
}
