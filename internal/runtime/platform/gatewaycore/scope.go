//go:build !tenancy

package gatewaycore

import (
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// Claims of a development token.
type Claims struct {
	Subject    string
	Roles      []string
	Issuer     string
	Audience   string
	RolesClaim string    // DevKey's roles claim when empty
	IssuedAt   time.Time // now when zero
	TTL        time.Duration
	// Extra are further string claims by name, such as those the
	// blueprint's owner rules name: {"org": "acme"}.
	Extra map[string]string
}

// addScope adds nothing: a single-tenant system's tokens name no tenant.
func (Claims) addScope(jwt.MapClaims) {}

// gatewayHeaders are the headers besides X-User-* that only the gateway
// sets: the service token.
var gatewayHeaders = []string{identity.Header}

// tenantOf returns "": a single-tenant system has no tenants.
func tenantOf(jwt.MapClaims) string { return "" }

// rateKey is the rate limit's bucket of a verified user.
func rateKey(u user) string { return "sub:" + u.Subject }

// admitScope admits every verified user: a single-tenant system places a
// call nowhere beyond its caller.
func admitScope(user, http.Header) error { return nil }
