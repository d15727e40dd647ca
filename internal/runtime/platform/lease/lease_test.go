package lease_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/lease"
)

// ddl creates the leases table as a service's migrations do, per dialect
// (generators/service/migrations.go, group leases).
var ddl = map[database.Dialect]string{
	database.SQLite:   `CREATE TABLE leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)`,
	database.Postgres: `CREATE TABLE leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, acquired_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`,
	database.MySQL:    "CREATE TABLE leases (name VARCHAR(255) NOT NULL PRIMARY KEY, owner VARCHAR(255) NOT NULL, token BIGINT NOT NULL, acquired_at DATETIME(6) NOT NULL, expires_at DATETIME(6) NOT NULL)",
}

// forEachStore runs test on a database with the leases table in SQLite
// and, when TEST_POSTGRES_URL or TEST_MYSQL_URL points at a server, in
// PostgreSQL and MySQL.
func forEachStore(t *testing.T, test func(t *testing.T, db *database.DB)) {
	stores := map[string]string{"sqlite": "", "postgres": "TEST_POSTGRES_URL", "mysql": "TEST_MYSQL_URL"}
	for _, store := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(store, func(t *testing.T) {
			if env := stores[store]; env != "" && os.Getenv(env) == "" {
				t.Skipf("%s is not set", env)
			}
			db := dbtest.Open(t, "lease", store)
			if _, err := db.ExecContext(t.Context(), ddl[db.Dialect]); err != nil {
				t.Fatal(err)
			}
			test(t, db)
		})
	}
}

// clock is a clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func replica(db *database.DB, name, owner string, c *clock) *lease.Lease {
	l := &lease.Lease{DB: db, Name: name, Owner: owner, TTL: 10 * time.Second}
	if c != nil {
		l.Now = c.Now
	}
	return l
}

func acquire(t *testing.T, l *lease.Lease, want bool) {
	t.Helper()
	got, err := l.Acquire(t.Context())
	if err != nil {
		t.Fatalf("%s: Acquire: %v", l.Owner, err)
	}
	if got != want {
		t.Fatalf("%s: Acquire = %v, want %v", l.Owner, got, want)
	}
	if role := map[bool]lease.Role{true: lease.Active, false: lease.Standby}[want]; l.Role() != role {
		t.Fatalf("%s: role %s after Acquire = %v, want %s", l.Owner, l.Role(), got, role)
	}
}

// A holder that renews keeps the lease; once it stops, the lease expires
// and a standby replica takes it over with a bigger token.
func TestTakenOverAfterExpiry(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		c := newClock()
		a, b := replica(db, "relay", "a", c), replica(db, "relay", "b", c)
		acquire(t, a, true)
		acquire(t, b, false)
		if a.Token() != 1 || b.Token() != 0 {
			t.Fatalf("tokens a=%d b=%d, want 1 and 0", a.Token(), b.Token())
		}
		for range 5 { // renewed every 8s, the lease outlives its 10s TTL
			c.Add(8 * time.Second)
			acquire(t, a, true)
			acquire(t, b, false)
		}
		c.Add(10*time.Second - time.Microsecond)
		acquire(t, b, false) // not yet expired
		if !a.Active() {
			t.Fatal("a is not active within its TTL")
		}
		c.Add(time.Microsecond)
		if a.Active() {
			t.Fatal("a still thinks it is active past its TTL")
		}
		acquire(t, b, true)
		if b.Token() != 2 {
			t.Fatalf("token after the takeover = %d, want 2", b.Token())
		}
		acquire(t, a, false)
	})
}

// A holder that paused past its TTL, while another replica took the lease
// over, cannot renew it: its token is stale (fencing).
func TestStaleHolderCannotRenew(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		c := newClock()
		a, b := replica(db, "projection orders", "a", c), replica(db, "projection orders", "b", c)
		acquire(t, a, true)
		c.Add(11 * time.Second) // a pauses (a long GC, a frozen VM) past its TTL
		acquire(t, b, true)
		err := a.Renew(t.Context())
		if !errors.Is(err, lease.ErrLost) {
			t.Fatalf("a stale holder's renewal: %v, want ErrLost", err)
		}
		if a.Active() || a.Token() != 0 {
			t.Fatalf("a refused renewal left a active (token %d)", a.Token())
		}
		var owner string
		var token int64
		if err := db.QueryRowContext(t.Context(), "SELECT owner, token FROM leases WHERE name = 'projection orders'").Scan(&owner, &token); err != nil {
			t.Fatal(err)
		}
		if owner != "b" || token != 2 {
			t.Fatalf("lease held by %s with token %d, want b with 2", owner, token)
		}
		// b keeps it: a renewal by b still works.
		c.Add(5 * time.Second)
		if err := b.Renew(t.Context()); err != nil {
			t.Fatalf("the holder's renewal: %v", err)
		}
		// A replica that never held it cannot renew it either.
		if err := replica(db, "projection orders", "c", c).Renew(t.Context()); !errors.Is(err, lease.ErrLost) {
			t.Fatalf("a non-holder's renewal: %v, want ErrLost", err)
		}
	})
}

// Released, a lease is taken over at once, not after its TTL.
func TestReleaseHandsOver(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		c := newClock()
		a, b := replica(db, "relay", "a", c), replica(db, "relay", "b", c)
		acquire(t, a, true)
		if err := a.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
		if a.Active() {
			t.Fatal("a is active after releasing")
		}
		acquire(t, b, true)
		acquire(t, a, false)
		if b.Token() != 2 {
			t.Fatalf("token = %d, want 2", b.Token())
		}
	})
}

// Of many replicas racing for a lease, free or expired, exactly one gets
// it.
func TestOneWinsTheRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		c := newClock()
		race := func() int {
			var won atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					l := replica(db, "relay", string(rune('a'+i)), c)
					ok, err := l.Acquire(context.Background())
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			return int(won.Load())
		}
		if n := race(); n != 1 {
			t.Fatalf("%d replicas took a new lease, want 1", n)
		}
		c.Add(time.Minute)
		if n := race(); n != 1 {
			t.Fatalf("%d replicas took an expired lease, want 1", n)
		}
	})
}

// Work due once per interval runs once per interval, whichever replica
// gets to it first.
func TestDueOncePerInterval(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		c := newClock()
		replicas := []*lease.Lease{replica(db, "prune", "a", c), replica(db, "prune", "b", c), replica(db, "prune", "c", c)}
		const every = time.Hour
		rounds := 0
		// Every replica looks every minute for 10 hours.
		for range 10 * 60 {
			for _, r := range replicas {
				due, err := r.Due(t.Context(), every)
				if err != nil {
					t.Fatal(err)
				}
				if due {
					rounds++
					if !r.Active() {
						t.Fatalf("%s did a round but is not active", r.Owner)
					}
				}
			}
			active := 0
			for _, r := range replicas {
				if r.Active() {
					active++
				}
			}
			if active != 1 {
				t.Fatalf("%d replicas active for the round, want 1", active)
			}
			c.Add(time.Minute)
		}
		if rounds != 10 {
			t.Fatalf("%d rounds in 10 hours, want 10", rounds)
		}
	})
}

// Run runs the work on one replica at a time: a standby takes over soon
// after the active replica stops (released) or dies (expired).
func TestRunHandsOver(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *database.DB) {
		const ttl = 300 * time.Millisecond
		var running, overlaps atomic.Int32
		work := func(who *atomic.Int32) func(context.Context) {
			return func(ctx context.Context) {
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				who.Add(1)
				<-ctx.Done()
				running.Add(-1)
			}
		}
		var startedA, startedB atomic.Int32
		a := &lease.Lease{DB: db, Name: "relay", Owner: "a", TTL: ttl}
		b := &lease.Lease{DB: db, Name: "relay", Owner: "b", TTL: ttl}
		ctxA, stopA := context.WithCancel(t.Context())
		doneA := make(chan struct{})
		go func() { defer close(doneA); a.Run(ctxA, work(&startedA)) }()
		waitFor(t, "a to become active", func() bool { return a.Active() && startedA.Load() == 1 })
		ctxB, stopB := context.WithCancel(t.Context())
		doneB := make(chan struct{})
		go func() { defer close(doneB); b.Run(ctxB, work(&startedB)) }()
		time.Sleep(3 * ttl) // a renews; b stands by
		if startedB.Load() != 0 || b.Active() || !a.Active() {
			t.Fatalf("b took over from a live holder (b started %d times)", startedB.Load())
		}
		stopped := time.Now()
		stopA()
		<-doneA
		waitFor(t, "b to take over", func() bool { return b.Active() && startedB.Load() == 1 })
		if took := time.Since(stopped); took > ttl {
			t.Errorf("a released lease was taken over after %v, want within %v", took, ttl/5)
		}

		// A holder that dies without releasing: c holds the lease and
		// never renews it.
		stopB()
		<-doneB
		c := &lease.Lease{DB: db, Name: "relay", Owner: "c", TTL: ttl}
		waitFor(t, "c to take the lease", func() bool { ok, _ := c.Acquire(t.Context()); return ok })
		died := time.Now()
		var startedD atomic.Int32
		d := &lease.Lease{DB: db, Name: "relay", Owner: "d", TTL: ttl}
		ctxD, stopD := context.WithCancel(t.Context())
		doneD := make(chan struct{})
		go func() { defer close(doneD); d.Run(ctxD, work(&startedD)) }()
		waitFor(t, "d to take over", func() bool { return startedD.Load() == 1 })
		if took := time.Since(died); took < ttl {
			t.Errorf("d took over after %v, before the TTL of %v", took, ttl)
		}
		stopD()
		<-doneD
		if overlaps.Load() != 0 {
			t.Fatalf("work ran on two replicas at once %d times", overlaps.Load())
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
