// Package server serves a service's Connect handlers over HTTP/1.1 and
// unencrypted HTTP/2 (h2c) on one port, so gRPC, gRPC-Web and Connect
// clients (including curl with JSON) all work, next to health endpoints.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// NewMux returns a mux with the standard endpoints of a service named
// protoService ("shop.orders.v1.OrdersService"):
//
//   - GET /healthz: liveness, 200 while the process serves;
//   - GET /readyz: readiness, 200 when ready returns nil (the service's
//     database answers and its projections move), 503 with the reason
//     otherwise;
//   - the gRPC health and server reflection services, for grpcurl and
//     Kubernetes gRPC probes.
//
// Mount the service's own Connect handler on the returned mux.
func NewMux(ready func(context.Context) error, protoServices ...string) *http.ServeMux {
	return NewProbedMux(Probes{Ready: ready}, protoServices...)
}

// Probes are what the health endpoints report.
type Probes struct {
	// Ready reports whether the service can serve, nil when it can.
	Ready func(context.Context) error
	// Roles, when set, returns one line per background worker that runs
	// on one replica at a time, "relay: active" or "relay: standby".
	// /readyz prints them after its verdict without changing it: a
	// replica standing by serves requests like the active one, and takes
	// a worker over when the active replica goes.
	Roles func() []string
}

// NewProbedMux is NewMux whose /readyz also reports probes.Roles.
func NewProbedMux(probes Probes, protoServices ...string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := probes.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
		} else {
			fmt.Fprintln(w, "ok")
		}
		if probes.Roles != nil {
			for _, line := range probes.Roles() {
				fmt.Fprintln(w, line)
			}
		}
	})
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(protoServices...)))
	reflector := grpcreflect.NewStaticReflector(protoServices...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	return mux
}

// New returns an HTTP server for handler speaking HTTP/1.1 and h2c.
func New(handler http.Handler, logger *slog.Logger) *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           LogRequests(logger, TraceContext(handler)),
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Serve serves srv on ln until ctx is done, then shuts down gracefully:
// in-flight requests get up to timeout to finish. Once no handler has run
// for drainGrace, the connections still open are closed: an HTTP/2 client
// that abandoned a stream without ending it would otherwise hold the
// shutdown for the whole timeout, with nothing left to finish.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) error {
	running := &inFlight{next: srv.Handler}
	if running.next == nil {
		running.next = http.DefaultServeMux
	}
	srv.Handler = running
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(shutdownCtx) }()
	tick := time.NewTicker(drainGrace / 5)
	defer tick.Stop()
	var idleSince time.Time
wait:
	for {
		select {
		case err := <-shutdown:
			if err != nil {
				_ = srv.Close()
				return fmt.Errorf("shut down: %d requests still running after %s: %w", running.n.Load(), timeout, err)
			}
			break wait
		case now := <-tick.C:
			switch {
			case running.n.Load() > 0:
				idleSince = time.Time{}
			case idleSince.IsZero():
				idleSince = now
			case now.Sub(idleSince) >= drainGrace:
				_ = srv.Close()
				<-shutdown
				break wait
			}
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// drainGrace is how long a shutting-down server waits, once no handler
// runs, before it closes the connections still open.
const drainGrace = time.Second

// inFlight counts the handlers running.
type inFlight struct {
	next http.Handler
	n    atomic.Int64
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.n.Add(1)
	defer f.n.Add(-1)
	f.next.ServeHTTP(w, r)
}

// TraceContext passes a request's W3C traceparent and Idempotency-Key
// headers on in its context, so that the events a command records carry the
// caller's trace and a repeated call with the same key runs once.
func TraceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if tp := r.Header.Get("Traceparent"); tp != "" {
			ctx = telemetry.WithTraceParent(ctx, tp)
		}
		if key := r.Header.Get(idempotency.Header); key != "" {
			ctx = idempotency.WithKey(ctx, key)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// PollerAgent is the User-Agent of the local dashboard, which polls the
// services every few seconds: LogRequests logs its requests at debug level.
const PollerAgent = "microforge-dashboard"

// LogRequests logs one line per request: method, path, status, duration.
// Health checks and the dashboard's polls are logged at debug level only.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := telemetry.RecordStatus(w)
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.UserAgent() == PollerAgent {
			level = slog.LevelDebug
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		var buf [6]slog.Attr // on the stack: no allocation per request
		attrs := append(buf[:0],
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("proto", r.Proto),
			slog.Int("status", rec.Status),
			slog.Duration("duration", time.Since(start)),
		)
		if code := GRPCStatus(w.Header()); code != "" {
			attrs = append(attrs, slog.String("grpc_status", code))
		}
		logger.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// GRPCStatus returns the gRPC status code a handler set, if any.
func GRPCStatus(h http.Header) string {
	if v := h.Get("Grpc-Status"); v != "" {
		return v
	}
	return h.Get(http.TrailerPrefix + "Grpc-Status")
}
