package blueprint

import (
	"slices"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// registeredClaims are the JWT claims RFC 7519 defines that name the token,
// not the caller's tenant ("sub" may: a tenant per user).
var registeredClaims = []string{"iss", "aud", "exp", "nbf", "iat", "jti"}

// platformColumns are the columns of the platform tables (outbox,
// processed_events, idempotency_keys, snapshots, projection_checkpoints,
// sagas, saga_log), which the tenant column must not be.
var platformColumns = []string{
	"seq", "id", "aggregate_id", "event_type", "subject", "payload", "occurred_at", "published_at",
	"trace_parent", "saga_context", "aggregate_version", "consumer", "event_id", "processed_at",
	"idem_key", "method", "response", "created_at", "version", "state", "taken_at", "name",
	"last_seq", "updated_at", "status", "step", "failed_step", "last_error", "attempts",
	"next_attempt_at", "trigger_payload", "saga_id", "action", "outcome", "logged_at",
}

// buildTenancy reads tenancy: the claim the gateway reads the tenant from
// and the column every table holds it in. The tenant comes from a verified
// token, so tenancy needs auth and a gateway, and every route requires
// authentication.
func (b *builder) buildTenancy() {
	tw := b.w.Tenancy
	if tw == nil || tw.Bad {
		return
	}
	t := &model.Tenancy{Column: model.DefaultTenantColumn}
	ok := true
	if b.required(tw.Claim, "claim", tw.Pos, "tenancy") {
		switch claim := tw.Claim.V; {
		case strings.TrimSpace(claim) != claim || strings.ContainsAny(claim, " \t\n,"):
			b.errorf(tw.Claim.Pos, "name the claim as the tokens spell it, e.g. tenant or https://acme.test/tenant", "tenancy claim %q holds spaces or commas", claim)
			ok = false
		case slices.Contains(registeredClaims, claim):
			b.errorf(tw.Claim.Pos, "name the claim your issuer puts the tenant in, e.g. tenant", "tenancy claim %q is a registered JWT claim, not a tenant", claim)
			ok = false
		case b.sys.Auth != nil && b.sys.Auth.JWT != nil && claim == b.sys.Auth.JWT.RolesClaim:
			b.errorf(tw.Claim.Pos, "name the claim your issuer puts the tenant in, e.g. tenant", "tenancy claim %q is the roles claim", claim)
			ok = false
		default:
			t.Claim = claim
		}
	} else {
		ok = false
	}
	if tw.Column.Set {
		switch {
		case tw.Column.Bad:
			ok = false
		case !b.lowerName(tw.Column, "tenancy column"):
			ok = false
		case slices.Contains(platformColumns, tw.Column.V):
			b.errorf(tw.Column.Pos, "name it otherwise, e.g. tenant_id", "tenancy column %q is a column of the platform tables (outbox, sagas, ...)", tw.Column.V)
			ok = false
		default:
			t.Column = tw.Column.V
		}
	}
	if b.w.Auth == nil {
		b.errorf(tw.Pos, "add auth: {jwt: {issuer, audience, jwks_url}}: the gateway reads the tenant from the tokens it verifies", "tenancy needs an auth section")
		ok = false
	}
	if b.w.Gateway == nil {
		b.errorf(tw.Pos, "add a gateway with routes: callers reach a tenant's data through it, with a token naming the tenant", "tenancy needs a gateway")
		ok = false
	}
	if gw := b.w.Gateway; gw != nil && !gw.Bad {
		for _, rw := range gw.Routes.Items {
			if !rw.Bad && !rw.Auth.Bad && rw.Auth.V == string(model.AuthNone) {
				b.errorf(rw.Auth.Pos, "set auth: required (every token then names its tenant), or remove tenancy",
					"route to %s has auth: none, but with tenancy every call needs the caller's tenant, which only a verified token carries", rw.Service.V)
				ok = false
			}
		}
	}
	for _, sb := range b.order {
		for _, e := range sb.m.Entities {
			for _, f := range e.Message.Fields {
				if model.Snake(f.Name) == t.Column {
					b.errorf(b.fieldAt(sb, f, e), "rename the field, or give the tenant column another name (tenancy: column:)",
						"field %s of entity %s has the name of the tenant column %q, which every table of the system gets", f.Name, e.Name(), t.Column)
					ok = false
				}
			}
		}
	}
	if ok {
		b.sys.Tenancy = t
	}
}

// fieldAt is where field f of entity e is written, else where the entity is.
func (b *builder) fieldAt(sb *svcBuild, f *model.Field, e *model.Entity) pos {
	if p, ok := sb.fieldPos[f]; ok {
		return p
	}
	for _, en := range sb.w.Entities.Entries {
		if en.Key.V == e.Name() {
			return en.Key.Pos
		}
	}
	return sb.w.Pos
}
