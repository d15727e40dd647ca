package identity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/config"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

const (
	whoAmI  = "/test.v1.TestService/WhoAmI"
	adminOp = "/test.v1.TestService/Admin"
)

// testServer serves two procedures as the service "callee": WhoAmI, which
// "caller", the gateway and itself may call, and Admin, which only the
// gateway may call. WhoAmI answers "caller|subject|roles|org" from the
// context, org being the user's claim of that name.
type testServer struct {
	keys map[string]*identity.Keys
	url  string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	keys, err := identity.GenerateKeys("callee", "caller", "other", identity.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(whoAmI, connect.NewUnaryHandler(whoAmI, func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[wrapperspb.StringValue], error) {
		caller, _ := identity.Caller(ctx)
		subject, roles, ok := identity.User(ctx)
		if !ok {
			subject = "-"
		}
		org, _ := identity.Claim(ctx, "org")
		return connect.NewResponse(wrapperspb.String(caller + "|" + subject + "|" + strings.Join(roles, ",") + "|" + org)), nil
	}))
	mux.Handle(adminOp, connect.NewUnaryHandler(adminOp, func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		return connect.NewResponse(&emptypb.Empty{}), nil
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("state")) })
	policy := identity.Policy{
		whoAmI:   {identity.Gateway, "caller", "callee"},
		adminOp:  {identity.Gateway},
		"/state": {"callee"},
	}
	serveTenants(mux, policy)
	srv := httptest.NewServer(identity.Guard(keys["callee"], policy, mux))
	t.Cleanup(srv.Close)
	return &testServer{keys: keys, url: srv.URL}
}

// headerTransport sets fixed headers on every request.
type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (s *testServer) whoAmI(t *testing.T, rt http.RoundTripper, opts ...connect.ClientOption) (string, error) {
	t.Helper()
	rt = inTenant(rt)
	c := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](&http.Client{Transport: rt}, s.url+whoAmI, opts...)
	resp, err := c.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
	if err != nil {
		return "", err
	}
	return resp.Msg.GetValue(), nil
}

// signed returns a transport sending token.
func signed(token string) http.RoundTripper { return headerTransport{identity.Header: token} }

// forge signs claims with key and alg, bypassing Signer's defaults.
func forge(t *testing.T, claims jwt.RegisteredClaims, method jwt.SigningMethod, key any) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func claimsFor(sub, aud string, iat, exp time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: sub, Audience: jwt.ClaimStrings{aud}, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp)}
}

func wantCode(t *testing.T, err error, want connect.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want %v", want)
	}
	if got := connect.CodeOf(err); got != want {
		t.Fatalf("code %v (%v), want %v", got, err, want)
	}
}

func TestAllowedCallerGetsThrough(t *testing.T) {
	s := newTestServer(t)
	for _, name := range []string{"caller", identity.Gateway, "callee"} {
		got, err := s.whoAmI(t, s.keys[name].Signer().Transport("callee", nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := name + "|-||"; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestCallerNotAllowedIsPermissionDenied(t *testing.T) {
	s := newTestServer(t)
	// "other" has a known key but is not among WhoAmI's callers.
	_, err := s.whoAmI(t, s.keys["other"].Signer().Transport("callee", nil))
	wantCode(t, err, connect.CodePermissionDenied)
	// The refusal speaks the request's protocol.
	_, err = s.whoAmI(t, s.keys["other"].Signer().Transport("callee", nil), connect.WithGRPC())
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = s.whoAmI(t, s.keys["other"].Signer().Transport("callee", nil), connect.WithGRPCWeb())
	wantCode(t, err, connect.CodePermissionDenied)
	// "caller" may call WhoAmI, not Admin.
	admin := connect.NewClient[emptypb.Empty, emptypb.Empty](&http.Client{Transport: s.keys["caller"].Signer().Transport("callee", nil)}, s.url+adminOp)
	_, err = admin.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
	wantCode(t, err, connect.CodePermissionDenied)
}

func TestBadTokensAreUnauthenticated(t *testing.T) {
	s := newTestServer(t)
	now := time.Now()
	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	callerKey := s.keys["caller"].Private
	for name, rt := range map[string]http.RoundTripper{
		"missing token":      http.DefaultTransport,
		"garbage":            signed("not-a-token"),
		"another audience":   s.keys["caller"].Signer().Transport("other", nil),
		"expired":            signed(forge(t, claimsFor("caller", "callee", now.Add(-2*time.Minute), now.Add(-time.Minute)), jwt.SigningMethodEdDSA, callerKey)),
		"no expiry":          signed(forge(t, jwt.RegisteredClaims{Subject: "caller", Audience: jwt.ClaimStrings{"callee"}, IssuedAt: jwt.NewNumericDate(now)}, jwt.SigningMethodEdDSA, callerKey)),
		"no issued-at":       signed(forge(t, jwt.RegisteredClaims{Subject: "caller", Audience: jwt.ClaimStrings{"callee"}, ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, jwt.SigningMethodEdDSA, callerKey)),
		"issued in future":   signed(forge(t, claimsFor("caller", "callee", now.Add(time.Hour), now.Add(time.Hour+time.Minute)), jwt.SigningMethodEdDSA, callerKey)),
		"too long-lived":     signed(forge(t, claimsFor("caller", "callee", now, now.Add(identity.MaxTokenTTL+time.Minute)), jwt.SigningMethodEdDSA, callerKey)),
		"unknown key":        identity.NewSigner("caller", stranger).Transport("callee", nil),
		"unknown caller":     identity.NewSigner("intruder", stranger).Transport("callee", nil),
		"alg none":           signed(forge(t, claimsFor("caller", "callee", now, now.Add(time.Minute)), jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)),
		"HS256 with pub key": signed(forge(t, claimsFor("caller", "callee", now, now.Add(time.Minute)), jwt.SigningMethodHS256, []byte(s.keys["caller"].Public["caller"]))),
		"other's key":        signed(forge(t, claimsFor("caller", "callee", now, now.Add(time.Minute)), jwt.SigningMethodEdDSA, s.keys["other"].Private)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.whoAmI(t, rt)
			wantCode(t, err, connect.CodeUnauthenticated)
		})
	}
}

func TestUserHeadersTrustedFromGatewayOnly(t *testing.T) {
	s := newTestServer(t)
	user := headerTransport{
		identity.UserSubjectHeader: "alice", identity.UserRolesHeader: "customer, admin",
		identity.UserClaimsHeader: identity.EncodeClaims(map[string]string{"org": "acme & co", "tier": "gold"}),
	}
	withUser := func(k *identity.Keys) http.RoundTripper { return k.Signer().Transport("callee", user) }
	got, err := s.whoAmI(t, withUser(s.keys[identity.Gateway]))
	if err != nil {
		t.Fatal(err)
	}
	if want := "gateway|alice|customer,admin|acme & co"; got != want {
		t.Errorf("from the gateway: %q, want %q", got, want)
	}
	got, err = s.whoAmI(t, withUser(s.keys["caller"]))
	if err != nil {
		t.Fatal(err)
	}
	if want := "caller|-||"; got != want {
		t.Errorf("from a service: %q, want %q (user headers must be ignored)", got, want)
	}
}

func TestClaims(t *testing.T) {
	ctx := identity.WithClaims(identity.WithUser(t.Context(), "alice", nil), map[string]string{"org": "acme", "empty": ""})
	for name, want := range map[string]string{"sub": "alice", "org": "acme", "empty": "", "missing": ""} {
		if got, ok := identity.Claim(ctx, name); got != want || ok != (want != "") {
			t.Errorf("Claim(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := identity.Claim(identity.WithClaims(t.Context(), map[string]string{"org": "acme"}), "org"); ok {
		t.Error("claims without an end user")
	}
}

func TestOpenAndPlainPaths(t *testing.T) {
	s := newTestServer(t)
	get := func(rt http.RoundTripper, path string) int {
		t.Helper()
		rt = inTenant(rt)
		resp, err := (&http.Client{Transport: rt}).Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(http.DefaultTransport, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without a token: %d", code)
	}
	if code := get(http.DefaultTransport, "/state"); code != http.StatusUnauthorized {
		t.Errorf("/state without a token: %d, want 401", code)
	}
	if code := get(s.keys["caller"].Signer().Transport("callee", nil), "/state"); code != http.StatusForbidden {
		t.Errorf("/state from caller: %d, want 403", code)
	}
	if code := get(s.keys["callee"].Signer().Transport("callee", nil), "/state"); code != http.StatusOK {
		t.Errorf("/state from callee itself: %d, want 200", code)
	}
}

func TestPolicyPrefixes(t *testing.T) {
	p := identity.Policy{"/sagas": {"a"}, "/sagas/": {"b"}, "/x/": {"c"}}
	for path, want := range map[string]string{"/sagas": "a", "/sagas/123": "b", "/x/y/z": "c", "/y": ""} {
		if got := strings.Join(p.Callers(path), ","); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	keys, err := identity.GenerateKeys("orders", identity.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	gw := keys[identity.Gateway]
	der, err := x509.MarshalPKIXPublicKey(gw.Public[identity.Gateway])
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ORDERS_" + identity.PrivateKeyEnv: identity.EncodePrivateKey(keys["orders"].Private),
		identity.PublicKeyEnv("gateway"):   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	}
	loaded, err := identity.LoadKeys(config.FromMap("ORDERS", env), "orders", []string{identity.Gateway})
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Private.Equal(keys["orders"].Private) || !loaded.Public[identity.Gateway].Equal(gw.Public[identity.Gateway]) {
		t.Error("loaded keys differ from the generated ones")
	}
	token, err := gw.Signer().Token("orders")
	if err != nil {
		t.Fatal(err)
	}
	if caller, err := loaded.Verify(token); err != nil || caller != identity.Gateway {
		t.Errorf("verify: %q, %v", caller, err)
	}

	// No key, no service: never a silent fallback.
	_, err = identity.LoadKeys(config.FromMap("ORDERS", map[string]string{}), "orders", []string{identity.Gateway})
	if err == nil || !strings.Contains(err.Error(), identity.PrivateKeyEnv) || !strings.Contains(err.Error(), "GATEWAY_PUBLIC_KEY") {
		t.Errorf("without keys: %v", err)
	}
	_, err = identity.LoadKeys(config.FromMap("ORDERS", map[string]string{identity.PrivateKeyEnv: "c2hvcnQ="}), "orders", nil)
	if err == nil {
		t.Error("a 5-byte private key was accepted")
	}
	var nilKeys *identity.Keys
	if err := nilKeys.Validate(); err == nil {
		t.Error("no identity validated")
	}
	if _, err := loaded.Verify(""); !errors.Is(err, identity.ErrMissingToken) {
		t.Errorf("empty token: %v", err)
	}
}

func TestEncodedKeysRoundTrip(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := identity.ParsePrivateKey(identity.EncodePrivateKey(priv))
	if err != nil || !p.Equal(priv) {
		t.Errorf("private key: %v", err)
	}
	q, err := identity.ParsePublicKey(identity.EncodePublicKey(pub))
	if err != nil || !q.Equal(pub) {
		t.Errorf("public key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err = identity.ParsePrivateKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	if err != nil || !p.Equal(priv) {
		t.Errorf("PEM private key: %v", err)
	}
	if _, err := identity.ParsePublicKey("%%%"); err == nil {
		t.Error("garbage parsed as a public key")
	}
}

func BenchmarkSignAndVerify(b *testing.B) {
	keys, err := identity.GenerateKeys("a", "b")
	if err != nil {
		b.Fatal(err)
	}
	signer := keys["a"].Signer()
	for b.Loop() {
		token, err := signer.Token("b")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := keys["b"].Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

// capture records the service token of every request.
type capture struct{ tokens []string }

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	c.tokens = append(c.tokens, r.Header.Get(identity.Header))
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
}

// A transport reuses its token (per audience) instead of signing each
// request; Token always signs a new one.
func TestTransportReusesTokens(t *testing.T) {
	keys, err := identity.GenerateKeys("a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	signer := keys["a"].Signer()
	rec := &capture{}
	for _, aud := range []string{"b", "b", "c"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+aud+"/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(identity.Header, "forged")
		resp, err := signer.Transport(aud, rec).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if rec.tokens[0] == "" || rec.tokens[0] != rec.tokens[1] || rec.tokens[1] == rec.tokens[2] {
		t.Errorf("tokens %q: want one reused for b, another for c", rec.tokens)
	}
	for i, aud := range []string{"b", "b", "c"} {
		if caller, err := keys[aud].Verify(rec.tokens[i]); err != nil || caller != "a" {
			t.Errorf("token %d for %s: %q, %v", i, aud, caller, err)
		}
	}
	t1, _ := signer.Token("b")
	t2, _ := signer.Token("b")
	if t1 == t2 {
		t.Error("Token returned the same token twice (no jti)")
	}
}

// BenchmarkVerify is what Guard adds to most requests: the token was
// verified before and is remembered. BenchmarkSignAndVerify is the first
// request with a token: a signature check.
func BenchmarkVerify(b *testing.B) {
	keys, err := identity.GenerateKeys("a", "b")
	if err != nil {
		b.Fatal(err)
	}
	token, err := keys["a"].Signer().Token("b")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := keys["b"].Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}
