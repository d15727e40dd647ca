package blueprint

import (
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
// Which commands and queries a rule checks is decided by model.Compile, so
// the checks that need it run there (checker.ownership).

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
