package gatewaycore

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/microforge/microforge/internal/runtime/platform/config"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
)

// Config of a gateway.
type Config struct {
	// Addr is the address cmd/gateway listens on (env PORT).
	Addr string
	// Upstreams maps each routed service to its base URL (env <SERVICE>_URL).
	Upstreams map[string]string
	// Auth says which tokens routes with auth: required accept.
	Auth AuthConfig
	// RateLimit is each client's budget (env RATE_LIMIT_RPS,
	// RATE_LIMIT_BURST; RATE_LIMIT_RPS=0 turns it off); nil for none.
	RateLimit *RateLimit
	// AllowedOrigins may call the gateway from browsers (env
	// CORS_ALLOWED_ORIGINS, comma-separated); empty: no CORS.
	AllowedOrigins []string
	// MaxRequestBytes bounds request bodies (env MAX_REQUEST_BYTES).
	MaxRequestBytes int64
	// RequestTimeout bounds each call to a service (env REQUEST_TIMEOUT).
	RequestTimeout time.Duration
	// ShutdownTimeout bounds graceful shutdown (env SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// TrustForwardedFor takes the client IP the proxy in front of the
	// gateway appends to X-Forwarded-For (env TRUST_FORWARDED_FOR=true);
	// only set it behind such a proxy, or clients choose their own IP.
	TrustForwardedFor bool
	// Logger receives the access log.
	Logger *slog.Logger
	// MetricsAddr is where cmd/gateway serves /metrics (env METRICS_PORT),
	// apart from Addr, so metrics stay inside the cluster.
	MetricsAddr string
	// SpanExporter, when set, receives the gateway's spans (tests, the
	// dashboard of cmd/local), next to the OTLP exporter.
	SpanExporter sdktrace.SpanExporter
	// Identity is the gateway's service identity (env SERVICE_PRIVATE_KEY):
	// services accept routed calls only with its tokens. New refuses to
	// start without it.
	Identity *identity.Keys
}

// AuthConfig says which tokens are valid: signed with one of the keys (JWKS,
// else the set served at JWKSURL), with iss Issuer, Audience among aud, and
// within exp and nbf.
type AuthConfig struct {
	Issuer   string // env JWT_ISSUER
	Audience string // env JWT_AUDIENCE
	JWKSURL  string // env JWKS_URL
	// RolesClaim is the claim holding the roles: an array of strings or a
	// space-separated string.
	RolesClaim string
	// JWKS is a fixed key set to trust instead of JWKSURL; the local system
	// sets it to the development key of cmd/token, and the gateway then
	// serves it at /.well-known/jwks.json.
	JWKS json.RawMessage
}

// RateLimit is a token bucket per client.
type RateLimit struct {
	RequestsPerSecond float64
	Burst             int
}

// Limits that no blueprint sets, the defaults of a Config built by hand.
const (
	DefaultMaxRequestBytes = 4 << 20
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// FromEnv returns defaults (the blueprint's configuration) as env changes
// it: PORT, METRICS_PORT, SERVICE_PRIVATE_KEY, the <SERVICE>_URL of every
// upstream, JWT_ISSUER, JWT_AUDIENCE, JWKS_URL, RATE_LIMIT_RPS,
// RATE_LIMIT_BURST, CORS_ALLOWED_ORIGINS, MAX_REQUEST_BYTES,
// REQUEST_TIMEOUT, SHUTDOWN_TIMEOUT, TRUST_FORWARDED_FOR, LOG_FORMAT and
// LOG_LEVEL. Every malformed or missing setting is in the error.
func FromEnv(env *config.Env, defaults Config, upstreams []Upstream) (Config, error) {
	cfg := defaults
	cfg.Upstreams = map[string]string{}
	cfg.Addr = ":" + strconv.Itoa(env.Int("PORT", port(defaults.Addr)))
	cfg.MetricsAddr = ":" + strconv.Itoa(env.Int("METRICS_PORT", port(defaults.MetricsAddr)))
	for _, up := range upstreams {
		cfg.Upstreams[up.Name] = env.String(up.Env, defaults.Upstreams[up.Name])
	}
	cfg.Auth.Issuer = env.String("JWT_ISSUER", cfg.Auth.Issuer)
	cfg.Auth.Audience = env.String("JWT_AUDIENCE", cfg.Auth.Audience)
	cfg.Auth.JWKSURL = env.String("JWKS_URL", cfg.Auth.JWKSURL)
	var errs []error
	keys, err := identity.LoadKeys(env, identity.Gateway, nil)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Identity = keys
	if v := env.String("RATE_LIMIT_RPS", ""); v != "" {
		rps, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil || rps < 0:
			errs = append(errs, errors.New("RATE_LIMIT_RPS: not a number of requests per second such as 100 or 0.5"))
		case rps == 0:
			cfg.RateLimit = nil
		default:
			burst := max(1, int(rps))
			if defaults.RateLimit != nil {
				burst = defaults.RateLimit.Burst
			}
			cfg.RateLimit = &RateLimit{RequestsPerSecond: rps, Burst: burst}
		}
	}
	if cfg.RateLimit != nil {
		rl := *cfg.RateLimit
		rl.Burst = env.Int("RATE_LIMIT_BURST", rl.Burst)
		cfg.RateLimit = &rl
	}
	if v := env.String("CORS_ALLOWED_ORIGINS", ""); v != "" {
		cfg.AllowedOrigins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
			}
		}
	}
	cfg.MaxRequestBytes = int64(env.Int("MAX_REQUEST_BYTES", int(cfg.MaxRequestBytes)))
	cfg.RequestTimeout = env.Duration("REQUEST_TIMEOUT", cfg.RequestTimeout)
	cfg.ShutdownTimeout = env.Duration("SHUTDOWN_TIMEOUT", cfg.ShutdownTimeout)
	cfg.TrustForwardedFor = env.String("TRUST_FORWARDED_FOR", "false") == "true"
	logger, err := logging.New(os.Stderr, env.String("LOG_FORMAT", "json"), env.String("LOG_LEVEL", "info"))
	if err != nil {
		errs = append(errs, err)
	} else {
		cfg.Logger = logger
	}
	return cfg, errors.Join(append(errs, env.Err())...)
}

// port returns the port of a listen address, ":8080"; 0 when it has none.
func port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// setDefaults fills what a Config built by hand left out.
func (cfg *Config) setDefaults(sys System) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Auth.RolesClaim == "" {
		cfg.Auth.RolesClaim = sys.RolesClaim
	}
}
