package gateway

import (
	"fmt"
	"slices"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// ownershipProbe tries an owner rule through the gateway with development
// tokens: the owner creates an entity, another user can neither read it
// (404), nor create one in the owner's name (403), nor list the owner's
// (403 for a filter naming them, else a list without it), and an admin
// reads it.
type ownershipProbe struct {
	Entity     string // "Order"
	AnEntity   string // "an Order"
	Create     string // REST path of the creating command, "/v1/orders/place_order"
	CreateRole string // a role its route accepts
	// Body is the create request with the owner left empty (the gateway's
	// user becomes the owner); ForOwner names Subject, sent by Other.
	Body, ForOwner string
	Result         string // JSON name of the entity in the response, "order"
	OwnerJSON      string // JSON name of the entity's owner field, "customerId"
	Read           string // REST path of the query by id, "/v1/orders/get_order"
	ReadRole       string
	IDParam        string // its id parameter, "order_id"
	List           *listProbe
	Admin          string // an admin role the read's route lets in; "" for none
	Wait           bool   // CQRS: reads wait for the read model (Min-Event-Position: head)
	Other          string // the other user's subject, "mallory"
}

// listProbe is a routed list query of the owned entity.
type listProbe struct {
	Path       string // "/v1/orders/list_orders"
	Role       string
	OwnerParam string // the owner filter's parameter, "customer_id"; "" for none
	Result     string // JSON name of the list in the response, "orders"
}

// testSubject is the subject of the generated tests' tokens: "alice",
// fitted to the constraints of the owner inputs, so that samples naming it
// pass validation.
func testSubject(sys *model.System) string {
	subject := "alice"
	for _, f := range ownerInputs(sys) {
		if f.Constraints != nil {
			return f.Constraints.FitString(subject)
		}
	}
	return subject
}

// ownerInputs are the inputs owner rules check, in blueprint order.
func ownerInputs(sys *model.System) []*model.Field {
	var out []*model.Field
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			if c.OwnerInput != nil {
				out = append(out, c.OwnerInput)
			}
		}
		for _, q := range svc.Queries {
			if q.OwnerFilter != nil {
				out = append(out, q.OwnerFilter)
			}
		}
	}
	return out
}

// newOwnershipProbe picks the first owned entity with a routed creating
// command taking its owner and a routed query reading it by id alone; nil
// when there is none.
func newOwnershipProbe(sys *model.System, all []method, subject string) *ownershipProbe {
	other := "mallory"
	for _, f := range ownerInputs(sys) {
		if f.Constraints != nil {
			if other = f.Constraints.FitString(other); other == subject {
				return nil // a fixed format: no second user to try
			}
			break
		}
	}
	signedIn := func(m method) bool { return m.route.Auth == model.AuthRequired && m.path != "" }
	for _, c := range all {
		cmd := c.command
		if cmd == nil || !signedIn(c) || cmd.Mode != model.ModeCreate || cmd.OwnerInput == nil || len(cmd.Output.Fields) != 1 {
			continue
		}
		ent := cmd.Entity
		var read *method
		for i, q := range all {
			if q.query != nil && signedIn(q) && q.query.Entity == ent && q.query.ByID != nil && len(q.input.Fields) == 1 {
				read = &all[i]
				break
			}
		}
		if read == nil {
			continue
		}
		p := &ownershipProbe{
			Entity:     ent.Name(),
			AnEntity:   article(ent.Name()) + " " + ent.Name(),
			Create:     c.path,
			CreateRole: acceptRole(c.route),
			Body:       fmt.Sprintf("%q", sampleJSON(sampleRequest(cmd.Input, cmd.OwnerInput, ""))),
			ForOwner:   fmt.Sprintf("%q", sampleJSON(sampleRequest(cmd.Input, cmd.OwnerInput, subject))),
			Result:     cmd.Output.Fields[0].JSONName,
			OwnerJSON:  ent.Owner.Field.JSONName,
			Read:       read.path,
			ReadRole:   acceptRole(read.route),
			IDParam:    read.query.ByID.Name,
			Wait:       ent.Message.Service.AsyncReadModel,
			Other:      other,
		}
		for _, role := range ent.Owner.AdminRoles {
			if len(read.route.Roles) == 0 || slices.Contains(read.route.Roles, role) {
				p.Admin = role
				break
			}
		}
		for _, l := range all {
			q := l.query
			if q == nil || !signedIn(l) || q.Entity != ent || !q.List || len(q.Input.Fields) > 1 || (len(q.Input.Fields) == 1 && q.OwnerFilter == nil) {
				continue
			}
			p.List = &listProbe{Path: l.path, Role: acceptRole(l.route), Result: q.ResultField.JSONName}
			if q.OwnerFilter != nil {
				p.List.OwnerParam = q.OwnerFilter.Name
			}
			break
		}
		return p
	}
	return nil
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}
