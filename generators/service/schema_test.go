package service

import (
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// schemaBlueprints are the blueprints the schema tests run on.
var schemaBlueprints = []string{
	"blueprints/shop.yaml", "blueprints/minimal.yaml", "blueprints/travel.yaml",
	"testdata/blueprints/edge.yaml", "testdata/blueprints/versioned.yaml", "testdata/blueprints/fulfilment.yaml",
}

func loadSystemView(t *testing.T, path string) *systemView {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := newSystemView(sys)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

var (
	createTableRE = regexp.MustCompile("^CREATE TABLE [\"`]?(\\w+)[\"`]? \\(")
	addColumnRE   = regexp.MustCompile("(?i)^ALTER TABLE [\"`]?(\\w+)[\"`]? ADD (?:COLUMN )?[\"`]?(\\w+)")
	columnDefRE   = regexp.MustCompile("^\\s+[\"`]?(\\w+)[\"`]? ")
)

// migratedColumns returns the columns the migrations create, by table.
func migratedColumns(migrations []ddl) map[string][]string {
	out := map[string][]string{}
	for _, m := range migrations {
		for _, stmt := range m.Up {
			if add := addColumnRE.FindStringSubmatch(stmt); add != nil {
				out[add[1]] = append(out[add[1]], add[2])
				continue
			}
			lines := strings.Split(stmt, "\n")
			create := createTableRE.FindStringSubmatch(lines[0])
			if create == nil {
				continue
			}
			out[create[1]] = []string{}
			for _, line := range lines[1:] {
				if col := columnDefRE.FindStringSubmatch(line); col != nil && col[1] != "PRIMARY" {
					out[create[1]] = append(out[create[1]], col[1])
				}
			}
		}
	}
	return out
}

// The schema a service checks at start is exactly what its migrations
// create, in every dialect: a column the code uses that no migration
// creates would stop every new database at start, and one the migrations
// create that the schema omits would go unchecked.
func TestSchemaMatchesMigrations(t *testing.T) {
	for _, bp := range schemaBlueprints {
		for _, v := range loadSystemView(t, bp).Services {
			want := map[string][]string{}
			for _, table := range v.Schema {
				if _, dup := want[table.Name]; dup {
					t.Errorf("%s: service %s lists table %s twice", bp, v.Name, table.Name)
				}
				want[table.Name] = table.Columns
			}
			for _, dialect := range v.Dialects {
				var rendered []ddl
				for _, m := range v.model.Migrations {
					d, err := renderMigration(dialect, m)
					if err != nil {
						t.Fatal(err)
					}
					rendered = append(rendered, d)
				}
				got := migratedColumns(rendered)
				for _, table := range slices.Sorted(maps.Keys(got)) {
					if !slices.Equal(got[table], want[table]) {
						t.Errorf("%s: service %s, %s: the migrations create %s with %v, the code checks %v", bp, v.Name, dialect, table, got[table], want[table])
					}
				}
				for table := range want {
					if _, ok := got[table]; !ok {
						t.Errorf("%s: service %s, %s: the code checks table %s, which no migration creates", bp, v.Name, dialect, table)
					}
				}
			}
		}
	}
}

// The column the schema test drops is one SQLite can drop (neither the
// key nor indexed), and a string one where the service stores one: the
// column SQLite's double-quoted string quirk would read back silently.
func TestSchemaTestColumn(t *testing.T) {
	for _, bp := range schemaBlueprints {
		for _, v := range loadSystemView(t, bp).Services {
			st := v.SchemaTest
			if st == nil {
				t.Fatalf("%s: service %s has no schema test", bp, v.Name)
			}
			if st.Entity == nil {
				if len(v.Entities) > 0 {
					t.Errorf("%s: service %s drops platform column %s.%s though it has entities", bp, v.Name, st.Table, st.Column)
				}
				continue
			}
			var dropped *column
			for i, c := range st.Entity.Columns {
				if c.Name == st.Column {
					dropped = c
					if i == 0 || c.field.Indexed {
						t.Errorf("%s: service %s drops %s.%s, which SQLite cannot drop", bp, v.Name, st.Table, st.Column)
					}
				}
			}
			if dropped == nil {
				t.Fatalf("%s: service %s drops %s.%s, not a column of %s", bp, v.Name, st.Table, st.Column, st.Entity.Name)
			}
			if !isString(dropped.field) && hasDroppableString(v.Entities) {
				t.Errorf("%s: service %s drops %s.%s though it has a string column SQLite can drop", bp, v.Name, st.Table, st.Column)
			}
		}
	}
}

func hasDroppableString(entities []*entityView) bool {
	for _, e := range entities {
		for _, c := range e.Columns[1:] {
			if !c.field.Indexed && isString(c.field) {
				return true
			}
		}
	}
	return false
}

func isString(f *model.Field) bool {
	return f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String
}
