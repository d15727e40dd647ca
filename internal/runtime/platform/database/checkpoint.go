package database

import (
	"context"
	"sync/atomic"
	"time"
)

// SQLite checkpoints. In WAL mode a commit appends the pages it changed to
// the write-ahead log, and a checkpoint copies them into the database file
// (syncing both) so that the log can start over. By default the connection
// that commits checkpoints itself once the log passes 1,000 pages, and the
// writer of a busy database waits for it: about a third of the time the
// writer was held went to commits that checkpointed.
//
// Instead a goroutine of the database checkpoints on a connection of its
// own, in the background: PASSIVE, so it never waits for the writer nor
// the writer for it. It runs sqliteCheckpointEvery after a write, while
// there are writes. The writing connection's own checkpoint stays as a
// backstop, at sqliteAutoCheckpoint pages, for a log the background one
// cannot keep up with (while long reads hold the log's pages).
const (
	sqliteCheckpointEvery = 100 * time.Millisecond
	sqliteAutoCheckpoint  = "_pragma=wal_autocheckpoint(10000)"
)

// backgroundCheckpoints counts the checkpoints done in the background, for
// tests.
var backgroundCheckpoints atomic.Int64

// checkpointer checkpoints a SQLite file in the background while its
// writing connection is open.
type checkpointer struct {
	wake chan struct{} // a write happened
	stop chan struct{}
	done chan struct{}
}

// startCheckpointer starts c's checkpointer; c.mu is held.
func (c *sqliteConnector) startCheckpointer() {
	k := &checkpointer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.checkpoints = k
	go k.run(c)
}

// wrote tells the checkpointer a write turn ended.
func (k *checkpointer) wrote() {
	if k == nil {
		return
	}
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and waits for it to end.
func (k *checkpointer) close() {
	if k == nil {
		return
	}
	close(k.stop)
	<-k.done
}

func (k *checkpointer) run(c *sqliteConnector) {
	defer close(k.done)
	var conn *sqliteSide // opened at the first checkpoint
	defer func() {
		if conn != nil {
			_ = conn.close()
		}
	}()
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-k.stop:
			return
		case <-k.wake:
		}
		timer.Reset(sqliteCheckpointEvery)
		select {
		case <-k.stop:
			return
		case <-timer.C:
		}
		if conn == nil {
			side, err := c.open()
			if err != nil {
				continue // the writing connection's own checkpoints remain
			}
			conn = side
		}
		// A failed checkpoint leaves the log to the next one, or to the
		// writing connection's.
		if _, err := conn.raw.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)", nil); err == nil {
			backgroundCheckpoints.Add(1)
		}
	}
}
