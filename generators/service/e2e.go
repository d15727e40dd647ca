package service

import (
	"github.com/microforge/microforge/internal/model"
)

// e2eView is what internal/local/e2e_test.go does against each service.
type e2eView struct {
	Sys      *systemView
	Services []*e2eService
	Imports  imports
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

	Create  *e2eCall // nil when no command creates an entity
	Reads   []*e2eRead
	Update  *e2eCall
	Reread  *e2eRead // read after Update, checking its status
	Record  *e2eCall // when Create is nil: the first command
	Missing []*e2eRead

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
			call.Fields = append(call.Fields, assignment{f.GoName, sample(f.Name, f.Type, im)})
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

	// The status field the scenario follows: the first enum field that some
	// other command of the entity sets.
	var update *model.Command
	for _, c := range svc.Commands {
		if c != created && c.Entity == entity && c.SetStatus != nil && (c.Mode == model.ModeUpdate || c.Mode == model.ModeUpsert) {
			update = c
			break
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
		value := sample(f.Name, f.Type, im)
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
