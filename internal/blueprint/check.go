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

// checkEventSourced reports entity fields an event-sourced service would
// lose. Its events are the source of truth (patterns event-sourcing or
// cqrs): the entity is rebuilt by folding them, so every field a command
// sets on the entity must travel in the event the command records. It runs
// after Finalize, which decides the projections.
func (b *builder) checkEventSourced() {
	for _, sb := range b.order {
		svc := sb.m
		if !svc.EventSourced {
			continue
		}
		for _, p := range svc.Projections {
			by := p.By
			carried := map[*model.Field]bool{}
			for _, a := range p.Fields {
				carried[a.Target] = true
			}
			for _, a := range by.Assign {
				t := a.Target
				// Enums are declared per message, so an event cannot carry the
				// entity's own enum type; status changes apply separately.
				if carried[t] || t == p.Entity.ID || t.Type.Kind == model.EnumType {
					continue
				}
				at := sb.w.Pos
				for _, e := range sb.w.Events.Entries {
					if e.Key.V == p.Event.Name {
						at = e.Key.Pos
					}
				}
				b.errorf(at, fmt.Sprintf("add %q to event %s", t.Name+": "+typeString(t.Type, svc), p.Event.Name),
					"event %s lacks field %s, which %s sets on %s: service %s is %s, so its entities are rebuilt from their events only",
					p.Event.Name, t.Name, by.Name, p.Entity.Name(), svc.Name, eventSourcedBy(svc))
			}
		}
	}
}

func eventSourcedBy(svc *model.Service) string {
	if svc.Has(model.PatternEventSourcing) {
		return "event-sourced"
	}
	return "CQRS (its read models are built from its events)"
}

// checkWireChanges refuses, unless acknowledged, a field that keeps its
// number under another type: events already stored and callers of the
// running system still carry the old type, which the new one cannot read.
func (b *builder) checkWireChanges(allowAll bool) {
	for _, c := range b.sys.WireChanges {
		if c.Kind != model.WireTypeChange || allowAll || Allows(b.sys, c.Path) {
			continue
		}
		at := pos{1, 1}
		for _, sb := range b.order {
			if p, ok := sb.fieldPos[c.Field]; ok {
				at = p
			}
		}
		b.errorf(at,
			fmt.Sprintf("add a field with a new name instead (it gets a new number), or serve a new API version; to accept the change, list %q under allow_breaking (or pass --allow-breaking): the generation then converts stored data with a migration and an upcaster you own", c.Path),
			"field %s changes type from %s to %s but keeps number %d: stored events, stored rows and existing callers hold the old type (FIELD_SAME_TYPE)",
			c.Path, c.From, c.To, c.Number)
	}
}

// checkDataLoss refuses, unless acknowledged, a new migration that loses
// stored data: it drops a table or a column, or changes a column's type
// in a way that cannot keep every value. It is positioned at the field
// when it still exists, else at the entity, else at the top of the file.
func (b *builder) checkDataLoss(allowAll bool) {
	for _, l := range b.sys.DataLoss {
		if allowAll || Allows(b.sys, l.Path) {
			continue
		}
		at := pos{1, 1}
		if sb := b.svcs[l.Service]; sb != nil {
			if p, ok := sb.fieldPos[l.Field]; ok && l.Field != nil {
				at = p
			} else if l.Entity != nil {
				for _, e := range sb.w.Entities.Entries {
					if e.Key.V == l.Entity.Name() {
						at = e.Key.Pos
					}
				}
			}
		}
		b.errorf(at,
			fmt.Sprintf("to accept the loss, list %q under allow_breaking (or pass --allow-breaking); to keep the data, %s", l.Path, l.Undo),
			"migration %05d of service %s %s", l.Version, l.Service, l.Message)
	}
}

// Allows reports whether the blueprint acknowledges the breaking change at
// path ("orders.Order.total_cents"): allow_breaking lists it, or the message
// or enum holding it.
func Allows(sys *model.System, path string) bool {
	for _, a := range sys.AllowBreaking {
		if a == path || strings.HasPrefix(path, a+".") {
			return true
		}
	}
	return false
}
