package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

const protoService = "test.v1.TestService"

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestMux(t *testing.T) {
	var notReady error
	mux := NewMux(func(context.Context) error { return notReady }, protoService)
	if rec := get(t, mux, "/healthz"); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("/healthz: %d %q", rec.Code, rec.Body)
	}
	if rec := get(t, mux, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("/readyz when ready: %d %q", rec.Code, rec.Body)
	}
	notReady = errors.New("the database does not answer")
	if rec := get(t, mux, "/readyz"); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "the database does not answer") {
		t.Errorf("/readyz when not ready: %d %q, want 503 with the reason", rec.Code, rec.Body)
	}
	// The gRPC health service knows the service, over Connect's JSON.
	for service, want := range map[string]string{protoService: `"SERVING_STATUS_SERVING"`, "other.v1.Other": "not_found"} {
		req := httptest.NewRequest(http.MethodPost, "/grpc.health.v1.Health/Check", strings.NewReader(`{"service":"`+service+`"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("health of %s: %d %s, want %s", service, rec.Code, rec.Body, want)
		}
	}
}

// /readyz lists the roles of the workers that run on one replica at a
// time; a replica standing by is ready all the same.
func TestReadyzReportsRoles(t *testing.T) {
	var notReady error
	mux := NewProbedMux(Probes{
		Ready: func(context.Context) error { return notReady },
		Roles: func() []string { return []string{"relay: standby", "projection orders: active"} },
	}, protoService)
	rec := get(t, mux, "/readyz")
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\nrelay: standby\nprojection orders: active\n" {
		t.Errorf("/readyz of a replica standing by for the relay: %d %q, want 200 with the roles", rec.Code, rec.Body)
	}
	notReady = errors.New("the database does not answer")
	if rec := get(t, mux, "/readyz"); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "relay: standby") {
		t.Errorf("/readyz when not ready: %d %q, want 503 with the reason and the roles", rec.Code, rec.Body)
	}
}

// TraceContext puts a request's traceparent and Idempotency-Key in its
// context.
func TestTraceContext(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var gotTP, gotKey string
	h := TraceContext(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		gotTP, gotKey = telemetry.TraceParent(r.Context()), idempotency.Key(r.Context())
	}))
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	req.Header.Set("Traceparent", tp)
	req.Header.Set(idempotency.Header, "key-1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if gotTP != tp || gotKey != "key-1" {
		t.Errorf("context holds %q and %q, want %q and key-1", gotTP, gotKey, tp)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x", nil))
	if gotTP != "" || gotKey != "" {
		t.Errorf("without headers the context holds %q and %q", gotTP, gotKey)
	}
}

// logLines returns a logger at debug level writing JSON lines to buf.
func logLines(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestLogRequests(t *testing.T) {
	var buf bytes.Buffer
	h := LogRequests(logLines(&buf), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.Header().Set("Grpc-Status", "5")
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	for _, c := range []struct {
		path, agent string
		want        []string
	}{
		{"/fail", "", []string{`"level":"INFO"`, `"path":"/fail"`, `"status":404`, `"grpc_status":"5"`}},
		{"/ok", "", []string{`"level":"INFO"`, `"status":200`}},
		{"/healthz", "", []string{`"level":"DEBUG"`}},
		{"/ok", PollerAgent, []string{`"level":"DEBUG"`}},
	} {
		buf.Reset()
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.Header.Set("User-Agent", c.agent)
		h.ServeHTTP(httptest.NewRecorder(), req)
		for _, w := range c.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s (agent %q): log %s lacks %s", c.path, c.agent, buf.String(), w)
			}
		}
	}
}

// A server from New speaks HTTP/1.1 and h2c, and Serve lets an in-flight
// request finish when its context ends.
func TestServeAndShutDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, r.Proto)
	}), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 5*time.Second) }()
	base := "http://" + ln.Addr().String()

	for name, c := range map[string]struct {
		http1, h2c bool
		want       string
	}{
		"HTTP/1.1": {http1: true, want: "HTTP/1.1"},
		"h2c":      {h2c: true, want: "HTTP/2.0"},
	} {
		protocols := new(http.Protocols)
		protocols.SetHTTP1(c.http1)
		protocols.SetUnencryptedHTTP2(c.h2c)
		client := &http.Client{Transport: &http.Transport{Protocols: protocols}}
		if got := body(t, client, base+"/"); got != c.want {
			t.Errorf("%s: served over %q", name, got)
		}
	}

	slow := make(chan string, 1)
	go func() { slow <- body(t, http.DefaultClient, base+"/slow") }()
	<-started
	cancel()
	time.Sleep(50 * time.Millisecond) // Shutdown has begun: no new connections
	close(release)
	if got := <-slow; got != "HTTP/1.1" {
		t.Errorf("in-flight request answered %q", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("the server still answers after shutting down")
	}
}

// Serve reports a listener that fails.
func TestServeFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := Serve(t.Context(), New(http.NotFoundHandler(), slog.New(slog.DiscardHandler)), ln, time.Second); err == nil {
		t.Error("Serve on a closed listener succeeded")
	}
}

func body(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// A client holding a connection with nothing for a handler to finish (an
// HTTP/2 stream it abandoned, a request it never finished sending) does
// not hold the shutdown until its timeout: once no handler runs, the
// connections still open are closed.
func TestShutDownPastIdleClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 5*time.Second) }()

	// The start of a request, its headers never ended: the server reads on
	// (up to its ReadHeaderTimeout, 10s) and counts the connection active.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte("POST / HTTP/1.1\r\nHost: test\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took := time.Since(began); took > 3*drainGrace {
		t.Errorf("shutting down took %s with no handler running", took)
	}
}
