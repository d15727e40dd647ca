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

// callee is an h2c server that answers 204 and records the protocol and
// headers of the last request.
func callee(t *testing.T) (url string, last func() (string, http.Header)) {
	t.Helper()
	var (
		proto  string
		header http.Header
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto, header = r.Proto, r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, func() (string, http.Header) { return proto, header }
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
	proto, got := last()
	if proto != "HTTP/2.0" {
		t.Errorf("called over %s, want h2c", proto)
	}
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

// connsSeen is an h2c server that records the client address of every
// request: one per connection.
func connsSeen(t *testing.T) (string, func() map[string]int) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("a call over %s, want HTTP/2", r.Proto)
		}
		mu.Lock()
		seen[r.RemoteAddr]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(seen)
	}
}

// Calls take turns over Conns connections, so that a balancer picking a
// replica per connection spreads them; each connection takes an equal
// share.
func TestCallsSpreadOverConnections(t *testing.T) {
	url, seen := connsSeen(t)
	c := New(nil, "callee")
	t.Cleanup(c.CloseIdleConnections)
	for range 8 * Conns {
		call(t, c, t.Context(), url, nil)
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
}

// Past its maximum age, a connection gives way to a new one: replicas
// that came up since get calls.
func TestConnectionsAreReplacedWhenOld(t *testing.T) {
	url, seen := connsSeen(t)
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
