package database

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// sqliteMigrations serialises migrations of SQLite databases, which only
// processes on one host share.
var sqliteMigrations sync.Mutex

// Migrate applies the pending goose migrations found in
// migrations/<dialect>/ of fsys, for example migrations/postgres/00001_outbox.sql.
//
// Replicas starting together take turns: on PostgreSQL the migration runs
// under an advisory lock named after the current schema, on MySQL under
// goose's lock table, and SQLite migrations in one process run one at a time.
// A replica that waited finds nothing left to apply.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, logger *slog.Logger) error {
	dir, err := db.migrationsDir(fsys)
	if err != nil {
		return err
	}
	var opts []goose.ProviderOption
	switch db.Dialect {
	case Postgres:
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return fmt.Errorf("migrate postgres database: current schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("goose migrations " + schema))
		// Poll every second for up to five minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case MySQL:
		locker, err := lock.NewMySQLTableLocker(lock.WithTableLockTimeout(time.Second, 300))
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	case SQLite:
		sqliteMigrations.Lock()
		defer sqliteMigrations.Unlock()
	}
	provider, err := db.gooseProvider(dir, opts...)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s database: %w", db.Dialect, err)
	}
	for _, r := range results {
		logger.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// migrationsDir returns the folder of fsys holding the migrations of the
// database's dialect.
func (db *DB) migrationsDir(fsys fs.FS) (fs.FS, error) {
	dir, err := fs.Sub(fsys, "migrations/"+string(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.Dialect, err)
	}
	if _, err := fs.Stat(dir, "."); err != nil {
		return nil, fmt.Errorf("no migrations for %s: this service declares another store; add migrations/%s/", db.Dialect, db.Dialect)
	}
	return dir, nil
}

// gooseProvider returns a goose provider of the migrations in dir.
func (db *DB) gooseProvider(dir fs.FS, opts ...goose.ProviderOption) (*goose.Provider, error) {
	dialect := map[Dialect]goose.Dialect{
		Postgres: goose.DialectPostgres,
		MySQL:    goose.DialectMySQL,
		SQLite:   goose.DialectSQLite3,
	}[db.Dialect]
	provider, err := goose.NewProvider(dialect, db.DB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.Dialect, err)
	}
	return provider, nil
}
