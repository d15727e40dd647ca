package model

import (
	"fmt"
	"slices"
	"strings"
)

// Options are what Compile needs beyond the declared system.
type Options struct {
	// History is what earlier generations of the repository decided (wire
	// numbers, migrations); nil for a first generation.
	History *History
	// AllowBreaking accepts every breaking change (--allow-breaking), as if
	// allow_breaking listed each.
	AllowBreaking bool
}

// Compile is the one compile stage of microforge: it turns the system the
// blueprint declares into the resolved model every generator reads, and
// reports what is wrong once the derived facts are known.
//
// It decides every derived fact once: names, proto files and packages,
// ports, wire numbers (against History), enums, response messages, each
// command's and query's default behaviour, routes, callers, consumers,
// projections, indexes, migrations and deployment facts. Then it checks
// what needs them: effects (sets:, from:), owner rules, event-sourced
// events that lose a field, wire changes and migrations that lose data
// unless acknowledged, and tenancy changes.
//
// Generators and views read the compiled system and never change it
// (internal/generate's TestCompiledModelIsNotChanged).
//
// A Problem names the element of the model it is about; the blueprint
// package places it at file:line:col. Compile never fails otherwise: the
// blueprint package has rejected what it could not decide.
func Compile(sys *System, o Options) []Problem {
	sys.History = o.History
	resolve(sys)
	c := &checker{sys: sys, allowAll: o.AllowBreaking}
	c.effects()
	c.ownership()
	c.eventSourced()
	c.wireChanges()
	c.dataLoss()
	c.tenancyChanges()
	return c.problems
}

// Problem is one thing wrong with a blueprint that only the compiled
// model shows.
type Problem struct {
	At            Anchor
	Message, Hint string
}

// Anchor is the element of the blueprint a Problem is about: Kind says
// which, the other fields name it.
type Anchor struct {
	Kind    AnchorKind
	Service *Service
	Entity  *Entity
	Command *Command
	Field   *Field
	Name    string // AtEvent: the event; AtSetsKey, AtSetsValue: the field; AtFromItem: the state
	Index   int    // AtOwnerAdminRole: which of admin_roles
}

// AnchorKind says which element of the blueprint an Anchor names.
type AnchorKind int

// The elements a Problem is placed at. When the element is not written
// (an inferred event, a field that no longer exists), the blueprint
// package falls back to the nearest one that is.
const (
	AtTop            AnchorKind = iota // the top of the file
	AtEvent                            // Service's event Name, else the service
	AtField                            // Field, else its Entity, else the top
	AtCommand                          // Command's key
	AtSets                             // Command's sets:
	AtSetsKey                          // the key Name under Command's sets:, else the command
	AtSetsValue                        // the value of Name under Command's sets:
	AtFrom                             // Command's from:
	AtFromItem                         // the state Name in Command's from:
	AtOwner                            // Entity's owner:
	AtOwnerAdminRole                   // Entity's owner admin_roles[Index]
	AtTenancy                          // tenancy's column:, else tenancy:, else the top
)

type checker struct {
	sys      *System
	allowAll bool
	problems []Problem
}

func (c *checker) report(at Anchor, hint, format string, args ...any) {
	c.problems = append(c.problems, Problem{At: at, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// effects reports sets: and from: that do not fit the entity the command
// changes.
func (c *checker) effects() {
	for _, svc := range c.sys.Services {
		for _, cmd := range svc.Commands {
			if cmd.Entity == nil {
				if cmd.SetsDeclared {
					c.report(Anchor{Kind: AtSets, Command: cmd}, noEntityHint(cmd), "%s has sets:, but it changes no entity", cmd.Name)
				}
				if cmd.DeclaredFrom != nil {
					c.report(Anchor{Kind: AtFrom, Command: cmd}, noEntityHint(cmd), "%s has from:, but it changes no entity", cmd.Name)
				}
				continue
			}
			if cmd.SetsDeclared {
				c.sets(cmd)
			}
			if len(cmd.DeclaredFrom) > 0 {
				c.from(cmd)
			}
		}
	}
}

// noEntityHint says how a command that changes no entity could change one.
func noEntityHint(c *Command) string {
	svc := c.Service
	if len(svc.Entities) == 0 {
		return "service " + svc.Name + " has no entities: declare the one it changes under entities:"
	}
	e := svc.Entities[0]
	for _, x := range svc.Entities {
		if strings.Contains(c.Name, x.Name()) {
			e = x
		}
	}
	return fmt.Sprintf("add %q to its input so that it changes the %s with that id", Snake(e.Name())+"_id: string", e.Name())
}

// sets reports entries of sets: naming no field of the entity, a field it
// cannot set, or a value the field cannot hold.
func (c *checker) sets(cmd *Command) {
	ent := cmd.Entity
	var names []string
	for _, f := range ent.Message.Fields {
		if f != ent.ID {
			names = append(names, f.Name)
		}
	}
	for _, d := range cmd.DeclaredSets {
		name, value := d.Field, d.Value
		key := Anchor{Kind: AtSetsKey, Command: cmd, Name: name}
		f := ent.Message.Field(name)
		switch {
		case f == ent.ID:
			c.report(key, "remove it from sets", "%s sets id: the id of %s %s never changes", cmd.Name, Article(ent.Name()), ent.Name())
			continue
		case f == nil:
			hint := DidYouMean(name, names)
			if hint == "" {
				hint = "fields of " + ent.Name() + ": " + strings.Join(names, ", ")
			}
			c.report(key, hint, "%s sets %q, which is not a field of %s", cmd.Name, name, ent.Name())
			continue
		}
		if in := cmd.Input.Field(name); in != nil && SameType(in.Type, f.Type) {
			c.report(key, "set it from the input or in sets, not both", "%s sets %s, which its input %s also sets", cmd.Name, name, name)
			continue
		}
		if _, problem := FixedValueOf(f, value); problem != "" {
			hint := ""
			if f.Type.Kind == EnumType {
				var values []string
				for _, v := range f.Type.Enum.Values {
					values = append(values, v.Name)
				}
				if hint = DidYouMean(value, values); hint == "" {
					hint = "one of " + strings.Join(values, ", ")
				}
			}
			at := Anchor{Kind: AtSetsValue, Command: cmd, Name: name}
			if strings.HasPrefix(problem, "cannot") {
				at, hint = key, "sets takes enum, bool, number and string fields"
			}
			c.report(at, hint, "%s sets %s.%s to %q, which %s", cmd.Name, ent.Name(), name, value, problem)
		}
	}
}

// from reports a from: of a command that creates its entity, that names no
// state field, or that lists values the field does not have.
func (c *checker) from(cmd *Command) {
	ent := cmd.Entity
	at := Anchor{Kind: AtFrom, Command: cmd}
	if cmd.Mode == ModeCreate {
		c.report(at, "remove from", "%s creates a new %s, which has no state to start from", cmd.Name, ent.Name())
		return
	}
	f := cmd.StateField()
	if f == nil {
		var set, enums []string
		for _, v := range cmd.Sets {
			if v.Enum != nil {
				set = append(set, v.Field.Name)
			}
		}
		for _, x := range ent.Message.Fields {
			if x.Type.Kind == EnumType {
				enums = append(enums, x.Name)
			}
		}
		switch {
		case len(set) > 1:
			c.report(at, "keep one enum field in sets, or check the others in the command's code",
				"%s has from:, but it sets several enum fields of %s (%s): which holds the state is ambiguous", cmd.Name, ent.Name(), strings.Join(set, ", "))
		case len(enums) == 0:
			c.report(at, "add a field such as status: enum(pending, done) to "+ent.Name(),
				"%s has from:, but %s has no enum field to hold a state", cmd.Name, ent.Name())
		default:
			c.report(at, fmt.Sprintf("name the state %s moves to in sets, such as sets: {%s: %s}", cmd.Name, enums[0], ent.Message.Field(enums[0]).Type.Enum.Values[0].Name),
				"%s has from:, but it sets none of the enum fields of %s (%s): which holds the state is ambiguous", cmd.Name, ent.Name(), strings.Join(enums, ", "))
		}
		return
	}
	var values []string
	for _, v := range f.Type.Enum.Values {
		values = append(values, v.Name)
	}
	for _, state := range cmd.DeclaredFrom {
		if slices.Contains(values, state) {
			continue
		}
		hint := DidYouMean(state, values)
		if hint == "" {
			hint = "one of " + strings.Join(values, ", ")
		}
		c.report(Anchor{Kind: AtFromItem, Command: cmd, Name: state}, hint, "%s starts from %q, which is not a value of %s.%s", cmd.Name, state, ent.Name(), f.Name)
	}
}

// ownership reports owner rules the rest of the blueprint defeats: no
// verified identity to compare with, admin roles no route lets in,
// creating commands that leave the owner empty, commands setting it to a
// fixed value, and events of an event-sourced service that lose it.
func (c *checker) ownership() {
	for _, svc := range c.sys.Services {
		for _, ent := range svc.Entities {
			if ent.Owner != nil {
				c.ownerRule(svc, ent)
			}
		}
	}
}

func (c *checker) ownerRule(svc *Service, ent *Entity) {
	o, name := ent.Owner, ent.Name()
	if c.sys.Auth == nil || c.sys.Auth.JWT == nil {
		c.report(Anchor{Kind: AtOwner, Entity: ent, Service: svc}, "add auth: {jwt: {issuer: ..., audience: ..., jwks_url: ...}} so that the gateway verifies who calls",
			"%s has an owner rule, but the blueprint has no auth section: no caller has a verified %s claim", name, o.Claim)
		return
	}
	if gw := c.sys.Gateway; gw != nil && len(o.AdminRoles) > 0 {
		var routes []*Route
		for _, r := range gw.Routes {
			if r.Service == svc && r.Auth == AuthRequired {
				routes = append(routes, r)
			}
		}
		for i, role := range o.AdminRoles {
			reached := len(routes) == 0 // unrouted: nothing to reach, nothing to say
			for _, r := range routes {
				if len(r.Roles) == 0 || slices.Contains(r.Roles, role) {
					reached = true
				}
			}
			if !reached {
				c.report(Anchor{Kind: AtOwnerAdminRole, Entity: ent, Service: svc, Index: i}, fmt.Sprintf("add %s to the roles of a route to %s: the gateway lets only the roles a route lists in", role, svc.Name),
					"admin role %q reaches no route of service %s", role, svc.Name)
			}
		}
	}
	for _, cmd := range svc.Commands {
		if cmd.Entity != ent {
			continue
		}
		setsOwner := false
		for _, v := range cmd.Sets {
			if v.Field == o.Field {
				setsOwner = true
				c.report(Anchor{Kind: AtSetsKey, Command: cmd, Name: o.Field.Name}, "remove it from sets: the owner comes from the caller's "+o.Claim+" claim", "%s sets %s, the owner of %s, to a fixed value", cmd.Name, o.Field.Name, name)
			}
		}
		if cmd.Creates() && cmd.OwnerInput == nil && !setsOwner {
			c.report(Anchor{Kind: AtCommand, Command: cmd}, fmt.Sprintf("add %s: string to its input: left empty by a user, it is filled from the caller's %s claim", o.Field.Name, o.Claim),
				"%s creates %s %s without its owner: its input has no %s", cmd.Name, Article(strings.ToLower(name)), name, o.Field.Name)
		}
	}
	if !svc.EventSourced {
		return
	}
	// An event-sourced entity is its events: the event a creating command
	// records must carry the owner, or the entity folds without one.
	for _, p := range svc.Projections {
		if p.Entity != ent || !p.Create {
			continue
		}
		carried := false
		for _, a := range p.Fields {
			carried = carried || a.Target == o.Field
		}
		if !carried {
			c.report(Anchor{Kind: AtEvent, Service: svc, Name: p.Event.Name}, fmt.Sprintf("add %s: string to %s: %s is rebuilt from its events", o.Field.Name, p.Event.Name, name),
				"%s creates %s %s but has no %s: the %s would have no owner", p.Event.Name, Article(strings.ToLower(name)), name, o.Field.Name, name)
		}
	}
}

// eventSourced reports entity fields an event-sourced service would lose.
// Its events are the source of truth (patterns event-sourcing or cqrs):
// the entity is rebuilt by folding them, so every field a command sets on
// the entity must travel in the event the command records.
func (c *checker) eventSourced() {
	for _, svc := range c.sys.Services {
		if !svc.EventSourced {
			continue
		}
		for _, p := range svc.Projections {
			carried := map[*Field]bool{}
			for _, a := range p.Fields {
				carried[a.Target] = true
			}
			for _, a := range p.By.Assign {
				t := a.Target
				// Enums are declared per message, so an event cannot carry the
				// entity's own enum type; status changes apply separately.
				if carried[t] || t == p.Entity.ID || t.Type.Kind == EnumType {
					continue
				}
				c.report(Anchor{Kind: AtEvent, Service: svc, Name: p.Event.Name}, fmt.Sprintf("add %q to event %s", t.Name+": "+TypeString(t.Type, svc), p.Event.Name),
					"event %s lacks field %s, which %s sets on %s: service %s is %s, so its entities are rebuilt from their events only",
					p.Event.Name, t.Name, p.By.Name, p.Entity.Name(), svc.Name, eventSourcedBy(svc))
			}
		}
	}
}

func eventSourcedBy(svc *Service) string {
	if svc.Has(PatternEventSourcing) {
		return "event-sourced"
	}
	return "CQRS (its read models are built from its events)"
}

// wireChanges refuses, unless acknowledged, a field that keeps its number
// under another type: events already stored and callers of the running
// system still carry the old type, which the new one cannot read.
func (c *checker) wireChanges() {
	for _, w := range c.sys.WireChanges {
		if w.Kind != WireTypeChange || c.allowAll || Allows(c.sys, w.Path) {
			continue
		}
		c.report(Anchor{Kind: AtField, Field: w.Field},
			fmt.Sprintf("add a field with a new name instead (it gets a new number), or serve a new API version; to accept the change, list %q under allow_breaking (or pass --allow-breaking): the generation then converts stored data with a migration and an upcaster you own", w.Path),
			"field %s changes type from %s to %s but keeps number %d: stored events, stored rows and existing callers hold the old type (FIELD_SAME_TYPE)",
			w.Path, w.From, w.To, w.Number)
	}
}

// dataLoss refuses, unless acknowledged, a new migration that loses stored
// data: it drops a table or a column, or changes a column's type in a way
// that cannot keep every value.
func (c *checker) dataLoss() {
	for _, l := range c.sys.DataLoss {
		if c.allowAll || Allows(c.sys, l.Path) {
			continue
		}
		c.report(Anchor{Kind: AtField, Service: c.sys.Service(l.Service), Field: l.Field, Entity: l.Entity},
			fmt.Sprintf("to accept the loss, list %q under allow_breaking (or pass --allow-breaking); to keep the data, %s", l.Path, l.Undo),
			"migration %05d of service %s %s", l.Version, l.Service, l.Message)
	}
}

// tenancyChanges refuses to add tenancy to services whose databases exist
// (their history records migrations), to remove it from them or to rename
// their tenant column: the rows they hold belong to no tenant, or to
// tenants that would be merged, and no migration can decide that. Not even
// allow_breaking accepts it.
func (c *checker) tenancyChanges() {
	at := Anchor{Kind: AtTenancy}
	for _, t := range c.sys.TenancyChanges {
		switch {
		case t.From == "":
			c.report(at, "tenancy applies from a system's first generation: generate the tenant-scoped system into a new repository and copy the data into it with the tenant of your choosing, or remove tenancy",
				"service %s was generated without tenancy: the rows of its database (%d migrations so far) belong to no tenant, and no migration can decide which they belong to", t.Service, t.Migrations)
		case t.To == "":
			c.report(at, fmt.Sprintf("keep tenancy: {claim: <the claim>, column: %s}", t.From),
				"service %s stores its rows by tenant (column %s): removing tenancy would merge the tenants' data", t.Service, t.From)
		default:
			c.report(at, fmt.Sprintf("keep column: %s", t.From),
				"service %s keeps its tenant in column %s: the tenant column of an existing database does not change", t.Service, t.From)
		}
	}
}

// Allows reports whether the blueprint acknowledges the breaking change at
// path ("orders.Order.total_cents"): allow_breaking lists it, or the message
// or enum holding it.
func Allows(sys *System, path string) bool {
	for _, a := range sys.AllowBreaking {
		if a == path || strings.HasPrefix(path, a+".") {
			return true
		}
	}
	return false
}
