//go:build !tenancy

package client

import "context"

// scopeHeaders returns the headers placing a call besides its trace: none
// in a single-tenant system.
func scopeHeaders(context.Context) []header { return nil }
