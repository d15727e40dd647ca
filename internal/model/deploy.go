package model

import (
	"sort"
	"strings"
)

// Pinned defaults of the container images. Dockerfiles take the Go version
// and both base images as build arguments, so a private registry or a newer
// patch release is one --build-arg away; compose.yaml, CI and the dev
// overlay name the data stores' images here.
const (
	GoVersion     = "1.26.8"
	BuildImage    = "golang:${GO_VERSION}-bookworm"
	RuntimeImage  = "gcr.io/distroless/static-debian12:nonroot"
	PostgresImage = "postgres:17.6"
	MariaDBImage  = "mariadb:11.8.3"
	NATSImage     = "nats:2.11.8"
	// The telemetry stack of compose.yaml and the dev overlay.
	CollectorImage  = "otel/opentelemetry-collector-contrib:0.139.0"
	JaegerImage     = "jaegertracing/jaeger:2.11.0"
	PrometheusImage = "prom/prometheus:v3.7.3"
)

// GatewayName is the workload name of the system's gateway.
const GatewayName = "gateway"

// The Kubernetes overlays, relative to the repository.
const (
	KubeDev  = "deploy/kubernetes/overlays/dev"
	KubeProd = "deploy/kubernetes/overlays/prod"
)

// Edge is one synchronous caller → callee pair the network must allow.
type Edge struct {
	From, To string // service names, or GatewayName
	Why      string // "route", "calls" or "saga <name>"
}

// decideDeploy decides the images and the call graph (after routes,
// calls and sagas are decided).
func decideDeploy(sys *System) {
	registry := imageRegistry(sys)
	for _, svc := range sys.Services {
		svc.Image = registry + "/" + DNSName(svc.Name)
	}
	sys.GatewayImage = ""
	if sys.Gateway != nil {
		sys.GatewayImage = registry + "/" + GatewayName
	}
	sys.Edges = edges(sys)
}

// imageRegistry derives where CI pushes images from the module path: GitHub
// and GitLab modules use their host's registry, others a registry named
// after the module's host that teams replace in the overlays.
func imageRegistry(sys *System) string {
	mod := strings.ToLower(sys.Module)
	switch {
	case strings.HasPrefix(mod, "github.com/"):
		return "ghcr.io/" + strings.TrimPrefix(mod, "github.com/")
	case strings.HasPrefix(mod, "gitlab.com/"):
		return "registry.gitlab.com/" + strings.TrimPrefix(mod, "gitlab.com/")
	}
	host, rest, _ := strings.Cut(mod, "/")
	if rest == "" {
		return "registry." + host + "/" + DNSName(sys.Name)
	}
	return "registry." + host + "/" + rest
}

// edges returns every synchronous edge of the system's call graph: the
// gateway to each routed service, each service to the services it lists in
// calls, and each saga orchestrator to the services whose commands its
// steps, compensations and on_failure name. Choreographed sagas talk through
// the broker only, and an orchestrator's calls to its own commands stay in
// its process, so neither adds an edge. The result is sorted by From, To and
// has one entry per pair (the first reason found).
func edges(sys *System) []Edge {
	seen := map[[2]string]bool{}
	var out []Edge
	add := func(from, to, why string) {
		k := [2]string{from, to}
		if from == to || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Edge{From: from, To: to, Why: why})
	}
	if sys.Gateway != nil {
		for _, r := range sys.Gateway.Routes {
			add(GatewayName, r.Service.Name, "route")
		}
	}
	for _, svc := range sys.Services {
		for _, callee := range svc.Calls {
			add(svc.Name, callee.Name, "calls")
		}
	}
	for _, sg := range sys.Sagas {
		if sg.Orchestrator == nil {
			continue
		}
		for _, c := range sg.Calls() {
			add(sg.Orchestrator.Name, c.Command.Service.Name, "saga "+sg.Name)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// Calls returns every command call of the saga: each step's call and
// compensation, then on_failure.
func (sg *Saga) Calls() []*SagaCall {
	var out []*SagaCall
	for _, st := range sg.Steps {
		out = append(out, st.Call)
		if st.Compensate != nil {
			out = append(out, st.Compensate)
		}
	}
	if sg.OnFailure != nil {
		out = append(out, sg.OnFailure)
	}
	return out
}

// UsesBroker reports whether a service publishes or consumes events, or
// drives a saga, and so needs the broker.
func (sys *System) UsesBroker(svc *Service) bool {
	if len(svc.Events) > 0 || len(svc.Consumes) > 0 {
		return true
	}
	for _, sg := range sys.Sagas {
		if sg.Orchestrator == svc {
			return true
		}
		for _, c := range sg.Calls() {
			if sg.Choreography && c.Command.Service == svc {
				return true
			}
		}
	}
	return false
}
