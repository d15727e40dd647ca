package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Transactions of concurrent callers commit together, and each keeps its
// own outcome: a failing one leaves nothing, the others all their rows,
// and AfterCommit runs for the committed ones only, after their commit.
func TestGroupCommitKeepsEachOutcome(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	// Hold the writer so that the callers below queue up behind it.
	hold, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (1000, 'held')"); err != nil {
		t.Fatal(err)
	}
	before := groupCommits.Load()
	const n = 40
	errs := make([]error, n)
	var hooked sync.Map
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.InTx(ctx, func(tx *sql.Tx) error {
				txCtx := WithTx(ctx, tx)
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", i, fmt.Sprint("row ", i)); err != nil {
					return err
				}
				AfterCommit(txCtx, func() {
					var v string
					// The hook runs once the row is committed: a reading
					// connection sees it.
					err := db.QueryRowContext(context.Background(), "SELECT v FROM t WHERE id = ?", i).Scan(&v)
					hooked.Store(i, err)
				})
				if i%5 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		})
	}
	time.Sleep(200 * time.Millisecond) // let them queue
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		want := i%5 != 0
		if (err == nil) != want {
			t.Errorf("transaction %d: %v", i, err)
		}
		var v string
		err := db.QueryRowContext(ctx, "SELECT v FROM t WHERE id = ?", i).Scan(&v)
		if kept := err == nil; kept != want {
			t.Errorf("row %d kept %v, want %v (%v)", i, kept, want, err)
		}
		hook, ran := hooked.Load(i)
		if ran != want {
			t.Errorf("AfterCommit of transaction %d ran %v, want %v", i, ran, want)
		}
		if ran && hook != nil {
			t.Errorf("AfterCommit of transaction %d ran before its row was readable: %v", i, hook)
		}
	}
	commits := groupCommits.Load() - before
	if commits >= n/2 {
		t.Errorf("%d transactions took %d commits: they were not grouped", n, commits)
	}
	t.Logf("%d transactions, %d commits", n, commits)
}

// A caller whose context ends while it waits is left out of its group; one
// whose context ends while its function runs does not undo the others'
// writes (SQLite would roll back the whole transaction on an interrupted
// write), and a panic in a function reaches its own caller only.
func TestGroupCommitContextsAndPanics(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	hold, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone, cancelGone := context.WithCancel(ctx)
	midway, cancelMidway := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var goneErr, midwayErr, otherErr error
	var panicked any
	ran := false
	wg.Go(func() {
		goneErr = db.InTx(gone, func(tx *sql.Tx) error {
			ran = true
			return nil
		})
	})
	wg.Go(func() {
		midwayErr = db.InTx(midway, func(tx *sql.Tx) error {
			cancelMidway()
			_, err := tx.ExecContext(midway, "INSERT INTO t (id, v) VALUES (1, 'midway')")
			return err
		})
	})
	wg.Go(func() {
		defer func() { panicked = recover() }()
		_ = db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (2, 'panic')"); err != nil {
				return err
			}
			panic("boom")
		})
	})
	wg.Go(func() {
		otherErr = db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (3, 'other')")
			return err
		})
	})
	time.Sleep(200 * time.Millisecond)
	cancelGone()
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if !errors.Is(goneErr, context.Canceled) || ran {
		t.Errorf("a caller gone before its turn: err %v, its function ran %v; want context.Canceled and not run", goneErr, ran)
	}
	if panicked != "boom" {
		t.Errorf("panic reached its caller as %v, want boom", panicked)
	}
	if otherErr != nil {
		t.Errorf("the other caller: %v", otherErr)
	}
	rows := map[int]bool{}
	r, err := db.QueryContext(ctx, "SELECT id FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int
		if err := r.Scan(&id); err != nil {
			t.Fatal(err)
		}
		rows[id] = true
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if rows[2] || !rows[3] {
		t.Errorf("rows %v: want the panicking caller's row 2 rolled back and row 3 kept", rows)
	}
	// The caller cancelled midway either failed on its own (its statement
	// saw the context end) or committed: never half.
	if midwayErr == nil != rows[1] {
		t.Errorf("the caller cancelled midway: err %v, row kept %v", midwayErr, rows[1])
	}
}

// When the shared transaction fails, every caller in it gets the error and
// none of their writes is kept.
func TestGroupCommitSharedFailure(t *testing.T) {
	db := openTestSQLite(t)
	ctx := t.Context()
	hold, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			errs[i] = db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, 'x')", 10+i); err != nil {
					return err
				}
				if i == 1 {
					// Ends the group's transaction under it: its savepoint is
					// gone, so the group cannot go on.
					if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
						return err
					}
					return errors.New("after a rollback")
				}
				return nil
			})
		})
	}
	time.Sleep(200 * time.Millisecond)
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("caller %d succeeded, but the transaction it shared failed", i)
		}
	}
	if n != 0 {
		t.Errorf("%d rows kept, want none", n)
	}
}
