package ownership_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/ownership"
)

var rule = ownership.Rule{Entity: "Order", Field: "value", Claim: "sub", AdminRoles: []string{"admin"}}

func user(ctx context.Context, subject string, roles ...string) context.Context {
	return identity.WithUser(identity.WithCaller(ctx, identity.Gateway), subject, roles)
}

func TestAccess(t *testing.T) {
	ctx := t.Context()
	orgRule := ownership.Rule{Entity: "Order", Field: "value", Claim: "org"}
	for name, c := range map[string]struct {
		ctx  context.Context
		rule ownership.Rule
		want ownership.Access
	}{
		"a service":              {identity.WithCaller(ctx, "payments"), rule, ownership.Access{All: true}},
		"no caller":              {ctx, rule, ownership.Access{All: true}},
		"the gateway, no user":   {identity.WithCaller(ctx, identity.Gateway), rule, ownership.Access{}},
		"a user":                 {user(ctx, "alice", "customer"), rule, ownership.Access{Owner: "alice"}},
		"an admin":               {user(ctx, "root", "customer", "admin"), rule, ownership.Access{All: true}},
		"a claim":                {identity.WithClaims(user(ctx, "alice"), map[string]string{"org": "acme"}), orgRule, ownership.Access{Owner: "acme"}},
		"a claim the user lacks": {user(ctx, "alice"), orgRule, ownership.Access{}},
	} {
		if got := c.rule.Access(c.ctx); got != c.want {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
	if a := (ownership.Access{}); a.Allows("") || a.Allows("alice") {
		t.Error("no owner allows something")
	}
	if a := (ownership.Access{Owner: "alice"}); !a.Allows("alice") || a.Allows("bob") || a.Allows("") {
		t.Error("an owner allows another's")
	}
}

func TestCheck(t *testing.T) {
	in := ownership.Input{Rule: rule, Field: "value"}
	ctx := t.Context()
	for name, c := range map[string]struct {
		ctx       context.Context
		value     string
		want      string
		wantError connect.Code
	}{
		"empty is filled":             {user(ctx, "alice"), "", "alice", 0},
		"the caller's own":            {user(ctx, "alice"), "alice", "alice", 0},
		"another's is refused":        {user(ctx, "mallory"), "alice", "alice", connect.CodePermissionDenied},
		"an admin names anyone":       {user(ctx, "root", "admin"), "alice", "alice", 0},
		"a service names anyone":      {identity.WithCaller(ctx, "payments"), "alice", "alice", 0},
		"anonymous owns nothing":      {identity.WithCaller(ctx, identity.Gateway), "", "", connect.CodePermissionDenied},
		"an admin leaves empty as is": {user(ctx, "root", "admin"), "", "", 0},
	} {
		msg := wrapperspb.String(c.value)
		err := in.Check(c.ctx, msg)
		switch {
		case c.wantError == 0 && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.wantError != 0 && connect.CodeOf(err) != c.wantError:
			t.Errorf("%s: %v, want code %v", name, err, c.wantError)
		}
		if msg.GetValue() != c.want {
			t.Errorf("%s: value %q, want %q", name, msg.GetValue(), c.want)
		}
	}
	if err := (ownership.Input{Rule: rule, Field: "missing"}).Check(user(ctx, "alice"), wrapperspb.String("")); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("a field the message lacks: %v, want Internal", err)
	}
}

// The interceptor checks the inputs of the methods it names, before their
// handler runs, and passes the others unchecked.
func TestInterceptor(t *testing.T) {
	const place, list = "/test.v1.TestService/PlaceOrder", "/test.v1.TestService/ListAll"
	interceptor := connect.WithInterceptors(ownership.Interceptor(map[string]ownership.Input{"PlaceOrder": {Rule: rule, Field: "value"}}))
	echo := func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
		return connect.NewResponse(wrapperspb.String(req.Msg.GetValue())), nil
	}
	mux := http.NewServeMux()
	mux.Handle(place, connect.NewUnaryHandler(place, echo, interceptor))
	mux.Handle(list, connect.NewUnaryHandler(list, echo, interceptor))
	// The end user is the one X-Test-User names, as if the gateway had
	// verified it.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(user(r.Context(), r.Header.Get("X-Test-User"))))
	}))
	defer srv.Close()
	call := func(procedure, as, value string) (string, error) {
		t.Helper()
		req := connect.NewRequest(wrapperspb.String(value))
		req.Header().Set("X-Test-User", as)
		resp, err := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+procedure).CallUnary(t.Context(), req)
		if err != nil {
			return "", err
		}
		return resp.Msg.GetValue(), nil
	}
	if got, err := call(place, "alice", ""); err != nil || got != "alice" {
		t.Errorf("an empty owner: %q, %v; want it filled with alice", got, err)
	}
	if _, err := call(place, "mallory", "alice"); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("another's owner: %v, want PermissionDenied", err)
	}
	if got, err := call(list, "mallory", "alice"); err != nil || got != "alice" {
		t.Errorf("a method without inputs: %q, %v; want it unchecked", got, err)
	}
}

// The refusals read as English: "an Order", "a Booking".
func TestRefusalNamesTheEntity(t *testing.T) {
	for entity, want := range map[string]string{"Order": "own an Order", "Booking": "own a Booking"} {
		in := ownership.Input{Rule: ownership.Rule{Entity: entity, Field: "value", Claim: "sub"}, Field: "value"}
		err := in.Check(identity.WithCaller(t.Context(), identity.Gateway), wrapperspb.String(""))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it to say %q", entity, err, want)
		}
	}
}
