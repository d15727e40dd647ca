package service

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// projectionView folds one event into an entity when the read models are
// rebuilt from the event store.
type projectionView struct {
	EventType string // "shop.orders.v1.OrderPlaced"
	// EventCases are the quoted names the event may be stored under, one
	// per API version up to the current one: "\"shop.orders.v1.OrderPlaced\", ...".
	EventCases  string
	EventQualGo string
	Entity      *entityView
	Create      bool
	Defaults    []assignment // enum fields of a created entity at their first value
	Fields      []assignment // entity field and event getter
	Sets        []assignment // the command's fixed values
	Upcast      *upcastView  // the upcaster of old events; nil for none
}

// projectionTest is what the generated rebuild test does: create an entity
// and change it through commands, rebuild, and find the same entity.
type projectionTest struct {
	Entity    string // "Order"
	Create    *e2eCall
	Update    *e2eCall // nil when no command changes the entity's status
	RespField string
	Event     string // an event of the entity, "ordersv1.OrderConfirmed"
	Record    string // the store method recording Event, "RecordOrderConfirmed"
	QualGo    string // the entity's Go type, "ordersv1.Order"
	TableVar  string // the entity's database.Table variable, "orderTable"
	Method    string // the create command's procedure, "/shop.orders.v1.OrdersService/PlaceOrder"
	Query     string // a query's procedure, "" for none
	Imports   imports
}

func newProjectionViews(sv *serviceView) {
	svc := sv.model
	if !sv.EventSourced {
		return
	}
	sv.ProjectionsImports = imports{}.add("context", "fmt", "log/slog", "slices", "time", "google.golang.org/protobuf/proto", sv.Sys.Module+"/internal/platform/outbox")
	if sv.Sys.Tenancy != nil {
		sv.ProjectionsImports.add(sv.Sys.Module + "/internal/platform/tenant")
	}
	if len(svc.Projections) > 0 {
		sv.ProjectionsImports.add("errors")
	}
	if sv.CQRS {
		sv.ProjectionsImports.add("database/sql", "log/slog")
	}
	seen := map[*model.Entity]bool{}
	for _, p := range svc.Projections {
		ev := sv.entity(p.Entity)
		v := &projectionView{EventType: p.Event.FullName, EventQualGo: p.Event.QualGo, Entity: ev, Create: p.Create}
		cases := make([]string, len(p.Event.StoredNames))
		for i, n := range p.Event.StoredNames {
			cases[i] = strconv.Quote(n)
		}
		v.EventCases = strings.Join(cases, ", ")
		importProto(p.Event.Service, sv.ProjectionsImports)
		importProto(svc, sv.ProjectionsImports)
		for _, a := range p.Fields {
			v.Fields = append(v.Fields, assignment{a.Target.GoName, "event.Get" + a.Source.GoName + "()"})
		}
		v.Sets = fixedValues(p.Sets)
		if p.Create {
			for _, f := range p.Entity.Message.Fields {
				if f.Type.Kind == model.EnumType && !model.SetsField(p.Sets, f) {
					v.Defaults = append(v.Defaults, assignment{f.GoName, qualEnumValue(f.Type.Enum, f.Type.Enum.Values[0])})
				}
			}
		}
		sv.Projections = append(sv.Projections, v)
		ev.Folds = append(ev.Folds, v)
		ev.Sourced = true
		if !seen[p.Entity] {
			seen[p.Entity] = true
			sv.ReadModels = append(sv.ReadModels, ev)
		}
	}
	// The test: the first entity created by a command whose event a
	// projection creates it from.
	for _, p := range svc.Projections {
		if !p.Create {
			continue
		}
		var create, update *model.Command
		for _, c := range svc.Commands {
			if create == nil && c.Entity == p.Entity && emitsEvent(c, p.Event) {
				create = c
			}
		}
		for _, c := range svc.Commands {
			if c.Entity == p.Entity && c.Mode == model.ModeUpdate && c.SetStatus != nil && len(c.Emits) > 0 && startsAfter(c, create) && rerunnable(c) {
				update = c
				break
			}
		}
		if create == nil || len(create.Output.Fields) == 0 {
			continue
		}
		t := &projectionTest{Entity: p.Entity.Name(), RespField: create.Output.Fields[0].GoName, Event: p.Event.QualGo,
			Record: "Record" + p.Event.Name, QualGo: sv.entity(p.Entity).QualGo, TableVar: sv.entity(p.Entity).TableVar,
			Method:  "/" + sv.FullService + "/" + create.Name,
			Imports: imports{}.add("errors", "fmt", "slices", "testing", "connectrpc.com/connect", "google.golang.org/protobuf/proto", sv.Sys.Module+"/internal/platform/logging", sv.Sys.Module+"/internal/platform/outbox")}
		if len(svc.Queries) > 0 {
			t.Query = "/" + sv.FullService + "/" + svc.Queries[0].Name
		}
		if sv.CQRS {
			t.Imports.add("bytes", "context", "database/sql", "io", "net/http", "net/http/httptest", "strconv", "strings", "time", "google.golang.org/protobuf/encoding/protojson",
				sv.Sys.Module+"/internal/platform/server", sv.Sys.Module+"/internal/platform/telemetry")
		}
		importProto(svc, t.Imports)
		t.Create = sampleCall(create, t.Imports)
		if update != nil {
			t.Update = sampleCall(update, t.Imports)
			for i, in := range update.Input.Fields {
				if in == update.Lookup {
					t.Update.Fields[i].Value = "created.GetId()"
				}
			}
		}
		sv.ProjectionTest = t
		break
	}
}

// readModelShape fingerprints what an event-sourced service's read models
// hold and how its events fold into them: their tables and columns and
// every projection. The generated service rebuilds its read models from the
// event store when it starts on read models built for another shape.
func readModelShape(sv *serviceView) string {
	h := sha256.New()
	for _, e := range sv.ReadModels {
		fmt.Fprintf(h, "table %s\n", e.Table)
		for _, c := range e.Columns {
			fmt.Fprintf(h, "  %s %s %s\n", c.Name, model.WireType(c.field.Type), c.Encode)
		}
	}
	for _, p := range sv.Projections {
		upcast := ""
		if p.Upcast != nil {
			upcast = p.Upcast.Func
		}
		fmt.Fprintf(h, "fold %s into %s create=%t upcast=%s\n", p.EventType, p.Entity.Table, p.Create, upcast)
		for _, a := range append(append(p.Defaults, p.Fields...), p.Sets...) {
			fmt.Fprintf(h, "  %s = %s\n", a.Field, a.Value)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
