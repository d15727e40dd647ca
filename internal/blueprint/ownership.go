package blueprint

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/internal/model"
)

// This file reads and checks owner rules: inside an entity, the key owner
// whose value is a mapping with field: (or claim:, admin_roles:) is the
// entity's owner rule, not a field:
//
//	Order:
//	  owner: {field: customer_id, claim: sub, admin_roles: [admin]}
//	  customer_id: string
//
// A field named owner is still written as `owner: string` or
// `owner: {type: string}`; a mapping with both type: and field: is an error.
// Which commands and queries a rule checks is decided by model.Finalize, so
// the checks that need it run after it (checkOwnership).

// entityWire is an entity: its fields in declaration order, and its owner
// rule when it has one.
type entityWire struct {
	Fields fieldsWire
	Owner  *ownerWire // nil without an owner rule
}

// ownerWire is an entity's owner rule.
type ownerWire struct {
	Pos        pos       `yaml:"-" what:"owner"`
	Bad        bool      `yaml:"-"`
	Field      str       `yaml:"field"`
	Claim      str       `yaml:"claim"`
	AdminRoles list[str] `yaml:"admin_roles"`
}

// ownerKeys are the keys of an owner rule.
var ownerKeys, _ = wireKeys(reflect.TypeOf(ownerWire{}))

// ownerKey is the key of an entity's owner rule.
const ownerKey = "owner"

func (e *entityWire) decodeNode(d *decoder, n *yaml.Node, what string) {
	if n.Kind != yaml.MappingNode {
		e.Fields.decodeNode(d, n, what)
		return
	}
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != ownerKey || !isOwnerRule(v) {
			rest.Content = append(rest.Content, k, v)
			continue
		}
		if e.Owner != nil {
			d.errorf(nodePos(k), "", "duplicate key %q (first at line %d)", k.Value, e.Owner.Pos.Line)
			continue
		}
		if nodeHasKey(v, "type") {
			d.errorf(nodePos(k), "a field named owner is written owner: string or owner: {type: string}; an owner rule is owner: {field: customer_id}",
				"owner has both type: and field: (a field and an owner rule at once)")
			e.Owner = &ownerWire{Pos: nodePos(v), Bad: true}
			continue
		}
		e.Owner = &ownerWire{}
		d.decodeStruct(v, reflect.ValueOf(e.Owner).Elem(), ownerKey)
	}
	e.Fields.decodeNode(d, &rest, what)
}

// IsOwnerRule reports whether v, the value of an entity's key owner, is
// the entity's owner rule rather than a field named owner.
func IsOwnerRule(v *yaml.Node) bool { return isOwnerRule(v) }

// isOwnerRule reports whether the value of an entity's owner key is an owner
// rule rather than a field: a mapping with a key of the rule, or with no key
// of a field's mapping form (then its unknown keys are reported as the
// rule's, with a hint).
func isOwnerRule(v *yaml.Node) bool {
	if v.Kind != yaml.MappingNode {
		return false
	}
	for _, k := range ownerKeys {
		if nodeHasKey(v, k) {
			return true
		}
	}
	return !slices.ContainsFunc(fieldOptionKeys, func(k string) bool { return nodeHasKey(v, k) })
}

// reservedClaims are registered claims that say nothing about who a caller
// is, with why they cannot own an entity.
var reservedClaims = map[string]string{
	"iss": "the token's issuer", "aud": "the token's audience", "exp": "the token's expiry",
	"nbf": "when the token becomes valid", "iat": "when the token was issued", "jti": "the token's id",
}

// ownership builds an entity's owner rule from w, once the entity's fields
// are built.
func (b *builder) ownership(sb *svcBuild, ent *model.Entity, ew entityWire) {
	w := ew.Owner
	if w == nil || w.Bad {
		return
	}
	name := ent.Name()
	o := &model.Ownership{Entity: ent, Claim: model.DefaultOwnerClaim}
	ok := true
	switch {
	case w.Field.Bad:
		ok = false
	case !w.Field.Set:
		b.errorf(w.Pos, "name the entity's field holding the owner, e.g. field: customer_id", "missing key %q in owner", "field")
		ok = false
	default:
		o.Field, ok = b.ownerField(ent, ew, w.Field)
	}
	if c := w.Claim; c.Set && !c.Bad {
		if why := claimProblem(c.V, b.rolesClaim()); why != "" {
			b.errorf(c.Pos, "name the verified token claim holding the owner's id, such as sub (the default)", "owner claim %q of %s %s", c.V, name, why)
			ok = false
		} else {
			o.Claim = c.V
		}
	} else if c.Bad {
		ok = false
	}
	if l := w.AdminRoles; l.Set && !l.Bad {
		if len(l.Items) == 0 {
			b.errorf(l.Pos, "list the roles that act on everyone's "+model.Plural(model.Snake(name))+", such as [admin], or remove admin_roles", "admin_roles is empty")
			ok = false
		}
		seen := map[string]bool{}
		for _, r := range l.Items {
			switch {
			case r.Bad:
				ok = false
			case strings.TrimSpace(r.V) == "":
				b.errorf(r.Pos, "", "admin_roles: empty entry")
				ok = false
			case strings.ContainsAny(r.V, ", \t\n"):
				b.errorf(r.Pos, "a role is one word: the gateway refuses tokens whose roles hold a comma or a space", "admin role %q holds a comma or a space", r.V)
				ok = false
			case seen[r.V]:
				b.errorf(r.Pos, "", "admin_roles lists %q twice", r.V)
				ok = false
			default:
				seen[r.V] = true
				o.AdminRoles = append(o.AdminRoles, r.V)
			}
		}
	} else if l.Bad {
		ok = false
	}
	if ok {
		ent.Owner = o
	}
}

// ownerField resolves the field an owner rule names: a string field of the
// entity other than its id.
func (b *builder) ownerField(ent *model.Entity, ew entityWire, s str) (*model.Field, bool) {
	name := ent.Name()
	if s.V == "id" {
		b.errorf(s.Pos, "name the field holding the owner's id, such as customer_id: the id is the "+name+"'s own", "owner field of %s is its id", name)
		return nil, false
	}
	if f := ent.Message.Field(s.V); f != nil {
		if f.Type.Kind != model.ScalarType || f.Type.Scalar != model.String {
			b.errorf(s.Pos, "the owner field holds a claim's value: declare it as "+s.V+": string", "owner field %s of %s is %s, not a string", s.V, name, model.WireType(f.Type))
			return nil, false
		}
		return f, true
	}
	var names []string
	for _, e := range ew.Fields.Entries {
		if e.Key.V == s.V {
			return nil, false // declared but not built: already reported
		}
		names = append(names, e.Key.V)
	}
	hint := didYouMean(s.V, names)
	if hint == "" {
		hint = "add " + s.V + ": string to " + name + ", or name one of its fields"
		if len(names) > 0 {
			hint += ": " + strings.Join(names, ", ")
		}
	}
	b.errorf(s.Pos, hint, "owner field %q is not a field of %s", s.V, name)
	return nil, false
}

// rolesClaim is the claim holding the roles, as auth: says.
func (b *builder) rolesClaim() string {
	if a := b.w.Auth; a != nil && a.JWT != nil && a.JWT.RolesClaim.Set && !a.JWT.RolesClaim.Bad {
		return a.JWT.RolesClaim.V
	}
	return "roles"
}

// claimProblem says why a claim cannot be bound to an owner field.
func claimProblem(claim, rolesClaim string) string {
	switch {
	case strings.TrimSpace(claim) == "":
		return "is empty"
	case strings.IndexFunc(claim, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "holds a space or a control character"
	case len(claim) > 256:
		return "is longer than 256 characters"
	case claim == rolesClaim:
		return "is the claim holding the roles, a list"
	case reservedClaims[claim] != "":
		return "is " + reservedClaims[claim] + ", which names no user"
	}
	return ""
}

// checkOwnership reports owner rules the rest of the blueprint defeats, once
// Finalize has decided what each command does: no verified identity to
// compare with, admin roles no route lets in, creating commands that leave
// the owner empty, commands setting it to a fixed value, and events of an
// event-sourced service that lose it.
func (b *builder) checkOwnership() {
	for _, sb := range b.order {
		if sb.w.Bad {
			continue
		}
		for _, ew := range sb.w.Entities.Entries {
			ent := sb.m.Entity(ew.Key.V)
			if ent == nil || ent.Owner == nil {
				continue
			}
			b.checkOwnerRule(sb, ent, ew.Value.Owner)
		}
	}
}

func (b *builder) checkOwnerRule(sb *svcBuild, ent *model.Entity, w *ownerWire) {
	o, svc, name := ent.Owner, sb.m, ent.Name()
	if b.sys.Auth == nil || b.sys.Auth.JWT == nil {
		b.errorf(w.Pos, "add auth: {jwt: {issuer: ..., audience: ..., jwks_url: ...}} so that the gateway verifies who calls",
			"%s has an owner rule, but the blueprint has no auth section: no caller has a verified %s claim", name, o.Claim)
		return
	}
	if gw := b.sys.Gateway; gw != nil && len(o.AdminRoles) > 0 {
		var routes []*model.Route
		for _, r := range gw.Routes {
			if r.Service == svc && r.Auth == model.AuthRequired {
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
				b.errorf(w.AdminRoles.Items[i].Pos, fmt.Sprintf("add %s to the roles of a route to %s: the gateway lets only the roles a route lists in", role, svc.Name),
					"admin role %q reaches no route of service %s", role, svc.Name)
			}
		}
	}
	for _, c := range svc.Commands {
		if c.Entity != ent {
			continue
		}
		cw := sb.w.Commands.Entries[slices.IndexFunc(sb.w.Commands.Entries, func(e entry[commandWire]) bool { return e.Key.V == c.Name })]
		setsOwner := false
		for _, v := range c.Sets {
			if v.Field == o.Field {
				setsOwner = true
				at := cw.Key.Pos
				for _, e := range cw.Value.Sets.Entries {
					if e.Key.V == o.Field.Name {
						at = e.Key.Pos
					}
				}
				b.errorf(at, "remove it from sets: the owner comes from the caller's "+o.Claim+" claim", "%s sets %s, the owner of %s, to a fixed value", c.Name, o.Field.Name, name)
			}
		}
		if c.Creates() && c.OwnerInput == nil && !setsOwner {
			b.errorf(cw.Key.Pos, fmt.Sprintf("add %s: string to its input: left empty by a user, it is filled from the caller's %s claim", o.Field.Name, o.Claim),
				"%s creates %s %s without its owner: its input has no %s", c.Name, article(strings.ToLower(name)), name, o.Field.Name)
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
			at := sb.w.Pos
			for _, e := range sb.w.Events.Entries {
				if e.Key.V == p.Event.Name {
					at = e.Key.Pos
				}
			}
			b.errorf(at, fmt.Sprintf("add %s: string to %s: %s is rebuilt from its events", o.Field.Name, p.Event.Name, name),
				"%s creates %s %s but has no %s: the %s would have no owner", p.Event.Name, article(strings.ToLower(name)), name, o.Field.Name, name)
		}
	}
}
