//go:build !tenancy

package identity_test

import (
	"net/http"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// serveTenants adds nothing: a single-tenant system has no tenants.
func serveTenants(*http.ServeMux, identity.Policy) {}

// inTenant returns rt: calls carry no tenant.
func inTenant(rt http.RoundTripper) http.RoundTripper { return rt }
