package tenant

// The blueprint's tenancy settings. These are stand-ins for microforge's
// tests: a generated system's are rendered from its blueprint.
const (
	// Claim is the claim of the gateway's tokens holding the tenant.
	Claim = "tenant"
	// Column is the column holding the tenant in every table.
	Column = "tenant_id"
)
