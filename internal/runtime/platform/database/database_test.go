package database_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := database.Open(t.Context(), "", dir, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect != database.SQLite {
		t.Errorf("dialect %q, want sqlite", db.Dialect)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (id TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(filepath.Join(dir, "orders.db")); err != nil {
		t.Fatalf("no database file in the data directory: %v", err)
	}
	for _, url := range []string{"sqlite:" + filepath.Join(dir, "orders.db"), "file:" + filepath.Join(dir, "orders.db") + "?mode=rw"} {
		db, err := database.Open(t.Context(), url, "", "ignored")
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		// The table written before is there: the URL names the same file.
		if _, err := db.ExecContext(t.Context(), "INSERT INTO t VALUES ('x')"); err != nil {
			t.Errorf("%s: %v", url, err)
		}
		db.Close()
	}
}

func TestOpenRejectsAndRedacts(t *testing.T) {
	if _, err := database.Open(t.Context(), "oracle://scott:tiger@db/x", "", "x"); err == nil || strings.Contains(err.Error(), "tiger") {
		t.Errorf("unknown scheme: %v", err)
	}
	// Nothing listens on port 1: the message names the database without its password.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := database.Open(ctx, "postgres://app:secret@127.0.0.1:1/app?sslmode=disable", "", "x")
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "app:xxxxx@127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
	if _, err := database.Open(t.Context(), "mysql://not a dsn", "", "x"); err == nil {
		t.Error("an invalid MySQL DSN opened")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/db":      "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":             "postgres://u@h/db",
		"mysql://root:pw@tcp(h:3306)/d": "mysql://root:xxxxx@tcp(h:3306)/d",
		"sqlite:data/x.db":              "sqlite:data/x.db",
		"postgres://h/db":               "postgres://h/db",
	} {
		if got := database.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoteAndRebind(t *testing.T) {
	if got := database.MySQL.Quote("or`der"); got != "`or``der`" {
		t.Errorf("MySQL quote: %s", got)
	}
	if got := database.Postgres.Quote(`or"der`); got != `"or""der"` {
		t.Errorf("PostgreSQL quote: %s", got)
	}
	q := `SELECT '?', "a?" FROM t WHERE a = ? AND b = ?`
	if got := database.Postgres.Rebind(q); got != `SELECT '?', "a?" FROM t WHERE a = $1 AND b = $2` {
		t.Errorf("Rebind: %s", got)
	}
	if got := database.SQLite.Rebind(q); got != q {
		t.Errorf("SQLite Rebind changed the query: %s", got)
	}
}

func TestIsUniqueViolation(t *testing.T) {
	db, err := database.Open(t.Context(), "", t.TempDir(), "unique")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (id TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "INSERT INTO t VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(t.Context(), "INSERT INTO t VALUES ('a')")
	if !database.IsUniqueViolation(err) {
		t.Errorf("SQLite duplicate: %v", err)
	}
	for _, msg := range []string{"ERROR: duplicate key (SQLSTATE 23505)", "Error 1062 (23000): Duplicate entry"} {
		if !database.IsUniqueViolation(errors.New(msg)) {
			t.Errorf("%q is a unique violation", msg)
		}
	}
	if database.IsUniqueViolation(nil) || database.IsUniqueViolation(errors.New("no such table")) {
		t.Error("not a unique violation")
	}
}

func TestInTx(t *testing.T) {
	db, err := database.Open(t.Context(), "", t.TempDir(), "tx")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id TEXT)"); err != nil {
		t.Fatal(err)
	}
	insert := func(id string) func(*sql.Tx) error {
		return func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", id); return err }
	}
	if err := db.InTx(ctx, insert("committed")); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("fail")
	if err := db.InTx(ctx, func(tx *sql.Tx) error { _ = insert("rolled back")(tx); return failure }); !errors.Is(err, failure) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	// A transaction in the context is used, and left for its owner to end.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(database.WithTx(ctx, tx), insert("outer")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("the caller's transaction was ended by InTx: %v", err)
	}
	var ids []string
	rows, err := db.QueryContext(ctx, "SELECT id FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if strings.Join(ids, ",") != "committed" {
		t.Errorf("rows %v, want only the committed one", ids)
	}
}

// AfterCommit runs its function once the transaction in the context
// committed, never for one rolled back, and at once without one.
func TestAfterCommit(t *testing.T) {
	db, err := database.Open(t.Context(), "", t.TempDir(), "hooks")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ran []string
	note := func(s string) func() { return func() { ran = append(ran, s) } }
	database.AfterCommit(t.Context(), note("no transaction"))
	err = db.InTx(t.Context(), func(tx *sql.Tx) error {
		database.AfterCommit(database.WithTx(t.Context(), tx), note("committed"))
		if len(ran) != 1 {
			t.Errorf("ran %v before the commit", ran)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	failure := errors.New("fail")
	err = db.InTx(t.Context(), func(tx *sql.Tx) error {
		database.AfterCommit(database.WithTx(t.Context(), tx), note("rolled back"))
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatal(err)
	}
	// A transaction InTx did not begin: nobody tells when it commits.
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	database.AfterCommit(database.WithTx(t.Context(), tx), note("foreign"))
	_ = tx.Rollback()
	if want := "no transaction,committed,foreign"; strings.Join(ran, ",") != want {
		t.Errorf("ran %v, want %s", ran, want)
	}
}

// A PostgreSQL or MySQL database opens at most DefaultMaxConns
// connections, or what SetMaxConns says; SQLite keeps its own bound.
func TestSetMaxConns(t *testing.T) {
	raw, err := sql.Open("pgx", "postgres://127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	db := &database.DB{DB: raw, Dialect: database.Postgres}
	db.SetMaxConns(0)
	if got := db.Stats().MaxOpenConnections; got != database.DefaultMaxConns {
		t.Errorf("SetMaxConns(0): at most %d connections, want %d", got, database.DefaultMaxConns)
	}
	db.SetMaxConns(3)
	if got := db.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("SetMaxConns(3): at most %d connections", got)
	}
	lite, err := database.Open(context.Background(), "", t.TempDir(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	before := lite.Stats().MaxOpenConnections
	lite.SetMaxConns(3)
	if got := lite.Stats().MaxOpenConnections; got != before {
		t.Errorf("SetMaxConns changed SQLite's bound from %d to %d", before, got)
	}
}
