package database

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
)

// SchemaError reports tables or columns the code uses that the database
// lacks. Its message names them, the migration the database is at, the
// one the code expects and what to do next.
type SchemaError struct {
	// Missing are the columns ("orders.note") and tables ("table orders")
	// the code uses and the database lacks.
	Missing []string
	// DatabaseVersion is the newest migration the database recorded in
	// goose's version table; CodeVersion is the newest migration the code
	// embeds.
	DatabaseVersion, CodeVersion int64
	// Pending are the embedded migrations the database has not applied,
	// oldest first.
	Pending []string
	// Dialect is the database's, which names its migrations folder.
	Dialect Dialect
}

func (e *SchemaError) Error() string {
	verb := "is"
	if len(e.Missing) > 1 {
		verb = "are"
	}
	msg := fmt.Sprintf("%s %s missing: the database is at migration %d, the code expects %d",
		strings.Join(e.Missing, ", "), verb, e.DatabaseVersion, e.CodeVersion)
	switch {
	case len(e.Pending) > 0:
		return msg + fmt.Sprintf("; apply the pending migrations (%s)", strings.Join(e.Pending, ", "))
	case e.DatabaseVersion > e.CodeVersion:
		return msg + "; a newer release migrated the database and dropped what this release still uses: run the newer release"
	default:
		// Every migration ran, yet the schema lacks what the code uses: a
		// migration was edited after it ran (goose never runs it again), or
		// the blueprint gained a field without a migration adding it.
		return msg + fmt.Sprintf("; no migration adds it (an applied migration never runs again, so editing one changes nothing): "+
			"regenerate with microforge generate, or add migrations/%s/%05d_<name>.sql adding it", e.Dialect, e.CodeVersion+1)
	}
}

// CheckSchema compares the database with what the code expects: want are
// the tables and columns its SQL reads and writes, fsys the migrations it
// embeds (as Migrate reads them). Services call it at start, after Migrate.
//
// A table or column of want that the database lacks is a *SchemaError:
// the service must not start, because its statements would fail on it
// later, one request or one event at a time (the projector of a read model
// would stall on its next event).
//
// A database ahead of the code is fine: during a rolling upgrade the
// replicas of the previous release keep running on the database the new
// release migrated, with a newer migration and columns they do not know.
// CheckSchema logs it and returns nil.
func (db *DB) CheckSchema(ctx context.Context, fsys fs.FS, want []Table, logger *slog.Logger) error {
	have, err := db.columns(ctx)
	if err != nil {
		return fmt.Errorf("read the %s database schema: %w", db.Dialect, err)
	}
	// Several entries may name one table; each column is checked once.
	var tables []string
	wanted := map[string][]string{} // columns by table, in order
	for _, t := range want {
		if _, ok := wanted[t.Name]; !ok {
			tables = append(tables, t.Name)
			wanted[t.Name] = nil
		}
		for _, c := range t.scoped(t.Columns...) {
			if !slices.Contains(wanted[t.Name], c) {
				wanted[t.Name] = append(wanted[t.Name], c)
			}
		}
	}
	var missing, unused []string
	for _, table := range tables {
		columns, ok := have[table]
		if !ok {
			missing = append(missing, "table "+table)
			continue
		}
		for _, c := range wanted[table] {
			if !columns[c] {
				missing = append(missing, table+"."+c)
			}
		}
		for c := range columns {
			if !slices.Contains(wanted[table], c) {
				unused = append(unused, table+"."+c)
			}
		}
	}
	slices.Sort(unused)
	current, newest, pending, err := db.migrationVersions(ctx, fsys)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return &SchemaError{Missing: missing, DatabaseVersion: current, CodeVersion: newest, Pending: pending, Dialect: db.Dialect}
	}
	if current > newest || len(unused) > 0 {
		logger.Info("the database is ahead of the code: a newer release migrated it; this one uses only what it knows",
			"database_migration", current, "code_migration", newest, "unused_columns", unused)
	}
	return nil
}

// columns returns the columns of every table of the database (the current
// schema on PostgreSQL, the current database on MySQL), by table.
func (db *DB) columns(ctx context.Context) (map[string]map[string]bool, error) {
	query := map[Dialect]string{
		Postgres: "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()",
		MySQL:    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()",
		SQLite:   "SELECT m.name, p.name FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'",
	}[db.Dialect]
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, err
		}
		if out[table] == nil {
			out[table] = map[string]bool{}
		}
		out[table][column] = true
	}
	return out, rows.Err()
}

// migrationVersions returns the newest migration the database recorded,
// the newest one fsys embeds for its dialect, and the embedded ones the
// database has not applied.
func (db *DB) migrationVersions(ctx context.Context, fsys fs.FS) (current, newest int64, pending []string, err error) {
	dir, err := db.migrationsDir(fsys)
	if err != nil {
		return 0, 0, nil, err
	}
	provider, err := db.gooseProvider(dir)
	if err != nil {
		return 0, 0, nil, err
	}
	if current, err = provider.GetDBVersion(ctx); err != nil {
		return 0, 0, nil, fmt.Errorf("read the migration version of the %s database: %w", db.Dialect, err)
	}
	status, err := provider.Status(ctx)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("read the migrations the %s database applied: %w", db.Dialect, err)
	}
	for _, s := range status {
		newest = max(newest, s.Source.Version)
		if s.State == goose.StatePending {
			pending = append(pending, path.Base(s.Source.Path))
		}
	}
	return current, newest, pending, nil
}
