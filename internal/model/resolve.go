package model

import (
	"fmt"
	"path"
	"strings"
)

// Default ports: the gateway listens on DefaultGatewayPort and services take
// the next free ports in blueprint order.
const (
	DefaultGatewayPort = 8080
	firstServicePort   = 8081
	// DefaultNATSPort is NATS's standard client port.
	DefaultNATSPort = 4222
)

// resolve decides every derived value of a system the blueprint package has
// built and validated (see Compile): names, proto files and packages, field
// numbers, enums, ports, response messages, each command's and query's
// default behaviour, the indexed columns and each service's migrations
// (against sys.History). It is idempotent and never fails: validation has
// already rejected anything it could not decide.
func resolve(sys *System) {
	sys.ProtoRoot = "proto"
	sys.GenRoot = "gen"
	sys.Stream = strings.ToUpper(sys.Name)
	sys.Subjects = sys.Name + ".>"
	if sys.Messaging.Port == 0 {
		sys.Messaging.Port = DefaultNATSPort
	}
	if sys.Gateway != nil && sys.Gateway.Port == 0 {
		sys.Gateway.Port = DefaultGatewayPort
	}
	assignPorts(sys)
	for _, svc := range sys.Services {
		svc.Tenancy = sys.Tenancy
		finalizeService(sys, svc)
	}
	assignWireNumbers(sys)
	// Behaviour needs every service's messages finalized (types cross services).
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			decideCommand(c)
			decideTotals(c)
		}
		for _, q := range svc.Queries {
			decideQuery(q)
		}
	}
	decideOwnership(sys)
	decideRoutes(sys)
	for _, sg := range sys.Sagas {
		sg.Pascal = GoCamelCase(sg.Name)
	}
	for _, sg := range sys.Sagas {
		for _, st := range sg.Steps {
			st.Name = st.Call.Command.Snake
		}
		sg.Durable, sg.DeadLetter, sg.FailedSubject = "", "", ""
		if sg.Choreography {
			sg.FailedSubject = sys.Name + ".saga." + sg.Name + ".failed"
		}
		if o := sg.Orchestrator; o != nil && !sg.Choreography {
			sg.Durable = o.Name + "_saga_" + sg.Name
			sg.DeadLetter = sys.Name + "." + DeadLetterPrefix + "." + o.Name + ".saga_" + sg.Name
		}
	}
	for _, svc := range sys.Services {
		decideTrackers(sys, svc)
		decideCompensations(sys, svc)
		decideConsumers(sys, svc)
		decideClients(sys, svc)
		decideLimits(svc)
		decideProjections(svc)
		decideIndexes(svc)
	}
	decideCallers(sys)
	decideMigrations(sys)
	decideDeploy(sys)
}

// decideCallers decides, once per procedure, which deployables may call it:
// the rule every service enforces on the X-Service-Token of a request and
// the network policies open. Choreographed sagas talk through events only,
// so they add no caller.
func decideCallers(sys *System) {
	type key struct {
		svc  *Service
		proc string // command or query name
	}
	allowed := map[key]map[string]bool{}
	allow := func(svc *Service, proc, caller string) {
		k := key{svc, proc}
		if allowed[k] == nil {
			allowed[k] = map[string]bool{}
		}
		allowed[k][caller] = true
	}
	allowAll := func(svc *Service, caller string) {
		for _, c := range svc.Commands {
			allow(svc, c.Name, caller)
		}
		for _, q := range svc.Queries {
			allow(svc, q.Name, caller)
		}
	}
	if sys.Gateway != nil {
		for _, r := range sys.Gateway.Routes {
			if r.All {
				allowAll(r.Service, GatewayCaller)
				continue
			}
			for _, c := range r.Commands {
				allow(r.Service, c.Name, GatewayCaller)
			}
			for _, q := range r.Queries {
				allow(r.Service, q.Name, GatewayCaller)
			}
		}
	}
	for _, svc := range sys.Services {
		allowAll(svc, svc.Name)
		for _, callee := range svc.Calls {
			allowAll(callee, svc.Name)
		}
	}
	for _, sg := range sys.Sagas {
		if sg.Choreography || sg.Orchestrator == nil {
			continue
		}
		for _, st := range sg.Steps {
			for _, c := range []*SagaCall{st.Call, st.Compensate} {
				if c != nil {
					allow(c.Command.Service, c.Command.Name, sg.Orchestrator.Name)
				}
			}
		}
		if sg.OnFailure != nil {
			allow(sg.OnFailure.Command.Service, sg.OnFailure.Command.Name, sg.Orchestrator.Name)
		}
	}
	order := []string{GatewayCaller}
	for _, svc := range sys.Services {
		order = append(order, svc.Name)
	}
	list := func(set map[string]bool, skip string) []string {
		var out []string
		for _, name := range order {
			if set[name] && name != skip {
				out = append(out, name)
			}
		}
		return out
	}
	for _, svc := range sys.Services {
		union := map[string]bool{}
		for _, c := range svc.Commands {
			set := allowed[key{svc, c.Name}]
			c.Callers = list(set, "")
			for n := range set {
				union[n] = true
			}
		}
		for _, q := range svc.Queries {
			set := allowed[key{svc, q.Name}]
			q.Callers = list(set, "")
			for n := range set {
				union[n] = true
			}
		}
		svc.Callers = list(union, svc.Name)
	}
}

// decideProjections derives how an event-sourced service's events fold into
// its entities. CQRS needs the events of every change to build its read
// model from, so a cqrs service is event-sourced too.
func decideProjections(svc *Service) {
	svc.Projections = nil
	svc.EventSourced = svc.Has(PatternEventSourcing) || svc.Has(PatternCQRS)
	svc.AsyncReadModel = svc.Has(PatternCQRS)
	if !svc.EventSourced {
		return
	}
	for _, ev := range svc.Events {
		var by *Command
		for _, c := range svc.Commands {
			if c.Entity != nil && emits(c, ev) {
				by = c
				break
			}
		}
		if by == nil {
			continue
		}
		p := &Projection{
			Event:     ev,
			By:        by,
			Entity:    by.Entity,
			Create:    by.Mode == ModeCreate || (by.Mode == ModeUpsert && by.CreateAllowed),
			Sets:      by.Sets,
			SetStatus: by.SetStatus,
		}
		for _, f := range ev.Fields {
			t := by.Entity.Message.Field(f.Name)
			if t != nil && t != by.Entity.ID && SameType(t.Type, f.Type) && !by.setsField(t) {
				p.Fields = append(p.Fields, Assign{Target: t, Source: f})
			}
		}
		svc.Projections = append(svc.Projections, p)
	}
}

// decideTrackers makes the service that emits a choreographed saga's
// trigger keep the saga's state: it observes the trigger, the first event of
// each step's, compensation's and on_failure's command, and the failure
// event.
func decideTrackers(sys *System, svc *Service) {
	svc.Tracks = nil
	for _, sg := range sys.Sagas {
		if !sg.Choreography || sg.Trigger.Service != svc {
			continue
		}
		tr := &SagaTracker{Saga: sg}
		add := func(kind, step string, last bool, subject string) {
			for _, o := range tr.Observers {
				if o.Subject == subject {
					return // one consumer per subject
				}
			}
			name := fmt.Sprintf("%s_saga_%s_observe_%d", svc.Name, sg.Name, len(tr.Observers)+1)
			tr.Observers = append(tr.Observers, &SagaObserver{Kind: kind, Step: step, Last: last, Subject: subject,
				Durable: name, DeadLetter: sys.Name + "." + DeadLetterPrefix + "." + name})
		}
		add(ObserveTrigger, "", false, sg.Trigger.Subject)
		for i, st := range sg.Steps {
			if ev := st.Call.Command.Emits; len(ev) > 0 {
				add(ObserveCall, st.Name, i == len(sg.Steps)-1, ev[0].Subject)
			}
			if st.Compensate != nil && len(st.Compensate.Command.Emits) > 0 {
				add(ObserveCompensate, st.Name, false, st.Compensate.Command.Emits[0].Subject)
			}
		}
		if f := sg.OnFailure; f != nil && len(f.Command.Emits) > 0 {
			add(ObserveOnFailure, f.Command.Service.Name+"."+f.Command.Name, false, f.Command.Emits[0].Subject)
		}
		add(ObserveFailed, "", false, sg.FailedSubject)
		svc.Tracks = append(svc.Tracks, tr)
	}
}

// decideCompensations finds what svc does when a choreographed saga fails.
func decideCompensations(sys *System, svc *Service) {
	svc.Compensates = nil
	for _, sg := range sys.Sagas {
		if !sg.Choreography {
			continue
		}
		c := &Compensations{Saga: sg}
		for i := len(sg.Steps) - 1; i >= 0; i-- {
			if comp := sg.Steps[i].Compensate; comp != nil && comp.Command.Service == svc {
				c.Steps = append(c.Steps, i)
			}
		}
		c.OnFailure = sg.OnFailure != nil && sg.OnFailure.Command.Service == svc
		if len(c.Steps) == 0 && !c.OnFailure {
			continue
		}
		c.Durable = svc.Name + "_saga_" + sg.Name + "_failed"
		c.DeadLetter = sys.Name + "." + DeadLetterPrefix + "." + svc.Name + ".saga_" + sg.Name + "_failed"
		svc.Compensates = append(svc.Compensates, c)
	}
}

// decideClients lists the services svc calls: its calls, then the other
// services of the sagas it orchestrates, in blueprint order.
func decideClients(sys *System, svc *Service) {
	svc.Orchestrates, svc.Clients = nil, append([]*Service(nil), svc.Calls...)
	seen := map[*Service]bool{svc: true}
	for _, c := range svc.Calls {
		seen[c] = true
	}
	for _, sg := range sys.Sagas {
		if sg.Choreography || sg.Orchestrator != svc {
			continue
		}
		svc.Orchestrates = append(svc.Orchestrates, sg)
		var calls []*SagaCall
		for _, st := range sg.Steps {
			calls = append(calls, st.Call, st.Compensate)
		}
		calls = append(calls, sg.OnFailure)
		for _, c := range calls {
			if c != nil && !seen[c.Command.Service] {
				seen[c.Command.Service] = true
				svc.Clients = append(svc.Clients, c.Command.Service)
			}
		}
	}
}

// decideLimits gives every command with an amount input a configurable
// upper bound, shared by the service's commands with the same field name.
func decideLimits(svc *Service) {
	svc.Limits = nil
	byName := map[string]*Limit{}
	for _, c := range svc.Commands {
		c.Limit = nil
		for _, f := range c.Input.Fields {
			isInt := f.Type.Kind == ScalarType && (f.Type.Scalar == Int64 || f.Type.Scalar == Int32)
			if !isInt || (f.Name != "amount" && !strings.HasPrefix(f.Name, "amount_")) {
				continue
			}
			l := byName[f.Name]
			if l == nil {
				l = &Limit{Field: f, Name: "Max" + GoCamelCase(f.Name), Env: "MAX_" + strings.ToUpper(f.Name), Default: DefaultLimit}
				byName[f.Name] = l
				svc.Limits = append(svc.Limits, l)
			}
			c.Limit = l
			break
		}
	}
}

// decideTotals finds the entity totals a creating command computes: a field
// "total_<unit>" (or "total") that no input sets, summed from a list field
// whose elements have "quantity" and "<x>_<unit>" (or "price").
func decideTotals(c *Command) {
	c.Totals = nil
	if c.Entity == nil || (c.Mode != ModeCreate && !(c.Mode == ModeUpsert && c.CreateAllowed)) {
		return
	}
	isInt := func(f *Field) bool {
		return f != nil && f.Type.Kind == ScalarType && (f.Type.Scalar == Int64 || f.Type.Scalar == Int32)
	}
	assigned := map[*Field]bool{}
	for _, a := range c.Assign {
		assigned[a.Target] = true
	}
	for _, target := range c.Entity.Message.Fields {
		if !isInt(target) || assigned[target] || (target.Name != "total" && !strings.HasPrefix(target.Name, "total_")) {
			continue
		}
		unit := strings.TrimPrefix(strings.TrimPrefix(target.Name, "total"), "_")
		for _, list := range c.Entity.Message.Fields {
			if list.Type.Kind != ListType || list.Type.Elem.Kind != MessageType {
				continue
			}
			elem := list.Type.Elem.Message
			qty := elem.Field("quantity")
			var price *Field
			for _, f := range elem.Fields {
				if f != qty && isInt(f) && ((unit == "" && f.Name == "price") || (unit != "" && strings.HasSuffix(f.Name, "_"+unit))) {
					price = f
					break
				}
			}
			if isInt(qty) && price != nil {
				c.Totals = append(c.Totals, &Total{Target: target, List: list, Quantity: qty, Price: price})
				break
			}
		}
	}
}

// decideConsumers names each consumer of svc and picks the command its
// default handler calls.
func decideConsumers(sys *System, svc *Service) {
	svc.Consumers = nil
	consumed := append([]*Message(nil), svc.Consumes...)
	consumed = append(consumed, sagaEvents(sys, svc, consumed)...)
	names := map[string]int{}
	for _, ev := range consumed {
		names[ev.Name]++
	}
	for _, ev := range consumed {
		c := &Consumer{Service: svc, Event: ev}
		c.Durable = svc.Name + "_" + ev.Service.Name + "_" + ev.Snake
		base := ev.Name
		if names[ev.Name] > 1 {
			base = ev.Service.Pascal + ev.Name
		}
		c.Handler = "On" + base
		c.Snake = "on_" + Snake(base)
		c.DeadLetter = sys.Name + "." + DeadLetterPrefix + "." + svc.Name + "." + ev.Service.Name + "." + ev.Snake
		c.Command, c.Saga = sagaReaction(sys, svc, ev)
		if c.Saga != nil {
			c.SagaFirst = c.Saga.Trigger == ev
			for _, st := range c.Saga.Steps {
				if st.Call.Command == c.Command {
					c.SagaCall = st.Call
					break
				}
			}
		}
		if c.Saga == nil && svc.EventOrder != EventOrderParallel {
			c.Ordered = svc.Name + "_from_" + ev.Service.Name
		}
		if c.Command == nil {
			for _, cmd := range svc.Commands {
				if carriesInput(ev, cmd) {
					c.Command = cmd
					break
				}
			}
		}
		if c.Command != nil {
			for _, f := range c.Command.Input.Fields {
				b := EventBinding{Field: f}
				if src := ev.Field(f.Name); src != nil && SameType(src.Type, f.Type) {
					b.Source = src
				}
				c.Inputs = append(c.Inputs, b)
			}
		}
		svc.Consumers = append(svc.Consumers, c)
	}
}

// sagaEvents returns the events svc must consume to take part in the
// choreographed sagas, beyond those it already consumes: for each step it
// runs, the first event of the previous step's command (the trigger for the
// first step).
func sagaEvents(sys *System, svc *Service, consumed []*Message) []*Message {
	var out []*Message
	has := func(ev *Message) bool {
		for _, c := range append(consumed, out...) {
			if c == ev {
				return true
			}
		}
		return false
	}
	for _, sg := range sys.Sagas {
		if !sg.Choreography {
			continue
		}
		for i, st := range sg.Steps {
			if st.Call == nil || st.Call.Command.Service != svc {
				continue
			}
			var ev *Message
			switch {
			case i == 0:
				ev = sg.Trigger
			case sg.Steps[i-1].Call != nil && len(sg.Steps[i-1].Call.Command.Emits) > 0:
				ev = sg.Steps[i-1].Call.Command.Emits[0]
			}
			if ev != nil && !has(ev) {
				out = append(out, ev)
			}
		}
	}
	return out
}

// sagaReaction returns the command of svc that a choreographed saga runs
// when ev happens, and that saga: the step after the one whose command emits
// ev (the first step when ev is the trigger). nil when no choreographed saga
// says so.
func sagaReaction(sys *System, svc *Service, ev *Message) (*Command, *Saga) {
	for _, sg := range sys.Sagas {
		if !sg.Choreography {
			continue
		}
		for i, st := range sg.Steps {
			if st.Call == nil || st.Call.Command.Service != svc {
				continue
			}
			if i == 0 && sg.Trigger == ev {
				return st.Call.Command, sg
			}
			if i > 0 && sg.Steps[i-1].Call != nil && emits(sg.Steps[i-1].Call.Command, ev) {
				return st.Call.Command, sg
			}
		}
	}
	return nil, nil
}

func emits(c *Command, ev *Message) bool {
	for _, e := range c.Emits {
		if e == ev {
			return true
		}
	}
	return false
}

// carriesInput reports whether ev has a field of the same name and type for
// every input field of cmd.
func carriesInput(ev *Message, cmd *Command) bool {
	for _, f := range cmd.Input.Fields {
		src := ev.Field(f.Name)
		if src == nil || !SameType(src.Type, f.Type) {
			return false
		}
	}
	return len(cmd.Input.Fields) > 0
}

func assignPorts(sys *System) {
	used := map[int]bool{}
	if sys.Gateway != nil {
		used[sys.Gateway.Port] = true
	} else {
		used[DefaultGatewayPort] = true
	}
	for _, svc := range sys.Services {
		if svc.Port != 0 {
			used[svc.Port] = true
		}
	}
	next := firstServicePort
	for _, svc := range sys.Services {
		if svc.Port != 0 {
			continue
		}
		for used[next] {
			next++
		}
		svc.Port = next
		used[next] = true
	}
}

func finalizeService(sys *System, svc *Service) {
	svc.Pascal = GoCamelCase(svc.Name)
	svc.Camel = LowerFirst(svc.Pascal)
	svc.EnvPrefix = strings.ToUpper(svc.Name)
	svc.ProtoService = ProtoServiceName(svc.Name)
	numbers := svc.APIVersions
	if len(numbers) == 0 {
		numbers = []int{1}
	}
	svc.Versions = nil
	for i, n := range numbers {
		svc.Versions = append(svc.Versions, apiVersion(sys, svc, n, i == len(numbers)-1))
	}
	cur := svc.Versions[len(svc.Versions)-1]
	svc.ProtoPackage = cur.ProtoPackage
	svc.ProtoDir = cur.ProtoDir
	svc.ProtoFile, svc.TypesFile, svc.EventsFile = cur.ProtoFile, cur.TypesFile, cur.EventsFile
	svc.GoPackage, svc.GoPackageName = cur.GoPackage, cur.GoPackageName
	svc.ConnectImport, svc.ConnectName = cur.ConnectImport, cur.ConnectName
	svc.InternalDir = path.Join("internal", svc.Name)
	svc.InternalPkg = path.Join(sys.Module, svc.InternalDir)
	svc.CmdDir = path.Join("cmd", svc.Name)

	for _, e := range svc.Entities {
		m := e.Message
		m.Entity = e
		if len(m.Fields) == 0 || m.Fields[0].Name != "id" {
			m.Fields = append([]*Field{{Name: "id", Type: &Type{Kind: ScalarType, Scalar: String}}}, m.Fields...)
		}
		e.ID = m.Fields[0]
		e.Plural = Plural(Snake(m.Name))
		e.Table = e.Plural
	}
	for _, c := range svc.Commands {
		c.Snake = Snake(c.Name)
		c.Procedure = "/" + svc.ProtoPackage + "." + svc.ProtoService + "/" + c.Name
		c.Input.Kind = RequestMessage
		c.Input.Service = svc
		if c.Input.Name == "" {
			c.Input.Name = RequestName(c.Name)
		}
	}
	for _, q := range svc.Queries {
		q.Snake = Snake(q.Name)
		q.Procedure = "/" + svc.ProtoPackage + "." + svc.ProtoService + "/" + q.Name
		q.Input.Kind = RequestMessage
		q.Input.Service = svc
		if q.Input.Name == "" {
			q.Input.Name = RequestName(q.Name)
		}
		q.List = q.Result.Kind == ListType
		elem := q.Result
		if q.List {
			elem = q.Result.Elem
		}
		fieldName := ""
		if elem.Kind == MessageType {
			fieldName = Snake(elem.Message.Name)
			if elem.Message.Entity != nil {
				q.Entity = elem.Message.Entity
			}
		} else {
			fieldName = "value"
		}
		if q.List {
			fieldName = Plural(fieldName)
			if elem.Kind != MessageType {
				fieldName = "values"
			}
		}
		q.ResultField = &Field{Name: fieldName, Type: q.Result}
		q.Output = &Message{Name: ResponseName(q.Name), Kind: ResponseMessage, Service: svc, Fields: []*Field{q.ResultField}}
	}
	for _, c := range svc.Commands {
		c.Entity = commandEntity(c)
		out := &Message{Name: ResponseName(c.Name), Kind: ResponseMessage, Service: svc}
		if c.Entity != nil {
			out.Fields = []*Field{{Name: Snake(c.Entity.Name()), Type: &Type{Kind: MessageType, Message: c.Entity.Message}}}
		}
		c.Output = out
	}

	svc.Enums = nil
	for _, m := range svc.Messages() {
		finalizeMessage(sys, svc, m)
	}
}

// apiVersion names version n of the service's API.
func apiVersion(sys *System, svc *Service, n int, latest bool) *APIVersion {
	tag := fmt.Sprintf("v%d", n)
	v := &APIVersion{
		Number:       n,
		Latest:       latest,
		ProtoPackage: sys.Name + "." + svc.Name + "." + tag,
		ProtoDir:     path.Join(sys.Name, svc.Name, tag),
		HTTPPrefix:   "/" + tag + "/" + svc.Name,
	}
	v.ProtoFile = path.Join(v.ProtoDir, svc.Name+".proto")
	if len(svc.Types) > 0 || len(svc.Entities) > 0 {
		v.TypesFile = path.Join(v.ProtoDir, "types.proto")
	}
	if len(svc.Events) > 0 {
		v.EventsFile = path.Join(v.ProtoDir, "events.proto")
	}
	v.GoPackage = path.Join(sys.Module, sys.GenRoot, v.ProtoDir)
	v.GoPackageName = GoPackageName(svc.Name, n)
	v.ConnectName = v.GoPackageName + "connect"
	v.ConnectImport = v.GoPackage + "/" + v.ConnectName
	v.FullService = v.ProtoPackage + "." + svc.ProtoService
	return v
}

func finalizeMessage(sys *System, svc *Service, m *Message) {
	m.Service = svc
	m.FullName = svc.ProtoPackage + "." + m.Name
	m.Snake = Snake(m.Name)
	m.QualGo = svc.GoPackageName + "." + m.Name
	switch m.Kind {
	case TypeMessage, EntityMessage:
		m.File = svc.TypesFile
	case EventMessage:
		m.File = svc.EventsFile
		m.Subject = sys.Name + "." + svc.Name + "." + m.Snake
		m.StoredNames = nil
		latest := svc.Versions[len(svc.Versions)-1].Number
		for n := 1; n <= latest; n++ {
			m.StoredNames = append(m.StoredNames, fmt.Sprintf("%s.%s.v%d.%s", sys.Name, svc.Name, n, m.Name))
		}
	default:
		m.File = svc.ProtoFile
	}
	for i, f := range m.Fields {
		f.Number = i + 1
		f.GoName = GoCamelCase(f.Name)
		f.JSONName = JSONCamelCase(f.Name)
		if m.Kind == EntityMessage {
			f.Column = f.Name
		}
		t := f.Type
		if t.Kind == ListType {
			t = t.Elem
		}
		if t.Kind == EnumType {
			e := t.Enum
			e.Owner, e.Field = m, f
			e.Name = EnumName(m.Name, f.Name)
			e.Service = svc
			e.File = m.File
			if m.Kind == RequestMessage || m.Kind == ResponseMessage {
				e.File = svc.ProtoFile
			}
			e.QualGo = svc.GoPackageName + "." + e.Name
			prefix := UpperSnake(e.Name)
			e.UnspecifiedProtoName = prefix + "_UNSPECIFIED"
			e.UnspecifiedGoName = e.Name + "_" + e.UnspecifiedProtoName
			for j, v := range e.Values {
				v.Number = j + 1
				v.ProtoName = prefix + "_" + strings.ToUpper(v.Name)
				v.GoName = e.Name + "_" + v.ProtoName
			}
			svc.Enums = append(svc.Enums, e)
		}
	}
}

// createVerbs start the names of commands that create a new entity.
var createVerbs = map[string]bool{
	"create": true, "place": true, "add": true, "register": true, "open": true,
	"submit": true, "new": true, "make": true, "start": true, "book": true, "post": true,
	"request": true, "issue": true, "schedule": true, "enroll": true, "sign": true,
}

// commandEntity picks the entity a command's default logic changes: the one
// whose id the input carries, else the one its name mentions, else the
// service's only entity.
func commandEntity(c *Command) *Entity {
	svc := c.Service
	for _, f := range c.Input.Fields {
		for _, e := range svc.Entities {
			if f.Name == Snake(e.Name())+"_id" {
				return e
			}
		}
	}
	var best *Entity
	for _, e := range svc.Entities {
		if strings.Contains(c.Name, e.Name()) && (best == nil || len(e.Name()) > len(best.Name())) {
			best = e
		}
	}
	if best != nil {
		return best
	}
	if len(svc.Entities) == 1 {
		return svc.Entities[0]
	}
	return nil
}

func idField(in *Message, e *Entity) *Field {
	for _, f := range in.Fields {
		if (f.Name == "id" || f.Name == Snake(e.Name())+"_id") && f.Type.Kind == ScalarType && f.Type.Scalar == String {
			return f
		}
	}
	return nil
}

func decideCommand(c *Command) {
	c.Mode, c.Lookup, c.Assign, c.SetStatus, c.CreateAllowed = ModeRecord, nil, nil, nil, false
	c.Sets, c.SetsBy, c.SetsEvent, c.From = nil, "", nil, nil
	e := c.Entity
	if e != nil {
		id := idField(c.Input, e)
		decideSets(c, e)
		for _, in := range c.Input.Fields {
			if in == id {
				continue
			}
			if t := e.Message.Field(in.Name); t != nil && t != e.ID && SameType(t.Type, in.Type) && !c.setsField(t) {
				c.Assign = append(c.Assign, Assign{Target: t, Source: in})
			}
		}
		verb := Words(c.Name)[0]
		switch {
		case id != nil:
			c.Mode, c.Lookup = ModeUpdate, id
		case createVerbs[verb]:
			c.Mode = ModeCreate
		default:
			if key := upsertKey(c.Assign); key != nil {
				c.Mode, c.Lookup = ModeUpsert, key
				c.CreateAllowed = c.SetStatus == nil || c.SetStatus.Value == c.SetStatus.Field.Type.Enum.Values[0]
			}
		}
	}
	if c.Mode == ModeUpdate || c.Mode == ModeUpsert {
		c.From = decideFrom(c)
	}
	if c.Mode == ModeRecord {
		c.Entity, c.Assign, c.SetStatus = nil, nil, nil
		c.Sets, c.SetsBy, c.SetsEvent = nil, "", nil
		if c.Output != nil {
			c.Output.Fields = nil
		}
	}
	c.EventFills = nil
	for _, ev := range c.Emits {
		fill := &EventFill{Event: ev}
		for _, f := range ev.Fields {
			fill.Fields = append(fill.Fields, eventFieldSource(c, f))
		}
		c.EventFills = append(c.EventFills, fill)
	}
}

// upsertKey picks the input field an upsert finds its entity by: the first
// assigned string field named like a reference ("order_id"), else the first
// assigned string, integer or enum field. Lists, messages, bytes, doubles and
// timestamps make poor keys and are never chosen.
func upsertKey(assign []Assign) *Field {
	keyable := func(t *Type) bool {
		return t.Kind == EnumType || (t.Kind == ScalarType && (t.Scalar == String || t.Scalar == Int32 || t.Scalar == Int64))
	}
	for _, a := range assign {
		if keyable(a.Source.Type) && a.Source.Type.Kind == ScalarType && a.Source.Type.Scalar == String && strings.HasSuffix(a.Source.Name, "_id") {
			return a.Source
		}
	}
	for _, a := range assign {
		if keyable(a.Source.Type) {
			return a.Source
		}
	}
	return nil
}

func eventFieldSource(c *Command, f *Field) FieldSource {
	if e := c.Entity; e != nil {
		if (f.Name == "id" || f.Name == Snake(e.Name())+"_id") && f.Type.Kind == ScalarType && f.Type.Scalar == String {
			return FieldSource{Field: f, Kind: FromEntityID}
		}
		if ef := e.Message.Field(f.Name); ef != nil && SameType(ef.Type, f.Type) {
			return FieldSource{Field: f, Kind: FromEntity, Source: ef}
		}
	}
	if in := c.Input.Field(f.Name); in != nil && SameType(in.Type, f.Type) {
		return FieldSource{Field: f, Kind: FromInput, Source: in}
	}
	return FieldSource{Field: f, Kind: FromNone}
}

// statusChange finds an enum value of the entity that the command's verb
// names: "ConfirmOrder" sets a value "confirmed", "CancelOrder" "cancelled".
func statusChange(command string, e *Entity) *StatusChange {
	verb := Words(command)[0]
	stem := strings.TrimSuffix(verb, "e")
	if len(stem) < 3 {
		return nil
	}
	for _, f := range e.Message.Fields {
		if f.Type.Kind != EnumType {
			continue
		}
		for _, v := range f.Type.Enum.Values {
			if v.Name == verb || (strings.HasPrefix(v.Name, stem) && strings.HasSuffix(v.Name, "ed")) {
				return &StatusChange{Field: f, Value: v}
			}
		}
	}
	return nil
}

func decideQuery(q *Query) {
	q.ByID, q.Filters = nil, nil
	e := q.Entity
	if e == nil {
		return
	}
	if !q.List {
		q.ByID = idField(q.Input, e)
	}
	for _, in := range q.Input.Fields {
		if in == q.ByID {
			continue
		}
		if col := e.Message.Field(in.Name); col != nil && SameType(col.Type, in.Type) && col.Type.Kind != ListType {
			q.Filters = append(q.Filters, Filter{Input: in, Column: col})
		}
	}
}

// SameType reports whether values of a and b can be assigned to each other.
func SameType(a, b *Type) bool {
	if a == nil || b == nil || a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case ScalarType:
		return a.Scalar == b.Scalar
	case EnumType:
		return a.Enum == b.Enum
	case MessageType:
		return a.Message == b.Message
	case ListType:
		return SameType(a.Elem, b.Elem)
	}
	return false
}

// decideRoutes links every command and query to the gateway route exposing
// it and gives it its REST path through the gateway: commands are POST
// /vN/<service>/<command> with the request as JSON body, queries GET
// /vN/<service>/<query> with the request fields as query parameters, N the
// current version (older versions serve the same paths under their own
// /vN prefix).
func decideRoutes(sys *System) {
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			c.Route, c.HTTPPath = nil, ""
		}
		for _, q := range svc.Queries {
			q.Route, q.HTTPPath = nil, ""
		}
	}
	if sys.Gateway == nil {
		return
	}
	for _, r := range sys.Gateway.Routes {
		for _, c := range r.Commands {
			c.Route, c.HTTPPath = r, r.Service.Versions[len(r.Service.Versions)-1].HTTPPrefix+"/"+c.Snake
		}
		for _, q := range r.Queries {
			q.Route, q.HTTPPath = r, r.Service.Versions[len(r.Service.Versions)-1].HTTPPrefix+"/"+q.Snake
		}
	}
}
