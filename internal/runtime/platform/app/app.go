// Package app runs a service of the system. What every service shares lives
// here: its configuration and how the environment sets it, the wiring that
// opens and migrates its database, connects to NATS, publishes its outbox,
// runs its consumers and background work, prunes what outlived its
// retention, serves its endpoints behind the service identity guard and
// shuts all of it down. A service declares what it is in a Spec and builds
// its own parts (internal/<service>/run.go); this package does the rest.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/microforge/microforge/internal/runtime/platform/config"
	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/lease"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/server"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// CompressMinBytes is the smallest response a service compresses for a
// caller that accepts gzip. Smaller ones, most of them (an entity, an
// empty response), go as they are: between services, or from a service
// to the gateway, compressing them costs more CPU than the bytes it saves
// (about 5% of a loaded system's CPU went to gzip before this).
const CompressMinBytes = 1024

// Config is what every service needs to run; a service's own Config
// embeds it and adds the URLs of the services it calls and its limits.
type Config struct {
	// Addr is the listen address, ":<default port>" unless env PORT sets the port.
	Addr string
	// DatabaseURL selects the database (env DATABASE_URL): postgres://...,
	// mysql://user:pass@tcp(host:3306)/db, sqlite:path or empty for the SQLite
	// file <service>.db in DataDir.
	DatabaseURL string
	// DatabaseMaxConns bounds the connections to a PostgreSQL or MySQL
	// server (env DB_MAX_CONNS), database.DefaultMaxConns by default. Keep
	// replicas × DB_MAX_CONNS of every service on a server below its
	// max_connections.
	DatabaseMaxConns int
	// DataDir holds SQLite files (env DATA_DIR), "data" by default.
	DataDir string
	// ShutdownTimeout bounds a graceful shutdown (env SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// NATSURL is the NATS server with JetStream that carries events (env
	// NATS_URL), for services that publish or consume events; a cluster's
	// servers comma-separated, "nats://a:4222,nats://b:4222".
	NATSURL string
	// NATSStreamReplicas is the number of copies of the event stream and of
	// each durable consumer's state (env NATS_STREAM_REPLICAS): 1 for a
	// single server, 3 on a JetStream cluster of 3 or more nodes, where the
	// events survive the loss of a node. Every service of the system must
	// use the same number.
	NATSStreamReplicas int
	// EventMaxAttempts is how often a consumed event is tried before it is
	// dead-lettered (env EVENT_MAX_ATTEMPTS).
	EventMaxAttempts int
	// EventRetryBackoff is the delay before the first retry of a failed
	// event, doubled for each next one (env EVENT_RETRY_BACKOFF).
	EventRetryBackoff time.Duration
	// OutboxRetention is how long published events stay in the outbox
	// (env OUTBOX_RETENTION); an event-sourced service keeps them: its
	// outbox is its event store.
	OutboxRetention time.Duration
	// IdempotencyRetention is how long the responses stored under
	// idempotency keys and the records of processed events are kept (env
	// IDEMPOTENCY_RETENTION).
	IdempotencyRetention time.Duration
	// PruneInterval is how often what outlived its retention is deleted
	// (env PRUNE_INTERVAL), by one replica per round; 0 never does.
	PruneInterval time.Duration
	// LeaseTTL is how long a replica running a worker that runs on one
	// replica at a time (the outbox relay, a projection) keeps it
	// without renewing (env LEASE_TTL): when a replica dies, another
	// takes its workers over within LeaseTTL and a fifth. One that stops
	// cleanly hands them over within a fifth of it.
	LeaseTTL time.Duration
	// Logger receives the service's logs (env LOG_FORMAT json|text, LOG_LEVEL).
	Logger *slog.Logger
	// SpanExporter, when set, receives every span the service makes (tests
	// pass an in-memory exporter, cmd/local its dashboard's recorder).
	// Spans are also exported over OTLP when the system traces and
	// OTEL_EXPORTER_OTLP_ENDPOINT is set.
	SpanExporter sdktrace.SpanExporter
	// Identity is the service's private key and its peers' public keys
	// (env SERVICE_PRIVATE_KEY, <PEER>_PUBLIC_KEY); New refuses to start
	// without it.
	Identity *identity.Keys
}

// DefaultConfig returns the configuration used when no environment
// variable is set: SQLite in ./data, listening on port.
func DefaultConfig(port int) Config {
	return Config{
		Addr:                 ":" + strconv.Itoa(port),
		DataDir:              "data",
		DatabaseMaxConns:     database.DefaultMaxConns,
		ShutdownTimeout:      15 * time.Second,
		NATSURL:              "nats://127.0.0.1:4222",
		NATSStreamReplicas:   1,
		EventMaxAttempts:     5,
		EventRetryBackoff:    500 * time.Millisecond,
		OutboxRetention:      7 * 24 * time.Hour,
		IdempotencyRetention: 7 * 24 * time.Hour,
		PruneInterval:        time.Hour,
		LeaseTTL:             lease.DefaultTTL,
		Logger:               slog.Default(),
	}
}

// Read sets the fields from env, keeping the current value of each unset
// variable, and loads the service identity of name, who trusts peers.
// Errors of malformed variables are env's (env.Err).
func (c *Config) Read(env *config.Env, name string, port int, peers []string) error {
	c.Addr = ":" + strconv.Itoa(env.Int("PORT", port))
	c.DatabaseURL = env.String("DATABASE_URL", c.DatabaseURL)
	c.DatabaseMaxConns = env.Int("DB_MAX_CONNS", c.DatabaseMaxConns)
	c.DataDir = env.String("DATA_DIR", c.DataDir)
	c.ShutdownTimeout = env.Duration("SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	c.NATSURL = env.String("NATS_URL", c.NATSURL)
	c.NATSStreamReplicas = env.Int("NATS_STREAM_REPLICAS", c.NATSStreamReplicas)
	c.EventMaxAttempts = env.Int("EVENT_MAX_ATTEMPTS", c.EventMaxAttempts)
	c.EventRetryBackoff = env.Duration("EVENT_RETRY_BACKOFF", c.EventRetryBackoff)
	c.OutboxRetention = env.Duration("OUTBOX_RETENTION", c.OutboxRetention)
	c.IdempotencyRetention = env.Duration("IDEMPOTENCY_RETENTION", c.IdempotencyRetention)
	c.PruneInterval = env.Duration("PRUNE_INTERVAL", c.PruneInterval)
	c.LeaseTTL = env.Duration("LEASE_TTL", c.LeaseTTL)
	logger, err := logging.New(os.Stderr, env.String("LOG_FORMAT", "json"), env.String("LOG_LEVEL", "info"))
	if err != nil {
		return err
	}
	c.Logger = logger.With("service", name)
	keys, err := identity.LoadKeys(env, name, peers)
	if err != nil {
		return err
	}
	c.Identity = keys
	return nil
}

// Spec is what a service is, as the blueprint declares it.
type Spec struct {
	// Name names the service: its identity, SQLite file, logs and spans.
	Name string
	// EnvPrefix prefixes its environment variables, "ORDERS".
	EnvPrefix string
	// Callers says who may call each endpoint; everyone else gets
	// PermissionDenied.
	Callers identity.Policy
	// ProtoServices are the full names of its protobuf services, for gRPC
	// health and reflection.
	ProtoServices []string
	// Migrations holds the goose migrations of every dialect, in
	// migrations/<dialect>/; Schema is every table and column its SQL uses.
	Migrations fs.FS
	Schema     []database.Table
	// Tracing and Metrics are the blueprint's observability switches.
	Tracing, Metrics bool
	// Events: the service publishes its outbox on NATS (Source is the
	// CloudEvents source of what it publishes) and may consume events.
	Events bool
	Source string
	// EventSourced: the outbox is the event store, never pruned.
	EventSourced bool
}

// Parts are what a service brings to its server, built once its database
// is open and migrated.
type Parts struct {
	// Ready reports whether the service can serve, for /readyz.
	Ready func(context.Context) error
	// Mount registers the service's handlers on mux.
	Mount func(mux *http.ServeMux, opts ...connect.HandlerOption)
	// Handlers are the event handlers of its consumers.
	Handlers []events.Handler
	// Workers run in the background while the server serves, on every
	// replica, each until its context is done: saga runners.
	Workers []func(context.Context)
	// Singletons run in the background on one replica at a time, each
	// under the lease of its name: projectors.
	Singletons []Singleton
}

// Singleton is a background worker that runs on one replica at a time:
// the replica holding the lease Name runs it until its context is done,
// the others stand by and one of them takes over when it goes (package
// lease).
type Singleton struct {
	Name string // the lease, "projection:orders@3f2a9c1b0d4e"
	Run  func(context.Context)
}

// Build returns the parts of a service over its open database; tel is its
// telemetry, for the parts to report to.
type Build func(ctx context.Context, db *database.DB, tel *telemetry.Telemetry) (Parts, error)

// Server is a service ready to serve: database open and migrated, handlers
// built.
type Server struct {
	cfg     Config
	spec    Spec
	db      *database.DB
	tel     *telemetry.Telemetry
	nc      *nats.Conn // nil without events
	js      jetstream.JetStream
	parts   Parts
	handler http.Handler
	// leases of the workers that run on one replica at a time: the relay
	// (with events), the singletons and the pruner, in that order.
	leases []*lease.Lease
}

// New opens the database, applies migrations, refuses a database that
// lacks a table or column the code uses, builds the service's parts and
// the handler of every endpoint (the service's RPCs, /healthz, /readyz,
// gRPC health and reflection; every endpoint but health, readiness and
// reflection requires a service token of an allowed caller) and, for a
// service with events, connects to NATS in the background: a broker that
// is down delays events, not the service. Close the Server when done.
func New(ctx context.Context, cfg Config, spec Spec, build Build) (*Server, error) {
	if err := cfg.Identity.Validate(); err != nil {
		return nil, fmt.Errorf("%w: the service needs its key (env %s, see go run ./cmd/keys)", err, identity.PrivateKeyEnv)
	}
	if cfg.Identity.Name != spec.Name {
		return nil, fmt.Errorf("service identity is %q, want %q", cfg.Identity.Name, spec.Name)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.NATSStreamReplicas < 0 || cfg.NATSStreamReplicas > 5 {
		return nil, fmt.Errorf("NATS_STREAM_REPLICAS=%d: JetStream keeps 1 to 5 copies of a stream (1 on a single server, 3 on a cluster of 3 nodes)", cfg.NATSStreamReplicas)
	}
	s := &Server{cfg: cfg, spec: spec}
	if err := s.open(ctx, build); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// open does New's work; on error, Close releases what it opened.
func (s *Server) open(ctx context.Context, build Build) error {
	var err error
	if s.db, err = database.Open(ctx, s.cfg.DatabaseURL, s.cfg.DataDir, s.spec.Name); err != nil {
		return err
	}
	s.db.SetMaxConns(s.cfg.DatabaseMaxConns)
	if err := s.db.Migrate(ctx, s.spec.Migrations, s.cfg.Logger); err != nil {
		return err
	}
	if err := s.db.CheckSchema(ctx, s.spec.Migrations, s.spec.Schema, s.cfg.Logger); err != nil {
		return fmt.Errorf("the database does not match the code: %w", err)
	}
	s.tel, err = telemetry.New(ctx, telemetry.Config{Service: s.spec.Name, Tracing: s.spec.Tracing, Metrics: s.spec.Metrics, SpanExporter: s.cfg.SpanExporter})
	if err != nil {
		return err
	}
	if s.parts, err = build(ctx, s.db, s.tel); err != nil {
		return err
	}
	s.newLeases()
	if err := s.tel.ObserveRoles(s.observeRoles); err != nil {
		return err
	}
	mux := server.NewProbedMux(server.Probes{Ready: s.parts.Ready, Roles: s.roles}, s.spec.ProtoServices...)
	s.parts.Mount(mux, append(s.tel.HandlerOptions(), connect.WithCompressMinBytes(CompressMinBytes))...)
	s.tel.Mount(mux)
	s.handler = identity.Guard(s.cfg.Identity, s.spec.Callers, mux)
	if !s.spec.Events {
		return nil
	}
	if err := s.tel.ObserveOutbox(func(ctx context.Context) (int64, time.Time, error) { return outbox.Lag(ctx, s.db, s.db.Dialect) }); err != nil {
		return err
	}
	if s.nc, err = events.Connect(s.cfg.NATSURL, s.spec.Name, s.cfg.Logger); err != nil {
		return err
	}
	if s.js, err = jetstream.New(s.nc); err != nil {
		return fmt.Errorf("JetStream: %w", err)
	}
	return nil
}

// Lease names of the relay and the pruner.
const (
	RelayLease = "relay"
	PruneLease = "prune"
)

// newLeases makes the leases of the workers that run on one replica at a
// time, all held by this process under one owner name.
func (s *Server) newLeases() {
	owner := lease.NewOwner()
	add := func(name string) {
		s.leases = append(s.leases, &lease.Lease{DB: s.db, Name: name, Owner: owner, TTL: s.cfg.LeaseTTL, Logger: s.cfg.Logger})
	}
	if s.spec.Events {
		add(RelayLease)
	}
	for _, w := range s.parts.Singletons {
		add(w.Name)
	}
	add(PruneLease)
}

// Lease returns the lease of the worker name, nil when there is none.
func (s *Server) Lease(name string) *lease.Lease {
	for _, l := range s.leases {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// roles are the lines /readyz adds: the role of this replica for each
// worker that runs on one replica at a time ("relay: active"). The
// pruner's is active on the replica that did the current round.
func (s *Server) roles() []string {
	out := make([]string, 0, len(s.leases))
	for _, l := range s.leases {
		out = append(out, l.Name+": "+string(l.Role()))
	}
	return out
}

func (s *Server) observeRoles(observe func(worker string, active bool)) {
	for _, l := range s.leases {
		observe(l.Name, l.Active())
	}
}

// Use wraps the handler of every endpoint with mw; call it before Serve.
func (s *Server) Use(mw func(http.Handler) http.Handler) { s.handler = mw(s.handler) }

// Handler returns the handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is done, then shuts down gracefully.
// Meanwhile it prunes what outlived its retention, runs the service's
// workers and, with events, the outbox relay publishes the recorded events
// and the consumers handle the events the service consumes.
//
// With several replicas on one database, the relay and the singletons
// (projectors) run on one replica at a time, each under its lease, while
// the others stand by; pruning runs once per PruneInterval on whichever
// replica gets to it first. Saga runners and consumers run on every
// replica and share the work. A replica standing by is as ready as the
// active one: it serves requests, and /readyz and worker_active say its
// role.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	background, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.prune(background) })
	for _, work := range s.parts.Workers {
		wg.Go(func() { work(background) })
	}
	for _, w := range s.parts.Singletons {
		wg.Go(func() { s.Lease(w.Name).Run(background, w.Run) })
	}
	if s.spec.Events {
		relay := &events.Relay{DB: s.db, JS: s.js, Source: s.spec.Source, Logger: s.cfg.Logger, Telemetry: s.tel, Replicas: s.cfg.NATSStreamReplicas}
		wg.Go(func() { s.Lease(RelayLease).Run(background, relay.Run) })
	}
	if len(s.parts.Handlers) > 0 {
		consumers := &events.Consumers{
			DB:          s.db,
			JS:          s.js,
			Logger:      s.cfg.Logger,
			MaxAttempts: s.cfg.EventMaxAttempts,
			Backoff:     s.cfg.EventRetryBackoff,
			Telemetry:   s.tel,
			Replicas:    s.cfg.NATSStreamReplicas,
		}
		wg.Go(func() { consumers.Run(background, s.parts.Handlers...) })
	}
	err := server.Serve(ctx, server.New(s.handler, s.cfg.Logger), ln, s.cfg.ShutdownTimeout)
	stop()
	wg.Wait()
	return err
}

// Run serves on the configured address until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another program may hold the port: stop it, or set PORT or %s_PORT to another one)", s.cfg.Addr, err, s.spec.EnvPrefix)
	}
	s.cfg.Logger.Info("serving", "addr", ln.Addr().String(), "protocols", "gRPC, gRPC-Web, Connect")
	return s.Serve(ctx, ln)
}

// Close closes the broker connection and the database, and flushes the
// spans not exported yet.
func (s *Server) Close() error {
	if s.nc != nil {
		s.nc.Close()
	}
	var errs []error
	if s.tel != nil {
		errs = append(errs, s.tel.Shutdown(context.Background()))
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

// prune deletes, once per PruneInterval across all replicas until ctx is
// done, the outbox events published longer than OutboxRetention ago
// (unless the service is event-sourced) and the idempotency keys and
// processed-event records older than IdempotencyRetention. Every replica
// looks a tenth of the interval (at most a minute) apart whether the
// round is due (lease.Due); the first to find it due prunes.
func (s *Server) prune(ctx context.Context) {
	if s.cfg.PruneInterval <= 0 {
		return
	}
	turn := s.Lease(PruneLease)
	ticker := time.NewTicker(max(min(s.cfg.PruneInterval/10, time.Minute), time.Millisecond))
	defer ticker.Stop()
	for {
		due, err := turn.Due(ctx, s.cfg.PruneInterval)
		if due {
			now := time.Now()
			var outboxBefore time.Time
			if !s.spec.EventSourced {
				outboxBefore = now.Add(-s.cfg.OutboxRetention)
			}
			var n int64
			n, err = Prune(ctx, s.db, s.db.Dialect, outboxBefore, now.Add(-s.cfg.IdempotencyRetention))
			s.cfg.Logger.Debug("pruning round", "rows", n, "lease_token", turn.Token())
			if n > 0 {
				s.cfg.Logger.Info("pruned", "rows", n)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("prune failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
