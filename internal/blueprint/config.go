package blueprint

import (
	"math"
	"net/url"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

func (b *builder) buildAuth() {
	aw := b.w.Auth
	if aw == nil || aw.Bad {
		return
	}
	b.sys.Auth = &model.Auth{}
	jw := aw.JWT
	if jw == nil {
		b.errorf(aw.Pos, "", "missing key %q in auth", "jwt")
		return
	}
	if jw.Bad {
		return
	}
	jwt := &model.JWT{RolesClaim: "roles"}
	b.sys.Auth.JWT = jwt
	if b.required(jw.Issuer, "issuer", jw.Pos, "jwt") {
		jwt.Issuer = jw.Issuer.V
	}
	if b.required(jw.Audience, "audience", jw.Pos, "jwt") {
		jwt.Audience = jw.Audience.V
	}
	if b.required(jw.JWKSURL, "jwks_url", jw.Pos, "jwt") {
		u, err := url.Parse(jw.JWKSURL.V)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			b.errorf(jw.JWKSURL.Pos, "write an https:// URL", "jwks_url %q is not an http(s) URL", jw.JWKSURL.V)
		} else {
			jwt.JWKSURL = jw.JWKSURL.V
		}
	}
	if jw.RolesClaim.Set && b.required(jw.RolesClaim, "roles_claim", jw.Pos, "jwt") {
		jwt.RolesClaim = jw.RolesClaim.V
	}
}

func (b *builder) buildGateway() {
	gw := b.w.Gateway
	if gw == nil || gw.Bad {
		return
	}
	g := &model.Gateway{}
	b.sys.Gateway = g
	if b.port(gw.Port, "port") {
		g.Port = gw.Port.V
	}
	if rl := gw.RateLimit; rl != nil && !rl.Bad {
		r := &model.RateLimit{}
		switch {
		case rl.RequestsPerSecond.Bad:
		case !rl.RequestsPerSecond.Set:
			b.errorf(rl.Pos, "", "missing key %q in rate_limit", "requests_per_second")
		case rl.RequestsPerSecond.V <= 0:
			b.errorf(rl.RequestsPerSecond.Pos, "", "requests_per_second must be positive")
		default:
			r.RequestsPerSecond = rl.RequestsPerSecond.V
		}
		switch {
		case rl.Burst.Bad:
		case !rl.Burst.Set:
			r.Burst = max(1, int(math.Ceil(r.RequestsPerSecond)))
		case rl.Burst.V < 1:
			b.errorf(rl.Burst.Pos, "", "burst must be at least 1")
		default:
			r.Burst = rl.Burst.V
		}
		g.RateLimit = r
	}
	if cw := gw.CORS; cw != nil && !cw.Bad {
		c := &model.CORS{AllowedOrigins: b.stringList(cw.AllowedOrigins, "allowed_origins")}
		if !cw.AllowedOrigins.Bad && len(cw.AllowedOrigins.Items) == 0 {
			b.errorf(cw.Pos, "list origins such as https://shop.example.com, or \"*\"", "cors has no allowed_origins")
		}
		g.CORS = c
	}
	switch {
	case gw.Routes.Bad:
	case !gw.Routes.Set:
		b.errorf(gw.Pos, "", "missing key %q in gateway", "routes")
	case len(gw.Routes.Items) == 0:
		b.errorf(gw.Routes.Pos, "", "gateway has no routes")
	}
	routed := map[string]pos{}
	for i := range gw.Routes.Items {
		rw := &gw.Routes.Items[i]
		if rw.Bad {
			continue
		}
		r := &model.Route{}
		authMode, ok := b.choice(rw.Auth, "auth", []string{string(model.AuthRequired), string(model.AuthNone)}, string(model.AuthRequired))
		r.Auth = model.AuthMode(authMode)
		if ok && r.Auth == model.AuthRequired && b.w.Auth == nil {
			at, hint := rw.Auth.Pos, "add an auth: section, or set auth: none"
			if !rw.Auth.Set {
				at, hint = rw.Pos, "routes need auth unless they say auth: none; add an auth: section, or set auth: none"
			}
			b.errorf(at, hint, "route needs authentication but the blueprint has no auth section")
		}
		r.Roles = b.stringList(rw.Roles, "roles")
		if ok && r.Auth == model.AuthNone && len(rw.Roles.Items) > 0 {
			b.errorf(rw.Roles.Pos, "remove roles, or set auth: required", "route with auth: none cannot require roles")
		}
		g.Routes = append(g.Routes, r)
		if !b.required(rw.Service, "service", rw.Pos, "route") {
			continue
		}
		sb := b.svcs[rw.Service.V]
		if sb == nil {
			b.errorf(rw.Service.Pos, didYouMean(rw.Service.V, b.serviceNames()), "unknown service %q in route", rw.Service.V)
			continue
		}
		if prev, dup := routed[rw.Service.V]; dup {
			b.errorf(rw.Service.Pos, "list all its methods in one route", "service %s already has a route (line %d)", rw.Service.V, prev.Line)
			continue
		}
		routed[rw.Service.V] = rw.Service.Pos
		r.Service = sb.m
		if !rw.Methods.Set || (len(rw.Methods.Items) == 0 && !rw.Methods.Bad) {
			r.All = true
			r.Commands = append(r.Commands, sb.m.Commands...)
			r.Queries = append(r.Queries, sb.m.Queries...)
			continue
		}
		seen := map[string]bool{}
		for _, m := range rw.Methods.Items {
			if m.Bad {
				continue
			}
			switch c, q := sb.cmds[m.V], sb.queries[m.V]; {
			case seen[m.V]:
				b.errorf(m.Pos, "", "method %s is listed twice", m.V)
			case c != nil:
				r.Commands = append(r.Commands, c)
			case q != nil:
				r.Queries = append(r.Queries, q)
			default:
				b.errorf(m.Pos, didYouMean(m.V, sb.methods), "service %s has no command or query %q", sb.m.Name, m.V)
			}
			seen[m.V] = true
		}
	}
}

func (b *builder) buildMessaging() {
	b.sys.Messaging.Broker = "nats"
	mw := b.w.Messaging
	if mw == nil || mw.Bad {
		return
	}
	broker, _ := b.choice(mw.Broker, "broker", []string{"nats"}, "nats")
	b.sys.Messaging.Broker = broker
}

func (b *builder) buildDeploy() {
	dw := b.w.Deploy
	if dw == nil || dw.Bad {
		return
	}
	ci, _ := b.choice(dw.CI, "ci", []string{"github", "gitlab"}, "")
	b.sys.Deploy.CI = ci
	kw := dw.Kubernetes
	if kw == nil || kw.Bad {
		return
	}
	k := &model.Kubernetes{Namespace: strings.ReplaceAll(b.sys.Name, "_", "-"), Replicas: 1}
	b.sys.Deploy.Kubernetes = k
	if kw.Namespace.Set && b.required(kw.Namespace, "namespace", kw.Pos, "kubernetes") {
		if !dnsLabelRE.MatchString(kw.Namespace.V) || len(kw.Namespace.V) > 63 {
			b.errorf(kw.Namespace.Pos, "use lower-case letters, digits and '-', at most 63 characters", "invalid namespace %q", kw.Namespace.V)
		} else {
			k.Namespace = kw.Namespace.V
		}
	}
	if kw.Replicas.Set && !kw.Replicas.Bad {
		if kw.Replicas.V < 1 {
			b.errorf(kw.Replicas.Pos, "", "replicas must be at least 1")
		} else {
			k.Replicas = kw.Replicas.V
		}
	}
	aw := kw.Autoscaling
	if aw == nil || aw.Bad {
		return
	}
	a := &model.Autoscaling{Min: 1, CPUPercent: 80}
	k.Autoscaling = a
	if aw.Min.Set && !aw.Min.Bad {
		if aw.Min.V < 1 {
			b.errorf(aw.Min.Pos, "", "min must be at least 1")
		}
		a.Min = aw.Min.V
	}
	switch {
	case aw.Max.Bad:
	case !aw.Max.Set:
		b.errorf(aw.Pos, "", "missing key %q in autoscaling", "max")
	case aw.Max.V < a.Min:
		b.errorf(aw.Max.Pos, "", "autoscaling max %d is less than min %d", aw.Max.V, a.Min)
	default:
		a.Max = aw.Max.V
	}
	if aw.CPUPercent.Set && !aw.CPUPercent.Bad {
		if aw.CPUPercent.V < 1 || aw.CPUPercent.V > 100 {
			b.errorf(aw.CPUPercent.Pos, "", "cpu_percent %d is not between 1 and 100", aw.CPUPercent.V)
		} else {
			a.CPUPercent = aw.CPUPercent.V
		}
	}
}

func (b *builder) buildObservability() {
	ow := b.w.Observability
	if ow == nil || ow.Bad {
		return
	}
	tracing, _ := b.choice(ow.Tracing, "tracing", []string{"otlp", "none"}, "")
	metrics, _ := b.choice(ow.Metrics, "metrics", []string{"prometheus", "none"}, "")
	b.sys.Observability = model.Observability{Tracing: orEmpty(tracing), Metrics: orEmpty(metrics)}
}

func orEmpty(s string) string {
	if s == "none" {
		return ""
	}
	return s
}
