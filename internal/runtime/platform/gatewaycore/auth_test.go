package gatewaycore

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/microforge/microforge/internal/runtime/platform/config"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

func TestVerifier(t *testing.T) {
	key := mustKey(t)
	v, err := newVerifier(t.Context(), testAuth(mustJWKS(t, key)), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.verify(t.Context(), mustSign(t, key, testClaims("customer", "admin")))
	if err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	if id.Subject != "alice" || !id.hasAny([]string{"admin"}) || id.hasAny([]string{"auditor"}) || id.Tenant != wantTenant {
		t.Errorf("identity %+v", id)
	}

	mutate := func(f func(*Claims)) string {
		c := testClaims("customer")
		f(&c)
		return mustSign(t, key, c)
	}
	publicDER, err := x509.MarshalPKIXPublicKey(&key.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	hmacWithPublicKey := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://issuer.test/", "aud": "test-api", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix(),
	})
	hmacWithPublicKey.Header["kid"] = key.kid
	confused, err := hmacWithPublicKey.SignedString(publicDER)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"iss": "https://issuer.test/", "aud": "test-api", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"empty":                           "",
		"garbage":                         "a.b.c",
		"expired":                         mutate(func(c *Claims) { c.IssuedAt = time.Now().Add(-2 * time.Hour) }),
		"not yet valid":                   mutate(func(c *Claims) { c.IssuedAt = time.Now().Add(time.Hour) }),
		"wrong issuer":                    mutate(func(c *Claims) { c.Issuer = "https://other.test/" }),
		"wrong audience":                  mutate(func(c *Claims) { c.Audience = "other-api" }),
		"no subject":                      mutate(func(c *Claims) { c.Subject = "" }),
		"role with a comma":               mutate(func(c *Claims) { c.Roles = []string{"customer,admin"} }),
		"unknown key":                     mustSign(t, mustKey(t), testClaims("customer")),
		"alg none":                        none,
		"HS256 keyed with the public key": confused,
	} {
		for range 2 {
			if _, err := v.verify(t.Context(), token); err == nil {
				t.Errorf("%s: token accepted", name)
			}
		}
	}
	if n := v.verified.Len(); n != 1 {
		t.Errorf("%d tokens remembered, want only the valid one", n)
	}
}

// A verified token is remembered until its exp, and at most
// maxCachedVerification: past that it is checked in full again, so an
// expired token and one of a key the issuer withdrew are refused.
func TestVerifierRemembersTokens(t *testing.T) {
	key, withdrawn := mustKey(t), mustKey(t)
	v, err := newVerifier(t.Context(), testAuth(mustJWKS(t, key)), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	v.clock = func() time.Time { return now }
	c := testClaims("admin")
	c.IssuedAt, c.TTL = now, 10*time.Minute
	token := mustSign(t, key, c)
	for range 2 {
		if id, err := v.verify(t.Context(), token); err != nil || id.Subject != "alice" || !id.hasAny([]string{"admin"}) {
			t.Fatalf("valid token: %+v, %v", id, err)
		}
	}
	if n := v.verified.Len(); n != 1 {
		t.Fatalf("%d tokens remembered, want 1", n)
	}

	// The key set no longer holds the token's key: the remembered
	// verification holds for maxCachedVerification only.
	other, err := newVerifier(t.Context(), testAuth(mustJWKS(t, withdrawn)), nil)
	if err != nil {
		t.Fatal(err)
	}
	v.keys = other.keys
	now = now.Add(maxCachedVerification / 2)
	if _, err := v.verify(t.Context(), token); err != nil {
		t.Fatalf("remembered token refused: %v", err)
	}
	now = now.Add(maxCachedVerification)
	if _, err := v.verify(t.Context(), token); err == nil {
		t.Fatal("token of a withdrawn key accepted past maxCachedVerification")
	}

	// A token verified shortly before its exp is remembered until exp.
	if v, err = newVerifier(t.Context(), testAuth(mustJWKS(t, key)), nil); err != nil {
		t.Fatal(err)
	}
	v.clock = func() time.Time { return now }
	c.IssuedAt, c.TTL = now.Add(-time.Hour), time.Hour+10*time.Second
	token = mustSign(t, key, c)
	if _, err := v.verify(t.Context(), token); err != nil {
		t.Fatalf("token 10s before exp: %v", err)
	}
	now = now.Add(10*time.Second + clockSkew + time.Second)
	if _, err := v.verify(t.Context(), token); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("past exp and clock skew: %v, want expired", err)
	}
}

// A key the issuer rotates in is fetched again when a token names it.
func TestVerifierFollowsKeyRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	var current atomic.Value
	current.Store(mustJWKS(t, oldKey))
	var fetches atomic.Int32
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(current.Load().(json.RawMessage))
	}))
	defer jwks.Close()
	cfg := testAuth(nil)
	cfg.JWKSURL = jwks.URL
	v, err := newVerifier(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.verify(t.Context(), mustSign(t, oldKey, testClaims())); err != nil {
		t.Fatalf("token of the published key refused: %v", err)
	}
	before := fetches.Load()
	if _, err := v.verify(t.Context(), mustSign(t, oldKey, testClaims())); err != nil || fetches.Load() != before {
		t.Fatalf("second token: %v, %d fetches after %d: the key set is not cached", err, fetches.Load(), before)
	}
	current.Store(mustJWKS(t, newKey))
	if _, err := v.verify(t.Context(), mustSign(t, newKey, testClaims())); err != nil {
		t.Fatalf("token of the rotated-in key refused: %v", err)
	}
}

func TestVerifierNeedsKeys(t *testing.T) {
	if _, err := newVerifier(t.Context(), testAuth(nil), nil); err == nil {
		t.Error("verifier without JWKS or JWKS_URL built")
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(RateLimit{RequestsPerSecond: 1, Burst: 2})
	now := time.Now()
	for i := range 2 {
		if _, ok := l.allow("a", now); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	wait, ok := l.allow("a", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Errorf("third request: ok %v, wait %v; want refused for up to 1s", ok, wait)
	}
	if _, ok := l.allow("b", now); !ok {
		t.Error("another client was limited")
	}
	if _, ok := l.allow("a", now.Add(time.Second)); !ok {
		t.Error("refilled bucket refused")
	}
}

func TestDevKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadDevKey(dir, "roles")
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadDevKey(dir, "roles")
	if err != nil {
		t.Fatal(err)
	}
	if first.kid != second.kid || string(mustJWKS(t, first)) != string(mustJWKS(t, second)) {
		t.Error("the development key changed between runs")
	}
}

// Roles come as a list or a space-separated string; a roles claim of
// another shape refuses the token.
func TestVerifierRoles(t *testing.T) {
	key := mustKey(t)
	v, err := newVerifier(t.Context(), testAuth(mustJWKS(t, key)), []string{"org"})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(roles any) string {
		t.Helper()
		c := testClaims()
		c.Extra = map[string]string{"org": "acme"}
		token := mustSign(t, key, c)
		if roles == nil {
			return token
		}
		// Re-sign with the roles claim replaced.
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
			t.Fatal(err)
		}
		claims["roles"] = roles
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = key.kid
		signed, err := tok.SignedString(key.key)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	id, err := v.verify(t.Context(), sign("customer admin"))
	if err != nil || strings.Join(id.Roles, ",") != "customer,admin" || id.Claims["org"] != "acme" {
		t.Errorf("space-separated roles: %+v, %v", id, err)
	}
	for name, roles := range map[string]any{"a number": 42, "a list with a number": []any{"admin", 42}} {
		if _, err := v.verify(t.Context(), sign(roles)); err == nil {
			t.Errorf("roles as %s accepted", name)
		}
	}
	if _, err := v.verify(t.Context(), strings.Repeat("x", maxTokenBytes+1)); err == nil {
		t.Error("an oversized token accepted")
	}
}

func TestFromEnv(t *testing.T) {
	keys, err := identity.GenerateKeys(identity.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	sys := testSystem()
	defaults := Config{
		Addr: ":8080", MetricsAddr: ":9090",
		Upstreams: map[string]string{"alpha": "http://localhost:1", "beta": "http://localhost:2"},
		Auth:      AuthConfig{Issuer: "https://issuer.test/", Audience: "test-api", RolesClaim: "roles"},
		RateLimit: &RateLimit{RequestsPerSecond: 10, Burst: 20},
	}
	env := map[string]string{
		identity.PrivateKeyEnv: identity.EncodePrivateKey(keys[identity.Gateway].Private),
		"PORT":                 "8081",
		"GATEWAY_PORT":         "8082", // the prefixed name wins
		"BETA_URL":             "http://beta:8080",
		"JWKS_URL":             "https://issuer.test/jwks",
		"RATE_LIMIT_RPS":       "5",
		"CORS_ALLOWED_ORIGINS": "https://a.test, https://b.test",
		"REQUEST_TIMEOUT":      "3s",
		"TRUST_FORWARDED_FOR":  "true",
	}
	cfg, err := FromEnv(config.FromMap("GATEWAY", env), defaults, sys.Upstreams)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8082" || cfg.MetricsAddr != ":9090" || cfg.Upstreams["alpha"] != "http://localhost:1" || cfg.Upstreams["beta"] != "http://beta:8080" ||
		cfg.Auth.JWKSURL != "https://issuer.test/jwks" || *cfg.RateLimit != (RateLimit{RequestsPerSecond: 5, Burst: 20}) ||
		strings.Join(cfg.AllowedOrigins, " ") != "https://a.test https://b.test" || cfg.RequestTimeout != 3*time.Second || !cfg.TrustForwardedFor ||
		cfg.Identity == nil || cfg.Logger == nil {
		t.Errorf("config %+v", cfg)
	}
	if defaults.RateLimit.RequestsPerSecond != 10 || defaults.Upstreams["beta"] != "http://localhost:2" {
		t.Error("FromEnv changed the defaults")
	}

	env["RATE_LIMIT_RPS"] = "0"
	if cfg, err := FromEnv(config.FromMap("GATEWAY", env), defaults, sys.Upstreams); err != nil || cfg.RateLimit != nil {
		t.Errorf("RATE_LIMIT_RPS=0: %+v, %v; want no limit", cfg.RateLimit, err)
	}
	_, err = FromEnv(config.FromMap("GATEWAY", map[string]string{"RATE_LIMIT_RPS": "fast", "PORT": "eighty", "LOG_LEVEL": "loud"}), defaults, sys.Upstreams)
	for _, want := range []string{"RATE_LIMIT_RPS", "PORT", identity.PrivateKeyEnv, "loud"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("malformed settings: %v, want it to name %s", err, want)
		}
	}
}

// clientIP trusts X-Forwarded-For only behind a trusted proxy.
func TestClientIP(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.1:4321"
	req.Header.Add("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
	for trust, want := range map[bool]string{false: "192.0.2.1", true: "203.0.113.9"} {
		g := &Gateway{cfg: Config{TrustForwardedFor: trust}}
		if got := g.clientIP(req); got != want {
			t.Errorf("trusting X-Forwarded-For %v: %q, want %q", trust, got, want)
		}
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
