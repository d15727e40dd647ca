package service

import (
	"github.com/microforge/microforge/internal/model"
)

// consumerView is one event a service consumes: its durable consumer, the
// user-owned handler and the handler's test.
type consumerView struct {
	Durable     string // "inventory_orders_order_cancelled"
	Ordered     string // "inventory_from_orders", "" when Durable delivers on its own
	Handler     string // "OnOrderCancelled"
	Snake       string // "on_order_cancelled"
	Subject     string // "shop.orders.order_cancelled"
	DeadLetter  string
	Event       string // "orders.OrderCancelled", for documentation
	EventQualGo string // "ordersv1.OrderCancelled"
	EventType   string // "shop.orders.v1.OrderCancelled"

	Command   string       // command the default calls, "" when it only logs
	ReqType   string       // "inventoryv1.ReleaseStockRequest"
	Inputs    []assignment // request fields set from the event
	Unset     []string     // request fields the event does not carry
	Saga      string       // choreographed saga the command is a step of, "" for none
	SagaFunc  string       // helper returning the saga and its trigger, "tripSaga"
	SagaVar   string       // "saga" when an input takes the saga id, else "_"
	SagaFirst bool         // the event is the saga's trigger
	SagaStep  string       // the step the handler runs, "book_room"
	FailFunc  string       // records the saga's failure, "failTrip"

	Imports imports // of the handler file
	Test    *consumerTest
}

// consumerTest is what a handler's scaffolded test does.
type consumerTest struct {
	Event         []assignment // sample event fields
	Saga          string       // choreographed saga of the handler, "" for none
	SagaFirst     bool
	TriggerQualGo string
	Trigger       []assignment // sample trigger fields
	Seed          string       // entity to store first so the command finds it, "" for none
	SeedState     string       // arguments after (t, s) of its seed call putting it in a state the command starts from
	WantEvent     string       // full name of the event the command records once, "" for none
	Imports       imports
}

func newConsumerViews(sv *serviceView) {
	svc := sv.model
	for _, c := range svc.Consumers {
		ev := c.Event
		cv := &consumerView{
			Durable:     c.Durable,
			Ordered:     c.Ordered,
			Handler:     c.Handler,
			Snake:       c.Snake,
			Subject:     ev.Subject,
			DeadLetter:  c.DeadLetter,
			Event:       ev.Service.Name + "." + ev.Name,
			EventQualGo: ev.QualGo,
			EventType:   ev.FullName,
			Imports:     imports{}.add("context", sv.Sys.Module+"/internal/platform/events"),
		}
		importProto(ev.Service, cv.Imports)
		test := &consumerTest{Imports: imports{}.add("testing", "google.golang.org/protobuf/proto",
			sv.Sys.Module+"/internal/platform/events", sv.Sys.Module+"/internal/platform/logging")}
		importProto(ev.Service, test.Imports)
		seedSource := "" // event (or trigger) field the seeded entity's key goes in
		seedGetter := ""
		if cmd := c.Command; cmd != nil {
			cv.Command = cmd.Name
			cv.ReqType = cmd.Input.QualGo
			importProto(svc, cv.Imports)
			cv.Imports.add("connectrpc.com/connect")
			seed := func(in, src *model.Field) {
				if in != cmd.Lookup {
					return
				}
				switch {
				case cmd.Mode == model.ModeUpdate:
					seedSource, seedGetter = src.GoName, "GetId"
				case cmd.Mode == model.ModeUpsert && !cmd.CreateAllowed:
					seedSource, seedGetter = src.GoName, "Get"+lookupTarget(cmd).GoName
				}
			}
			if c.SagaCall != nil {
				cv.Saga = c.Saga.Name
				cv.SagaFunc = model.LowerFirst(c.Saga.Pascal) + "Saga"
				cv.SagaVar = "_"
				cv.SagaFirst = c.SagaFirst
				cv.FailFunc = "fail" + c.Saga.Pascal
				for _, st := range c.Saga.Steps {
					if st.Call == c.SagaCall {
						cv.SagaStep = st.Name
					}
				}
				for _, b := range c.SagaCall.Inputs {
					switch b.Kind {
					case model.BindTriggerField:
						cv.Inputs = append(cv.Inputs, assignment{b.Field.GoName, "trigger.Get" + b.Source.GoName + "()"})
						seed(b.Field, b.Source)
					case model.BindSagaID:
						cv.Inputs = append(cv.Inputs, assignment{b.Field.GoName, "saga.ID"})
						cv.SagaVar = "saga"
					default:
						cv.Unset = append(cv.Unset, b.Field.GoName)
					}
				}
				test.Saga = c.Saga.Name
				test.SagaFirst = c.SagaFirst
				test.TriggerQualGo = c.Saga.Trigger.QualGo
				importProto(c.Saga.Trigger.Service, test.Imports)
				if !c.SagaFirst {
					test.Imports.add(sv.Sys.Module + "/internal/platform/outbox")
				}
				test.Imports.add("errors", "strings")
			} else {
				for _, b := range c.Inputs {
					if b.Source == nil {
						cv.Unset = append(cv.Unset, b.Field.GoName)
						continue
					}
					cv.Inputs = append(cv.Inputs, assignment{b.Field.GoName, "event.Get" + b.Source.GoName + "()"})
					seed(b.Field, b.Source)
				}
			}
			if seedSource != "" {
				test.Seed = cmd.Entity.Name()
				if cmd.From != nil {
					test.SeedState, _ = guardSeeds(sv.entity(cmd.Entity), cmd.From)
				}
			}
			if len(cmd.Emits) > 0 {
				test.WantEvent = cmd.Emits[0].FullName
			}
		}
		samples := func(m *model.Message, seedHere bool) []assignment {
			var out []assignment
			for _, f := range m.Fields {
				value := sample(f, test.Imports)
				if seedHere && f.GoName == seedSource {
					value = "seeded." + seedGetter + "()"
				}
				out = append(out, assignment{f.GoName, value})
			}
			return out
		}
		if c.SagaCall != nil {
			test.Trigger = samples(c.Saga.Trigger, true)
			if c.SagaFirst {
				test.Event = test.Trigger
			} else {
				test.Event = samples(ev, false)
			}
		} else {
			test.Event = samples(ev, true)
		}
		cv.Test = test
		sv.Consumers = append(sv.Consumers, cv)
	}
}

// choreographyView is a choreographed saga the service takes part in.
type choreographyView struct {
	Name          string // "trip"
	Func          string // "tripSaga"
	TriggerQualGo string
}

// sagaView is a saga the service orchestrates.
type sagaView struct {
	Name          string // "checkout"
	Durable       string // consumer of the trigger event
	DeadLetter    string
	Subject       string // the trigger's subject
	Trigger       string // "orders.OrderPlaced", for documentation
	TriggerQualGo string // "ordersv1.OrderPlaced"
	DecodeFunc    string // "decodeCheckoutTrigger"
	Local         bool   // the service records the trigger: recording it starts the saga
	Steps         []*sagaStepView
	OnFailure     *sagaActionView
}

type sagaStepView struct {
	Name       string
	Call       *sagaActionView
	Compensate *sagaActionView
}

// sagaActionView is a command call of a saga.
type sagaActionView struct {
	Name        string // "inventory.ReserveStock"
	Client      string // "s.clients.Inventory", or "idempotentHandler{s}" for the service's own commands
	Method      string
	ReqType     string
	Fields      []assignment
	UsesTrigger bool
}

func newSagaViews(sv *serviceView) {
	svc := sv.model
	for _, sg := range svc.Orchestrates {
		v := &sagaView{
			Name:          sg.Name,
			Durable:       sg.Durable,
			DeadLetter:    sg.DeadLetter,
			Subject:       sg.Trigger.Subject,
			Trigger:       sg.Trigger.Service.Name + "." + sg.Trigger.Name,
			TriggerQualGo: sg.Trigger.QualGo,
			DecodeFunc:    "decode" + sg.Pascal + "Trigger",
			Local:         sg.Trigger.Service == svc,
		}
		importProto(sg.Trigger.Service, sv.SagaImports)
		action := func(c *model.SagaCall) *sagaActionView {
			if c == nil {
				return nil
			}
			cmd := c.Command
			a := &sagaActionView{Name: cmd.Service.Name + "." + cmd.Name, Method: cmd.Name, ReqType: cmd.Input.QualGo}
			importProto(cmd.Service, sv.SagaImports)
			if cmd.Service == svc {
				a.Client = "idempotentHandler{s}"
			} else {
				a.Client = "s.clients." + cmd.Service.Pascal
			}
			for _, b := range c.Inputs {
				value := ""
				switch b.Kind {
				case model.BindTriggerField:
					value = "trigger.Get" + b.Source.GoName + "()"
					a.UsesTrigger = true
				case model.BindSagaID:
					value = "run.ID"
				case model.BindSagaError:
					value = sagaError("run.Error", b.Field, sv.SagaImports, sv.Sys.Module)
				}
				a.Fields = append(a.Fields, assignment{b.Field.GoName, value})
			}
			return a
		}
		for _, st := range sg.Steps {
			v.Steps = append(v.Steps, &sagaStepView{Name: st.Name, Call: action(st.Call), Compensate: action(st.Compensate)})
		}
		v.OnFailure = action(sg.OnFailure)
		sv.Sagas = append(sv.Sagas, v)
	}
}

// compensationView is what the service does when a choreographed saga
// fails.
type compensationView struct {
	Saga          string // "trip"
	Func          string // "compensateTrip"
	SagaFunc      string // "tripSaga"
	Durable       string
	DeadLetter    string
	Subject       string   // the saga's failure subject
	Steps         []string // every step name of the saga, in order
	Compensations []*compensationStep
	OnFailure     *sagaActionView
	Test          *compensationTest
}

// compensationStep compensates the step at Index once a later step failed.
type compensationStep struct {
	Index  int
	Step   string
	Action *sagaActionView
}

// compensationTest is what the generated test of a compensation handler
// does: deliver the saga's failure twice, after its last step.
type compensationTest struct {
	TriggerQualGo string
	Trigger       []assignment
	Seed          string // entity the on_failure command changes, "" for none
	SeedState     string // arguments after (t, s) of its seed call putting it in a state the command starts from
	WantEvent     string // event on_failure records once, "" for none
	LastStep      string
}

// failureView is how a step consumer reports the failure of its saga.
type failureView struct {
	Func    string // "failTrip"
	Saga    string
	Subject string
}

func newCompensationViews(sv *serviceView) {
	svc := sv.model
	sv.CompensationsTestImports = imports{}.add("testing", "google.golang.org/protobuf/proto",
		sv.Sys.Module+"/internal/platform/events", sv.Sys.Module+"/internal/platform/logging", sv.Sys.Module+"/internal/platform/outbox")
	for _, c := range svc.Compensates {
		sg := c.Saga
		v := &compensationView{
			Saga:       sg.Name,
			Func:       "compensate" + sg.Pascal,
			SagaFunc:   model.LowerFirst(sg.Pascal) + "Saga",
			Durable:    c.Durable,
			DeadLetter: c.DeadLetter,
			Subject:    sg.FailedSubject,
		}
		action := func(call *model.SagaCall) *sagaActionView {
			cmd := call.Command
			a := &sagaActionView{Name: cmd.Service.Name + "." + cmd.Name, Client: "s", Method: cmd.Name, ReqType: cmd.Input.QualGo}
			for _, b := range call.Inputs {
				value := ""
				switch b.Kind {
				case model.BindTriggerField:
					value = "trigger.Get" + b.Source.GoName + "()"
					a.UsesTrigger = true
				case model.BindSagaID:
					value = "saga.ID"
				case model.BindSagaError:
					value = sagaError("saga.Error", b.Field, sv.ConsumersImports, sv.Sys.Module)
				}
				a.Fields = append(a.Fields, assignment{b.Field.GoName, value})
			}
			return a
		}
		for _, st := range sg.Steps {
			v.Steps = append(v.Steps, st.Name)
		}
		for _, i := range c.Steps {
			v.Compensations = append(v.Compensations, &compensationStep{Index: i, Step: sg.Steps[i].Name, Action: action(sg.Steps[i].Compensate)})
		}
		test := &compensationTest{TriggerQualGo: sg.Trigger.QualGo, LastStep: sg.Steps[len(sg.Steps)-1].Name}
		seedSource, seedGetter := "", ""
		if c.OnFailure {
			v.OnFailure = action(sg.OnFailure)
			cmd := sg.OnFailure.Command
			for _, b := range sg.OnFailure.Inputs {
				if b.Field == cmd.Lookup && b.Kind == model.BindTriggerField {
					switch {
					case cmd.Mode == model.ModeUpdate:
						seedSource, seedGetter = b.Source.GoName, "GetId"
					case cmd.Mode == model.ModeUpsert && !cmd.CreateAllowed:
						seedSource, seedGetter = b.Source.GoName, "Get"+lookupTarget(cmd).GoName
					}
				}
			}
			if seedSource != "" {
				test.Seed = cmd.Entity.Name()
				if cmd.From != nil {
					test.SeedState, _ = guardSeeds(sv.entity(cmd.Entity), cmd.From)
				}
			}
			if len(cmd.Emits) > 0 {
				test.WantEvent = cmd.Emits[0].FullName
			}
		}
		im := sv.CompensationsTestImports
		importProto(sg.Trigger.Service, im)
		for _, f := range sg.Trigger.Fields {
			value := sample(f, im)
			if f.GoName == seedSource {
				value = "seeded." + seedGetter + "()"
			}
			test.Trigger = append(test.Trigger, assignment{f.GoName, value})
		}
		v.Test = test
		sv.Compensations = append(sv.Compensations, v)
	}
	// Step consumers publish their saga's failure.
	seen := map[string]bool{}
	for _, c := range svc.Consumers {
		if c.SagaCall == nil || seen[c.Saga.Name] {
			continue
		}
		seen[c.Saga.Name] = true
		sv.Failures = append(sv.Failures, &failureView{Func: "fail" + c.Saga.Pascal, Saga: c.Saga.Name, Subject: c.Saga.FailedSubject})
	}
}
