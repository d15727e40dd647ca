package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"connectrpc.com/connect"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// platformMigrations create the tables pruning and leases use, as a
// service's first migration does on SQLite.
var platformMigrations = fstest.MapFS{
	"migrations/sqlite/00001_outbox.sql": {Data: []byte(`-- +goose Up
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, aggregate_id TEXT NOT NULL,
	event_type TEXT NOT NULL, subject TEXT NOT NULL, payload BLOB NOT NULL, occurred_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP NULL, trace_parent TEXT NULL, saga_context TEXT NULL, aggregate_version INTEGER NULL);
CREATE TABLE processed_events (consumer TEXT NOT NULL, event_id TEXT NOT NULL, processed_at TIMESTAMP NOT NULL, PRIMARY KEY (consumer, event_id));
CREATE TABLE idempotency_keys (idem_key TEXT NOT NULL, method TEXT NOT NULL, response BLOB NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (idem_key, method));
CREATE TABLE leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL);

-- +goose Down
DROP TABLE leases;
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
`)},
}

// countRounds is a log handler counting pruning rounds.
type countRounds struct {
	slog.Handler
	rounds *atomic.Int32
}

func (h countRounds) Enabled(context.Context, slog.Level) bool { return true }

func (h countRounds) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "pruning round" {
		h.rounds.Add(1)
	}
	return nil
}

func (h countRounds) WithAttrs([]slog.Attr) slog.Handler { return h }

// replicas starts n servers of one service on one SQLite file, each
// with a singleton worker that counts how many replicas run it at once,
// and returns them with a function stopping replica i.
func replicas(t *testing.T, n int, cfg Config, singleton func(context.Context)) ([]*Server, []*atomic.Int32, func(i int)) {
	t.Helper()
	keys, err := identity.GenerateKeys("svc")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Identity = keys["svc"]
	cfg.DatabaseURL = "sqlite:" + filepath.Join(t.TempDir(), "svc.db")
	spec := Spec{Name: "svc", EnvPrefix: "SVC", Migrations: platformMigrations}
	build := func(ctx context.Context, db *database.DB, tel *telemetry.Telemetry) (Parts, error) {
		parts := Parts{
			Ready: func(ctx context.Context) error { return db.PingContext(ctx) },
			Mount: func(*http.ServeMux, ...connect.HandlerOption) {},
		}
		if singleton != nil {
			parts.Singletons = []Singleton{{Name: "projection:things", Run: singleton}}
		}
		return parts, nil
	}
	var (
		servers []*Server
		rounds  []*atomic.Int32
		stops   []func()
	)
	for range n {
		count := new(atomic.Int32)
		c := cfg
		c.Logger = slog.New(countRounds{Handler: slog.NewTextHandler(io.Discard, nil), rounds: count})
		srv, err := New(t.Context(), c, spec, build)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := srv.Serve(ctx, ln); err != nil {
				t.Error(err)
			}
		}()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				<-done
				srv.Close()
			})
		}
		t.Cleanup(stop)
		servers, rounds, stops = append(servers, srv), append(rounds, count), append(stops, stop)
	}
	return servers, rounds, func(i int) { stops[i]() }
}

// Two replicas prune once per interval between them, not once each.
func TestPruneOncePerIntervalAcrossReplicas(t *testing.T) {
	cfg := DefaultConfig(0)
	cfg.PruneInterval = 200 * time.Millisecond
	servers, rounds, stop := replicas(t, 2, cfg, nil)
	const run = 1500 * time.Millisecond
	time.Sleep(run)
	stop(0)
	stop(1)
	total := rounds[0].Load() + rounds[1].Load()
	// One round at start, then one per interval: 8 at most in 1.5s
	// (every replica looking for a due round every 20ms), where two
	// replicas pruning independently would do 16.
	if maxRounds := int32(run/cfg.PruneInterval) + 1; total < 3 || total > maxRounds {
		t.Fatalf("%d pruning rounds (%d and %d) in %v with an interval of %v, want at most %d", total, rounds[0].Load(), rounds[1].Load(), run, cfg.PruneInterval, maxRounds)
	}
	db, err := database.Open(t.Context(), servers[0].cfg.DatabaseURL, "", "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var token int32
	if err := db.QueryRowContext(t.Context(), "SELECT token FROM leases WHERE name = 'prune'").Scan(&token); err != nil {
		t.Fatal(err)
	}
	// A round taken as the replica stops may not run (its context is
	// done): rounds never outnumber the times the lease was taken.
	if total > token || token > total+2 {
		t.Fatalf("the prune lease was taken %d times, but %d rounds ran", token, total)
	}
}

// A singleton runs on one replica, the other stands by, reports its role
// in /readyz while ready, and takes over when the active replica stops.
func TestSingletonRunsOnOneReplica(t *testing.T) {
	cfg := DefaultConfig(0)
	cfg.LeaseTTL = 500 * time.Millisecond
	var running, overlaps, starts atomic.Int32
	servers, _, stop := replicas(t, 2, cfg, func(ctx context.Context) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		starts.Add(1)
		<-ctx.Done()
		running.Add(-1)
	})
	const worker = "projection:things"
	waitUntil(t, "a replica to run the singleton", func() bool { return starts.Load() == 1 })
	time.Sleep(3 * cfg.LeaseTTL / 5)
	active, standby := servers[0], servers[1]
	if !active.Lease(worker).Active() {
		active, standby = standby, active
	}
	if !active.Lease(worker).Active() || standby.Lease(worker).Active() || starts.Load() != 1 {
		t.Fatalf("roles: %v and %v, %d starts; want one active replica", servers[0].roles(), servers[1].roles(), starts.Load())
	}
	rec := readyz(t, standby)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), worker+": standby") {
		t.Fatalf("/readyz of the standby replica: %d %q, want 200 naming its role", rec.Code, rec.Body)
	}
	if rec := readyz(t, active); !strings.Contains(rec.Body.String(), worker+": active") {
		t.Fatalf("/readyz of the active replica: %q", rec.Body)
	}
	if active == servers[0] {
		stop(0)
	} else {
		stop(1)
	}
	waitUntil(t, "the standby replica to take over", func() bool { return standby.Lease(worker).Active() && starts.Load() == 2 })
	if overlaps.Load() != 0 {
		t.Fatalf("the singleton ran on two replicas at once")
	}
}

func readyz(t *testing.T, s *Server) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
