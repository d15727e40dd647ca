// Package dbtest gives every test its own empty database. By default that is
// a SQLite file in a temporary directory. To run a service's tests against
// the store it declares in production, point the matching variable at a
// server the tests may create schemas or databases on:
//
//	TEST_POSTGRES_URL=postgres://user:pass@127.0.0.1:5432/postgres?sslmode=disable go test ./...
//	TEST_MYSQL_URL=mysql://root:pass@tcp(127.0.0.1:3306)/mysql go test ./...
//
// Each test then gets a fresh PostgreSQL schema or MySQL database, dropped
// when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

// Open returns an empty database for a test of the service name, whose
// production store is store ("postgres", "mysql" or "sqlite").
func Open(t testing.TB, name, store string) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL := ""
	switch server := serverURL(store); {
	case server == "":
	case store == "postgres":
		dbURL = freshPostgresSchema(ctx, t, server, name)
	case store == "mysql":
		dbURL = freshMySQLDatabase(ctx, t, server, name)
	}
	db, err := database.Open(ctx, dbURL, t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func serverURL(store string) string {
	switch store {
	case "postgres":
		return os.Getenv("TEST_POSTGRES_URL")
	case "mysql":
		return os.Getenv("TEST_MYSQL_URL")
	}
	return ""
}

// uniqueName is a lower-case identifier no other test uses.
func uniqueName(service string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test_" + service + "_" + hex.EncodeToString(b)
}

func freshPostgresSchema(ctx context.Context, t testing.TB, server, service string) string {
	t.Helper()
	admin := adminDB(ctx, t, server, "pgx", server)
	schema := uniqueName(service)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func freshMySQLDatabase(ctx context.Context, t testing.TB, server, service string) string {
	t.Helper()
	dsn := strings.TrimPrefix(server, "mysql://")
	admin := adminDB(ctx, t, server, "mysql", dsn)
	name := uniqueName(service)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE "+name) })
	// Replace the database part of user:pass@tcp(host:port)/db?params.
	slash := strings.LastIndex(dsn, "/")
	rest := ""
	if q := strings.IndexByte(dsn[slash:], '?'); q >= 0 {
		rest = dsn[slash+q:]
	}
	return "mysql://" + dsn[:slash+1] + name + rest
}

func adminDB(ctx context.Context, t testing.TB, server, driver, dsn string) *sql.DB {
	t.Helper()
	admin, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("the test database server is unreachable (%s): %v", database.Redact(server), err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}
