//go:build !tenancy

package database

// Table describes a table for building statements: Columns[0] is the
// primary key.
type Table struct {
	Name    string
	Columns []string
}

// scoped returns the columns a statement on t compares: cols, as a
// single-tenant system scopes no table.
func (t Table) scoped(cols ...string) []string { return cols }
