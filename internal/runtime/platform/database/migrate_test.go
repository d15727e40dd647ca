package database_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
)

// TestMigrateConcurrently starts migrations the way replicas of one service
// rolling out together do: at the same time, against one database. Every
// replica must succeed and each migration must apply once. It runs on SQLite,
// and on PostgreSQL and MySQL when TEST_POSTGRES_URL or TEST_MYSQL_URL is set.
func TestMigrateConcurrently(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(store, func(t *testing.T) {
			db := dbtest.Open(t, "migrate", store)
			if store != "sqlite" && string(db.Dialect) != store {
				t.Skipf("TEST_%s_URL is not set", map[string]string{"postgres": "POSTGRES", "mysql": "MYSQL"}[store])
			}
			migrations := fstest.MapFS{
				"migrations/" + string(db.Dialect) + "/00001_widgets.sql": {Data: []byte(
					"-- +goose Up\nCREATE TABLE widgets (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE widgets;\n")},
				"migrations/" + string(db.Dialect) + "/00002_gadgets.sql": {Data: []byte(
					"-- +goose Up\nCREATE TABLE gadgets (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE gadgets;\n")},
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			const replicas = 4
			errs := make([]error, replicas)
			var wg sync.WaitGroup
			for i := range replicas {
				wg.Go(func() { errs[i] = db.Migrate(ctx, migrations, logger) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
			}
			var applied int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != 2 {
				t.Errorf("goose_db_version records %d applied migrations, want 2", applied)
			}
		})
	}
}
