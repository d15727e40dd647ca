// Package client builds the HTTP client services use to call each other
// with Connect, gRPC or gRPC-Web.
package client

import (
	"context"
	"net"
	"net/http"
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
func New(signer *identity.Signer, audience string) *http.Client {
	protocols := new(http.Protocols)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	var transport http.RoundTripper = &http.Transport{
		Protocols: protocols,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2: true,
		IdleConnTimeout:   90 * time.Second,
	}
	if signer != nil {
		transport = signer.Transport(audience, transport)
	}
	return &http.Client{Transport: propagate{transport}}
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
