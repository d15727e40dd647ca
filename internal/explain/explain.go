// Package explain describes the default behaviour microforge decided for
// every command and query of a service: the constraints its request must
// meet, which entity it finds or creates, what it copies and sets, the states it starts from, what it computes and
// checks, and how it fills its events. `microforge explain` prints it and
// docs/services/<name>.md shows the same table. It only reads the
// finalized model: every line states a decision made there.
package explain

import (
	"fmt"
	"io"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// Method is the default behaviour of one command or query.
type Method struct {
	Name  string // "PlaceOrder"
	Kind  string // "command" or "query"
	Rules []Rule
}

// Rule is one thing a method's default does, in the order it does it.
type Rule struct {
	What   string // a verb: "finds", "creates", "sets", "emits", ...
	Detail string // in the blueprint's words
}

// commandRules and queryRules build a method's rules, each function one
// concern, in the order the default logic applies them. A rule decided
// elsewhere in the model (such as owner checks or input constraints) gets a
// function of its own here, at the place where the default applies it.
var (
	commandRules = []func(*model.Command) []Rule{
		commandTenant, commandChecks, inputDefaults, CommandOwner, limit, target, from, copies, sets, initial, totals, events, folds, commandCallers,
	}
	queryRules = []func(*model.Query) []Rule{
		queryTenant, queryChecks, queryDefaults, QueryOwner, reads, ignores, queryCallers,
	}
)

// Service returns the default behaviour of the service's commands, then
// its queries, in blueprint order.
func Service(svc *model.Service) []Method {
	var out []Method
	for _, c := range svc.Commands {
		m := Method{Name: c.Name, Kind: "command"}
		for _, rule := range commandRules {
			m.Rules = append(m.Rules, rule(c)...)
		}
		out = append(out, m)
	}
	for _, q := range svc.Queries {
		m := Method{Name: q.Name, Kind: "query"}
		for _, rule := range queryRules {
			m.Rules = append(m.Rules, rule(q)...)
		}
		out = append(out, m)
	}
	return out
}

// Text writes the service's table for a terminal: the service, then each
// method with one rule a line.
func Text(w io.Writer, svc *model.Service) {
	fmt.Fprintln(w, Heading(svc))
	methods := Service(svc)
	width := 0
	for _, m := range methods {
		for _, r := range m.Rules {
			width = max(width, len(r.What))
		}
	}
	if len(methods) == 0 {
		fmt.Fprintln(w, "\n  no commands or queries")
	}
	for _, m := range methods {
		fmt.Fprintf(w, "\n  %s %s\n", m.Kind, m.Name)
		for _, r := range m.Rules {
			fmt.Fprintf(w, "    %-*s  %s\n", width, r.What, r.Detail)
		}
	}
}

// Heading names the service, its store and patterns:
// "orders (postgres; cqrs, event-sourcing)".
func Heading(svc *model.Service) string {
	var patterns []string
	for _, p := range svc.Patterns {
		patterns = append(patterns, string(p))
	}
	if len(patterns) == 0 {
		return fmt.Sprintf("%s (%s)", svc.Name, svc.Store)
	}
	return fmt.Sprintf("%s (%s; %s)", svc.Name, svc.Store, strings.Join(patterns, ", "))
}

func commandTenant(c *model.Command) []Rule {
	return tenancy(c.Service.Tenancy, "changes only its rows (column %s); the events it records and the sagas they start stay in it")
}

func queryTenant(q *model.Query) []Rule {
	return tenancy(q.Service.Tenancy, "reads only its rows (column %s)")
}

// tenancy is the rule of every method of a multi-tenant system: it acts in
// the caller's tenant only; scope says what it touches there.
func tenancy(t *model.Tenancy, scope string) []Rule {
	if t == nil {
		return nil
	}
	return []Rule{{"tenant", fmt.Sprintf("the caller's (token claim %s): "+scope+"; no tenant: PermissionDenied", t.Claim, t.Column)}}
}

func inputDefaults(c *model.Command) []Rule { return defaults(c.Input) }

func queryDefaults(q *model.Query) []Rule { return defaults(q.Input) }

func defaults(in *model.Message) []Rule {
	var out []Rule
	for _, f := range in.Fields {
		if f.Default != "" {
			out = append(out, Rule{"defaults", fmt.Sprintf("%s to %s when the caller leaves it empty", f.Name, f.Default)})
		}
	}
	return out
}

// CommandOwner states what the owner rule of the command's entity does to
// calls from the gateway on a user's behalf.
func CommandOwner(c *model.Command) []Rule {
	if !c.OwnerChecked() {
		return nil
	}
	o := c.Entity.Owner
	var out []Rule
	if f := c.OwnerInput; f != nil {
		out = append(out, Rule{"owner", fmt.Sprintf("%s must be the caller's %s claim (empty: filled with it); another: PermissionDenied%s", f.Name, o.Claim, exempt(o))})
	}
	if c.Loads() {
		out = append(out, Rule{"owner", fmt.Sprintf("%s %s whose %s is not the caller's %s claim: NotFound%s", article(c.Entity.Name()), c.Entity.Name(), o.Field.Name, o.Claim, exempt(o))})
	}
	return out
}

// QueryOwner states what the owner rule of the query's entity does to calls
// from the gateway on a user's behalf.
func QueryOwner(q *model.Query) []Rule {
	if !q.OwnerChecked() {
		return nil
	}
	o := q.Entity.Owner
	var out []Rule
	if f := q.OwnerFilter; f != nil {
		out = append(out, Rule{"owner", fmt.Sprintf("%s must be the caller's %s claim (empty: filled with it); another: PermissionDenied%s", f.Name, o.Claim, exempt(o))})
	}
	if q.List {
		out = append(out, Rule{"owner", fmt.Sprintf("lists only the %s whose %s is the caller's %s claim%s", model.Plural(model.Snake(q.Entity.Name())), o.Field.Name, o.Claim, exempt(o))})
	} else {
		out = append(out, Rule{"owner", fmt.Sprintf("%s %s whose %s is not the caller's %s claim: NotFound%s", article(q.Entity.Name()), q.Entity.Name(), o.Field.Name, o.Claim, exempt(o))})
	}
	return out
}

// exempt names who the owner rule does not check: admins; calls between
// services are never checked.
func exempt(o *model.Ownership) string {
	if len(o.AdminRoles) == 0 {
		return " (calls from services: unchecked)"
	}
	return fmt.Sprintf(" (role %s, and calls from services: unchecked)", strings.Join(o.AdminRoles, " or "))
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

func limit(c *model.Command) []Rule {
	l := c.Limit
	if l == nil {
		return nil
	}
	return []Rule{{"limits", fmt.Sprintf("%s to %d unless %s_%s says otherwise (0: no limit); above: FailedPrecondition",
		l.Field.Name, l.Default, c.Service.EnvPrefix, l.Env)}}
}

// target says which entity the command changes and how it finds it.
func target(c *model.Command) []Rule {
	e := c.Entity
	switch c.Mode {
	case model.ModeCreate:
		return []Rule{{"creates", "a new " + e.Name() + " with a fresh id"}}
	case model.ModeUpdate:
		how := ""
		if c.Service.EventSourced {
			how = ", folding its events"
		}
		return []Rule{{"finds", fmt.Sprintf("the %s whose id is %s%s; none: NotFound", e.Name(), c.Lookup.Name, how)}}
	case model.ModeUpsert:
		if c.CreateAllowed {
			return []Rule{{"finds", fmt.Sprintf("the %s with the same %s; none: creates one with a fresh id", e.Name(), c.Lookup.Name)}}
		}
		return []Rule{{"finds", fmt.Sprintf("the %s with the same %s; none: NotFound", e.Name(), c.Lookup.Name)}}
	}
	if len(c.Emits) == 0 {
		return []Rule{{"changes", "nothing: no entity, no events (fill it in the code)"}}
	}
	return []Rule{{"changes", "no entity: it records its events"}}
}

func from(c *model.Command) []Rule {
	g := c.From
	if g == nil {
		return nil
	}
	return []Rule{{"from", fmt.Sprintf("%s %s (from: in the blueprint); any other: FailedPrecondition", g.Field.Name, model.OrList(g.Values))}}
}

func copies(c *model.Command) []Rule {
	if len(c.Assign) == 0 {
		return nil
	}
	var names []string
	for _, a := range c.Assign {
		names = append(names, a.Target.Name)
	}
	return []Rule{{"copies", strings.Join(names, ", ") + " from the input"}}
}

// sets lists the fixed values, each with what decided it.
func sets(c *model.Command) []Rule {
	var why string
	switch c.SetsBy {
	case model.SetsDeclared:
		why = "sets: in the blueprint"
	case model.SetsByVerb:
		why = fmt.Sprintf("from the verb %q", model.Words(c.Name)[0])
	case model.SetsByEvent:
		why = "from the event name " + c.SetsEvent.Name
	}
	var out []Rule
	for _, v := range c.Sets {
		out = append(out, Rule{"sets", fmt.Sprintf("%s to %s (%s)", v.Field.Name, v.Text(), why)})
	}
	return out
}

// initial lists the enum fields a new entity starts at their first value.
func initial(c *model.Command) []Rule {
	if c.Mode != model.ModeCreate && !(c.Mode == model.ModeUpsert && c.CreateAllowed) {
		return nil
	}
	var out []Rule
	for _, f := range c.Entity.Message.Fields {
		if f.Type.Kind != model.EnumType || model.SetsField(c.Sets, f) {
			continue
		}
		out = append(out, Rule{"starts", fmt.Sprintf("%s at %s, its first value, on a new %s", f.Name, f.Type.Enum.Values[0].Name, c.Entity.Name())})
	}
	return out
}

func totals(c *model.Command) []Rule {
	var out []Rule
	for _, t := range c.Totals {
		out = append(out, Rule{"computes", fmt.Sprintf("%s = Σ %s.%s × %s.%s", t.Target.Name, t.List.Name, t.Quantity.Name, t.List.Name, t.Price.Name)})
	}
	return out
}

// events says how the command fills each event and where it records it.
func events(c *model.Command) []Rule {
	where := "in the outbox, in its transaction"
	if c.Service.EventSourced {
		where = "in the event store, at the next version"
	}
	var out []Rule
	for _, fill := range c.EventFills {
		var parts []string
		for _, fs := range fill.Fields {
			var src string
			switch fs.Kind {
			case model.FromEntityID:
				src = c.Entity.Name() + ".id"
			case model.FromEntity:
				src = c.Entity.Name() + "." + fs.Source.Name
			case model.FromInput:
				src = "input " + fs.Source.Name
			default:
				src = "empty (fill it in the code)"
			}
			parts = append(parts, fs.Field.Name+" = "+src)
		}
		detail := fill.Event.Name + " " + where
		if len(parts) > 0 {
			detail = fill.Event.Name + " (" + strings.Join(parts, ", ") + ") " + where
		}
		out = append(out, Rule{"emits", detail})
	}
	return out
}

// folds says how the events the command decides the projections of fold
// into its entity when it is rebuilt from the event store: the same
// change the command makes.
func folds(c *model.Command) []Rule {
	var out []Rule
	for _, p := range c.Service.Projections {
		if p.By != c {
			continue
		}
		var parts []string
		for _, a := range p.Fields {
			parts = append(parts, a.Target.Name)
		}
		change := ""
		if len(parts) > 0 {
			change = strings.Join(parts, ", ") + " from the event"
		}
		for _, v := range p.Sets {
			if change != "" {
				change += ", "
			}
			change += v.Field.Name + " to " + v.Text()
		}
		verb := "into the " + p.Entity.Name()
		if p.Create {
			verb = "into a new " + p.Entity.Name()
		}
		if change == "" {
			change = "nothing changes"
		}
		out = append(out, Rule{"folds", fmt.Sprintf("%s %s: %s", p.Event.Name, verb, change)})
	}
	return out
}

func commandCallers(c *model.Command) []Rule { return callers(c.Callers, c.Route) }

func queryCallers(q *model.Query) []Rule { return callers(q.Callers, q.Route) }

func callers(names []string, r *model.Route) []Rule {
	var parts []string
	for _, n := range names {
		if n == model.GatewayCaller && r != nil {
			switch {
			case r.Auth == model.AuthNone:
				n += " (no auth)"
			case len(r.Roles) > 0:
				n += " (roles " + strings.Join(r.Roles, ", ") + ")"
			default:
				n += " (signed in)"
			}
		}
		parts = append(parts, n)
	}
	return []Rule{{"callers", strings.Join(parts, ", ")}}
}

// reads says what a query's default returns and how it finds it.
func reads(q *model.Query) []Rule {
	e := q.Entity
	if e == nil {
		return []Rule{{"returns", "an empty " + q.Output.Name + ": its result is no stored entity (fill it in the code)"}}
	}
	var filters []string
	for _, f := range q.Filters {
		filters = append(filters, f.Column.Name)
	}
	with := ""
	if len(filters) > 0 {
		with = " with the same " + strings.Join(filters, " and ")
	}
	source := ""
	if q.Service.AsyncReadModel {
		source = " from the read model (Min-Event-Position waits for it)"
	}
	switch {
	case q.ByID != nil:
		return []Rule{{"finds", fmt.Sprintf("the %s whose id is %s%s%s; none: NotFound", e.Name(), q.ByID.Name, with, source)}}
	case q.List:
		return []Rule{{"lists", fmt.Sprintf("every %s%s%s, oldest first", e.Name(), with, source)}}
	}
	return []Rule{{"finds", fmt.Sprintf("the first %s%s%s; none: NotFound", e.Name(), with, source)}}
}

func ignores(q *model.Query) []Rule {
	used := map[*model.Field]bool{q.ByID: true}
	for _, f := range q.Filters {
		used[f.Input] = true
	}
	var names []string
	for _, f := range q.Input.Fields {
		if !used[f] {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 || q.Entity == nil {
		return nil
	}
	return []Rule{{"ignores", strings.Join(names, ", ")}}
}
