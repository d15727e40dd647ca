package service

import (
	"slices"
	"strconv"

	"github.com/microforge/microforge/internal/model"
)

// e2eView is what internal/local/e2e_test.go does against each service.
type e2eView struct {
	Sys      *systemView
	Services []*e2eService
	Flows    []*e2eFlow
	Sagas    []*e2eSaga
	Imports  imports
	// ConsistentReads: a service has CQRS read models, so the test's
	// queries wait for them.
	ConsistentReads bool
	// ChoreographyFails: a choreographed saga has a failure scenario.
	ChoreographyFails bool
}

// e2eService is the scenario of one service: create an entity over the
// Connect protocol with JSON, read it back over gRPC, change its status
// over gRPC-Web and read it again. A service with no command that creates
// records over Connect and expects NotFound from its reads.
type e2eService struct {
	Name         string
	Pascal       string
	Connect      string
	ProtoService string

	Create *e2eCall // nil when no command creates an entity
	// CreatedType is the Go type of the entity Create returns,
	// "ordersv1.Order".
	CreatedType string
	Reads       []*e2eRead
	Update      *e2eCall
	Reread      *e2eRead // read after Update, checking its status
	Record      *e2eCall // when Create is nil: the first command
	Missing     []*e2eRead

	UseGRPC, UseWeb bool
}

// e2eCall is one RPC with its request fields.
type e2eCall struct {
	Method    string
	ReqType   string
	Fields    []assignment
	RespField string
}

// e2eRead is a query call and what its result must hold.
type e2eRead struct {
	e2eCall
	List       bool
	WantStatus *assignment // entity getter and constant
}

func newE2EView(sv *systemView) *e2eView {
	v := &e2eView{Sys: sv, Imports: imports{}.add("net/http", "testing", "connectrpc.com/connect",
		sv.Module+"/internal/local", sv.Module+"/internal/platform/client", sv.Module+"/internal/platform/logging")}
	for _, s := range sv.Services {
		if !e2eTestable(s.model) {
			continue // nothing to call: the health checks cover it
		}
		v.Services = append(v.Services, newE2EService(s, v.Imports))
	}
	for _, s := range sv.Services {
		v.ConsistentReads = v.ConsistentReads || s.CQRS
	}
	if sv.Broker {
		v.Imports.add("os")
	}
	v.Flows = newE2EFlows(sv, v.Imports)
	v.Sagas = newE2ESagas(sv, v.Imports)
	for _, sg := range v.Sagas {
		v.ChoreographyFails = v.ChoreographyFails || (sg.Choreography && sg.Fail != nil)
	}
	return v
}

// e2eTestable reports whether the end-to-end test has a call to make on the
// service: a command, or a query that reads one entity.
func e2eTestable(svc *model.Service) bool {
	if len(svc.Commands) > 0 {
		return true
	}
	for _, q := range svc.Queries {
		if q.Entity != nil && !q.List {
			return true
		}
	}
	return false
}

func newE2EService(sv *serviceView, im imports) *e2eService {
	svc := sv.model
	es := &e2eService{Name: sv.Name, Pascal: sv.Pascal, Connect: sv.Connect, ProtoService: sv.ProtoService}
	im.add(svc.ConnectImport)
	importProto(svc, im)
	req := func(c *model.Command) *e2eCall {
		call := &e2eCall{Method: c.Name, ReqType: c.Input.QualGo}
		for _, f := range c.Input.Fields {
			value := sample(f, im)
			if f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String {
				// Values of this service only: events this scenario causes
				// make other services' consumers create entities from them.
				value = strconv.Quote(f.Constraints.FitString(f.Name + "-" + svc.Name))
			}
			call.Fields = append(call.Fields, assignment{f.GoName, value})
		}
		if len(c.Output.Fields) > 0 {
			call.RespField = c.Output.Fields[0].GoName
		}
		return call
	}
	var created *model.Command
	for _, c := range svc.Commands {
		if c.Entity != nil && (c.Mode == model.ModeCreate || (c.Mode == model.ModeUpsert && c.CreateAllowed)) {
			created = c
			break
		}
	}
	if created == nil {
		if len(svc.Commands) > 0 {
			es.Record = req(svc.Commands[0])
		}
		for _, q := range svc.Queries {
			if q.Entity != nil && !q.List {
				es.Missing = append(es.Missing, readOf(q, nil, im))
				es.UseGRPC = true
			}
		}
		return es
	}
	es.Create = req(created)
	entity := created.Entity
	es.CreatedType = entity.Message.QualGo

	// The status field the scenario follows: the first enum field that some
	// other command of the entity sets. A command that starts from any
	// state comes first: a saga the creation triggers may move the entity
	// on meanwhile.
	var update *model.Command
	for _, guarded := range []bool{false, true} {
		for _, c := range svc.Commands {
			if update == nil && c != created && c.Entity == entity && c.SetStatus != nil && (c.Mode == model.ModeUpdate || c.Mode == model.ModeUpsert) &&
				(c.From != nil) == guarded && startsAfter(c, created) {
				update = c
			}
		}
	}
	var initial *assignment
	if update != nil {
		field := update.SetStatus.Field
		value := field.Type.Enum.Values[0]
		if st := created.SetStatus; st != nil && st.Field == field {
			value = st.Value
		}
		initial = &assignment{"Get" + field.GoName, qualEnumValue(field.Type.Enum, value)}
	}
	// A saga the creation triggers moves the entity on from its initial
	// status at once (an orchestrator's starts in the creating
	// transaction): a read after the creation cannot expect it.
	for _, sg := range sv.Sys.model.Sagas {
		if slices.Contains(created.Emits, sg.Trigger) {
			initial = nil
		}
	}
	for _, q := range svc.Queries {
		if q.Entity != entity || !filledByCreate(q, created) {
			continue
		}
		r := readOf(q, created, im)
		if !r.List {
			r.WantStatus = initial
		}
		es.Reads = append(es.Reads, r)
		es.UseGRPC = true
	}
	if update != nil {
		call := req(update)
		for i, f := range update.Input.Fields {
			if f == update.Lookup {
				if update.Mode == model.ModeUpdate {
					call.Fields[i].Value = "created.GetId()"
				} else {
					call.Fields[i].Value = "created.Get" + lookupTarget(update).GoName + "()"
				}
			}
		}
		es.Update = call
		es.UseWeb = true
		for _, r := range es.Reads {
			if !r.List {
				again := *r
				again.WantStatus = &assignment{"Get" + update.SetStatus.Field.GoName, qualEnumValue(update.SetStatus.Field.Type.Enum, update.SetStatus.Value)}
				es.Reread = &again
				break
			}
		}
	}
	return es
}

// readOf is a call of query q for the entity created by command c (nil:
// sample values).
// filledByCreate reports whether every string filter of the query matches a
// field the create command sets: the default logic rejects empty strings, and
// a field the command leaves empty cannot find the created entity anyway.
func filledByCreate(q *model.Query, created *model.Command) bool {
	for _, flt := range q.Filters {
		if flt.Column.Type.Kind != model.ScalarType || flt.Column.Type.Scalar != model.String {
			continue
		}
		set := false
		for _, a := range created.Assign {
			if a.Target == flt.Column {
				set = true
			}
		}
		if !set {
			return false
		}
	}
	return true
}

func readOf(q *model.Query, c *model.Command, im imports) *e2eRead {
	r := &e2eRead{e2eCall: e2eCall{Method: q.Name, ReqType: q.Input.QualGo, RespField: q.ResultField.GoName}, List: q.List}
	for _, f := range q.Input.Fields {
		value := sample(f, im)
		if c != nil {
			if f == q.ByID {
				value = "created.GetId()"
			}
			for _, flt := range q.Filters {
				if flt.Input == f {
					value = "created.Get" + flt.Column.GoName + "()"
				}
			}
		}
		r.Fields = append(r.Fields, assignment{f.GoName, value})
	}
	return r
}

// e2eFlow is an event crossing services in the end-to-end test: a command
// of the producer records the event, the consumer's default handler calls
// its command, and that command's event must reach the broker carrying the
// trace context of the first call.
type e2eFlow struct {
	Func         string // "flowInventoryOnOrderCancelled"
	Title        string // "orders.OrderCancelled reaches inventory"
	Producer     string // producing service name
	Connect      string // producer's connect package
	ProtoService string
	Setup        *e2eCall // creates the entity Trigger changes; nil when not needed
	Trigger      *e2eCall
	WantSubject  string // subject of the consumer command's first event
}

// newE2EFlows returns one flow per consumer whose default calls a command
// that records events, when the producer has a command recording the
// consumed event that the test can call with sample values.
func newE2EFlows(sv *systemView, im imports) []*e2eFlow {
	var out []*e2eFlow
	for _, s := range sv.Services {
		for _, c := range s.model.Consumers {
			if c.Command == nil || len(c.Command.Emits) == 0 {
				continue
			}
			if m := c.Command.Mode; m == model.ModeUpdate || (m == model.ModeUpsert && !c.Command.CreateAllowed) {
				continue // sample values find no entity to change
			}
			if c.SagaCall != nil && !c.SagaFirst {
				continue // reacts only within its saga, which the saga scenario runs
			}
			producer := c.Event.Service
			f := &e2eFlow{
				Func:         "flow" + s.Pascal + c.Handler[len("On"):],
				Title:        producer.Name + "." + c.Event.Name + " reaches " + s.Name,
				Producer:     producer.Name,
				Connect:      producer.ConnectName,
				ProtoService: producer.ProtoService,
				WantSubject:  c.Command.Emits[0].Subject,
			}
			for _, cmd := range producer.Commands {
				if !emitsEvent(cmd, c.Event) {
					continue
				}
				switch {
				case cmd.Mode == model.ModeCreate || cmd.Mode == model.ModeRecord || (cmd.Mode == model.ModeUpsert && cmd.CreateAllowed):
					f.Trigger = sampleCall(cmd, im)
				case cmd.Mode == model.ModeUpdate:
					create := creatorOf(producer, cmd.Entity)
					if create == nil {
						continue
					}
					f.Setup = sampleCall(create, im)
					f.Trigger = sampleCall(cmd, im)
					for i, in := range cmd.Input.Fields {
						if in == cmd.Lookup {
							f.Trigger.Fields[i].Value = "created.GetId()"
						}
					}
				}
				if f.Trigger != nil {
					break
				}
			}
			if f.Trigger == nil {
				continue
			}
			im.add(producer.ConnectImport)
			importProto(producer, im)
			out = append(out, f)
		}
	}
	if len(out) > 0 {
		im.add("context", "crypto/rand", "encoding/hex", "strings", "time",
			"github.com/nats-io/nats.go", "github.com/nats-io/nats.go/jetstream",
			sv.Module+"/internal/platform/events")
	}
	return out
}

func emitsEvent(c *model.Command, ev *model.Message) bool {
	for _, e := range c.Emits {
		if e == ev {
			return true
		}
	}
	return false
}

// creatorOf returns the command that creates entity e from sample values.
func creatorOf(svc *model.Service, e *model.Entity) *model.Command {
	for _, c := range svc.Commands {
		if c.Entity == e && (c.Mode == model.ModeCreate || (c.Mode == model.ModeUpsert && c.CreateAllowed)) {
			return c
		}
	}
	return nil
}

// sampleCall is a call of c with sample values in every input field.
func sampleCall(c *model.Command, im imports) *e2eCall {
	call := &e2eCall{Method: c.Name, ReqType: c.Input.QualGo}
	for _, f := range c.Input.Fields {
		call.Fields = append(call.Fields, assignment{f.GoName, sample(f, im)})
	}
	if len(c.Output.Fields) > 0 {
		call.RespField = c.Output.Fields[0].GoName
	}
	return call
}

// e2eSaga is a saga the end-to-end test runs: a command creates the entity
// whose event triggers it, and the saga's state (GET /sagas on the
// orchestrator, or on the trigger's service for a choreography) and the
// entity's status must show the outcome.
type e2eSaga struct {
	Func         string // "sagaCheckout"
	Name         string
	Orchestrator string // "" for a choreography
	Choreography bool   // the outcome shows in the entity only
	Connect      string // producer's connect package
	ProtoService string
	Producer     string
	Trigger      *e2eCall
	Read         *e2eRead    // reads the created entity back; nil when no query does
	Log          []string    // "step action outcome" of a successful run
	Done         *assignment // entity status after success; nil when no step sets one
	Fail         *e2eSagaFailure
	Crash        *e2eSagaCrash
}

// e2eSagaCrash stops the whole system in the middle of a saga and starts it
// again on the same data: an orchestrated saga's step call is held until
// the system stops; a choreography stops right after its trigger.
type e2eSagaCrash struct {
	Test      string // "TestSagaCheckoutSurvivesRestart"
	Service   string // the held step's service, "" for a choreography
	Procedure string // its procedure, "/shop.payments.v1.PaymentsService/CapturePayment"
	Step      string // "capture_payment"
}

// e2eSagaFailure makes a step fail by lowering a limit through its
// environment variable. A choreography's participants compensate each on
// its own, so the test waits for every expected transition in any order.
type e2eSagaFailure struct {
	Test        string // "TestSagaCheckoutCompensates"
	Env         string // "PAYMENTS_MAX_AMOUNT_CENTS"
	Step        string
	Compensated []string    // steps whose compensation must run (and show), last first
	OnFailure   string      // the on_failure action's name, "" for none (or unseen)
	Status      *assignment // entity status after on_failure; nil when it sets none
}

func newE2ESagas(sys *systemView, im imports) []*e2eSaga {
	var out []*e2eSaga
	var sagas []*model.Saga
	for _, sv := range sys.Services {
		sagas = append(sagas, sv.model.Orchestrates...)
	}
	sagas = append(sagas, sys.Choreographies...)
	for _, sg := range sagas {
		{
			producer := sg.Trigger.Service
			var trigger *model.Command
			for _, c := range producer.Commands {
				if emitsEvent(c, sg.Trigger) && c.Entity != nil && (c.Mode == model.ModeCreate || (c.Mode == model.ModeUpsert && c.CreateAllowed)) {
					trigger = c
					break
				}
			}
			if trigger == nil {
				continue
			}
			es := &e2eSaga{
				Func:         "saga" + sg.Pascal,
				Name:         sg.Name,
				Choreography: sg.Choreography,
				Connect:      producer.ConnectName,
				ProtoService: producer.ProtoService,
				Producer:     producer.Name,
				Trigger:      sampleCall(trigger, im),
			}
			im.add(producer.ConnectImport)
			importProto(producer, im)
			for _, q := range producer.Queries {
				if q.Entity == trigger.Entity && !q.List && q.ByID != nil {
					es.Read = readOf(q, trigger, im)
					break
				}
			}
			status := func(c *model.Command) *assignment {
				if es.Read == nil || c.Entity != trigger.Entity || c.SetStatus == nil {
					return nil
				}
				return &assignment{"Get" + c.SetStatus.Field.GoName, qualEnumValue(c.SetStatus.Field.Type.Enum, c.SetStatus.Value)}
			}
			for _, st := range sg.Steps {
				es.Log = append(es.Log, st.Name+" call done")
				if s := status(st.Call.Command); s != nil {
					es.Done = s
				}
			}
			es.Crash = &e2eSagaCrash{Test: "TestSaga" + sg.Pascal + "SurvivesRestart"}
			es.Fail = sagaFailure(sg, trigger)
			if es.Fail != nil && sg.OnFailure != nil {
				es.Fail.Status = status(sg.OnFailure.Command)
			}
			if sg.Choreography {
				if es.Done == nil {
					continue // nothing shows the outcome
				}
				out = append(out, es)
				continue
			}
			held := sg.Steps[min(1, len(sg.Steps)-1)]
			cmd := held.Call.Command
			es.Crash.Service, es.Crash.Step = cmd.Service.Name, held.Name
			es.Crash.Procedure = "/" + cmd.Service.ProtoPackage + "." + cmd.Service.ProtoService + "/" + cmd.Name
			es.Orchestrator = sg.Orchestrator.Name
			out = append(out, es)
		}
	}
	if len(out) > 0 {
		im.add("encoding/json", "fmt", "slices", "time")
	}
	for _, es := range out {
		if es.Crash != nil && es.Crash.Service != "" {
			im.add("sync")
		}
	}
	return out
}

// sagaFailure finds a step the test can make fail: one whose command has a
// limit on an input bound to a trigger field whose value, as the trigger
// command fills it from the test's sample request, is more than 1 (the
// limit the test sets).
func sagaFailure(sg *model.Saga, trigger *model.Command) *e2eSagaFailure {
	for i, st := range sg.Steps {
		l := st.Call.Command.Limit
		if l == nil {
			continue
		}
		for _, b := range st.Call.Inputs {
			if b.Field.Name != l.Field.Name || b.Kind != model.BindTriggerField {
				continue
			}
			if v, ok := sampleEventValue(trigger, sg.Trigger, b.Source); !ok || v <= 1 {
				continue
			}
			f := &e2eSagaFailure{Test: "TestSaga" + sg.Pascal + "Compensates", Env: st.Call.Command.Service.EnvPrefix + "_" + l.Env, Step: st.Name}
			// A choreography's state shows what ran through the events it
			// observes: a call that records none runs unseen.
			seen := func(c *model.SagaCall) bool {
				return c != nil && (!sg.Choreography || len(c.Command.Emits) > 0)
			}
			for j := i - 1; j >= 0; j-- {
				if seen(sg.Steps[j].Compensate) {
					f.Compensated = append(f.Compensated, sg.Steps[j].Name)
				}
			}
			if seen(sg.OnFailure) {
				f.OnFailure = sg.OnFailure.Command.Service.Name + "." + sg.OnFailure.Command.Name
			}
			return f
		}
	}
	return nil
}

// sampleEventValue is the value the integer field of event ev holds when
// command c, called with sample values (sampleCall), records it: an input
// copied to the event directly or through the entity, or an entity total
// of the sample list (one element). ok is false when the value is not
// known that way.
func sampleEventValue(c *model.Command, ev *model.Message, field *model.Field) (int, bool) {
	for _, fill := range c.EventFills {
		if fill.Event != ev {
			continue
		}
		for _, fs := range fill.Fields {
			if fs.Field != field || fs.Source == nil {
				continue
			}
			switch fs.Kind {
			case model.FromInput:
				return sampleNumber(fs.Source.Name), true
			case model.FromEntity:
				for _, t := range c.Totals {
					if t.Target == fs.Source {
						return sampleNumber(t.Quantity.Name) * sampleNumber(t.Price.Name), true
					}
				}
				for _, a := range c.Assign {
					if a.Target == fs.Source {
						return sampleNumber(a.Source.Name), true
					}
				}
			}
		}
	}
	return 0, false
}
