// Package identity is zero trust between the deployables of the system:
// every service and the gateway hold their own Ed25519 key, every
// service-to-service request carries a short-lived token signed with the
// caller's key (header X-Service-Token: a JWT, alg EdDSA, sub the caller, aud
// the callee, exp one minute after iat), and every service checks the token
// and the caller against the procedure's allowed callers, which the
// blueprint decides: the gateway for routed methods, the services whose
// calls list the service, a saga's orchestrator for the commands its steps
// name, and the service itself.
//
// Keys come from the environment, never from files in the repository: a
// deployable reads its private key from SERVICE_PRIVATE_KEY and the public
// key of every other deployable from <NAME>_PUBLIC_KEY (GATEWAY_PUBLIC_KEY,
// ORDERS_PUBLIC_KEY, ...), each the standard base64 of the raw key (the
// 32-byte seed for a private key) or a PEM block (PKCS #8, PKIX). A
// deployable missing any of them refuses to start; there is no mode that
// accepts unsigned calls. go run ./cmd/keys prints fresh keys as Kubernetes
// Secrets or .env lines; cmd/local generates keys in memory at every start.
package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	"github.com/microforge/microforge/internal/runtime/platform/config"
)

// Headers of the protocol between deployables.
const (
	// Header carries the caller's service token.
	Header = "X-Service-Token"
	// UserSubjectHeader and UserRolesHeader (comma-separated) carry the end
	// user the gateway verified, UserClaimsHeader the other verified claims
	// it forwards (those the blueprint's owner rules name), URL-query
	// encoded: name=value&name=value. Services trust them from the gateway
	// only.
	UserSubjectHeader = "X-User-Subject"
	UserRolesHeader   = "X-User-Roles"
	UserClaimsHeader  = "X-User-Claims"
)

// userHeaderPrefix starts every header carrying the end user: Guard removes
// each from every request.
const userHeaderPrefix = "X-User-"

// Gateway is the gateway's name as a caller.
const Gateway = "gateway"

// Token lifetimes: tokens are signed for TokenTTL; a server accepts clock
// skew up to Leeway and refuses tokens valid for longer than MaxTokenTTL, so
// a leaked token is of little use.
const (
	TokenTTL    = time.Minute
	MaxTokenTTL = 5 * time.Minute
	Leeway      = 5 * time.Second
)

// PrivateKeyEnv is the environment variable holding a deployable's private
// key; PublicKeyEnv names the one holding another deployable's public key.
const PrivateKeyEnv = "SERVICE_PRIVATE_KEY"

// PublicKeyEnv returns the environment variable holding the public key of
// the deployable name: "ORDERS_PUBLIC_KEY" for "orders".
func PublicKeyEnv(name string) string { return strings.ToUpper(name) + "_PUBLIC_KEY" }

// Keys is one deployable's identity: its name and private key, and the
// public keys of the deployables whose calls it can verify (its own
// included).
type Keys struct {
	Name    string
	Private ed25519.PrivateKey
	Public  map[string]ed25519.PublicKey

	// verified are the tokens Verify accepted, by token, until they
	// expire: a caller reuses its token for TokenTTL/2, so most calls
	// skip the signature check.
	verified TokenCache[string]
	// clock is time.Now unless a test sets it.
	clock func() time.Time
}

func (k *Keys) now() time.Time {
	if k.clock != nil {
		return k.clock()
	}
	return time.Now()
}

// LoadKeys reads the identity of the deployable self from env: its private
// key and the public key of every peer. Any missing or malformed key is an
// error: a deployable without keys must not start.
func LoadKeys(env *config.Env, self string, peers []string) (*Keys, error) {
	var errs []error
	k := &Keys{Name: self, Public: map[string]ed25519.PublicKey{}}
	if v := env.String(PrivateKeyEnv, ""); v == "" {
		errs = append(errs, fmt.Errorf("%s is not set (create keys with go run ./cmd/keys)", PrivateKeyEnv))
	} else if priv, err := ParsePrivateKey(v); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", PrivateKeyEnv, err))
	} else {
		k.Private = priv
		k.Public[self] = priv.Public().(ed25519.PublicKey)
	}
	for _, p := range peers {
		name := PublicKeyEnv(p)
		v := env.String(name, "")
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is not set (create keys with go run ./cmd/keys)", name))
			continue
		}
		pub, err := ParsePublicKey(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		k.Public[p] = pub
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("service identity of %s: %w", self, err)
	}
	return k, nil
}

// SystemKeysFromEnv reads the identity of every named deployable from
// one environment, each private key as <NAME>_SERVICE_PRIVATE_KEY (as
// go run ./cmd/keys -format env prints them), each public key as
// <NAME>_PUBLIC_KEY. ok is false, with no error, when none of the private
// keys is set; some but not all set is an error.
func SystemKeysFromEnv(lookup func(string) (string, bool), names ...string) (keys map[string]*Keys, ok bool, err error) {
	set := 0
	for _, n := range names {
		if v, found := lookup(strings.ToUpper(n) + "_" + PrivateKeyEnv); found && v != "" {
			set++
		}
	}
	if set == 0 {
		return nil, false, nil
	}
	env := map[string]string{}
	for _, n := range names {
		for _, k := range []string{strings.ToUpper(n) + "_" + PrivateKeyEnv, PublicKeyEnv(n)} {
			if v, found := lookup(k); found {
				env[k] = v
			}
		}
	}
	keys = map[string]*Keys{}
	var errs []error
	for _, n := range names {
		var peers []string
		for _, p := range names {
			if p != n {
				peers = append(peers, p)
			}
		}
		k, err := LoadKeys(config.FromMap(strings.ToUpper(n), env), n, peers)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys[n] = k
	}
	if err := errors.Join(errs...); err != nil {
		return nil, true, err
	}
	return keys, true, nil
}

// GenerateKeys returns fresh identities for the named deployables, each
// knowing every other's public key: what cmd/local and tests use.
func GenerateKeys(names ...string) (map[string]*Keys, error) {
	out := map[string]*Keys{}
	public := map[string]ed25519.PublicKey{}
	for _, n := range names {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		out[n] = &Keys{Name: n, Private: priv}
		public[n] = pub
	}
	for _, k := range out {
		k.Public = public
	}
	return out, nil
}

// Validate reports whether the identity can sign and verify.
func (k *Keys) Validate() error {
	switch {
	case k == nil:
		return errors.New("no service identity")
	case k.Name == "":
		return errors.New("service identity without a name")
	case len(k.Private) != ed25519.PrivateKeySize:
		return fmt.Errorf("service identity of %s: no private key", k.Name)
	}
	return nil
}

// Signer returns a signer of tokens naming the identity as the caller.
func (k *Keys) Signer() *Signer { return NewSigner(k.Name, k.Private) }

// EncodePrivateKey returns the standard base64 of the key's 32-byte seed,
// the form ParsePrivateKey reads.
func EncodePrivateKey(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Seed())
}

// EncodePublicKey returns the standard base64 of the raw public key.
func EncodePublicKey(k ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k)
}

// ParsePrivateKey reads an Ed25519 private key: base64 of the 32-byte seed
// or of the 64-byte key, or a PKCS #8 PEM block.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("not a PEM block")
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		priv, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an Ed25519 private key", key)
		}
		return priv, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("neither base64 nor PEM")
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !priv.Equal(ed25519.PrivateKey(b)) {
			return nil, errors.New("inconsistent Ed25519 private key")
		}
		return priv, nil
	}
	return nil, fmt.Errorf("%d bytes: not an Ed25519 private key", len(b))
}

// ParsePublicKey reads an Ed25519 public key: base64 of the 32 raw bytes or
// a PKIX PEM block.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("not a PEM block")
		}
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an Ed25519 public key", key)
		}
		return pub, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("neither base64 nor PEM")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%d bytes: not an Ed25519 public key", len(b))
	}
	return ed25519.PublicKey(b), nil
}

// Signer mints service tokens naming one caller. Transports reuse a token
// for half its lifetime, so signing costs nothing on most requests.
type Signer struct {
	name string
	key  ed25519.PrivateKey

	mu     sync.Mutex
	cached map[string]cachedToken // by audience
}

type cachedToken struct {
	token   string
	refresh time.Time // when to sign a new one
}

// NewSigner returns a signer for the caller name ("gateway", "orders").
func NewSigner(name string, key ed25519.PrivateKey) *Signer {
	return &Signer{name: name, key: key, cached: map[string]cachedToken{}}
}

// current returns a token for audience signed less than TokenTTL/2 ago,
// signing a new one when there is none.
func (s *Signer) current(audience string) (string, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.cached[audience]
	s.mu.Unlock()
	if ok && now.Before(c.refresh) {
		return c.token, nil
	}
	token, err := s.Token(audience)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.cached[audience] = cachedToken{token, now.Add(TokenTTL / 2)}
	s.mu.Unlock()
	return token, nil
}

// Name returns the caller the signer's tokens name.
func (s *Signer) Name() string { return s.name }

// Token returns a new token for calling audience, valid for TokenTTL.
func (s *Signer) Token(audience string) (string, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Subject:   s.name,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(TokenTTL)),
		ID:        hex.EncodeToString(jti[:]),
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(s.key)
}

// Transport returns a RoundTripper that sends a token for audience (signed
// at most TokenTTL/2 ago) with every request through next (http.DefaultTransport when nil). A
// token already on the request is replaced.
func (s *Signer) Transport(audience string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &signing{signer: s, audience: audience, next: next}
}

type signing struct {
	signer   *Signer
	audience string
	next     http.RoundTripper
}

func (t *signing) RoundTrip(r *http.Request) (*http.Response, error) {
	token, err := t.signer.current(t.audience)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("sign service token: %w", err)
	}
	r = r.Clone(r.Context())
	r.Header.Set(Header, token)
	return t.next.RoundTrip(r)
}

// Policy says which callers may call what: keys are Connect procedure
// paths ("/shop.orders.v1.OrdersService/PlaceOrder") or, ending in "/",
// path prefixes; values are caller names.
type Policy map[string][]string

// Callers returns the callers allowed for a request path: its exact entry,
// else its longest prefix entry; nil when none applies.
func (p Policy) Callers(path string) []string {
	if c, ok := p[path]; ok {
		return c
	}
	best := ""
	for k := range p {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(path, k) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return nil
	}
	return p[best]
}

// Open reports whether a path is reachable without a service token:
// liveness, readiness, metrics, gRPC health and server reflection.
func Open(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	for _, prefix := range []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// Errors of verification, wrapped in the error Verify returns.
var (
	ErrMissingToken  = errors.New("missing service token")
	ErrUnknownCaller = errors.New("unknown caller")
)

// Verify checks a token addressed to keys.Name: an EdDSA signature by the
// key of the caller it names, aud the verifier, iat and exp present, not
// expired (up to Leeway), valid for at most MaxTokenTTL. It returns the
// caller's name.
//
// A token that passed is remembered until its exp (a bounded TokenCache
// per Keys, so per audience), and the same token presented again before
// then is accepted without checking its signature again: nothing a check
// looked at can change for the same bytes but the time, and past exp the
// token is checked in full again, which refuses it once Leeway is over.
func (k *Keys) Verify(token string) (string, error) {
	if token == "" {
		return "", ErrMissingToken
	}
	now := k.now()
	if caller, ok := k.verified.Get(token, now); ok {
		return caller, nil
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithAudience(k.Name),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var claims jwt.RegisteredClaims
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		sub, err := t.Claims.GetSubject()
		if err != nil {
			return nil, err
		}
		key, ok := k.Public[sub]
		if !ok || sub == "" {
			return nil, fmt.Errorf("%w %q", ErrUnknownCaller, sub)
		}
		return key, nil
	})
	if err != nil {
		return "", err
	}
	if claims.IssuedAt == nil {
		return "", errors.New("token without iat")
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > MaxTokenTTL {
		return "", fmt.Errorf("token valid for %s, longer than %s", claims.ExpiresAt.Sub(claims.IssuedAt.Time), MaxTokenTTL)
	}
	k.verified.Put(token, claims.Subject, claims.ExpiresAt.Time, now)
	return claims.Subject, nil
}

// Guard lets a request reach next only when it carries a valid service
// token of a caller the policy allows for its path; Open paths pass
// without one. A missing or invalid token is refused as Unauthenticated and
// a caller the policy does not allow as PermissionDenied, in the request's
// protocol (Connect, gRPC, gRPC-Web; plain 401/403 otherwise). The verified
// caller is in the request's context (Caller); every X-User-* header is
// removed from every request and, when the caller is the gateway, its
// subject, roles and claims are put in the context (User, Claim). So are
// the other headers only a verified caller may set (callerHeaders): what
// they say is put in the context by inCallersScope, which refuses a
// request it cannot place as PermissionDenied.
func Guard(keys *Keys, policy Policy, next http.Handler) http.Handler {
	errorWriter := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.Header
		if hasCallerHeader(sent) {
			r = r.Clone(r.Context())
			for k := range r.Header {
				if strings.HasPrefix(k, userHeaderPrefix) {
					r.Header.Del(k)
				}
			}
			for _, k := range callerHeaders {
				r.Header.Del(k)
			}
		}
		if Open(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		caller, err := keys.Verify(sent.Get(Header))
		if err != nil {
			msg := "invalid service token"
			if errors.Is(err, ErrMissingToken) {
				msg = ErrMissingToken.Error()
			}
			refuse(errorWriter, w, r, connect.CodeUnauthenticated, msg)
			return
		}
		if !slices.Contains(policy.Callers(r.URL.Path), caller) {
			refuse(errorWriter, w, r, connect.CodePermissionDenied, caller+" may not call "+r.URL.Path)
			return
		}
		ctx, err := inCallersScope(context.WithValue(r.Context(), callerKey{}, caller), sent)
		if err != nil {
			refuse(errorWriter, w, r, connect.CodePermissionDenied, err.Error())
			return
		}
		if subject := sent.Get(UserSubjectHeader); caller == Gateway && subject != "" {
			ctx = WithUser(ctx, subject, splitRoles(sent.Get(UserRolesHeader)))
			ctx = WithClaims(ctx, parseClaims(sent.Get(UserClaimsHeader)))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// hasCallerHeader reports whether h holds an X-User-* header or one of
// callerHeaders.
func hasCallerHeader(h http.Header) bool {
	for _, k := range callerHeaders {
		if h.Get(k) != "" {
			return true
		}
	}
	for k := range h {
		if strings.HasPrefix(k, userHeaderPrefix) {
			return true
		}
	}
	return false
}

// EncodeClaims returns the value of UserClaimsHeader for claims; "" for
// none.
func EncodeClaims(claims map[string]string) string {
	values := url.Values{}
	for name, value := range claims {
		values.Set(name, value)
	}
	return values.Encode()
}

// parseClaims reads a UserClaimsHeader value; a malformed one carries no
// claims.
func parseClaims(s string) map[string]string {
	values, err := url.ParseQuery(s)
	if err != nil || len(values) == 0 {
		return nil
	}
	out := make(map[string]string, len(values))
	for name, v := range values {
		out[name] = v[0]
	}
	return out
}

func refuse(ew *connect.ErrorWriter, w http.ResponseWriter, r *http.Request, code connect.Code, msg string) {
	if ew.IsSupported(r) {
		_ = ew.Write(w, r, connect.NewError(code, errors.New(msg)))
		return
	}
	status := http.StatusForbidden
	if code == connect.CodeUnauthenticated {
		status = http.StatusUnauthorized
	}
	http.Error(w, msg, status)
}

func splitRoles(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

type callerKey struct{}

type userKey struct{}

type user struct {
	subject string
	roles   []string
	claims  map[string]string
}

// Caller returns the verified caller of the request whose context ctx is.
func Caller(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(callerKey{}).(string)
	return c, ok
}

// WithCaller returns ctx naming caller as the verified caller, as Guard
// does; for tests of code that reads Caller.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// WithUser returns ctx carrying an end user, as Guard does for requests
// from the gateway; for tests of handlers that read User.
func WithUser(ctx context.Context, subject string, roles []string) context.Context {
	return context.WithValue(ctx, userKey{}, user{subject: subject, roles: slices.Clone(roles)})
}

// WithClaims returns ctx whose end user (see WithUser) also holds claims,
// verified claims beyond sub and roles; ctx unchanged when it carries no
// end user.
func WithClaims(ctx context.Context, claims map[string]string) context.Context {
	u, ok := ctx.Value(userKey{}).(user)
	if !ok || len(claims) == 0 {
		return ctx
	}
	u.claims = make(map[string]string, len(claims))
	for name, value := range claims {
		u.claims[name] = value
	}
	return context.WithValue(ctx, userKey{}, u)
}

// User returns the end user the gateway verified for the request whose
// context ctx is: ok is false for calls that do not come from the gateway
// on a user's behalf.
func User(ctx context.Context) (subject string, roles []string, ok bool) {
	u, ok := ctx.Value(userKey{}).(user)
	if !ok {
		return "", nil, false
	}
	return u.subject, slices.Clone(u.roles), true
}

// Claim returns the value of a verified claim of the end user of ctx: sub
// is the subject, other claims those the gateway forwards. ok is false
// when ctx carries no end user or the user's token has no such claim.
func Claim(ctx context.Context, name string) (value string, ok bool) {
	u, isUser := ctx.Value(userKey{}).(user)
	switch {
	case !isUser:
		return "", false
	case name == "sub":
		return u.subject, u.subject != ""
	}
	value, ok = u.claims[name]
	return value, ok && value != ""
}
