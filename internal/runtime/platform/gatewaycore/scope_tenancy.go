//go:build tenancy

package gatewaycore

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// Claims of a development token.
type Claims struct {
	Subject    string
	Roles      []string
	Issuer     string
	Audience   string
	RolesClaim string // DevKey's roles claim when empty
	// Tenant goes in the claim tenant.Claim; none when empty.
	Tenant   string
	IssuedAt time.Time // now when zero
	TTL      time.Duration
	// Extra are further string claims by name, such as those the
	// blueprint's owner rules name: {"org": "acme"}.
	Extra map[string]string
}

// addScope puts the tenant in claims.
func (c Claims) addScope(claims jwt.MapClaims) {
	if c.Tenant != "" {
		claims[tenant.Claim] = c.Tenant
	}
}

// gatewayHeaders are the headers besides X-User-* that only the gateway
// sets: the service token and the tenant.
var gatewayHeaders = []string{identity.Header, tenant.Header}

// tenantOf returns the tenant a token's claims name: "" when they name
// none, or not as a string.
func tenantOf(claims jwt.MapClaims) string {
	id, _ := claims[tenant.Claim].(string)
	return id
}

// rateKey is the rate limit's bucket of a verified user: the same subject
// in two tenants is two clients.
func rateKey(u user) string { return "sub:" + u.Tenant + "/" + u.Subject }

// admitScope refuses a user whose token names no valid tenant: every call
// belongs to one. It forwards the tenant to the service otherwise.
func admitScope(u user, h http.Header) error {
	if err := tenant.Check(u.Tenant); err != nil {
		return errors.New("the token has no valid " + strconv.Quote(tenant.Claim) + " claim: every call belongs to a tenant")
	}
	h.Set(tenant.Header, u.Tenant)
	return nil
}
