package deploy

import (
	"sort"

	"github.com/microforge/microforge/internal/model"
)

// GatewayName is the workload name of the system's gateway.
const GatewayName = "gateway"

// Edge is one synchronous caller → callee pair the network must allow.
type Edge struct {
	From, To string // service names, or GatewayName
	Why      string // "route", "calls" or "saga <name>"
}

// Edges returns every synchronous edge of the system's call graph: the
// gateway to each routed service, each service to the services it lists in
// calls, and each saga orchestrator to the services whose commands its
// steps, compensations and on_failure name. Choreographed sagas talk through
// the broker only, and an orchestrator's calls to its own commands stay in
// its process, so neither adds an edge. The result is sorted by From, To and
// has one entry per pair (the first reason found).
func Edges(sys *model.System) []Edge {
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
		for _, c := range sagaCalls(sg) {
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

func sagaCalls(sg *model.Saga) []*model.SagaCall {
	var out []*model.SagaCall
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

// usesBroker reports whether a service publishes or consumes events, or
// drives a saga, and so needs the broker.
func usesBroker(sys *model.System, svc *model.Service) bool {
	if len(svc.Events) > 0 || len(svc.Consumes) > 0 {
		return true
	}
	for _, sg := range sys.Sagas {
		if sg.Orchestrator == svc {
			return true
		}
		for _, c := range sagaCalls(sg) {
			if sg.Choreography && c.Command.Service == svc {
				return true
			}
		}
	}
	return false
}
