// Package graph draws a system's architecture — services, synchronous calls,
// events, gateway routes and sagas — as Mermaid or Graphviz DOT text. The
// `microforge graph` command and the generated README both use it.
package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// EdgeKind classifies an edge of the architecture graph.
type EdgeKind string

// Edge kinds.
const (
	Route  EdgeKind = "route"  // gateway → service
	Call   EdgeKind = "call"   // service → service, synchronous RPC
	Event  EdgeKind = "event"  // emitting service → consuming service
	Step   EdgeKind = "step"   // saga → service whose command a step calls
	Client EdgeKind = "client" // outside world → gateway
)

// Node is a box in the graph.
type Node struct {
	ID    string
	Label string
	Shape string // "service", "gateway", "saga", "client"
}

// Edge connects two nodes.
type Edge struct {
	From, To string
	Kind     EdgeKind
	Label    string
}

// Graph is the architecture of a system, in a stable order.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Build derives the architecture graph of a system.
func Build(sys *model.System) *Graph {
	g := &Graph{}
	if sys.Gateway != nil {
		g.Nodes = append(g.Nodes, Node{ID: "client", Label: "clients", Shape: "client"})
		g.Nodes = append(g.Nodes, Node{ID: "gateway", Label: fmt.Sprintf("gateway :%d", sys.Gateway.Port), Shape: "gateway"})
		g.Edges = append(g.Edges, Edge{From: "client", To: "gateway", Kind: Client, Label: "HTTP"})
	}
	for _, svc := range sys.Services {
		g.Nodes = append(g.Nodes, Node{ID: svc.Name, Label: fmt.Sprintf("%s (%s) :%d", svc.Name, svc.Store, svc.Port), Shape: "service"})
	}
	if sys.Gateway != nil {
		for _, r := range sys.Gateway.Routes {
			g.Edges = append(g.Edges, Edge{From: "gateway", To: r.Service.Name, Kind: Route, Label: routeLabel(r)})
		}
	}
	for _, svc := range sys.Services {
		for _, callee := range svc.Calls {
			g.Edges = append(g.Edges, Edge{From: svc.Name, To: callee.Name, Kind: Call, Label: "calls"})
		}
	}
	// Events: one edge per (emitter, consumer) pair, listing the events.
	type pair struct{ from, to string }
	events := map[pair][]string{}
	var order []pair
	for _, svc := range sys.Services {
		for _, ev := range svc.Consumes {
			p := pair{ev.Service.Name, svc.Name}
			if _, ok := events[p]; !ok {
				order = append(order, p)
			}
			events[p] = append(events[p], ev.Name)
		}
	}
	for _, p := range order {
		g.Edges = append(g.Edges, Edge{From: p.from, To: p.to, Kind: Event, Label: strings.Join(events[p], ", ")})
	}
	for _, sg := range sys.Sagas {
		id := "saga_" + sg.Name
		kind := "orchestrated by " + orchestratorName(sg)
		if sg.Choreography {
			kind = "choreography"
		}
		g.Nodes = append(g.Nodes, Node{ID: id, Label: fmt.Sprintf("saga %s (%s)", sg.Name, kind), Shape: "saga"})
		g.Edges = append(g.Edges, Edge{From: sg.Trigger.Service.Name, To: id, Kind: Event, Label: sg.Trigger.Name + " starts"})
		for i, st := range sg.Steps {
			label := fmt.Sprintf("%d. %s", i+1, st.Call.Command.Name)
			if st.Compensate != nil {
				label += " / undo " + st.Compensate.Command.Name
			}
			g.Edges = append(g.Edges, Edge{From: id, To: st.Call.Command.Service.Name, Kind: Step, Label: label})
		}
		if sg.OnFailure != nil {
			g.Edges = append(g.Edges, Edge{From: id, To: sg.OnFailure.Command.Service.Name, Kind: Step, Label: "on failure " + sg.OnFailure.Command.Name})
		}
	}
	return g
}

func orchestratorName(sg *model.Saga) string {
	if sg.Orchestrator == nil {
		return "nobody"
	}
	return sg.Orchestrator.Name
}

func routeLabel(r *model.Route) string {
	var parts []string
	if r.All {
		parts = append(parts, "all methods")
	} else {
		var names []string
		for _, c := range r.Commands {
			names = append(names, c.Name)
		}
		for _, q := range r.Queries {
			names = append(names, q.Name)
		}
		sort.Strings(names)
		parts = append(parts, strings.Join(names, ", "))
	}
	if r.Auth == model.AuthRequired {
		auth := "JWT"
		if len(r.Roles) > 0 {
			auth += " " + strings.Join(r.Roles, "|")
		}
		parts = append(parts, auth)
	} else {
		parts = append(parts, "public")
	}
	return strings.Join(parts, "; ")
}

// Mermaid renders the graph as a Mermaid flowchart.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, n := range g.Nodes {
		label := mermaidText(n.Label)
		switch n.Shape {
		case "client":
			fmt.Fprintf(&b, "  %s([%q])\n", n.ID, label)
		case "gateway":
			fmt.Fprintf(&b, "  %s{{%q}}\n", n.ID, label)
		case "saga":
			fmt.Fprintf(&b, "  %s[/%q/]\n", n.ID, label)
		default:
			fmt.Fprintf(&b, "  %s[%q]\n", n.ID, label)
		}
	}
	for _, e := range g.Edges {
		arrow := "-->"
		switch e.Kind {
		case Event:
			arrow = "-.->"
		case Step:
			arrow = "==>"
		}
		fmt.Fprintf(&b, "  %s %s|%q| %s\n", e.From, arrow, mermaidText(e.Label), e.To)
	}
	return b.String()
}

// mermaidText makes a label safe inside a Mermaid quoted string.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "'") }

// DOT renders the graph in Graphviz DOT.
func (g *Graph) DOT(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", name)
	for _, n := range g.Nodes {
		shape := "box"
		switch n.Shape {
		case "client":
			shape = "ellipse"
		case "gateway":
			shape = "hexagon"
		case "saga":
			shape = "parallelogram"
		}
		fmt.Fprintf(&b, "  %q [label=%q, shape=%s];\n", n.ID, n.Label, shape)
	}
	for _, e := range g.Edges {
		style := "solid"
		switch e.Kind {
		case Event:
			style = "dashed"
		case Step:
			style = "bold"
		}
		fmt.Fprintf(&b, "  %q -> %q [label=%q, style=%s];\n", e.From, e.To, e.Label, style)
	}
	b.WriteString("}\n")
	return b.String()
}

// Text renders the graph as plain text for a terminal: the boxes, then one
// line per edge, "from --> to  label" (-.-> an event, ==> a saga step).
func (g *Graph) Text() string {
	var b strings.Builder
	width := 0
	for _, n := range g.Nodes {
		width = max(width, len(n.ID))
	}
	for _, n := range g.Nodes {
		open, close := "[", "]"
		switch n.Shape {
		case "client":
			open, close = "(", ")"
		case "gateway":
			open, close = "{{", "}}"
		case "saga":
			open, close = "[/", "/]"
		}
		fmt.Fprintf(&b, "  %-*s  %s %s %s\n", width, n.ID, open, n.Label, close)
	}
	b.WriteString("\n")
	for _, e := range g.Edges {
		arrow := "-->"
		switch e.Kind {
		case Event:
			arrow = "-.->"
		case Step:
			arrow = "==>"
		}
		fmt.Fprintf(&b, "  %-*s %-4s %-*s  %s\n", width, e.From, arrow, width, e.To, e.Label)
	}
	return b.String()
}
