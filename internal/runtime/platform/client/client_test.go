package client

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// serve starts a server for h speaking HTTP/1.1 and h2c, as microforge's
// servers do.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// callee is a server that answers 204 and records the protocol and
// headers of the last request.
func callee(t *testing.T) (url string, last func() (string, http.Header)) {
	t.Helper()
	var (
		proto  string
		header http.Header
	)
	var mu sync.Mutex
	url = serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proto, header = r.Proto, r.Header.Clone()
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	return url, func() (string, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		return proto, header
	}
}

func call(t *testing.T, c *http.Client, ctx context.Context, url string, header http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// A call over h2c carries a token the callee verifies, and the trace and
// idempotency key of its context; headers the request sets win.
func TestCallsCarryTheirContext(t *testing.T) {
	keys, err := identity.GenerateKeys("orders", "payments")
	if err != nil {
		t.Fatal(err)
	}
	url, last := callee(t)
	c := New(keys["orders"].Signer(), "payments")
	ctx := scoped(idempotency.WithKey(telemetry.WithTraceParent(t.Context(), traceParent), "key-1"))
	call(t, c, ctx, url, nil)
	_, got := last()
	if caller, err := keys["payments"].Verify(got.Get(identity.Header)); err != nil || caller != "orders" {
		t.Errorf("service token: %q, %v", caller, err)
	}
	if got.Get("Traceparent") != traceParent || got.Get(idempotency.Header) != "key-1" {
		t.Errorf("headers %v: want the context's trace and key", got)
	}
	checkScope(t, got)

	call(t, c, ctx, url, http.Header{idempotency.Header: {"key-2"}})
	if _, got := last(); got.Get(idempotency.Header) != "key-2" {
		t.Errorf("Idempotency-Key %q, want the request's own key-2", got.Get(idempotency.Header))
	}
}

// gRPC and Connect streams go over HTTP/2, which they need; Connect unary
// calls and gRPC-Web over HTTP/1.1, which costs the callee less.
func TestProtocolPerCall(t *testing.T) {
	url, last := callee(t)
	c := New(nil, "payments")
	t.Cleanup(c.CloseIdleConnections)
	for _, tc := range []struct{ contentType, proto string }{
		{"application/json", "HTTP/1.1"},
		{"application/proto", "HTTP/1.1"},
		{"application/grpc-web+proto", "HTTP/1.1"},
		{"application/grpc-web-text", "HTTP/1.1"},
		{"application/grpc", "HTTP/2.0"},
		{"application/grpc+proto", "HTTP/2.0"},
		{"application/connect+proto", "HTTP/2.0"},
		{"application/connect+json", "HTTP/2.0"},
	} {
		call(t, c, t.Context(), url, http.Header{"Content-Type": {tc.contentType}})
		if proto, _ := last(); proto != tc.proto {
			t.Errorf("%s: called over %s, want %s", tc.contentType, proto, tc.proto)
		}
	}
}

// Without a signer, nor anything in the context, a call carries none of
// the headers.
func TestBareCalls(t *testing.T) {
	url, last := callee(t)
	call(t, New(nil, "payments"), t.Context(), url, nil)
	_, got := last()
	for _, h := range []string{identity.Header, "Traceparent", idempotency.Header} {
		if v := got.Get(h); v != "" {
			t.Errorf("%s: %q, want none", h, v)
		}
	}
}

// connsSeen is a server that records the client address of every
// request, one per connection, and checks that it came over HTTP/major.
func connsSeen(t *testing.T, major int) (string, func() map[string]int) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != major {
			t.Errorf("a call over %s, want HTTP/%d", r.Proto, major)
		}
		mu.Lock()
		seen[r.RemoteAddr]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	return url, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(seen)
	}
}

// Calls one at a time take turns over Conns connections, so that a
// balancer picking a replica per connection spreads them; each connection
// takes an equal share. Over HTTP/1.1 as over HTTP/2.
func TestCallsSpreadOverConnections(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		major       int
	}{{"application/json", 1}, {"application/grpc", 2}} {
		t.Run(tc.contentType, func(t *testing.T) {
			url, seen := connsSeen(t, tc.major)
			c := New(nil, "callee")
			t.Cleanup(c.CloseIdleConnections)
			for range 8 * Conns {
				call(t, c, t.Context(), url, http.Header{"Content-Type": {tc.contentType}})
			}
			got := seen()
			if len(got) != Conns {
				t.Fatalf("calls over %d connections (%v), want %d", len(got), got, Conns)
			}
			for addr, n := range got {
				if n != 8 {
					t.Errorf("connection %s took %d calls of %d, want 8", addr, n, 8*Conns)
				}
			}
		})
	}
}

// Concurrent HTTP/1.1 calls reuse the connections of the calls before
// them: a connection per call in flight, not one per call.
func TestConcurrentCallsKeepConnections(t *testing.T) {
	const clients, calls = 16, 40
	url, seen := connsSeen(t, 1)
	c := New(nil, "callee")
	t.Cleanup(c.CloseIdleConnections)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range calls {
				call(t, c, t.Context(), url, http.Header{"Content-Type": {"application/proto"}})
			}
		})
	}
	wg.Wait()
	// At most every client's call in flight on each of the Conns sets.
	if got := len(seen()); got > clients*Conns {
		t.Errorf("%d calls, %d at a time, over %d connections: want at most %d", clients*calls, clients, got, clients*Conns)
	}
}

// Past its maximum age, a connection gives way to a new one: replicas
// that came up since get calls.
func TestConnectionsAreReplacedWhenOld(t *testing.T) {
	url, seen := connsSeen(t, 1)
	p := newPool(2, 50*time.Millisecond)
	t.Cleanup(p.CloseIdleConnections)
	c := &http.Client{Transport: p}
	deadline := time.Now().Add(5 * time.Second)
	for len(seen()) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s of calls over 2 connections replaced every 50ms, %d connections seen", len(seen()))
		}
		call(t, c, t.Context(), url, nil)
		time.Sleep(5 * time.Millisecond)
	}
}
