package service

import (
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// dashboardView is what internal/local/dashboard.go tells the local
// development dashboard about the system: its sagas (steps, compensations,
// the entity each instance belongs to) and where its dead letters go.
type dashboardView struct {
	Sys   *systemView
	Sagas []*dashboardSaga
	// DeadLetters is the subject filter of every dead letter, "shop.dead_letter.>".
	DeadLetters string
	Imports     imports
}

// dashboardSaga is a saga as the dashboard draws its timeline.
type dashboardSaga struct {
	Name         string
	Service      string // keeps its state: the orchestrator, or the tracker of a choreography
	Entity       string // the trigger event's aggregate, "Order"
	Trigger      string // "orders.OrderPlaced"
	Choreography bool
	Steps        []dashboardStep
	OnFailure    string // "orders.CancelOrder"; "" for none
}

type dashboardStep struct {
	Name, Call, Compensate string
}

func newDashboardView(sv *systemView) *dashboardView {
	v := &dashboardView{Sys: sv, Imports: imports{}.add("context", "fmt", "net", "strconv", sv.Module+"/internal/dashboard")}
	if sv.Broker {
		v.DeadLetters = strings.TrimSuffix(sv.Subjects, ">") + model.DeadLetterPrefix + ".>"
		v.Imports.add(sv.Module + "/internal/platform/events")
	}
	if sv.Gateway != nil {
		v.Imports.add(sv.Module + "/internal/gateway")
	}
	keeper := map[*model.Saga]string{}
	for _, s := range sv.model.Services {
		for _, sg := range s.Orchestrates {
			keeper[sg] = s.Name
		}
		for _, tr := range s.Tracks {
			keeper[tr.Saga] = s.Name
		}
	}
	call := func(c *model.SagaCall) string {
		if c == nil {
			return ""
		}
		return c.Command.Service.Name + "." + c.Command.Name
	}
	for _, sg := range sv.model.Sagas {
		ds := &dashboardSaga{
			Name:         sg.Name,
			Service:      keeper[sg],
			Entity:       triggerEntity(sg.Trigger),
			Trigger:      sg.Trigger.Service.Name + "." + sg.Trigger.Name,
			Choreography: sg.Choreography,
			OnFailure:    call(sg.OnFailure),
		}
		if ds.Service == "" {
			continue // nobody keeps its state: nothing to show
		}
		for _, st := range sg.Steps {
			ds.Steps = append(ds.Steps, dashboardStep{Name: st.Name, Call: call(st.Call), Compensate: call(st.Compensate)})
		}
		v.Sagas = append(v.Sagas, ds)
	}
	return v
}

// triggerEntity names what a saga's instances belong to: the entity of
// the command that emits its trigger (the event's aggregate), or the
// trigger's service when no command changing an entity emits it.
func triggerEntity(trigger *model.Message) string {
	for _, c := range trigger.Service.Commands {
		if c.Entity != nil && emitsEvent(c, trigger) {
			return c.Entity.Name()
		}
	}
	return trigger.Service.Name
}
