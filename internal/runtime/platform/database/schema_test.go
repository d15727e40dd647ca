package database_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
)

// widgetMigrations returns migrations of the widgets table for dialect d:
// each further version adds a column. The SQL runs on every dialect.
func widgetMigrations(d database.Dialect, versions ...string) fstest.MapFS {
	sql := map[string]string{
		"00001_widgets.sql": "CREATE TABLE widgets (id VARCHAR(64) PRIMARY KEY, name TEXT NOT NULL);\n-- +goose Down\nDROP TABLE widgets;\n",
		"00002_color.sql":   "ALTER TABLE widgets ADD COLUMN color TEXT;\n-- +goose Down\nALTER TABLE widgets DROP COLUMN color;\n",
		"00003_size.sql":    "ALTER TABLE widgets ADD COLUMN size INTEGER;\n-- +goose Down\nALTER TABLE widgets DROP COLUMN size;\n",
	}
	fsys := fstest.MapFS{}
	for _, v := range versions {
		fsys["migrations/"+string(d)+"/"+v] = &fstest.MapFile{Data: []byte("-- +goose Up\n" + sql[v])}
	}
	return fsys
}

// widgets is what the code of the tests uses: the columns of migrations 1
// and 2.
var widgets = []database.Table{
	{Name: "widgets", Columns: []string{"id", "name", "color"}},
}

// TestCheckSchema compares databases with the code: the same schema, a
// database behind the code, a migration edited after it ran, a database
// ahead of the code (a rolling upgrade). It runs on SQLite, and on
// PostgreSQL and MySQL when TEST_POSTGRES_URL or TEST_MYSQL_URL is set.
func TestCheckSchema(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(store, func(t *testing.T) {
			if db := dbtest.Open(t, "schema", store); store != "sqlite" && string(db.Dialect) != store {
				t.Skipf("TEST_%s_URL is not set", strings.ToUpper(store))
			}
			// Each case gets a database of its own.
			open := func(t *testing.T, applied ...string) *database.DB {
				db := dbtest.Open(t, "schema", store)
				if err := db.Migrate(t.Context(), widgetMigrations(db.Dialect, applied...), logging.Discard()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			t.Run("matches", func(t *testing.T) {
				db := open(t, "00001_widgets.sql", "00002_color.sql")
				if err := db.CheckSchema(t.Context(), widgetMigrations(db.Dialect, "00001_widgets.sql", "00002_color.sql"), widgets, logging.Discard()); err != nil {
					t.Fatal(err)
				}
			})
			t.Run("behind", func(t *testing.T) {
				// Migrations run elsewhere and this one has not yet.
				db := open(t, "00001_widgets.sql")
				err := db.CheckSchema(t.Context(), widgetMigrations(db.Dialect, "00001_widgets.sql", "00002_color.sql"), widgets, logging.Discard())
				wantSchemaError(t, err, []string{"widgets.color"}, 1, 2,
					"widgets.color is missing: the database is at migration 1, the code expects 2", "apply the pending migrations (00002_color.sql)")
			})
			t.Run("edited_migration", func(t *testing.T) {
				// The column was added to a migration that had already run:
				// goose never runs it again.
				db := open(t, "00001_widgets.sql")
				edited := widgetMigrations(db.Dialect, "00001_widgets.sql")
				for _, f := range edited {
					f.Data = bytes.Replace(f.Data, []byte("name TEXT NOT NULL"), []byte("name TEXT NOT NULL, color TEXT"), 1)
				}
				err := db.CheckSchema(t.Context(), edited, widgets, logging.Discard())
				wantSchemaError(t, err, []string{"widgets.color"}, 1, 1,
					"widgets.color is missing: the database is at migration 1, the code expects 1", "00002_<name>.sql")
			})
			t.Run("missing_table", func(t *testing.T) {
				db := open(t, "00001_widgets.sql", "00002_color.sql")
				want := append(slices.Clone(widgets), database.Table{Name: "gadgets", Columns: []string{"id"}})
				err := db.CheckSchema(t.Context(), widgetMigrations(db.Dialect, "00001_widgets.sql", "00002_color.sql"), want, logging.Discard())
				wantSchemaError(t, err, []string{"table gadgets"}, 2, 2, "table gadgets is missing")
			})
			t.Run("ahead", func(t *testing.T) {
				// The next release added size and migrated; this replica of
				// the previous release keeps running.
				db := open(t, "00001_widgets.sql", "00002_color.sql", "00003_size.sql")
				var logs bytes.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, nil))
				if err := db.CheckSchema(t.Context(), widgetMigrations(db.Dialect, "00001_widgets.sql", "00002_color.sql"), widgets, logger); err != nil {
					t.Fatalf("a database ahead of the code refused: %v", err)
				}
				for _, want := range []string{"ahead of the code", "database_migration=3", "code_migration=2", "widgets.size"} {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("log %q does not mention %q", logs.String(), want)
					}
				}
			})
		})
	}
}

func wantSchemaError(t *testing.T, err error, missing []string, current, newest int64, messages ...string) {
	t.Helper()
	var schemaErr *database.SchemaError
	if !errors.As(err, &schemaErr) {
		t.Fatalf("CheckSchema: %v, want a SchemaError", err)
	}
	if !slices.Equal(schemaErr.Missing, missing) || schemaErr.DatabaseVersion != current || schemaErr.CodeVersion != newest {
		t.Errorf("missing %v at migration %d of %d, want %v at %d of %d",
			schemaErr.Missing, schemaErr.DatabaseVersion, schemaErr.CodeVersion, missing, current, newest)
	}
	for _, m := range messages {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("message %q does not say %q", err, m)
		}
	}
}

// SQLite reads a double-quoted identifier it cannot resolve as a string
// literal unless told otherwise: a column missing from the database must
// fail the statement, not read back as its own name.
func TestSQLiteRejectsUnknownColumns(t *testing.T) {
	db, err := database.Open(t.Context(), "", t.TempDir(), "quirks")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE "notes" ("id" TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO "notes" ("id") VALUES ('n1')`); err != nil {
		t.Fatal(err)
	}
	notes := database.Table{Name: "notes", Columns: []string{"id", "note"}}
	var id, note string
	err = db.QueryRowContext(ctx, db.Dialect.Select(notes, "id"), "n1").Scan(&id, &note)
	if err == nil || !strings.Contains(err.Error(), "no such column") {
		t.Fatalf("selecting a missing column: %v (read %q), want no such column", err, note)
	}
	if _, err := db.ExecContext(ctx, db.Dialect.Update(notes), "text", "n1"); err == nil {
		t.Error("updating a missing column succeeded")
	}
	if _, err := db.ExecContext(ctx, `UPDATE "notes" SET "id" = "id" WHERE "note" = 'note'`); err == nil {
		t.Error("filtering on a missing column succeeded")
	}
}
