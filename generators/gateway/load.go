package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// loadFlow is one call cmd/load makes through the gateway: a routed
// method of the current version with its sample request (package load's
// Flow).
type loadFlow struct {
	Name      string // "orders.PlaceOrder"
	Procedure string
	Body      string // Go string literal of the request as protojson
	Owner     string // JSON name of the input owner rules check; "" for none
	Role      string // role of the token; "" for a route with auth: none
	Accept    string // statuses other than 200 that answer the sample request, "404, 400"
	Saga      *loadSaga
}

// loadSaga says how cmd/load sees a saga its flow starts end: by reading
// the trigger's entity until its status is one the saga ends in.
type loadSaga struct {
	Name string
	// Go string lists: the path of the entity's id in the flow's answer,
	// `"order", "id"`; of the status in the query's answer; the proto names
	// of the statuses the saga ends in.
	ID, Status, Terminal string
	Read                 string // procedure of the routed query by id
	ReadID               string // its id input's JSON name
	Unchecked            string // why its end cannot be seen through the gateway; "" when it can
}

// newLoadFlows returns the flows of cmd/load: every routed method of the
// current versions, in route order; a command emitting a saga's trigger
// starts that saga.
func newLoadFlows(sys *model.System, subject string) []*loadFlow {
	var all []method
	for _, r := range sys.Gateway.Routes {
		all = append(all, routedMethods(r)...)
	}
	var out []*loadFlow
	for _, m := range all {
		p := newProbe(m, acceptRole(m.route), subject)
		f := &loadFlow{Name: m.svc.Name + "." + m.name, Procedure: m.procedure, Role: p.Role,
			Body: goLiteral(sampleJSON(sampleRequest(m.input, m.owner(), subject)))}
		if o := m.owner(); o != nil {
			f.Owner = o.JSONName
		}
		var accept []string
		for _, st := range p.WantStatus {
			if st != http.StatusOK {
				accept = append(accept, fmt.Sprint(st))
			}
		}
		f.Accept = strings.Join(accept, ", ")
		if m.command != nil {
			for _, sg := range sys.Sagas {
				if slices.Contains(m.command.Emits, sg.Trigger) {
					f.Saga = newLoadSaga(sg, m, all)
					break
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// newLoadSaga decides how to see an instance of sg, started by the routed
// command m, end: the routed query by id of m's entity, on the same route,
// shows its status; the saga's last step sets it when the saga completes,
// its on_failure call when it fails.
func newLoadSaga(sg *model.Saga, m method, all []method) *loadSaga {
	ls := &loadSaga{Name: sg.Name}
	c, e := m.command, m.command.Entity
	if e == nil || len(c.Output.Fields) != 1 {
		ls.Unchecked = c.Name + " answers no entity naming the saga's instance"
		return ls
	}
	var read *method
	for i, q := range all {
		if q.query != nil && q.query.Entity == e && q.query.ByID != nil && !q.query.List && q.route == m.route {
			read = &all[i]
			break
		}
	}
	if read == nil {
		ls.Unchecked = fmt.Sprintf("the gateway routes no query reading %s by id beside %s", e.Name(), c.Name)
		return ls
	}
	sets := func(call *model.SagaCall) *model.StatusChange {
		if call == nil || call.Command.Entity != e {
			return nil
		}
		return call.Command.SetStatus
	}
	done, failed := sets(sg.Steps[len(sg.Steps)-1].Call), sets(sg.OnFailure)
	switch {
	case done == nil:
		ls.Unchecked = fmt.Sprintf("its last step sets no status of %s", e.Name())
		return ls
	case failed == nil || failed.Field != done.Field:
		ls.Unchecked = fmt.Sprintf("a failed %s sets no %s of %s: it has no on_failure call setting one", sg.Name, done.Field.Name, e.Name())
		return ls
	}
	ls.ID = goStrings(c.Output.Fields[0].JSONName, e.ID.JSONName)
	ls.Read, ls.ReadID = read.procedure, read.query.ByID.JSONName
	ls.Status = goStrings(read.query.ResultField.JSONName, done.Field.JSONName)
	ls.Terminal = goStrings(done.Value.ProtoName)
	if failed.Value != done.Value {
		ls.Terminal = goStrings(done.Value.ProtoName, failed.Value.ProtoName)
	}
	return ls
}

// goLiteral is a Go string literal of s, raw unless s holds a backquote.
func goLiteral(s string) string {
	if strings.Contains(s, "`") {
		return fmt.Sprintf("%q", s)
	}
	return "`" + s + "`"
}

// goStrings prints the elements of a []string literal: `"a", "b"`.
func goStrings(ss ...string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
