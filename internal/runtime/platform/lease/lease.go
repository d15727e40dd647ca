// Package lease lets the replicas of a service share background work that
// must run on one replica at a time: each such worker (the outbox relay, a
// projection, the pruner) runs under a named lease in the service's own
// database, table leases, which one replica holds at a time.
//
// A lease row holds its holder (Owner, unique per process), its fencing
// token and when it expires. The holder renews it well before it expires;
// the other replicas stand by and take it over once it has expired (the
// holder died or lost its database) or was released (the holder stopped
// cleanly). Every change is a compare-and-set on the token, one code path
// for SQLite, PostgreSQL and MySQL: of two replicas taking an expired lease
// at once one wins, and a holder that paused past its expiry and finds the
// lease taken over cannot renew it (its token is stale): it stops its work.
// The token grows with every takeover and never goes back, so work that
// must refuse a stale holder can compare tokens.
//
// Leases belong to the service, not to a tenant: its background workers
// follow the rows of every tenant, so in a multi-tenant system the table
// has no tenant column.
//
// Expiry is compared with the clock of the replica looking at the lease, so
// the clocks of the replicas must agree to well within the lease's TTL (NTP
// keeps them within milliseconds; the default TTL is 10s).
package lease

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

// Table is the table of leases every service's migrations create.
const Table = "leases"

// DefaultTTL is how long a lease lasts without a renewal: how long the
// replicas wait for a holder that died before one of them takes over.
const DefaultTTL = 10 * time.Second

// Role is what a replica does for a worker: the active replica runs it,
// the others stand by.
type Role string

// Roles.
const (
	Active  Role = "active"
	Standby Role = "standby"
)

// Lease is a lease of one name, as one process (Owner) sees it. Its zero
// configuration values take defaults; set DB, Name and Owner.
type Lease struct {
	DB *database.DB
	// Name names the lease, the same in every replica: "relay",
	// "projection orders@3f2a9c1b0d4e", "prune".
	Name string
	// Owner identifies this process among the replicas (NewOwner).
	Owner string
	// TTL is how long the lease lasts without a renewal, DefaultTTL when
	// zero. The holder renews it every TTL/5, so it survives a few failed
	// renewals; a standby replica tries to take it as often.
	TTL time.Duration
	// Now is the clock, time.Now when nil (tests move it by hand).
	Now func() time.Time
	// Logger receives a line whenever the lease changes hands here; nil
	// logs nothing.
	Logger *slog.Logger

	mu       sync.Mutex
	token    int64     // the fencing token while this process holds the lease, 0 otherwise
	deadline time.Time // until when it holds it at the latest: when its last renewal began, plus TTL
}

// ErrLost is returned by Renew when another replica took the lease over.
var ErrLost = errors.New("the lease is held by another replica")

// NewOwner returns a name for this process, unique among the replicas:
// its host name (a Kubernetes pod's name) and a random suffix.
func NewOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

func (l *Lease) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultTTL
}

// now is the clock's time in UTC, to the microsecond every database keeps.
func (l *Lease) now() time.Time {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// Interval is how often the holder renews the lease and a standby replica
// tries to take it: a fifth of its TTL.
func (l *Lease) Interval() time.Duration { return l.ttl() / 5 }

// Active reports whether this process holds the lease now: it took or
// renewed it less than TTL ago and has not lost or released it since.
func (l *Lease) Active() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token != 0 && l.now().Before(l.deadline)
}

// Role is Active while this process holds the lease, Standby otherwise.
func (l *Lease) Role() Role {
	if l.Active() {
		return Active
	}
	return Standby
}

// Token returns the fencing token of the lease while this process holds
// it, 0 otherwise. Every takeover increases it.
func (l *Lease) Token() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token
}

// held records that this process holds the lease with token until
// deadline; token 0 records that it does not.
func (l *Lease) held(token int64, deadline time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.token, l.deadline = token, deadline
	if token == 0 {
		l.deadline = time.Time{}
	}
}

// Acquire takes the lease or, when this process holds it, renews it, and
// reports whether this process holds it now. It takes a lease that nobody
// held yet, or whose holder let it expire or released it; a lease another
// replica holds stays with that replica.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	if l.Token() != 0 {
		err := l.Renew(ctx)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ErrLost) {
			return false, err
		}
	}
	ok, err := l.take(ctx, l.ttl())
	if err != nil {
		return false, err
	}
	return ok, nil
}

// take takes the lease for ttl when it is free (never held, expired or
// released) and records it held; it reports whether it did.
func (l *Lease) take(ctx context.Context, ttl time.Duration) (bool, error) {
	start := l.now()
	token, err := l.swap(ctx, start, ttl)
	if err != nil || token == 0 {
		return false, err
	}
	l.held(token, start.Add(ttl))
	if l.Logger != nil {
		l.Logger.InfoContext(ctx, "lease taken: this replica is active", "lease", l.Name, "token", token, "owner", l.Owner)
	}
	return true, nil
}

// swap makes this process the holder when the lease is
// free at start, until start+ttl, by compare-and-set on its token, and returns the new
// token; 0 when the lease is held by another replica or another replica
// took it first.
func (l *Lease) swap(ctx context.Context, start time.Time, ttl time.Duration) (int64, error) {
	d := l.DB.Dialect
	var (
		owner   string
		token   int64
		expires database.NullTime
	)
	err := l.DB.QueryRowContext(ctx, d.Rebind("SELECT owner, token, expires_at FROM "+d.Quote(Table)+" WHERE name = ?"), l.Name).
		Scan(&owner, &token, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		query := d.Rebind("INSERT INTO " + d.Quote(Table) + " (name, owner, token, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)")
		if _, err := l.DB.ExecContext(ctx, query, l.Name, l.Owner, 1, start, start.Add(ttl)); err != nil {
			if database.IsUniqueViolation(err) {
				return 0, nil // another replica created it first
			}
			return 0, fmt.Errorf("take lease %s: %w", l.Name, err)
		}
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read lease %s: %w", l.Name, err)
	}
	if start.Before(expires.Time) {
		return 0, nil // held, by another replica or (Due) by this one
	}
	query := d.Rebind("UPDATE " + d.Quote(Table) + " SET owner = ?, token = ?, acquired_at = ?, expires_at = ? WHERE name = ? AND token = ?")
	res, err := l.DB.ExecContext(ctx, query, l.Owner, token+1, start, start.Add(ttl), l.Name, token)
	if err != nil {
		return 0, fmt.Errorf("take lease %s: %w", l.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, err // another replica took it first
	}
	return token + 1, nil
}

// Renew extends the lease this process holds by its TTL. It fails with
// ErrLost, and this process no longer holds the lease, when it did not
// hold it or another replica took it over meanwhile (the lease expired
// and the token moved on): a stale holder cannot renew.
func (l *Lease) Renew(ctx context.Context) error {
	token := l.Token()
	if token == 0 {
		return fmt.Errorf("renew lease %s: %w", l.Name, ErrLost)
	}
	start := l.now()
	d := l.DB.Dialect
	query := d.Rebind("UPDATE " + d.Quote(Table) + " SET expires_at = ? WHERE name = ? AND owner = ? AND token = ?")
	res, err := l.DB.ExecContext(ctx, query, start.Add(l.ttl()), l.Name, l.Owner, token)
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	if n != 1 {
		l.held(0, time.Time{})
		if l.Logger != nil {
			l.Logger.WarnContext(ctx, "lease lost to another replica: standing by", "lease", l.Name, "token", token, "owner", l.Owner)
		}
		return fmt.Errorf("renew lease %s: %w", l.Name, ErrLost)
	}
	l.held(token, start.Add(l.ttl()))
	return nil
}

// Release gives the lease up, when this process holds it, so that a
// standby replica takes it over at its next try instead of after the TTL.
func (l *Lease) Release(ctx context.Context) error {
	token := l.Token()
	if token == 0 {
		return nil
	}
	l.held(0, time.Time{})
	d := l.DB.Dialect
	query := d.Rebind("UPDATE " + d.Quote(Table) + " SET expires_at = ? WHERE name = ? AND owner = ? AND token = ?")
	if _, err := l.DB.ExecContext(ctx, query, l.now(), l.Name, l.Owner, token); err != nil {
		return fmt.Errorf("release lease %s: %w", l.Name, err)
	}
	if l.Logger != nil {
		l.Logger.InfoContext(ctx, "lease released", "lease", l.Name, "token", token, "owner", l.Owner)
	}
	return nil
}

// Due reports whether work done once per every across all replicas is
// due here: it takes the lease for every when it is free, and never
// renews or releases it, so that whichever replica finds it expired first
// does the next round and the others skip it. Call it more often than
// every (every replica does), so the rounds stay about every apart. The
// replica that took the current round is Active until the next one is
// due.
func (l *Lease) Due(ctx context.Context, every time.Duration) (bool, error) {
	start := l.now()
	token, err := l.swap(ctx, start, every)
	if token != 0 {
		l.held(token, start.Add(every))
	}
	return token != 0, err
}

// Run runs work while this process holds the lease, until ctx is done or
// work returns. It tries to take the lease every Interval; once it has, it
// starts work and renews the lease every Interval. When the lease is lost
// (another replica took it over, or no renewal succeeded within the TTL,
// after which another replica may take it over) it cancels work's context,
// waits for work to return and stands by again. When ctx is done it waits
// for work and releases the lease, so a standby replica takes over within
// one Interval.
func (l *Lease) Run(ctx context.Context, work func(context.Context)) {
	failures := 0
	for {
		ok, err := l.Acquire(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			if l.Logger != nil && (failures == 1 || failures%50 == 0) {
				l.Logger.WarnContext(ctx, "lease: cannot reach the lease table, standing by", "lease", l.Name, "error", err, "failures", failures)
			}
		case ok:
			failures = 0
			if returned := l.hold(ctx, work); returned {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.Interval()):
		}
	}
}

// hold runs work while the lease is held, renewing it; it reports whether
// Run is over (ctx done or work returned by itself).
func (l *Lease) hold(ctx context.Context, work func(context.Context)) bool {
	workCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(workCtx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	release := func() {
		releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := l.Release(releaseCtx); err != nil && l.Logger != nil {
			l.Logger.WarnContext(ctx, "lease: release failed; a standby replica takes over when it expires", "lease", l.Name, "error", err)
		}
	}
	ticker := time.NewTicker(l.Interval())
	defer ticker.Stop()
	for {
		l.mu.Lock()
		expiry := time.NewTimer(max(l.deadline.Sub(l.now()), 0))
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			expiry.Stop()
			stop()
			release()
			return true
		case <-done:
			expiry.Stop()
			cancel()
			release()
			return true
		case <-expiry.C:
			// No renewal succeeded within the TTL: another replica may
			// hold the lease by now.
			stop()
			l.held(0, time.Time{})
			if l.Logger != nil {
				l.Logger.WarnContext(ctx, "lease expired before it could be renewed: standing by", "lease", l.Name)
			}
			return false
		case <-ticker.C:
			expiry.Stop()
			renewCtx, cancelRenew := context.WithTimeout(ctx, l.Interval())
			err := l.Renew(renewCtx)
			cancelRenew()
			if errors.Is(err, ErrLost) {
				stop()
				return false
			}
			if err != nil && ctx.Err() == nil && l.Logger != nil {
				l.Logger.WarnContext(ctx, "lease: renewal failed, retrying", "lease", l.Name, "error", err)
			}
		}
	}
}
