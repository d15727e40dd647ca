// Package client builds the HTTP client services use to call each other
// with Connect, gRPC or gRPC-Web.
package client

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// New returns an HTTP client for calling services with the Connect, gRPC
// and gRPC-Web protocols. gRPC and Connect streams go over HTTP/2 (over TLS
// for https:// URLs, unencrypted h2c for http:// URLs), which they need.
// Everything else, Connect unary calls and gRPC-Web among it, goes over
// HTTP/1.1 connections kept alive: a call then costs the server no
// goroutine of its own, no stream and no HPACK, and runs on the goroutine
// of its connection, whose stack has already grown.
// Each request carries the trace context (traceparent) and idempotency key
// (Idempotency-Key) of its context, in a multi-tenant system its tenant
// (X-Tenant) too, and, unless signer is nil, a fresh service token
// (X-Service-Token) naming signer's deployable as the caller and audience
// as the callee: a client calls one service.
//
// Requests take turns over Conns sets of connections to the service, each
// replaced after ConnMaxAge: an HTTP/2 connection, and the HTTP/1.1
// connections as many as the calls in flight. What balances a service's
// replicas (a Kubernetes Service, cmd/local -replicas) picks a replica per
// connection: with connections held for good, replicas added later (the
// HPA) would get no calls, and with one HTTP/2 connection every stream
// would go to one replica.
func New(signer *identity.Signer, audience string) *http.Client {
	var transport http.RoundTripper = newPool(Conns, ConnMaxAge)
	if signer != nil {
		transport = signer.Transport(audience, transport)
	}
	return &http.Client{Transport: propagate{transport}}
}

// Connections to each service.
const (
	// Conns is how many connections a client keeps to the service it
	// calls, requests taking turns: enough to spread the calls over a few
	// replicas, few enough that each stays busy.
	Conns = 4
	// ConnMaxAge is how long a connection takes new requests before a
	// fresh one replaces it (the old one closes once idle), so that the
	// calls follow the replicas as they come and go.
	ConnMaxAge = time.Minute
	// IdleConns is how many idle HTTP/1.1 connections each of the Conns
	// sets keeps for the next calls. Beyond it, a connection whose call
	// ended closes, and a burst of calls opens new ones.
	IdleConns = 64
)

// needsHTTP2 reports whether r speaks a protocol that HTTP/1.1 cannot
// carry: gRPC (trailers) or a Connect stream (both directions at once).
// gRPC-Web and Connect unary calls go over either.
func needsHTTP2(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/grpc-web"):
		return false
	case strings.HasPrefix(ct, "application/grpc"), strings.HasPrefix(ct, "application/connect+"):
		return true
	}
	return false
}

// transports holds a set of connections: one transport speaking HTTP/2
// (over TLS or h2c), one speaking HTTP/1.1.
type transports struct{ h2, h1 *http.Transport }

func newTransports() transports {
	dial := (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	h2 := new(http.Protocols)
	h2.SetHTTP2(true)
	h2.SetUnencryptedHTTP2(true)
	h1 := new(http.Protocols)
	h1.SetHTTP1(true)
	return transports{
		h2: &http.Transport{
			Protocols:         h2,
			DialContext:       dial,
			ForceAttemptHTTP2: true,
			IdleConnTimeout:   90 * time.Second,
		},
		h1: &http.Transport{
			Protocols:           h1,
			DialContext:         dial,
			MaxIdleConns:        IdleConns,
			MaxIdleConnsPerHost: IdleConns,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

func (t transports) roundTrip(r *http.Request) (*http.Response, error) {
	if needsHTTP2(r) {
		return t.h2.RoundTrip(r)
	}
	return t.h1.RoundTrip(r)
}

func (t transports) closeIdle() {
	t.h2.CloseIdleConnections()
	t.h1.CloseIdleConnections()
}

// pool round-robins requests over transports, each holding its own
// connection per host, and replaces each transport after maxAge.
type pool struct {
	maxAge time.Duration
	next   atomic.Uint64
	mu     sync.Mutex
	slots  []poolSlot
}

type poolSlot struct {
	t       transports
	expires time.Time
}

func newPool(n int, maxAge time.Duration) *pool {
	p := &pool{maxAge: maxAge, slots: make([]poolSlot, max(n, 1))}
	now := time.Now()
	for i := range p.slots {
		// Staggered, so that the connections are not all replaced at once.
		p.slots[i] = poolSlot{t: newTransports(), expires: now.Add(maxAge * time.Duration(i+1) / time.Duration(len(p.slots)))}
	}
	return p
}

func (p *pool) RoundTrip(r *http.Request) (*http.Response, error) {
	i := int(p.next.Add(1) % uint64(len(p.slots)))
	now := time.Now()
	p.mu.Lock()
	slot := &p.slots[i]
	if now.After(slot.expires) {
		old := slot.t
		slot.t, slot.expires = newTransports(), now.Add(p.maxAge)
		// Requests in flight on the old connections finish; the
		// connections close once idle.
		time.AfterFunc(p.maxAge, old.closeIdle)
		old.closeIdle()
	}
	t := slot.t
	p.mu.Unlock()
	return t.roundTrip(r)
}

// CloseIdleConnections closes the idle connections of every transport
// (http.Client.CloseIdleConnections calls it).
func (p *pool) CloseIdleConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.slots {
		s.t.closeIdle()
	}
}

// header is a header a request's context asks for; an empty value asks
// for nothing.
type header struct{ name, value string }

// contextHeaders returns the headers the calls made with ctx carry.
func contextHeaders(ctx context.Context) []header {
	return append(scopeHeaders(ctx),
		header{"Traceparent", telemetry.TraceParent(ctx)},
		header{idempotency.Header, idempotency.Key(ctx)})
}

// propagate sets the headers a request's context asks for, except those
// the request already has.
type propagate struct{ next http.RoundTripper }

func (p propagate) RoundTrip(r *http.Request) (*http.Response, error) {
	var missing []header
	for _, h := range contextHeaders(r.Context()) {
		if h.value != "" && r.Header.Get(h.name) == "" {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		r = r.Clone(r.Context())
		for _, h := range missing {
			r.Header.Set(h.name, h.value)
		}
	}
	return p.next.RoundTrip(r)
}
