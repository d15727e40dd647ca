//go:build tenancy

package gatewaycore

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// wantTenant is the tenant of testClaims' tokens.
const wantTenant = "tenant-a"

func testClaims(roles ...string) Claims {
	return Claims{Subject: "alice", Roles: roles, Issuer: "https://issuer.test/", Audience: "test-api", Tenant: wantTenant, TTL: time.Hour}
}

// The gateway forwards the tenant of the token, never the caller's
// X-Tenant, and refuses a token without a valid one.
func TestTenantFromToken(t *testing.T) {
	f := newFixture(t, nil)
	forged := http.Header{tenant.Header: {"tenant-b"}}
	header := bearerHeader(mustSign(t, f.key, testClaims("admin")))
	header[tenant.Header] = forged[tenant.Header]
	if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Admin", `"x"`, header); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got := f.alpha.last(t).Get(tenant.Header); got != wantTenant {
		t.Errorf("forwarded tenant %q, want the token's %q", got, wantTenant)
	}
	if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Echo", `"x"`, forged); rec.Code != http.StatusOK || f.alpha.last(t).Get(tenant.Header) != "" {
		t.Errorf("an open route forwarded the caller's X-Tenant: %d %v", rec.Code, f.alpha.last(t))
	}
	for name, id := range map[string]string{"no tenant": "", "an invalid tenant": "a b"} {
		c := testClaims("admin")
		c.Tenant = id
		rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Admin", `"x"`, bearerHeader(mustSign(t, f.key, c)))
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tenant.Claim) {
			t.Errorf("%s: %d %s, want 403 naming the %s claim", name, rec.Code, rec.Body, tenant.Claim)
		}
	}
}

// The same subject in two tenants has two rate limit buckets.
func TestRateLimitPerTenant(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.RateLimit = &RateLimit{RequestsPerSecond: 0.01, Burst: 1} })
	for i, c := range []struct {
		tenant string
		want   int
	}{{"tenant-a", http.StatusOK}, {"tenant-a", http.StatusTooManyRequests}, {"tenant-b", http.StatusOK}} {
		claims := testClaims("admin")
		claims.Tenant = c.tenant
		if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Admin", `"x"`, bearerHeader(mustSign(t, f.key, claims))); rec.Code != c.want {
			t.Errorf("call %d in %s: %d, want %d", i+1, c.tenant, rec.Code, c.want)
		}
	}
}
