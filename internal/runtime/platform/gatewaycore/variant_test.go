//go:build !tenancy

package gatewaycore

import "time"

// wantTenant is the tenant of testClaims' tokens: none.
const wantTenant = ""

func testClaims(roles ...string) Claims {
	return Claims{Subject: "alice", Roles: roles, Issuer: "https://issuer.test/", Audience: "test-api", TTL: time.Hour}
}
