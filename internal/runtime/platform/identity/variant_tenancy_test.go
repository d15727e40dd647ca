//go:build tenancy

package identity_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// whichTenant answers the tenant of its context.
const whichTenant = "/test.v1.TestService/WhichTenant"

// serveTenants adds whichTenant, which the gateway and "caller" may call.
func serveTenants(mux *http.ServeMux, policy identity.Policy) {
	mux.Handle(whichTenant, connect.NewUnaryHandler(whichTenant, func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[wrapperspb.StringValue], error) {
		id, _ := tenant.From(ctx)
		return connect.NewResponse(wrapperspb.String(id)), nil
	}))
	policy[whichTenant] = []string{identity.Gateway, "caller"}
}

// inTenant sends the tenant X-Tenant names with every request through rt
// that has none: every procedure but the open paths is a tenant's.
func inTenant(rt http.RoundTripper) http.RoundTripper { return tenantTransport{rt} }

type tenantTransport struct{ next http.RoundTripper }

func (i tenantTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get(tenant.Header) == "" {
		r = r.Clone(r.Context())
		r.Header.Set(tenant.Header, "tenant-a")
	}
	return i.next.RoundTrip(r)
}

// Every procedure is a tenant's: a verified caller's X-Tenant is the
// context's tenant, and a call without a valid one is PermissionDenied.
func TestTenantFromVerifiedCallers(t *testing.T) {
	s := newTestServer(t)
	call := func(rt http.RoundTripper) (string, error) {
		t.Helper()
		c := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](&http.Client{Transport: rt}, s.url+whichTenant)
		resp, err := c.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
		if err != nil {
			return "", err
		}
		return resp.Msg.GetValue(), nil
	}
	for _, name := range []string{identity.Gateway, "caller"} {
		for _, id := range []string{"tenant-a", "tenant-b"} {
			got, err := call(s.keys[name].Signer().Transport("callee", headerTransport{tenant.Header: id}))
			if err != nil || got != id {
				t.Errorf("%s in %s: %q, %v; want %q", name, id, got, err, id)
			}
		}
	}
	for name, rt := range map[string]http.RoundTripper{
		"no tenant":         s.keys["caller"].Signer().Transport("callee", nil),
		"an invalid tenant": s.keys["caller"].Signer().Transport("callee", headerTransport{tenant.Header: "a tenant, with spaces"}),
	} {
		_, err := call(rt)
		if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), tenant.Header) {
			t.Errorf("%s: %v, want PermissionDenied naming %s", name, err, tenant.Header)
		}
	}
	// Without a valid service token, X-Tenant counts for nothing.
	_, err := call(headerTransport{tenant.Header: "tenant-a"})
	wantCode(t, err, connect.CodeUnauthenticated)
}
