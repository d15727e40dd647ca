package gatewaycore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// The services of the tests: test.v1.AlphaService and test.v1.BetaService,
// each with Echo (POST /v1/<alpha|beta>/echo) and Admin (POST
// /v1/<alpha|beta>/admin), taking and returning a google.protobuf.StringValue.
// Their schema is registered as generated code would register it.
func init() {
	file := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("gatewaycore/test/v1/test.proto"),
		Package:    proto.String("test.v1"),
		Dependency: []string{"google/protobuf/wrappers.proto"},
		Syntax:     proto.String("proto3"),
	}
	for _, svc := range []string{"Alpha", "Beta"} {
		sd := &descriptorpb.ServiceDescriptorProto{Name: proto.String(svc + "Service")}
		for _, m := range []string{"Echo", "Admin"} {
			opts := &descriptorpb.MethodOptions{}
			proto.SetExtension(opts, annotations.E_Http, &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Post{Post: "/v1/" + strings.ToLower(svc) + "/" + strings.ToLower(m)},
				Body:    "*",
			})
			sd.Method = append(sd.Method, &descriptorpb.MethodDescriptorProto{
				Name:       proto.String(m),
				InputType:  proto.String(".google.protobuf.StringValue"),
				OutputType: proto.String(".google.protobuf.StringValue"),
				Options:    opts,
			})
		}
		file.Service = append(file.Service, sd)
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
		panic(err)
	}
}

// testSystem routes Alpha to the upstream alpha and Beta to beta. Echo is
// open; Admin requires a token with the role admin.
func testSystem() System {
	sys := System{
		OpenAPI:         []byte(`{"openapi":"3.1.0"}`),
		RolesClaim:      "roles",
		ForwardedClaims: []string{"org"},
	}
	for _, name := range []string{"alpha", "beta"} {
		svc := strings.ToUpper(name[:1]) + name[1:] + "Service"
		sys.Upstreams = append(sys.Upstreams, Upstream{Name: name, Env: strings.ToUpper(name) + "_URL", DefaultURL: "http://localhost:1", ProtoServices: []string{"test.v1." + svc}})
		sys.Routes = append(sys.Routes,
			Route{Service: name, Procedure: "/test.v1." + svc + "/Echo", REST: "POST /v1/" + name + "/echo"},
			Route{Service: name, Procedure: "/test.v1." + svc + "/Admin", REST: "POST /v1/" + name + "/admin", Auth: true, Roles: []string{"admin"}})
	}
	return sys
}

// upstream is a service behind the gateway: it answers "<name>:<request>"
// and records the headers of the requests it gets.
type upstream struct {
	name string
	srv  *httptest.Server

	mu      sync.Mutex
	headers []http.Header
}

func newUpstream(t *testing.T, name string) *upstream {
	t.Helper()
	u := &upstream{name: name}
	mux := http.NewServeMux()
	svc := "/test.v1." + strings.ToUpper(name[:1]) + name[1:] + "Service/"
	for _, m := range []string{"Echo", "Admin"} {
		mux.Handle(svc+m, connect.NewUnaryHandler(svc+m, func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			u.mu.Lock()
			u.headers = append(u.headers, req.Header().Clone())
			u.mu.Unlock()
			if req.Msg.GetValue() == "busy" {
				// Refused as a service past its saga backlog refuses.
				busy := connect.NewError(connect.CodeResourceExhausted, errors.New("too many sagas waiting"))
				busy.Meta().Set("Retry-After", "3")
				return nil, busy
			}
			return connect.NewResponse(wrapperspb.String(name + ":" + req.Msg.GetValue())), nil
		}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	u.srv = httptest.NewUnstartedServer(mux)
	u.srv.Config.Protocols = new(http.Protocols)
	u.srv.Config.Protocols.SetHTTP1(true)
	u.srv.Config.Protocols.SetUnencryptedHTTP2(true)
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

// last returns the headers of the last request the upstream got.
func (u *upstream) last(t *testing.T) http.Header {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.headers) == 0 {
		t.Fatalf("no request reached %s", u.name)
	}
	return u.headers[len(u.headers)-1]
}

// fixture is a gateway in front of two upstreams, trusting key's tokens.
type fixture struct {
	gw          *Gateway
	alpha, beta *upstream
	key         *DevKey
	keys        map[string]*identity.Keys
	log         *bytes.Buffer
}

func newFixture(t *testing.T, change func(*Config)) *fixture {
	t.Helper()
	f := &fixture{alpha: newUpstream(t, "alpha"), beta: newUpstream(t, "beta"), key: mustKey(t), log: &bytes.Buffer{}}
	var err error
	if f.keys, err = identity.GenerateKeys(identity.Gateway, "alpha", "beta"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Upstreams: map[string]string{"alpha": f.alpha.srv.URL, "beta": f.beta.srv.URL},
		Auth:      testAuth(mustJWKS(t, f.key)),
		Logger:    slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Identity:  f.keys[identity.Gateway],
	}
	if change != nil {
		change(&cfg)
	}
	if f.gw, err = New(t.Context(), testSystem(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.gw.Close() })
	return f
}

// serve sends a request with a JSON body straight to the gateway's handler.
func (f *fixture) serve(method, path, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.gw.Handler().ServeHTTP(rec, req)
	return rec
}

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// testAuth is the configuration the verifier tests use.
func testAuth(keys json.RawMessage) AuthConfig {
	return AuthConfig{Issuer: "https://issuer.test/", Audience: "test-api", RolesClaim: "roles", JWKS: keys}
}

func mustKey(t *testing.T) *DevKey {
	t.Helper()
	key, err := LoadDevKey(t.TempDir(), "roles")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func mustJWKS(t *testing.T, key *DevKey) json.RawMessage {
	t.Helper()
	jwks, err := key.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	return jwks
}

func mustSign(t *testing.T, key *DevKey, c Claims) string {
	t.Helper()
	token, err := key.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// The gateway routes each procedure, over Connect, gRPC and REST, to the
// upstream serving it, with its own service token; nothing else is
// reachable.
func TestRoutesToUpstreams(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewUnstartedServer(f.gw.Handler())
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	httpClient := &http.Client{Transport: &http.Transport{Protocols: h2c}}
	for _, up := range []*upstream{f.alpha, f.beta} {
		procedure := "/test.v1." + strings.ToUpper(up.name[:1]) + up.name[1:] + "Service/Echo"
		for protocol, opts := range map[string][]connect.ClientOption{"Connect": nil, "gRPC": {connect.WithGRPC()}, "gRPC-Web": {connect.WithGRPCWeb()}} {
			c := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](httpClient, srv.URL+procedure, opts...)
			resp, err := c.CallUnary(t.Context(), connect.NewRequest(wrapperspb.String("hi")))
			if err != nil {
				t.Fatalf("%s over %s: %v", procedure, protocol, err)
			}
			if got, want := resp.Msg.GetValue(), up.name+":hi"; got != want {
				t.Errorf("%s over %s: %q, want %q", procedure, protocol, got, want)
			}
			if caller, err := f.keys[up.name].Verify(up.last(t).Get(identity.Header)); err != nil || caller != identity.Gateway {
				t.Errorf("%s: service token of %q, %v; want the gateway's", up.name, caller, err)
			}
		}
		rec := f.serve(http.MethodPost, "/v1/"+up.name+"/echo", `"rest"`, nil)
		if want := `"` + up.name + `:rest"`; rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("REST to %s: %d %s, want %s", up.name, rec.Code, rec.Body, want)
		}
	}
	for _, path := range []string{"/", "/test.v1.AlphaService/Nope", "/grpc.health.v1.Health/Check", "/v1/alpha/other", "/metrics"} {
		if rec := f.serve(http.MethodPost, path, "{}", nil); rec.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, rec.Code)
		}
	}
	if rec := f.serve(http.MethodGet, "/openapi.json", "", nil); rec.Code != http.StatusOK || rec.Body.String() != `{"openapi":"3.1.0"}` {
		t.Errorf("GET /openapi.json: %d %s", rec.Code, rec.Body)
	}
	if rec := f.serve(http.MethodGet, "/.well-known/jwks.json", "", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), f.key.kid) {
		t.Errorf("GET /.well-known/jwks.json: %d %s", rec.Code, rec.Body)
	}
}

// A route requiring auth refuses a missing or invalid token as
// Unauthenticated and a token without the route's roles as
// PermissionDenied, in the caller's protocol, without saying why.
func TestAuthRefusals(t *testing.T) {
	f := newFixture(t, nil)
	const admin = "/test.v1.AlphaService/Admin"
	customer := mustSign(t, f.key, testClaims("customer"))
	for name, c := range map[string]struct {
		header     http.Header
		status     int
		connectErr string
	}{
		"no token":         {nil, http.StatusUnauthorized, "unauthenticated"},
		"not a bearer":     {http.Header{"Authorization": {"Basic YWxpY2U6c2VjcmV0"}}, http.StatusUnauthorized, "unauthenticated"},
		"a forged token":   {bearerHeader(mustSign(t, mustKey(t), testClaims("admin"))), http.StatusUnauthorized, "unauthenticated"},
		"without the role": {bearerHeader(customer), http.StatusForbidden, "permission_denied"},
		"with the role":    {bearerHeader(mustSign(t, f.key, testClaims("admin"))), http.StatusOK, ""},
		"the open method":  {nil, http.StatusOK, ""},
	} {
		path := admin
		if name == "the open method" {
			path = "/test.v1.AlphaService/Echo"
		}
		rec := f.serve(http.MethodPost, path, `"x"`, c.header)
		if rec.Code != c.status || (c.connectErr != "" && !strings.Contains(rec.Body.String(), `"code":"`+c.connectErr+`"`)) {
			t.Errorf("%s: %d %s, want %d %s", name, rec.Code, rec.Body, c.status, c.connectErr)
		}
	}
	grpc := http.Header{"Content-Type": {"application/grpc"}}
	if rec := f.serve(http.MethodPost, admin, "", grpc); rec.Code != http.StatusOK || rec.Header().Get("Grpc-Status") != "16" {
		t.Errorf("gRPC without a token: %d grpc-status %q, want 16", rec.Code, rec.Header().Get("Grpc-Status"))
	}
	if rec := f.serve(http.MethodPost, "/v1/alpha/admin", `"x"`, bearerHeader(customer)); rec.Code != http.StatusForbidden || strings.TrimSpace(rec.Body.String()) != `{"code":7,"message":"permission denied"}` {
		t.Errorf("REST without the role: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(f.log.String(), `"refused":"unauthenticated"`) || !strings.Contains(f.log.String(), `"refused":"permission_denied"`) {
		t.Errorf("the access log does not say what was refused:\n%s", f.log)
	}
}

// Callers cannot claim an identity: the gateway drops X-User-* and
// X-Service-Token and sets X-User-* only from a verified token, the
// forwarded claims included.
func TestForwardsVerifiedIdentityOnly(t *testing.T) {
	f := newFixture(t, nil)
	forged := http.Header{identity.UserSubjectHeader: {"mallory"}, identity.UserRolesHeader: {"admin"}, identity.UserClaimsHeader: {"org=evil"}, identity.Header: {"forged"}}
	claims := testClaims("admin", "auditor")
	claims.Extra = map[string]string{"org": "acme", "unrelated": "x"}
	header := bearerHeader(mustSign(t, f.key, claims))
	for k, v := range forged {
		header[k] = v
	}
	if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Admin", `"x"`, header); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := f.alpha.last(t)
	if got.Get(identity.UserSubjectHeader) != "alice" || got.Get(identity.UserRolesHeader) != "admin,auditor" || got.Get(identity.UserClaimsHeader) != "org=acme" {
		t.Errorf("forwarded %q %q %q, want alice, admin,auditor, org=acme", got.Get(identity.UserSubjectHeader), got.Get(identity.UserRolesHeader), got.Get(identity.UserClaimsHeader))
	}
	if got.Get("Authorization") != "" || got.Get(identity.Header) == "forged" {
		t.Errorf("forwarded the caller's credentials: %v", got)
	}
	if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Echo", `"x"`, forged); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got := f.alpha.last(t); got.Get(identity.UserSubjectHeader) != "" || got.Get(identity.UserRolesHeader) != "" || got.Get(identity.UserClaimsHeader) != "" {
		t.Errorf("an open route forwarded a forged identity: %v", got)
	}
}

// Each client has its bucket: a verified user's is its subject's, anyone
// else's its IP's. A refusal says when to retry.
func TestRateLimit(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.RateLimit = &RateLimit{RequestsPerSecond: 0.01, Burst: 2} })
	from := func(ip string, header http.Header) int {
		req := httptest.NewRequest(http.MethodPost, "/test.v1.AlphaService/Echo", strings.NewReader(`"x"`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header[k] = v
		}
		req.RemoteAddr = ip + ":1234"
		rec := httptest.NewRecorder()
		f.gw.Handler().ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		return rec.Code
	}
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if got := from("192.0.2.1", nil); got != want {
			t.Errorf("request %d from 192.0.2.1: %d, want %d", i+1, got, want)
		}
	}
	if got := from("192.0.2.2", nil); got != http.StatusOK {
		t.Errorf("another IP: %d, want 200", got)
	}
	// A verified user's budget is its own, wherever it calls from.
	rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Admin", `"x"`, bearerHeader(mustSign(t, f.key, testClaims("admin"))))
	if rec.Code != http.StatusOK {
		t.Errorf("a user from the limited IP's address: %d, want 200", rec.Code)
	}
}

func TestCORSPreflight(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.AllowedOrigins = []string{"https://app.test"} })
	header := http.Header{"Origin": {"https://app.test"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type,x-request-id"}}
	rec := f.serve(http.MethodOptions, "/test.v1.AlphaService/Echo", "", header)
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.test" || rec.Code >= 300 {
		t.Errorf("preflight from an allowed origin: %d %v", rec.Code, rec.Header())
	}
	header.Set("Origin", "https://evil.test")
	if rec := f.serve(http.MethodOptions, "/test.v1.AlphaService/Echo", "", header); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", rec.Header())
	}
	rec = f.serve(http.MethodPost, "/test.v1.AlphaService/Echo", `"x"`, http.Header{"Origin": {"https://app.test"}})
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.test" || !strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), HeaderRequestID) {
		t.Errorf("a call from an allowed origin: %v", rec.Header())
	}
}

// Every request has an id, its caller's when usable, which the service
// gets and the caller sees.
func TestRequestID(t *testing.T) {
	f := newFixture(t, nil)
	for name, c := range map[string]struct{ sent, want string }{
		"none":         {"", ""},
		"the caller's": {"req-42", "req-42"},
		"unusable":     {"has space", ""},
		"too long":     {strings.Repeat("x", 129), ""},
	} {
		header := http.Header{}
		if c.sent != "" {
			header.Set(HeaderRequestID, c.sent)
		}
		rec := f.serve(http.MethodPost, "/test.v1.BetaService/Echo", `"x"`, header)
		answered, forwarded := rec.Header().Get(HeaderRequestID), f.beta.last(t).Get(HeaderRequestID)
		if answered == "" || answered != forwarded || (c.want != "" && answered != c.want) || (c.want == "" && answered == c.sent) {
			t.Errorf("%s: answered %q, forwarded %q, want %q (a new one when empty)", name, answered, forwarded, c.want)
		}
		if !strings.Contains(f.log.String(), `"request_id":"`+answered+`"`) {
			t.Errorf("%s: the access log lacks the request id", name)
		}
	}
}

func TestRequestSizeLimit(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.MaxRequestBytes = 16 })
	if rec := f.serve(http.MethodPost, "/test.v1.AlphaService/Echo", `"`+strings.Repeat("x", 64)+`"`, nil); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
}

func TestReadyNeedsUpstreams(t *testing.T) {
	f := newFixture(t, nil)
	if rec := f.serve(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("upstreams up: %d %s", rec.Code, rec.Body)
	}
	if rec := f.serve(http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz: %d", rec.Code)
	}
	f.beta.srv.Close()
	if rec := f.serve(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "beta") {
		t.Errorf("beta down: %d %s, want 503 naming beta", rec.Code, rec.Body)
	}
	// A call to a service that is down is Unavailable.
	if rec := f.serve(http.MethodPost, "/test.v1.BetaService/Echo", `"x"`, nil); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"unavailable"`) {
		t.Errorf("a call to beta: %d %s, want 503 unavailable", rec.Code, rec.Body)
	}
}

// New refuses an incomplete configuration.
func TestNewRefusesIncompleteConfig(t *testing.T) {
	keys, err := identity.GenerateKeys(identity.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	good := Config{Upstreams: map[string]string{"alpha": "http://alpha", "beta": "http://beta"}, Auth: testAuth(mustJWKS(t, mustKey(t))), Identity: keys[identity.Gateway]}
	for name, change := range map[string]func(*Config){
		"no identity":         func(c *Config) { c.Identity = nil },
		"an upstream missing": func(c *Config) { c.Upstreams = map[string]string{"alpha": "http://alpha"} },
		"not an http URL":     func(c *Config) { c.Upstreams = map[string]string{"alpha": "ftp://alpha", "beta": "http://beta"} },
		"no keys for auth":    func(c *Config) { c.Auth.JWKS = nil },
		"no issuer for auth":  func(c *Config) { c.Auth.Issuer = "" },
	} {
		cfg := good
		change(&cfg)
		if g, err := New(t.Context(), testSystem(), cfg); err == nil {
			g.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// Serve serves the gateway until its context ends.
func TestServe(t *testing.T) {
	f := newFixture(t, nil)
	ln := listen(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.gw.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

// writes counts the writes to the connections a listener accepted.
type writes struct {
	net.Listener
	n atomic.Int64
}

func (w *writes) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	return countedConn{c, &w.n}, err
}

type countedConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countedConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// A unary answer leaves the gateway in one write, header and body
// together; a gRPC answer (trailers, no length) still streams through.
func TestUnaryAnswerInOneWrite(t *testing.T) {
	f := newFixture(t, nil)
	ln := &writes{Listener: listen(t)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.gw.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + ln.Addr().String() + "/test.v1.AlphaService/Echo"
	h1 := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(h1.CloseIdleConnections)
	c := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](h1, url)
	for i := range 3 {
		before := ln.n.Load()
		resp, err := c.CallUnary(t.Context(), connect.NewRequest(wrapperspb.String("hi")))
		if err != nil || resp.Msg.GetValue() != "alpha:hi" {
			t.Fatalf("call %d: %v, %v", i, resp, err)
		}
		if n := ln.n.Load() - before; n != 1 {
			t.Errorf("call %d: the answer took %d writes, want 1", i, n)
		}
	}
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	grpc := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](&http.Client{Transport: &http.Transport{Protocols: h2c}}, url, connect.WithGRPC())
	if resp, err := grpc.CallUnary(t.Context(), connect.NewRequest(wrapperspb.String("hi"))); err != nil || resp.Msg.GetValue() != "alpha:hi" {
		t.Fatalf("over gRPC: %v, %v", resp, err)
	}
}

// A service refusing with ResourceExhausted and Retry-After (a saga
// backlog past its bound) is 429 with that Retry-After, over Connect and
// REST alike.
func TestUpstreamBackpressure(t *testing.T) {
	f := newFixture(t, nil)
	for path, header := range map[string]http.Header{
		"/test.v1.AlphaService/Echo": {"Connect-Protocol-Version": {"1"}},
		"/v1/alpha/echo":             nil,
	} {
		rec := f.serve(http.MethodPost, path, `"busy"`, header)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "3" {
			t.Errorf("POST %s refused by the service: %d, Retry-After %q, %s; want 429 with Retry-After 3", path, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
}
