package wizard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/microforge/microforge/internal/model"
)

// ownable is an entity the owners question offers.
type ownable struct {
	svc     int    // the service's index in the answers
	name    string // the entity
	strings []string
	owner   *Owner // its rule as the answers say, nil: none
}

func (o ownable) key(a *Answers) string { return a.Services[o.svc].Name + "." + o.name }

// ownables lists the entities of the answers an owner rule can be given
// to: those with a string field besides their id, and those with a rule.
func ownables(a *Answers, sys *model.System) []ownable {
	var out []ownable
	for i, s := range a.Services {
		svc := sys.Service(s.Name)
		if svc == nil {
			continue
		}
		for _, e := range svc.Entities {
			o := ownable{svc: i, name: e.Name(), owner: entityOwner(s.Entities, e.Name())}
			for _, f := range e.Message.Fields {
				if f != e.ID && f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String {
					o.strings = append(o.strings, f.Name)
				}
			}
			if len(o.strings) > 0 || o.owner != nil {
				out = append(out, o)
			}
		}
	}
	return out
}

// offeredOwner is the rule offered for an entity that has none: its first
// string field named like an id (customer_id), else its first string
// field, bound to the default claim.
func offeredOwner(o ownable) *Owner {
	if o.owner != nil {
		return o.owner
	}
	field := ""
	if len(o.strings) > 0 {
		field = o.strings[0]
	}
	for _, f := range o.strings {
		if strings.HasSuffix(f, "_id") {
			field = f
			break
		}
	}
	return &Owner{Field: field}
}

// withOwner returns the answers with o as the owner rule of entity name of
// service idx (nil: none).
func withOwner(a *Answers, idx int, name string, o *Owner) (*Answers, error) {
	s := a.Services[idx]
	text, err := withEntityOwner(s.Entities, name, o)
	if err != nil {
		return nil, err
	}
	s.Entities = text
	return withService(a, idx, s), nil
}

// checkService is check for every answer of service idx, each message
// named after its answer: an owner rule's problems may be reported at the
// commands or events that defeat it.
func checkService(a *Answers, idx int) error {
	prefix := fmt.Sprintf("services.%d.", idx)
	return checkKeys(a, func(k string) bool { return strings.HasPrefix(k, prefix) }, true)
}

// owners asks which entities belong to a user, then, for each, the field
// holding its owner, the verified token claim bound to it and the roles
// that act on everyone's. An entity left out loses its rule. Without JWT
// auth nothing can be owned: the question is asked only when a rule is
// there (the gateway was dropped), for the validator to say why it goes.
func (w *wizard) owners() error {
	a := w.a
	sys, _, err := Parse(a)
	if err != nil {
		return err
	}
	ents := ownables(a, sys)
	var options []huh.Option[string]
	var chosen []string
	for _, o := range ents {
		options = append(options, huh.NewOption(o.name+" ("+a.Services[o.svc].Name+")", o.key(a)))
		if o.owner != nil {
			chosen = append(chosen, o.key(a))
		}
	}
	if len(ents) == 0 || a.Auth == nil && len(chosen) == 0 {
		return nil
	}
	// rules gives every entity chosen its rule (as it is, or as offered)
	// and takes it from the others.
	rules := func(c *Answers, chosen []string) (*Answers, error) {
		for _, o := range ents {
			var rule *Owner
			if slices.Contains(chosen, o.key(a)) {
				rule = offeredOwner(o)
			}
			var err error
			if c, err = withOwner(c, o.svc, o.name, rule); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	if err := w.run(huh.NewGroup(huh.NewMultiSelect[string]().Title("Entities owned by a user").
		Description("through the gateway, a user reaches only their own (another's is NotFound); none: every caller reaches every entity").
		Options(options...).Value(&chosen).Validate(func(v []string) error {
		c, err := rules(a, v)
		if err != nil {
			return err
		}
		return checkKeys(c, func(k string) bool { return strings.HasPrefix(k, "services.") }, true)
	}))); err != nil {
		return err
	}
	// Rules taken away first, so that the others are checked without them.
	for _, o := range ents {
		if !slices.Contains(chosen, o.key(a)) && o.owner != nil {
			c, err := withOwner(a, o.svc, o.name, nil)
			if err != nil {
				return err
			}
			a.Services = c.Services
		}
	}
	for _, o := range ents {
		if slices.Contains(chosen, o.key(a)) {
			if err := w.owner(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// owner asks for the owner rule of one entity.
func (w *wizard) owner(o ownable) error {
	a := w.a
	s := a.Services[o.svc]
	cur := offeredOwner(o)
	field, claim, roles := cur.Field, cur.Claim, slices.Clone(cur.AdminRoles)
	if claim == "" {
		claim = model.DefaultOwnerClaim
	}
	// rule is the rule the answers give; the default claim is written
	// only where the blueprint wrote it.
	rule := func(field, claim string, roles []string) *Owner {
		claim = strings.TrimSpace(claim)
		if claim == model.DefaultOwnerClaim && cur.Claim == "" {
			claim = ""
		}
		return &Owner{Field: field, Claim: claim, AdminRoles: roles}
	}
	chk := func(r *Owner) error {
		c, err := withOwner(a, o.svc, o.name, r)
		if err != nil {
			return err
		}
		return checkService(c, o.svc)
	}
	fields := o.strings
	if !slices.Contains(fields, field) {
		fields = append([]string{field}, fields...)
	}
	plural := model.Plural(model.Snake(o.name))
	questions := []huh.Field{
		huh.NewSelect[string]().Title("Owner field of " + o.name).
			Description("the string field holding the owner's id; left empty by a caller, it is filled from the token").
			Options(huh.NewOptions(fields...)...).Value(&field).
			Validate(func(v string) error { return chk(rule(v, claim, roles)) }),
		huh.NewInput().Title(w.titled("Token claim of "+o.name+"'s owner", &claim)).
			Description("the verified JWT claim compared with the owner field; sub: the user's id").
			Value(&claim).Validate(w.kept(&claim, func(v string) error { return chk(rule(field, v, roles)) })),
	}
	// Roles the routes to the service let in: when every route lists its
	// roles, an admin role must be one of them.
	var routeRoles []string
	required := 0
	listed := 0
	if g := a.Gateway; g != nil {
		for _, r := range g.Routes {
			if r.Service != s.Name || r.Auth != "required" {
				continue
			}
			required++
			if len(r.Roles) > 0 {
				listed++
			}
			for _, role := range r.Roles {
				if !slices.Contains(routeRoles, role) {
					routeRoles = append(routeRoles, role)
				}
			}
		}
	}
	limited := required > 0 && listed == required
	rolesTitle := "Roles acting on every " + o.name
	rolesText := strings.Join(roles, ", ")
	if limited {
		offered := slices.Clone(routeRoles)
		for _, r := range roles {
			if !slices.Contains(offered, r) {
				offered = append(offered, r)
			}
		}
		questions = append(questions, huh.NewMultiSelect[string]().Title(rolesTitle).
			Description("the roles the routes to "+s.Name+" let in; a caller holding one reaches everyone's "+plural+"; none: no one").
			Options(huh.NewOptions(offered...)...).Value(&roles).
			Validate(func(v []string) error { return chk(rule(field, claim, v)) }))
	} else {
		desc := "comma-separated; a caller holding one reaches everyone's " + plural + "; empty: no one"
		if len(routeRoles) > 0 {
			desc += " (the routes to " + s.Name + " name " + strings.Join(routeRoles, ", ") + ")"
		}
		questions = append(questions, huh.NewInput().Title(w.titled(rolesTitle, &rolesText)).Description(desc).
			Value(&rolesText).Validate(w.kept(&rolesText, func(v string) error { return chk(rule(field, claim, splitList(v))) })))
	}
	if err := w.run(huh.NewGroup(questions...).Title("Owner of " + o.name + " (" + s.Name + ")")); err != nil {
		return err
	}
	if !limited {
		roles = splitList(rolesText)
	}
	c, err := withOwner(a, o.svc, o.name, rule(field, claim, roles))
	if err != nil {
		return err
	}
	a.Services = c.Services
	return nil
}
