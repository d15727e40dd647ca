package model

// This file decides object-level ownership: an entity with an owner rule
// (owner: {field: customer_id, claim: sub, admin_roles: [admin]}) belongs
// to the end user whose verified token claim equals its owner field. For
// calls arriving from the gateway on a user's behalf, every service
// enforces the rule in generated code (its store and an interceptor), so
// the handlers the user edits need nothing:
//
//   - a request that copies a value into the owner field (creating,
//     upserting or changing the entity) must carry the caller's claim
//     value, else PermissionDenied; left empty, it is filled with it;
//   - an entity of another owner reads as missing: NotFound for queries by
//     id and for commands that load it (event-sourced loads too), left out
//     of lists;
//   - a query filtering on the owner field with another owner's value is
//     PermissionDenied; left empty, it is filled with the caller's.
//
// Callers holding one of AdminRoles act on every entity. Calls between
// services (saga steps, consumers, calls:) act as the calling service, not
// as the end user: no owner checks apply to them.

// DefaultOwnerClaim is the claim an owner rule binds its field to unless it
// names another: the token's subject, the user's id.
const DefaultOwnerClaim = "sub"

// Ownership is an entity's owner rule.
type Ownership struct {
	Entity *Entity
	// Field is the entity's string field holding the owner: the value of
	// Claim in the owner's verified token.
	Field *Field
	// Claim is the verified token claim bound to Field, DefaultOwnerClaim
	// unless the blueprint names another (the gateway forwards it).
	Claim string
	// AdminRoles are roles whose holders act on every entity.
	AdminRoles []string
}

// decideOwnership decides which inputs of each command and query of an
// owned entity the owner rule checks, and the claims the gateway forwards.
func decideOwnership(sys *System) {
	sys.UserClaims = nil
	seen := map[string]bool{DefaultOwnerClaim: true}
	for _, svc := range sys.Services {
		for _, e := range svc.Entities {
			if o := e.Owner; o != nil && !seen[o.Claim] {
				seen[o.Claim] = true
				sys.UserClaims = append(sys.UserClaims, o.Claim)
			}
		}
		for _, c := range svc.Commands {
			c.OwnerInput = nil
			if c.Entity == nil || c.Entity.Owner == nil {
				continue
			}
			for _, a := range c.Assign {
				if a.Target == c.Entity.Owner.Field {
					c.OwnerInput = a.Source
				}
			}
		}
		for _, q := range svc.Queries {
			q.OwnerFilter = nil
			if q.Entity == nil || q.Entity.Owner == nil {
				continue
			}
			for _, f := range q.Filters {
				if f.Column == q.Entity.Owner.Field {
					q.OwnerFilter = f.Input
				}
			}
		}
	}
}

// Owned returns the service's entities that have an owner rule.
func (s *Service) Owned() []*Entity {
	var out []*Entity
	for _, e := range s.Entities {
		if e.Owner != nil {
			out = append(out, e)
		}
	}
	return out
}

// OwnerChecked reports whether the owner rule applies to the command: it
// changes an owned entity.
func (c *Command) OwnerChecked() bool { return c.Entity != nil && c.Entity.Owner != nil }

// OwnerChecked reports whether the owner rule applies to the query: it
// reads an owned entity.
func (q *Query) OwnerChecked() bool { return q.Entity != nil && q.Entity.Owner != nil }

// Creates reports whether the command may create its entity: ModeCreate, or
// an upsert allowed to create one.
func (c *Command) Creates() bool {
	return c.Entity != nil && (c.Mode == ModeCreate || (c.Mode == ModeUpsert && c.CreateAllowed))
}

// Loads reports whether the command loads an existing entity: ModeUpdate or
// ModeUpsert.
func (c *Command) Loads() bool {
	return c.Entity != nil && (c.Mode == ModeUpdate || c.Mode == ModeUpsert)
}
