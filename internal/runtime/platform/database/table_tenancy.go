//go:build tenancy

package database

// Table describes a table for building statements: Columns[0] is the id.
// With Tenant set (every entity table of the system), the primary key is
// (Tenant, id) and every statement reads or writes the rows of one tenant:
// its first argument is the tenant (after the SET values of an Update).
type Table struct {
	Name    string
	Columns []string
	// Tenant is the column holding the tenant; "" for a table without.
	Tenant string
}

// scoped returns the columns of t a statement compares: its tenant
// column, then cols.
func (t Table) scoped(cols ...string) []string {
	if t.Tenant == "" {
		return cols
	}
	return append([]string{t.Tenant}, cols...)
}
