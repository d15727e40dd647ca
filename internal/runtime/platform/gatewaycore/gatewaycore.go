// Package gatewaycore is the part of a system's API gateway that is the
// same for every system: the proxy in front of the routed services and the
// chain every request passes. The system's gateway package (internal/gateway)
// holds what its blueprint decides, the routes, the upstreams, the OpenAPI
// document and the defaults, and builds its gateway with New.
//
// For each request the gateway assigns a request id (X-Request-Id), strips
// the identity headers only it may set (X-User-*, X-Service-Token and, in a
// multi-tenant system, X-Tenant), answers CORS preflights of allowed
// origins, bounds the request size, verifies the bearer token of routes
// requiring auth, checks roles, rate-limits per client (token subject, else
// client IP), forwards the verified identity as X-User-Subject,
// X-User-Roles and X-User-Claims, bounds the call's duration, and logs one
// line. It passes Connect, gRPC and gRPC-Web calls through to the services
// and transcodes REST JSON to them. Errors use the caller's protocol: a
// Connect JSON error, a gRPC status, or a REST JSON status, without saying
// why a token was refused.
package gatewaycore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/vanguard"
	"github.com/google/uuid"
	"github.com/rs/cors"

	"github.com/microforge/microforge/internal/runtime/platform/client"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/server"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// HeaderRequestID carries a request's id; the gateway forwards it to the
// services and echoes it to the caller.
const HeaderRequestID = "X-Request-Id"

// System is what a gateway exposes, as its blueprint decides.
type System struct {
	Upstreams []Upstream
	// Routes are the procedures exposed; any other path is 404.
	Routes []Route
	// OpenAPI is served at GET /openapi.json.
	OpenAPI []byte
	// Tracing and Metrics turn the gateway's telemetry on.
	Tracing, Metrics bool
	// RolesClaim is the claim holding a token's roles unless Config.Auth
	// names another.
	RolesClaim string
	// ForwardedClaims are the verified claims, besides sub and roles, sent
	// to services in X-User-Claims: those the owner rules name.
	ForwardedClaims []string
}

// Upstream is a routed service.
type Upstream struct {
	Name       string // "orders"
	Env        string // variable holding its base URL, "ORDERS_URL"
	DefaultURL string
	// ProtoServices are the fully-qualified proto service names of the
	// API versions it serves.
	ProtoServices []string
}

// Route is one procedure the gateway exposes.
type Route struct {
	Service   string   // the routed service
	Procedure string   // "/shop.orders.v1.OrdersService/PlaceOrder"
	REST      string   // ServeMux pattern of its REST path, "POST /v1/orders/place_order"
	Auth      bool     // a valid bearer token is required
	Roles     []string // the token must hold one of them; empty: any valid token
}

// Gateway is a configured gateway; serve it with Serve or mount Handler.
type Gateway struct {
	sys      System
	cfg      Config
	handler  http.Handler
	verifier *verifier // nil when no route requires auth
	limiter  *limiter  // nil without a rate limit
	errors   *connect.ErrorWriter
	clients  map[string]*http.Client
	bases    map[string]*url.URL
	cancel   context.CancelFunc
	tel      *telemetry.Telemetry // nil when the blueprint observes nothing
}

// New builds the gateway of sys. It fails when the configuration is
// incomplete: an upstream URL missing, or no keys while a route requires
// auth.
func New(ctx context.Context, sys System, cfg Config) (*Gateway, error) {
	cfg.setDefaults(sys)
	if err := cfg.Identity.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: service identity: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &Gateway{
		sys:     sys,
		cfg:     cfg,
		errors:  connect.NewErrorWriter(),
		clients: map[string]*http.Client{},
		bases:   map[string]*url.URL{},
		cancel:  cancel,
	}
	// Each request starts a trace of its own (linked to the caller's, if
	// any): the trace context of outside callers is not trusted.
	tel, err := telemetry.New(ctx, telemetry.Config{Service: identity.Gateway, Tracing: sys.Tracing, Metrics: sys.Metrics, SpanExporter: cfg.SpanExporter})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.tel = tel
	if cfg.RateLimit != nil {
		g.limiter = newLimiter(*cfg.RateLimit)
	}
	for _, rt := range sys.Routes {
		if rt.Auth {
			v, err := newVerifier(ctx, cfg.Auth, sys.ForwardedClaims)
			if err != nil {
				cancel()
				return nil, err
			}
			g.verifier = v
			break
		}
	}
	var services []*vanguard.Service
	proxies := map[string]http.Handler{}
	for _, up := range sys.Upstreams {
		raw := cfg.Upstreams[up.Name]
		base, err := url.Parse(raw)
		if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
			cancel()
			return nil, fmt.Errorf("gateway: %s: %q is not an http(s) URL of the %s service", up.Env, raw, up.Name)
		}
		g.bases[up.Name] = base
		g.clients[up.Name] = UpstreamClient(up.Name, cfg.Identity, tel)
		proxies[up.Name] = g.proxy(up.Name)
		for _, name := range up.ProtoServices {
			services = append(services, vanguard.NewService(name, proxies[up.Name]))
		}
	}
	transcoder, err := vanguard.NewTranscoder(services)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gateway: internal error: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", g.ready)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(sys.OpenAPI)
	})
	if len(cfg.Auth.JWKS) > 0 {
		// The keys this gateway trusts, for other local tools.
		mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(cfg.Auth.JWKS)
		})
	}
	for i := range sys.Routes {
		rt := &sys.Routes[i]
		// The services speak Connect, gRPC and gRPC-Web themselves: RPCs
		// pass straight through; only REST goes through the transcoder.
		mux.Handle(rt.Procedure, g.guard(rt, false, proxies[rt.Service]))
		mux.Handle(rt.REST, g.guard(rt, true, transcoder))
	}

	var h http.Handler = mux
	h = limitBody(h, cfg.MaxRequestBytes)
	if len(cfg.AllowedOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: cfg.AllowedOrigins,
			AllowedMethods: connectcors.AllowedMethods(),
			AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", HeaderRequestID),
			ExposedHeaders: append(connectcors.ExposedHeaders(), HeaderRequestID, "Retry-After"),
			MaxAge:         7200,
		}).Handler(h)
	}
	h = stripIdentity(h)
	h = g.logRequests(h)
	h = tel.Middleware(h)
	h = requestID(h)
	g.handler = h
	return g, nil
}

// UpstreamClient is the HTTP client the gateway calls the service named
// service with: every call to a service goes through it, carrying the
// gateway's service token for that service and the request's trace context.
func UpstreamClient(service string, keys *identity.Keys, tel *telemetry.Telemetry) *http.Client {
	c := client.New(keys.Signer(), service)
	if tel != nil {
		c.Transport = tel.Transport(c.Transport)
	}
	return c
}

// MetricsHandler serves the gateway's metrics in the Prometheus text
// format; nil when the blueprint collects none.
func (g *Gateway) MetricsHandler() http.Handler { return g.tel.MetricsHandler() }

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Use wraps the gateway's handler with mw; call it before Serve.
func (g *Gateway) Use(mw func(http.Handler) http.Handler) { g.handler = mw(g.handler) }

// Serve serves the gateway on ln over HTTP/1.1 and h2c until ctx is done,
// then shuts down gracefully within Config.ShutdownTimeout.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           g.handler,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(g.cfg.Logger.Handler(), slog.LevelWarn),
	}
	return server.Serve(ctx, srv, ln, g.cfg.ShutdownTimeout)
}

// Close stops refreshing the keys and flushes the spans not exported yet.
func (g *Gateway) Close() error {
	g.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return g.tel.Shutdown(ctx)
}

// guard admits a request to rt: authentication, roles and rate limit, then
// next: the service's proxy for RPCs, the transcoder for REST.
func (g *Gateway) guard(rt *Route, rest bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r)
		info.procedure = rt.Procedure
		key := "ip:" + g.clientIP(r)
		token := bearer(r)
		r.Header.Del("Authorization") // services get the verified identity instead
		if rt.Auth {
			id, err := g.verifier.verify(r.Context(), token)
			if err != nil {
				if !g.allow(w, r, rest, key) {
					return
				}
				g.cfg.Logger.DebugContext(r.Context(), "token refused", "error", err, "request_id", info.id)
				g.fail(w, r, rest, connect.CodeUnauthenticated, "unauthenticated")
				return
			}
			info.subject = id.Subject
			if !g.allow(w, r, rest, rateKey(id)) {
				return
			}
			if !id.hasAny(rt.Roles) {
				g.fail(w, r, rest, connect.CodePermissionDenied, "permission denied")
				return
			}
			if err := admitScope(id, r.Header); err != nil {
				g.fail(w, r, rest, connect.CodePermissionDenied, err.Error())
				return
			}
			r.Header.Set(identity.UserSubjectHeader, id.Subject)
			r.Header.Set(identity.UserRolesHeader, strings.Join(id.Roles, ","))
			if len(id.Claims) > 0 {
				r.Header.Set(identity.UserClaimsHeader, identity.EncodeClaims(id.Claims))
			}
		} else if !g.allow(w, r, rest, key) {
			return
		}
		if !rest {
			markConnect(r)
		}
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// allow takes a token from key's bucket; without one it answers 429 (gRPC:
// ResourceExhausted) with Retry-After and returns false.
func (g *Gateway) allow(w http.ResponseWriter, r *http.Request, rest bool, key string) bool {
	if g.limiter == nil {
		return true
	}
	wait, ok := g.limiter.allow(key, time.Now())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	g.fail(w, r, rest, connect.CodeResourceExhausted, "rate limit exceeded")
	return false
}

// fail answers with code in the request's protocol.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, rest bool, code connect.Code, msg string) {
	infoOf(r).refused = code.String()
	if !rest && g.errors.IsSupported(r) {
		g.errors.Write(w, r, connect.NewError(code, errors.New(msg)))
		return
	}
	// REST: a google.rpc.Status in JSON, as the transcoder writes errors.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(code))
	json.NewEncoder(w).Encode(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{int(code), msg})
}

// httpStatus maps the codes the gateway answers with to HTTP statuses, as
// Connect and google.api.http transcoding do.
func httpStatus(code connect.Code) int {
	switch code {
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	case connect.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// proxy forwards requests to the service over its upstream client,
// streaming the response and keeping gRPC trailers.
func (g *Gateway) proxy(service string) http.Handler {
	base, transport := g.bases[service], g.clients[service].Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.SetXForwarded()
		},
		Transport: transport,
		// No FlushInterval: a response of unknown length (gRPC, a
		// stream) is flushed as it comes all the same, and one with a
		// Content-Length (a unary Connect or REST answer) leaves in one
		// write, not its header at once and its body after.
		BufferPool: copyBuffers,
		ErrorLog:   slog.NewLogLogger(g.cfg.Logger.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			code := connect.CodeUnavailable
			if errors.Is(err, context.DeadlineExceeded) {
				code = connect.CodeDeadlineExceeded
			}
			g.cfg.Logger.WarnContext(r.Context(), "upstream failed", "service", service, "error", err, "request_id", infoOf(r).id)
			g.fail(w, r, false, code, "upstream unavailable")
		},
	}
}

// copyBuffers hold the responses the proxy copies: without them each
// response costs a 32 KiB allocation.
var copyBuffers httputil.BufferPool = &bufferPool{pool: sync.Pool{New: func() any { return new([32 << 10]byte) }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return p.pool.Get().(*[32 << 10]byte)[:] }
func (p *bufferPool) Put(b []byte) { p.pool.Put((*[32 << 10]byte)(b)) }

// ready answers 200 when every upstream answers its /healthz.
func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var (
		mu   sync.Mutex
		down []string
		wg   sync.WaitGroup
	)
	for _, up := range g.sys.Upstreams {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.bases[up.Name].JoinPath("/healthz").String(), nil)
			if err == nil {
				var res *http.Response
				if res, err = g.clients[up.Name].Do(req); err == nil {
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
			}
			if err != nil {
				mu.Lock()
				down = append(down, up.Name)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: unreachable:", strings.Join(down, ", "))
		return
	}
	fmt.Fprintln(w, "ok")
}

// clientIP is the address the request came from: the connection's peer,
// or, behind a trusted proxy (Config.TrustForwardedFor), the last address
// that proxy appended to X-Forwarded-For.
func (g *Gateway) clientIP(r *http.Request) string {
	if g.cfg.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// markConnect marks a unary Connect request to a procedure's path as one:
// Connect servers accept them without the Connect-Protocol-Version header
// (curl users rarely send it), but a transcoder would take them for REST.
func markConnect(r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if r.Header.Get("Connect-Protocol-Version") != "" || strings.HasPrefix(ct, "application/grpc") || strings.HasPrefix(ct, "application/connect+") {
		return
	}
	r.Header.Set("Connect-Protocol-Version", "1")
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// limitBody answers 413 to requests whose body is larger than limit bytes,
// at once when they say so, otherwise when reading past it.
func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// stripIdentity removes the headers only the gateway may set from inbound
// requests, so that no caller can claim an identity.
func stripIdentity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k := range r.Header {
			if strings.HasPrefix(k, "X-User-") {
				r.Header.Del(k)
			}
		}
		for _, k := range gatewayHeaders {
			r.Header.Del(k)
		}
		next.ServeHTTP(w, r)
	})
}

// requestID makes sure every request has an X-Request-Id (a new UUID when
// the caller sent none or an unusable one), forwards it and echoes it.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = uuid.NewString()
			r.Header.Set(HeaderRequestID, id)
		}
		w.Header().Set(HeaderRequestID, id)
		info := &requestInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// requestInfo is what the access log reports beyond the request itself.
type requestInfo struct {
	id        string
	procedure string
	subject   string
	refused   string // the code the gateway refused the request with
}

type infoKey struct{}

func infoOf(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// logRequests logs one line per request; health checks at debug level.
func (g *Gateway) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := telemetry.RecordStatus(w)
		next.ServeHTTP(rec, r)
		info := infoOf(r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		if !g.cfg.Logger.Enabled(r.Context(), level) {
			return
		}
		var buf [12]slog.Attr // on the stack: no allocation per request
		attrs := append(buf[:0],
			slog.String("request_id", info.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("proto", r.Proto),
			slog.Int("status", rec.Status),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", g.clientIP(r)),
		)
		if info.procedure != "" {
			attrs = append(attrs, slog.String("procedure", info.procedure))
		}
		if info.subject != "" {
			attrs = append(attrs, slog.String("subject", info.subject))
		}
		if info.refused != "" {
			attrs = append(attrs, slog.String("refused", info.refused))
		}
		if code := server.GRPCStatus(w.Header()); code != "" {
			attrs = append(attrs, slog.String("grpc_status", code))
		}
		g.cfg.Logger.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
