package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// txGroup commits the transactions InTx runs on one SQLite database
// together: group commit. SQLite has one writer, so transactions of
// concurrent requests run one after the other anyway; committing each on
// its own writes the pages it changed to the WAL, and most of a small
// transaction's cost is that commit. Instead, the transactions waiting
// when the writer becomes free run in one SQLite transaction, each inside
// a savepoint of its own, and commit once.
//
// Each transaction keeps its own outcome:
//
//   - one whose function fails or panics is rolled back to its savepoint
//     and the others commit;
//   - its caller returns only once the commit holding its changes is
//     done (as durable as the database's synchronous setting makes any
//     commit), and its AfterCommit functions run only then;
//   - a caller whose context ends while it waits is left out, and its
//     function never runs;
//   - its statements do not end with its context once they run: an
//     interrupted SQLite write inside a transaction rolls the whole
//     transaction back, the other callers' changes with it.
//
// When the shared transaction itself fails (its commit, a savepoint SQLite
// refuses), every caller in it gets the error and nothing of theirs is
// kept, as when a transaction of its own fails to commit.
//
// There is no goroutine of its own: the first caller to find the writer
// free leads a group, runs the functions queued by then, commits, and
// hands the lead to the next caller waiting.
type txGroup struct {
	db *sql.DB

	mu      sync.Mutex
	queue   []*groupedTx
	leading bool
}

// maxGroup bounds the transactions one commit holds, so that a caller
// waits for at most that many functions besides its own.
const maxGroup = 64

// groupCommits counts the commits of groups, for tests.
var groupCommits atomic.Int64

// groupTxKey marks the context a group begins its SQLite transaction
// with, so that the connection keeps its statements running when a
// caller's context ends (sqliteConn.detached).
type groupTxKey struct{}

// groupSavepoint names the savepoint each function of a group runs in.
const groupSavepoint = "microforge_group"

type groupedTx struct {
	ctx   context.Context
	fn    func(*sql.Tx) error
	wake  chan bool // true: lead the next group; false: done
	err   error
	panic any // what fn panicked with, panicked again in its caller
	hooks *commitHooks
}

// do runs fn in the next group and returns once that group committed or
// failed.
func (g *txGroup) do(ctx context.Context, fn func(*sql.Tx) error) error {
	t := &groupedTx{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, t)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead || <-t.wake {
		g.lead()
	}
	if t.panic != nil {
		panic(t.panic)
	}
	if t.err == nil {
		t.hooks.run()
	}
	return t.err
}

// lead begins a transaction, which waits for the writer, then runs the
// group of the callers queued by then (the leader's own transaction is the
// first), commits it, hands the lead to the next caller waiting, if any,
// and wakes the callers of the group.
func (g *txGroup) lead() {
	tx, err := g.db.BeginTx(context.WithValue(context.Background(), groupTxKey{}, true), nil)
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := make([]*groupedTx, n)
	copy(batch, g.queue)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	g.mu.Unlock()

	if err != nil {
		for _, t := range batch {
			t.err = fmt.Errorf("begin transaction: %w", err)
		}
	} else {
		run(tx, batch)
	}

	g.mu.Lock()
	var next *groupedTx
	if len(g.queue) > 0 {
		next = g.queue[0]
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	if next != nil {
		next.wake <- true
	}
	for _, t := range batch[1:] {
		t.wake <- false
	}
}

// run runs batch in tx, each function in a savepoint of its own, and
// commits tx, setting each one's outcome.
func run(tx *sql.Tx, batch []*groupedTx) {
	// fail ends the shared transaction: every function of the batch that
	// did not fail on its own (kept, or not run yet) gets err.
	fail := func(err error) {
		_ = tx.Rollback()
		for _, t := range batch {
			if t.err == nil && t.panic == nil {
				t.err, t.hooks = err, nil
			}
		}
	}
	for _, t := range batch {
		if err := t.ctx.Err(); err != nil {
			t.err = fmt.Errorf("begin transaction: %w", err)
			continue
		}
		if _, err := tx.Exec("SAVEPOINT " + groupSavepoint); err != nil {
			t.err = fmt.Errorf("begin transaction: %w", err)
			fail(t.err)
			return
		}
		t.hooks = &commitHooks{}
		pendingCommits.Store(tx, t.hooks)
		t.err, t.panic = call(t.fn, tx)
		pendingCommits.Delete(tx)
		if t.err != nil || t.panic != nil {
			t.hooks = nil
			// ROLLBACK TO keeps the savepoint open: RELEASE ends it.
			if _, err := tx.Exec("ROLLBACK TO " + groupSavepoint); err != nil {
				fail(fmt.Errorf("the transaction it shared with others failed: %w", errors.Join(t.err, err)))
				return
			}
			if _, err := tx.Exec("RELEASE " + groupSavepoint); err != nil {
				fail(fmt.Errorf("the transaction it shared with others failed: %w", err))
				return
			}
			continue
		}
		if _, err := tx.Exec("RELEASE " + groupSavepoint); err != nil {
			fail(fmt.Errorf("commit: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	groupCommits.Add(1)
}

// call runs fn, turning a panic into a value for its caller.
func call(fn func(*sql.Tx) error, tx *sql.Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(tx), nil
}
