// Package client builds the HTTP client services use to call each other
// with Connect, gRPC or gRPC-Web.
package client

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// New returns an HTTP client for calling services: HTTP/2 over TLS for
// https:// URLs and unencrypted HTTP/2 (h2c) for http:// URLs, so the
// Connect, gRPC and gRPC-Web protocols all work against microforge servers.
// Each request carries the trace context (traceparent) and idempotency key
// (Idempotency-Key) of its context, in a multi-tenant system its tenant
// (X-Tenant) too, and, unless signer is nil, a fresh service token
// (X-Service-Token) naming signer's deployable as the caller and audience
// as the callee: a client calls one service.
//
// Requests take turns over Conns connections to the service, each
// replaced after ConnMaxAge. HTTP/2 carries every request over one
// connection, and what balances a service's replicas (a Kubernetes
// Service, cmd/local -replicas) picks a replica per connection: with a
// single connection held for good, every call would go to one replica, and
// replicas added later (the HPA) would get none.
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
)

// newTransport returns a transport speaking HTTP/2, over TLS or h2c, with
// connections of its own.
func newTransport() *http.Transport {
	protocols := new(http.Protocols)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Transport{
		Protocols: protocols,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2: true,
		IdleConnTimeout:   90 * time.Second,
	}
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
	t       *http.Transport
	expires time.Time
}

func newPool(n int, maxAge time.Duration) *pool {
	p := &pool{maxAge: maxAge, slots: make([]poolSlot, max(n, 1))}
	now := time.Now()
	for i := range p.slots {
		// Staggered, so that the connections are not all replaced at once.
		p.slots[i] = poolSlot{t: newTransport(), expires: now.Add(maxAge * time.Duration(i+1) / time.Duration(len(p.slots)))}
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
		slot.t, slot.expires = newTransport(), now.Add(p.maxAge)
		// Requests in flight on the old connections finish; the
		// connections close once idle.
		time.AfterFunc(p.maxAge, old.CloseIdleConnections)
		old.CloseIdleConnections()
	}
	t := slot.t
	p.mu.Unlock()
	return t.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of every transport
// (http.Client.CloseIdleConnections calls it).
func (p *pool) CloseIdleConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.slots {
		s.t.CloseIdleConnections()
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
