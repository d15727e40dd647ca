package blueprint

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// symbol is a name declared in a service's proto package.
type symbol struct {
	what string // "type \"LineItem\"", "message PlaceOrderRequest of command \"PlaceOrder\""
	at   pos
}

// checkSymbols reports names that collide in a service's proto package:
// messages (declared and generated), enums, enum values and the service.
func (b *builder) checkSymbols(sb *svcBuild) {
	svc := sb.m
	if sb.w.Bad || svc.Name == "" {
		return
	}
	syms := map[string]symbol{}
	add := func(name, what string, at pos) {
		if prev, ok := syms[name]; ok {
			b.errorf(at, "rename one of them", "%s collides with %s (line %d) in proto package %s", what, prev.what, prev.at.Line, protoPackage(b.sys.Name, svc.Name))
			return
		}
		syms[name] = symbol{what, at}
	}
	add(model.ProtoServiceName(svc.Name), "proto service "+model.ProtoServiceName(svc.Name), sb.w.Name.Pos)
	keyPos := func(entries []entry[fieldsWire], name string) pos {
		for _, e := range entries {
			if e.Key.V == name {
				return e.Key.Pos
			}
		}
		return sb.w.Pos
	}
	var msgs []*model.Message
	for _, m := range svc.Types {
		add(m.Name, fmt.Sprintf("type %q", m.Name), keyPos(sb.w.Types.Entries, m.Name))
		msgs = append(msgs, m)
	}
	for _, e := range svc.Entities {
		at := sb.w.Pos
		for _, w := range sb.w.Entities.Entries {
			if w.Key.V == e.Name() {
				at = w.Key.Pos
			}
		}
		add(e.Name(), fmt.Sprintf("entity %q", e.Name()), at)
		msgs = append(msgs, e.Message)
	}
	for _, m := range svc.Events {
		add(m.Name, fmt.Sprintf("event %q", m.Name), keyPos(sb.w.Events.Entries, m.Name))
		msgs = append(msgs, m)
	}
	methodPos := map[string]pos{}
	for _, e := range sb.w.Commands.Entries {
		methodPos[e.Key.V] = e.Key.Pos
	}
	for _, e := range sb.w.Queries.Entries {
		if _, ok := methodPos[e.Key.V]; !ok {
			methodPos[e.Key.V] = e.Key.Pos
		}
	}
	for _, c := range svc.Commands {
		at := methodPos[c.Name]
		add(model.RequestName(c.Name), fmt.Sprintf("message %s of command %q", model.RequestName(c.Name), c.Name), at)
		add(model.ResponseName(c.Name), fmt.Sprintf("message %s of command %q", model.ResponseName(c.Name), c.Name), at)
		c.Input.Name = model.RequestName(c.Name)
		msgs = append(msgs, c.Input)
	}
	for _, q := range svc.Queries {
		at := methodPos[q.Name]
		add(model.RequestName(q.Name), fmt.Sprintf("message %s of query %q", model.RequestName(q.Name), q.Name), at)
		add(model.ResponseName(q.Name), fmt.Sprintf("message %s of query %q", model.ResponseName(q.Name), q.Name), at)
		q.Input.Name = model.RequestName(q.Name)
		msgs = append(msgs, q.Input)
	}
	snakes := map[string]symbol{}
	sameSnake := func(name, what string, at pos) {
		sn := model.Snake(name)
		if prev, ok := snakes[sn]; ok {
			b.errorf(at, "rename one of them", "%s and %s (line %d) have the same lower_snake_case name %s", what, prev.what, prev.at.Line, sn)
			return
		}
		snakes[sn] = symbol{what, at}
	}
	for _, c := range svc.Commands {
		sameSnake(c.Name, fmt.Sprintf("command %q", c.Name), methodPos[c.Name])
	}
	for _, q := range svc.Queries {
		sameSnake(q.Name, fmt.Sprintf("query %q", q.Name), methodPos[q.Name])
	}
	snakes = map[string]symbol{}
	for _, m := range svc.Events {
		sameSnake(m.Name, fmt.Sprintf("event %q", m.Name), keyPos(sb.w.Events.Entries, m.Name))
	}
	for _, m := range msgs {
		for _, f := range m.Fields {
			t := f.Type
			if t.Kind == model.ListType {
				t = t.Elem
			}
			if t.Kind != model.EnumType {
				continue
			}
			at := sb.fieldPos[f]
			name := model.EnumName(m.Name, f.Name)
			add(name, fmt.Sprintf("enum %s of field %q", name, f.Name), at)
			prefix := model.UpperSnake(name)
			add(prefix+"_UNSPECIFIED", fmt.Sprintf("enum value %s_UNSPECIFIED of field %q", prefix, f.Name), at)
			for _, v := range t.Enum.Values {
				vn := prefix + "_" + strings.ToUpper(v.Name)
				add(vn, fmt.Sprintf("enum value %s of field %q", vn, f.Name), at)
			}
		}
	}
}

func protoPackage(system, service string) string {
	if system == "" {
		system = "<system>"
	}
	return system + "." + service + ".v1"
}

// checkCallCycles reports every cycle of synchronous calls once, at the call
// that closes it.
func (b *builder) checkCallCycles() {
	edges := map[*svcBuild][]edge{}
	for _, sb := range b.order {
		for _, c := range sb.w.Calls.Items {
			if t := b.svcs[c.V]; t != nil && t != sb && sb.m.Name != "" {
				edges[sb] = append(edges[sb], edge{t, c.Pos})
			}
		}
	}
	b.findCycles(edges, func(path []string, at pos) {
		b.errorf(at, "break the cycle with an event", "calls form a cycle: %s", strings.Join(path, " -> "))
	})
}

// checkTypeCycles reports services whose messages use each other's types:
// every service's messages share one generated Go package, and Go packages
// (like proto files) cannot import each other.
func (b *builder) checkTypeCycles() {
	edges := map[*svcBuild][]edge{}
	for _, sb := range b.order {
		seen := map[*svcBuild]bool{}
		use := func(t *model.Type, at pos) {
			if t == nil {
				return
			}
			if t.Kind == model.ListType {
				t = t.Elem
			}
			if t.Kind != model.MessageType || t.Message.Service == sb.m {
				return
			}
			other := b.svcs[t.Message.Service.Name]
			if other == nil || seen[other] {
				return
			}
			seen[other] = true
			edges[sb] = append(edges[sb], edge{other, at})
		}
		var msgs []*model.Message
		msgs = append(msgs, sb.m.Types...)
		for _, e := range sb.m.Entities {
			msgs = append(msgs, e.Message)
		}
		msgs = append(msgs, sb.m.Events...)
		for _, c := range sb.m.Commands {
			msgs = append(msgs, c.Input)
		}
		for _, q := range sb.m.Queries {
			msgs = append(msgs, q.Input)
		}
		for _, m := range msgs {
			for _, f := range m.Fields {
				use(f.Type, sb.fieldPos[f])
			}
		}
		for _, e := range sb.w.Queries.Entries {
			if q := sb.queries[e.Key.V]; q != nil {
				use(q.Result, e.Value.Output.Pos)
			}
		}
	}
	b.findCycles(edges, func(path []string, at pos) {
		b.errorf(at, "move the shared types into one of the services", "services use each other's types, so their generated packages would import each other: %s", strings.Join(path, " -> "))
	})
}

type edge struct {
	to *svcBuild
	at pos
}

// findCycles runs a depth-first search in blueprint order and calls report
// with the path of every cycle found, at the edge that closes it.
func (b *builder) findCycles(edges map[*svcBuild][]edge, report func(path []string, at pos)) {
	const (
		unvisited = iota
		active
		done
	)
	state := map[*svcBuild]int{}
	var stack []*svcBuild
	var visit func(sb *svcBuild)
	visit = func(sb *svcBuild) {
		state[sb] = active
		stack = append(stack, sb)
		for _, e := range edges[sb] {
			switch state[e.to] {
			case unvisited:
				visit(e.to)
			case active:
				var path []string
				for i := len(stack) - 1; i >= 0; i-- {
					if stack[i] == e.to {
						for _, s := range stack[i:] {
							path = append(path, s.m.Name)
						}
						break
					}
				}
				report(append(path, e.to.m.Name), e.at)
			}
		}
		stack = stack[:len(stack)-1]
		state[sb] = done
	}
	for _, sb := range b.order {
		if state[sb] == unvisited {
			visit(sb)
		}
	}
}

// checkPorts reports service ports that collide with each other or with the
// gateway's.
func (b *builder) checkPorts() {
	used := map[int]string{}
	if g := b.w.Gateway; g != nil && !g.Bad && b.sys.Gateway != nil {
		port := b.sys.Gateway.Port
		if port == 0 {
			port = model.DefaultGatewayPort
		}
		used[port] = "the gateway"
	}
	for _, sb := range b.order {
		p := sb.w.Port
		if sb.w.Bad || !p.Set || p.Bad || sb.m.Port == 0 {
			continue
		}
		if prev, ok := used[p.V]; ok {
			b.errorf(p.Pos, "", "port %d is already used by %s", p.V, prev)
			continue
		}
		used[p.V] = "service " + sb.m.Name
	}
}

// Allows reports whether the blueprint acknowledges the breaking change at
// path ("orders.Order.total_cents"): allow_breaking lists it, or the message
// or enum holding it.
func Allows(sys *model.System, path string) bool { return model.Allows(sys, path) }
