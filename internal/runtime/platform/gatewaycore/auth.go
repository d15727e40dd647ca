package gatewaycore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// AllowedAlgorithms are the only signature algorithms a token may use:
// asymmetric ones, so that "none" and HMAC tokens keyed with a public key
// (algorithm confusion) are refused.
var AllowedAlgorithms = []string{"RS256", "ES256", "EdDSA"}

// maxTokenBytes bounds the tokens the gateway parses.
const maxTokenBytes = 8 << 10

// clockSkew is how far exp and nbf may be off.
const clockSkew = 30 * time.Second

// A verified token is remembered until its exp, for at most
// maxCachedVerification (so a key the issuer withdraws from its key set
// stops admitting tokens soon after), in a cache of verifiedTokens tokens.
const (
	maxCachedVerification = time.Minute
	verifiedTokens        = 8192
)

// user is a verified token's subject and roles, the claims the gateway
// forwards and, in a multi-tenant system, its tenant.
type user struct {
	Subject string
	Roles   []string
	// Claims are the string values of the token's forwarded claims; a
	// claim that is missing or not a string is left out, so its owner
	// rules give the user nothing.
	Claims map[string]string
	// Tenant is the tenant claim's value (tenant.Claim) in a multi-tenant
	// system: "" when the token has none, or not a string, and always in a
	// single-tenant one (see tenantOf).
	Tenant string
}

// hasAny reports whether the user holds one of roles; true when roles
// is empty.
func (id user) hasAny(roles []string) bool {
	if len(roles) == 0 {
		return true
	}
	for _, r := range id.Roles {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// verifier checks bearer tokens.
type verifier struct {
	keys       keyfunc.Keyfunc
	parser     *jwt.Parser
	rolesClaim string
	forwarded  []string // the claims forwarded besides sub and roles
	// verified are the tokens verify accepted and who they name: a
	// client sends the same token with every request until it expires.
	verified identity.TokenCache[user]
	clock    func() time.Time // time.Now unless a test sets it
}

func (v *verifier) now() time.Time {
	if v.clock != nil {
		return v.clock()
	}
	return time.Now()
}

// newVerifier builds a verifier from fixed keys, or from the JWK Set at
// JWKSURL, which it caches, refreshes hourly and re-reads (at most every
// five minutes) when a token names a key it does not know, so that the
// issuer can rotate keys. Tokens carry the forwarded claims to services. The context ends the refreshing.
func newVerifier(ctx context.Context, cfg AuthConfig, forwarded []string) (*verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("gateway: routes require auth: set JWT_ISSUER and JWT_AUDIENCE")
	}
	var (
		keys keyfunc.Keyfunc
		err  error
	)
	switch {
	case len(cfg.JWKS) > 0:
		keys, err = keyfunc.NewJWKSetJSON(cfg.JWKS)
	case cfg.JWKSURL != "":
		keys, err = keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
	default:
		return nil, errors.New("gateway: routes require auth: set JWKS_URL")
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: keys: %w", err)
	}
	v := &verifier{
		keys:       keys,
		rolesClaim: cfg.RolesClaim,
		forwarded:  forwarded,
		verified:   identity.TokenCache[user]{Size: verifiedTokens},
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(AllowedAlgorithms),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
	)
	return v, nil
}

// verify checks a token's signature, algorithm, iss, aud, exp and nbf and
// returns who it names. The error says why, for the debug log only. A
// token that passed is remembered (see maxCachedVerification) and not
// checked again until its exp; the user returned is then shared, and
// must not be changed.
func (v *verifier) verify(ctx context.Context, token string) (user, error) {
	if token == "" {
		return user{}, errors.New("no bearer token")
	}
	if len(token) > maxTokenBytes {
		return user{}, errors.New("token too large")
	}
	now := v.now()
	if id, ok := v.verified.Get(token, now); ok {
		return id, nil
	}
	id, exp, err := v.check(ctx, token)
	if err != nil {
		return user{}, err
	}
	until := now.Add(maxCachedVerification)
	if exp.Before(until) {
		until = exp
	}
	v.verified.Put(token, id, until, now)
	return id, nil
}

// check verifies token in full and returns who it names and its exp.
func (v *verifier) check(ctx context.Context, token string) (_ user, exp time.Time, _ error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keys.KeyfuncCtx(ctx)); err != nil {
		return user{}, exp, err
	}
	if e, err := claims.GetExpirationTime(); err == nil && e != nil {
		exp = e.Time
	}
	sub, err := claims.GetSubject()
	if err != nil || sub == "" {
		return user{}, exp, errors.New("token has no subject")
	}
	id := user{Subject: sub}
	switch roles := claims[v.rolesClaim].(type) {
	case nil:
	case string:
		id.Roles = strings.Fields(roles)
	case []any:
		for _, r := range roles {
			s, ok := r.(string)
			if !ok {
				return user{}, exp, fmt.Errorf("claim %s holds a non-string", v.rolesClaim)
			}
			id.Roles = append(id.Roles, s)
		}
	default:
		return user{}, exp, fmt.Errorf("claim %s is neither a string nor a list", v.rolesClaim)
	}
	for _, r := range id.Roles {
		if strings.ContainsAny(r, ", ") {
			return user{}, exp, fmt.Errorf("role %q holds a comma or space", r)
		}
	}
	for _, name := range v.forwarded {
		if value, ok := claims[name].(string); ok && value != "" {
			if id.Claims == nil {
				id.Claims = map[string]string{}
			}
			id.Claims[name] = value
		}
	}
	id.Tenant = tenantOf(claims)
	return id, exp, nil
}
