// Package replica runs several replicas of a service on one machine, as
// go run ./cmd/local -replicas N does: each replica is a process of its
// own, and a Balancer on the service's port spreads connections over the
// live replicas, round robin, the way a Kubernetes Service spreads them
// over pods. A Group starts the replicas, restarts one that dies (as
// Kubernetes restarts a pod) and can kill one with SIGKILL, so that tests
// see what a crashed pod does to the system.
//
// The Balancer works on TCP connections, not requests: HTTP/1.1, h2c,
// gRPC and Connect pass through it unchanged, and a client keeping one
// connection stays with one replica, as it does behind a Kubernetes
// Service.
package replica

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Balancer forwards each connection it accepts to the next of its backends
// that accepts one, round robin.
type Balancer struct {
	// DialTimeout bounds connecting to a backend, 2s by default.
	DialTimeout time.Duration

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]struct{}
	closed   bool
}

// NewBalancer returns a Balancer over the backends' addresses
// ("127.0.0.1:40001").
func NewBalancer(backends ...string) *Balancer {
	return &Balancer{backends: backends, conns: map[net.Conn]struct{}{}}
}

// SetBackends replaces the backends; connections already made stay.
func (b *Balancer) SetBackends(backends []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append([]string(nil), backends...)
}

// Backends returns the current backends.
func (b *Balancer) Backends() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.backends...)
}

// ErrNoBackend is why a connection was closed at once: no backend took it.
var ErrNoBackend = errors.New("no replica accepts connections")

// Serve accepts connections on ln until ctx is done or ln fails, and
// forwards each to a backend. It closes ln, and every connection it
// forwards, when it returns.
func (b *Balancer) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer b.closeAll()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go b.forward(ctx, c)
	}
}

// forward connects c to the first backend, starting at the next in turn,
// that accepts a connection, and copies both ways until either side ends.
func (b *Balancer) forward(ctx context.Context, c net.Conn) {
	upstream, err := b.dial(ctx)
	if err != nil {
		c.Close()
		return
	}
	if !b.track(c, upstream) {
		return
	}
	defer b.untrack(c, upstream)
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		// Pass the end of one direction on; the other may still carry
		// an answer.
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go pipe(upstream, c)
	go pipe(c, upstream)
	wg.Wait()
}

// dial connects to the backends in turn, starting with the next one,
// until one accepts.
func (b *Balancer) dial(ctx context.Context) (net.Conn, error) {
	b.mu.Lock()
	backends := b.backends
	start := b.next
	b.next++
	b.mu.Unlock()
	timeout := b.DialTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	for i := range backends {
		c, err := d.DialContext(ctx, "tcp", backends[(start+i)%len(backends)])
		if err == nil {
			return c, nil
		}
	}
	return nil, ErrNoBackend
}

func (b *Balancer) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		b.conns[c] = struct{}{}
	}
	return true
}

func (b *Balancer) untrack(cs ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(b.conns, c)
	}
}

func (b *Balancer) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
}
