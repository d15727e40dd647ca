// Package tenant carries the tenant that a request, an event or a saga
// belongs to. The system is multi-tenant (tenancy: in its blueprint), and
// nothing crosses tenants:
//
//   - the gateway reads the tenant from the Claim claim of the verified
//     token (a token without it is refused) and sends it to the service
//     in the Header header;
//   - identity.Guard removes that header from every request and, from a
//     verified service caller, puts its tenant in the request's context;
//     a call without one is refused;
//   - platform/client sends the context's tenant with every call, so a
//     service calls others in the tenant of the request it serves;
//   - events carry it (EventHeader), their consumers and projections run
//     in it, and sagas store it and run every step in it;
//   - every table holds it in column Column, first in its primary key and
//     indexes, and every statement reads and writes one tenant's rows: the
//     same id or key in two tenants is two rows.
package tenant

import (
	"context"
	"errors"
	"fmt"
)

const (
	// Header carries the tenant on calls to services.
	Header = "X-Tenant"
	// EventHeader carries the tenant of an event on the broker (a
	// CloudEvents extension attribute).
	EventHeader = "ce-tenant"
	// MaxLen bounds a tenant's length in bytes (the columns hold 64).
	MaxLen = 64
)

// ErrMissing is returned for a call, an event or a statement without a
// tenant.
var ErrMissing = errors.New("no tenant: every call, event and row of the system belongs to one")

type key struct{}

// With returns a copy of ctx carrying the tenant id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the tenant ctx carries.
func From(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(key{}).(string)
	return id, ok && id != ""
}

// Require returns the tenant ctx carries, or ErrMissing.
func Require(ctx context.Context) (string, error) {
	id, ok := From(ctx)
	if !ok {
		return "", ErrMissing
	}
	return id, nil
}

// Check reports whether id can be a tenant: 1 to MaxLen bytes of printable
// ASCII, without spaces or commas.
func Check(id string) error {
	if id == "" {
		return ErrMissing
	}
	if len(id) > MaxLen {
		return fmt.Errorf("tenant is longer than %d bytes", MaxLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == ',' {
			return fmt.Errorf("tenant %q holds a character other than printable ASCII (no spaces, no commas)", id)
		}
	}
	return nil
}
