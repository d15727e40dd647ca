// Package ownership enforces the blueprint's owner rules: an entity with
// an owner rule belongs to the end user whose verified token claim (Rule.Claim,
// sub unless the blueprint names another) equals its owner field
// (Rule.Field). For calls arriving from the gateway on a user's behalf:
//
//   - a request field copied into the owner field, or a query's filter on
//     it, must hold the caller's claim value, else PermissionDenied; left
//     empty, it is filled with it (Interceptor, before the handler runs);
//   - an entity of another owner reads as missing: the stores answer
//     ErrNotFound for it, as for one that does not exist, and leave it out
//     of lists (Rule.Access);
//   - writing an entity for another owner is ErrNotOwner (PermissionDenied).
//
// Callers holding one of Rule.AdminRoles act on every entity. Calls between
// services (saga steps, consumers, calls) act as the calling service, not
// as an end user: no owner checks apply to them. A call from the gateway
// without an end user (a route with auth: none) acts on no owned entity.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// ErrNotOwner is returned (wrapped) when a caller writes an entity for
// another owner.
var ErrNotOwner = errors.New("another owner's")

// Rule is an entity's owner rule.
type Rule struct {
	Entity     string   // "Order"
	Field      string   // the owner field, "customer_id"
	Claim      string   // the verified claim bound to it, "sub"
	AdminRoles []string // roles acting on every entity
}

// Access is what the caller of a request may act on under a rule.
type Access struct {
	// All: every entity (a call between services, or an admin).
	All bool
	// Owner is otherwise the caller's claim value: it acts on the entities
	// whose owner field holds it; "" acts on none.
	Owner string
}

// Allows reports whether the caller acts on an entity whose owner field
// holds owner.
func (a Access) Allows(owner string) bool { return a.All || (a.Owner != "" && owner == a.Owner) }

// Access returns what the caller of ctx may act on under the rule: every
// entity for calls between services (no end user, not from the gateway)
// and for holders of an admin role; else the entities the user owns.
func (r Rule) Access(ctx context.Context) Access {
	_, roles, ok := identity.User(ctx)
	if !ok {
		caller, _ := identity.Caller(ctx)
		return Access{All: caller != identity.Gateway}
	}
	for _, role := range roles {
		if slices.Contains(r.AdminRoles, role) {
			return Access{All: true}
		}
	}
	owner, _ := identity.Claim(ctx, r.Claim)
	return Access{Owner: owner}
}

// Input is a request field an owner rule checks: the field a command copies
// into the owner field, or a query filters the owner field on.
type Input struct {
	Rule  Rule
	Field protoreflect.Name // "customer_id"
}

// Interceptor checks, before the handler runs, the request field of inputs
// (by method name, "PlaceOrder") of every call on a user's behalf: it must
// hold the caller's claim value, else PermissionDenied; left empty, it is
// filled with it. Admins and calls between services pass unchecked.
func Interceptor(inputs map[string]Input) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			procedure := req.Spec().Procedure
			if in, ok := inputs[procedure[strings.LastIndexByte(procedure, '/')+1:]]; ok {
				msg, ok := req.Any().(proto.Message)
				if !ok {
					return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("ownership: %T is not a protobuf message", req.Any()))
				}
				if err := in.Check(ctx, msg); err != nil {
					return nil, err
				}
			}
			return next(ctx, req)
		}
	})
}

// Check applies the input's rule to msg for the caller of ctx, filling the
// field with the caller's claim value when empty.
func (in Input) Check(ctx context.Context, msg proto.Message) error {
	a := in.Rule.Access(ctx)
	if a.All {
		return nil
	}
	m := msg.ProtoReflect()
	fd := m.Descriptor().Fields().ByName(in.Field)
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return connect.NewError(connect.CodeInternal, fmt.Errorf("ownership: %s has no string field %s", m.Descriptor().FullName(), in.Field))
	}
	got := m.Get(fd).String()
	switch {
	case a.Owner == "":
		return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("%s: the caller has no verified %s claim to own %s %s", in.Field, in.Rule.Claim, article(in.Rule.Entity), in.Rule.Entity))
	case got == "":
		m.Set(fd, protoreflect.ValueOfString(a.Owner))
	case got != a.Owner:
		return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("%s %q is not the caller's: %s %s belongs to the user whose %s claim its %s holds", in.Field, got, article(in.Rule.Entity), in.Rule.Entity, in.Rule.Claim, in.Rule.Field))
	}
	return nil
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}
