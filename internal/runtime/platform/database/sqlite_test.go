package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), "", t.TempDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	return db
}

// Reads go on while a transaction writes: they see what was committed
// before it.
func TestSQLiteReadsDuringWrite(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES ('b')"); err != nil {
		t.Fatal(err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var n int
	if err := db.QueryRowContext(readCtx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read during a write: %d, %v; want 1 at once", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("read after the commit: %d, %v; want 2", n, err)
	}
}

// Writers take turns: concurrent transactions that read and then write
// all succeed, without "database is locked".
func TestSQLiteWritersTakeTurns(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (1, '0')"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for range 40 {
		wg.Go(func() {
			errs <- db.InTx(ctx, func(tx *sql.Tx) error {
				var v int
				if err := tx.QueryRowContext(ctx, "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE t SET v = ? WHERE id = 1", fmt.Sprint(v+1))
				return err
			})
		})
		wg.Go(func() {
			_, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('x')")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var v, n int
	if err := db.QueryRowContext(ctx, "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil || v != 40 {
		t.Fatalf("counter %d, %v; want 40 (lost updates)", v, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 41 {
		t.Fatalf("%d rows, %v; want 41", n, err)
	}
}

// Statements stay prepared, at most sqliteStatements per connection (the
// writing one and each reading one); one
// in use (its rows open) is not reused by a nested query; a statement
// that is not a SELECT (INSERT ... RETURNING) writes.
func TestSQLiteStatements(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 * sqliteStatements {
		var v string
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("INSERT INTO t (v) VALUES ('%d') RETURNING v", i)).Scan(&v); err != nil || v != fmt.Sprint(i) {
			t.Fatalf("insert returning: %q, %v", v, err)
		}
	}
	err = conn.Raw(func(c any) error {
		for _, side := range []*sqliteSide{c.(*sqliteConn).writer, c.(*sqliteConn).reader} {
			if n := len(side.stmts); n > sqliteStatements {
				return fmt.Errorf("%d statements prepared, more than %d", n, sqliteStatements)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const query = "SELECT v FROM t WHERE id <= ? ORDER BY id"
	outer, err := conn.QueryContext(ctx, query, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	outer.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var nested []string
	for rows.Next() {
		var v, w string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, query, 1).Scan(&w); err != nil {
			t.Fatalf("the same query while its rows are open: %v", err)
		}
		nested = append(nested, v+"/"+w)
	}
	if fmt.Sprint(got) != "[0 1]" || fmt.Sprint(nested) != "[0/0 1/0]" {
		t.Errorf("rows %v and nested %v, want [0 1] and [0/0 1/0]", got, nested)
	}
}

func TestIsRead(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                              true,
		"  select * FROM t":                     true,
		"-- note\nSELECT 1":                     true,
		"/* x */ SELECT 1":                      true,
		"INSERT INTO t VALUES (1) RETURNING id": false,
		"WITH x AS (SELECT 1) DELETE FROM t":    false,
		"PRAGMA journal_mode":                   false,
		"SELEC":                                 false,
	} {
		if got := isRead(q); got != want {
			t.Errorf("isRead(%q) = %v, want %v", q, got, want)
		}
	}
}

// An in-memory database keeps one connection: each would have its own.
// Reads see what was written.
func TestSQLiteInMemory(t *testing.T) {
	db, err := Open(t.Context(), "file::memory:", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("%d connections to an in-memory database, want 1", got)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRowContext(t.Context(), "SELECT v FROM t").Scan(&v); err != nil || v != "x" {
		t.Errorf("read %q, %v; want x", v, err)
	}
}

// Every write runs on one connection, whatever connection database/sql
// picks, so SQLite never drops its page cache for another's write: its
// data_version, which changes when another connection commits, stays the
// same across concurrent transactions.
func TestSQLiteWritesOnOneConnection(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	versions := make(chan int64, 40)
	errs := make(chan error, 80)
	for i := range 40 {
		wg.Go(func() {
			errs <- db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", fmt.Sprint(i)); err != nil {
					return err
				}
				var v int64
				err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
				versions <- v
				return err
			})
		})
		// Reads on other connections meanwhile.
		wg.Go(func() {
			var n int
			errs <- db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n)
		})
	}
	wg.Wait()
	close(versions)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	for v := range versions {
		seen[v] = true
	}
	if len(seen) != 1 {
		t.Errorf("transactions saw %d data versions, want 1: they ran on several connections", len(seen))
	}
}

// A synchronous setting in the URL wins over the default, NORMAL.
func TestSQLiteSynchronousFromURL(t *testing.T) {
	for url, want := range map[string]int{
		"":                           1, // NORMAL
		"?_pragma=synchronous(FULL)": 2,
	} {
		dir := t.TempDir()
		path := ""
		if url != "" {
			path = "file:" + dir + "/test.db" + url
		}
		db, err := Open(t.Context(), path, dir, "test")
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&got); err != nil || got != want {
			t.Errorf("URL %q: synchronous = %d (%v), want %d", path, got, err, want)
		}
		db.Close()
	}
}

// BenchmarkSQLiteCommit measures one small committed transaction (what a
// command costs the database) with synchronous=NORMAL, the default, and
// FULL, which a DATABASE_URL may ask for: in WAL mode NORMAL syncs at
// checkpoints instead of on every commit, so a power loss (not a crash of
// the process) may undo the last commits.
func BenchmarkSQLiteCommit(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			db, err := Open(context.Background(), "file:"+dir+"/bench.db?_pragma=synchronous("+mode+")", dir, "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				err := db.InTx(context.Background(), func(tx *sql.Tx) error {
					_, err := tx.Exec("INSERT INTO t (id, v) VALUES (?, ?)", i, "value")
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSQLiteConcurrentTx measures what a busy service asks of its
// SQLite file: 16 goroutines each reading a row by key outside a
// transaction, then running a small transaction (read it again, insert a
// row, update one) on a table of 100,000 rows; InTx commits them together
// (grouped) or, as before group commit, each on its own (one-by-one).
func BenchmarkSQLiteConcurrentTx(b *testing.B) {
	b.Run("grouped", func(b *testing.B) { benchConcurrentTx(b, true) })
	b.Run("one-by-one", func(b *testing.B) { benchConcurrentTx(b, false) })
}

func benchConcurrentTx(b *testing.B, grouped bool) {
	dir := b.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, "", dir, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		for i := range rows {
			if _, err := tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", fmt.Sprint("key-", i), fmt.Sprintf("%0100d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if !grouped {
		db.group = nil
	}
	commits := groupCommits.Load()
	var next atomic.Int64
	next.Store(rows)
	b.SetParallelism(8) // goroutines per GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			key := fmt.Sprint("key-", (n*7919)%rows)
			var v string
			if err := db.QueryRowContext(ctx, "SELECT v FROM t WHERE k = ?", key).Scan(&v); err != nil {
				b.Error(err)
				return
			}
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				if err := tx.QueryRowContext(ctx, "SELECT v FROM t WHERE k = ?", key).Scan(&v); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", fmt.Sprint("key-", n), v); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE t SET v = ? WHERE k = ?", fmt.Sprint(n), key)
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	if grouped {
		b.ReportMetric(float64(b.N)/float64(max(1, groupCommits.Load()-commits)), "tx/commit")
	}
}

// Closing the database while a transaction is still open, as when its
// context ends at the same moment, closes the writing connection only
// after the transaction rolled back, not under it.
func TestSQLiteCloseWithOpenTransactions(t *testing.T) {
	for range 20 {
		db, err := Open(t.Context(), "", t.TempDir(), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (v TEXT)"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES ('x')"); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			cancel() // database/sql rolls the transaction back
		}()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		<-done
		_ = tx.Rollback()
	}
}

// Temporary files, among them the sub-journal of a group's savepoints,
// stay in memory.
func TestSQLiteTempStoreInMemory(t *testing.T) {
	db := openTestSQLite(t)
	var store int
	if err := db.QueryRowContext(t.Context(), "PRAGMA temp_store").Scan(&store); err != nil {
		t.Fatal(err)
	}
	if store != 2 {
		t.Errorf("temp_store = %d, want 2 (MEMORY)", store)
	}
}

// The write-ahead log is copied into the database file in the background,
// well before the writing connection's own checkpoint would (at 10,000
// pages), and the checkpointer's connection closes with the database: the
// last connection to close removes the log.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(t.Context(), "", dir, "ckpt")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ckpt.db")
	before := backgroundCheckpoints.Load()
	blob := make([]byte, 64<<10)
	for i := range 32 { // 2 MiB, about 530 pages
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO blobs (b) VALUES (?)", blob)
			return err
		}); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if s := size(); s >= 2<<20 {
		t.Fatalf("the database file has %d bytes before any checkpoint: the test cannot tell", s)
	}
	// The file grows while the checkpoint copies the pages, and the
	// checkpoint counts once it returned.
	deadline := time.Now().Add(10 * time.Second)
	for size() < 2<<20 || backgroundCheckpoints.Load() == before {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the database file has %d bytes and %d checkpoints ran in the background: want the log copied (2 MiB) by a background checkpoint", size(), backgroundCheckpoints.Load()-before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close the log is still there (%v): a connection stayed open", err)
	}
}
