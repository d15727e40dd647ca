package service

import (
	"slices"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// ownerView is an owned entity's rule, as the store and ownership.go
// print it.
type ownerView struct {
	Var        string // "orderOwner"
	Entity     string // "Order"
	Field      string // proto name of the owner field, "customer_id"
	Claim      string // "sub"
	AdminRoles string // Go literal of the admin roles, `[]string{"admin"}`; "" for none
	Getter     string // "GetCustomerId"
	Column     string // "customer_id"
	Doc        string // the rule in a sentence
}

// ownerInputView is a request field an owner rule checks before the
// handler runs.
type ownerInputView struct {
	Method string // "PlaceOrder"
	Rule   string // the rule's variable, "orderOwner"
	Field  string // proto name, "customer_id"
	Doc    string // what the check does, for ownership.go
}

// newOwnerView returns the rule of an owned entity; nil for others.
func newOwnerView(e *model.Entity) *ownerView {
	o := e.Owner
	if o == nil {
		return nil
	}
	v := &ownerView{
		Var:    model.LowerFirst(e.Name()) + "Owner",
		Entity: e.Name(),
		Field:  o.Field.Name,
		Claim:  o.Claim,
		Getter: "Get" + o.Field.GoName,
		Column: o.Field.Name,
		Doc:    ownerSentence(o),
	}
	if len(o.AdminRoles) > 0 {
		v.AdminRoles = "[]string" + goStrings(o.AdminRoles)
	}
	return v
}

// ownerSentence states an owner rule: "an Order belongs to the user whose
// verified sub claim equals its customer_id; holders of role admin act on
// every Order."
func ownerSentence(o *model.Ownership) string {
	name := o.Entity.Name()
	s := article(name) + " " + name + " belongs to the user whose verified " + o.Claim + " claim equals its " + o.Field.Name
	switch len(o.AdminRoles) {
	case 0:
		return s + "."
	case 1:
		return s + "; holders of role " + o.AdminRoles[0] + " act on every " + name + "."
	}
	return s + "; holders of role " + orWords(o.AdminRoles) + " act on every " + name + "."
}

// newOwnerInputs returns the request fields the service's owner rules
// check, commands then queries in blueprint order.
func newOwnerInputs(svc *model.Service) []*ownerInputView {
	var out []*ownerInputView
	ruleVar := func(e *model.Entity) string { return model.LowerFirst(e.Name()) + "Owner" }
	for _, c := range svc.Commands {
		if f := c.OwnerInput; f != nil {
			out = append(out, &ownerInputView{Method: c.Name, Rule: ruleVar(c.Entity), Field: f.Name,
				Doc: c.Name + ": " + f.Name + " becomes the " + c.Entity.Name() + "'s owner."})
		}
	}
	for _, q := range svc.Queries {
		if f := q.OwnerFilter; f != nil {
			out = append(out, &ownerInputView{Method: q.Name, Rule: ruleVar(q.Entity), Field: f.Name,
				Doc: q.Name + ": " + f.Name + " selects the owner of the " + model.Plural(model.Snake(q.Entity.Name())) + " it reads."})
		}
	}
	return out
}

// ownerCommandDoc is what a command's scaffold says about the owner rule;
// "" when none applies.
func ownerCommandDoc(c *model.Command) string {
	if !c.OwnerChecked() {
		return ""
	}
	o := c.Entity.Owner
	var parts []string
	if f := c.OwnerInput; f != nil {
		parts = append(parts, ownerInputDoc(f, o))
	}
	if c.Loads() {
		parts = append(parts, "the store answers NotFound for "+article(c.Entity.Name())+" "+c.Entity.Name()+" the caller does not own, as for a missing one")
	}
	if len(parts) == 0 {
		return ""
	}
	return ownerDoc(o, parts)
}

// ownerQueryDoc is what a query's scaffold says about the owner rule; ""
// when none applies.
func ownerQueryDoc(q *model.Query) string {
	if !q.OwnerChecked() {
		return ""
	}
	o := q.Entity.Owner
	var parts []string
	if f := q.OwnerFilter; f != nil {
		parts = append(parts, ownerInputDoc(f, o))
	}
	if q.List {
		parts = append(parts, "the store returns the caller's "+model.Plural(model.Snake(q.Entity.Name()))+" only")
	} else {
		parts = append(parts, "the store answers NotFound for "+article(q.Entity.Name())+" "+q.Entity.Name()+" the caller does not own, as for a missing one")
	}
	return ownerDoc(o, parts)
}

// ownerInputDoc says what the owner rule does to an owner input.
func ownerInputDoc(f *model.Field, o *model.Ownership) string {
	return "before this code runs, a " + f.Name + " other than the caller's " + o.Claim + " claim is refused with PermissionDenied, and an empty one is filled with it"
}

// ownerDoc states what an owner rule makes a method do for end users.
func ownerDoc(o *model.Ownership, parts []string) string {
	admins := ""
	if len(o.AdminRoles) > 0 {
		admins = "Holders of role " + orWords(o.AdminRoles) + " act on every " + o.Entity.Name() + "; calls"
	} else {
		admins = "Calls"
	}
	return "For a user calling through the gateway, the owner rule (ownership.go) applies: " + strings.Join(parts, "; ") + ". " +
		admins + " from other services are not checked."
}

// orWords joins words as "a", "a or b" or "a, b or c".
func orWords(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// ownershipTest is the data of internal/[service]/ownership_test.go: every
// owner rule of the service, tried through the service's handler as it
// serves requests (identity.Guard, Mount) by two users, an admin and
// another service.
type ownershipTest struct {
	Package    string // "orders"
	Service    string // the service's name as a callee, "orders"
	Client     string // "ordersv1connect.NewOrdersServiceClient"
	ClientType string // "ordersv1connect.OrdersServiceClient"
	// Alice and Mallory are the two users' claim values (every claim of
	// theirs has the same value), fitting the constraints of the owner
	// inputs.
	Alice, Mallory string
	Claims         []string // claims other than sub the rules name
	Entities       []*ownedTest
	Imports        imports
	// Tenancy: every caller calls in the tests' tenant; nil without.
	Tenancy *model.Tenancy
}

// ownedTest tries one entity's owner rule.
type ownedTest struct {
	Name        string // "Order"
	AName       string // "an Order"
	QualGo      string
	OwnerField  string // Go field of the owner, "CustomerId"
	OwnerGetter string // "GetCustomerId"
	Admin       string // an admin role; "" when the rule has none
	// ReadBack reads an entity as it is stored, as the service itself:
	// "s.store.LoadOrder" (event-sourced) or "s.store.GetOrder".
	ReadBack string
	Methods  []*ownedMethod
}

// ownedMethod is a command or query of an owned entity and how the test
// calls it.
type ownedMethod struct {
	Name    string // "GetOrder"
	Kind    string // create, update, upsert; id, first, list
	ReqType string
	// Request is a valid request of Alice's entity "mine" (its id, its
	// lookup or filter values), the owner input left empty.
	Request    []assignment
	OwnerInput string // Go field of the owner input or filter; "" for none
	Lookup     string // update: Go field of the id input, set to another entity's id
	Result     string // getter of the entity (or list) in the response
}

// newOwnershipTest returns the test of the service's owner rules, nil
// when it owns no entity.
func newOwnershipTest(sv *serviceView) *ownershipTest {
	svc := sv.model
	owned := svc.Owned()
	if len(owned) == 0 {
		return nil
	}
	t := &ownershipTest{
		Package:    sv.Name,
		Service:    svc.Name,
		Client:     sv.Connect + ".New" + sv.ProtoService + "Client",
		ClientType: sv.Connect + "." + sv.ProtoService + "Client",
		Imports: imports{}.add("net/http", "net/http/httptest", "strings", "testing",
			"connectrpc.com/connect", "google.golang.org/protobuf/proto", svc.ConnectImport,
			sv.Sys.Module+"/internal/platform/identity", sv.Sys.Module+"/internal/platform/server"),
	}
	importProto(svc, t.Imports)
	if sv.Sys.Tenancy != nil {
		t.Tenancy = sv.Sys.Tenancy
		t.Imports.add(sv.Sys.Module + "/internal/platform/tenant")
	}
	var fit *model.Constraints
	for _, e := range owned {
		if e.Owner.Claim != model.DefaultOwnerClaim && !slices.Contains(t.Claims, e.Owner.Claim) {
			t.Claims = append(t.Claims, e.Owner.Claim)
		}
	}
	for _, c := range svc.Commands {
		if c.OwnerInput != nil && c.OwnerInput.Constraints != nil {
			fit = c.OwnerInput.Constraints
		}
	}
	for _, q := range svc.Queries {
		if q.OwnerFilter != nil && q.OwnerFilter.Constraints != nil {
			fit = q.OwnerFilter.Constraints
		}
	}
	t.Alice, t.Mallory = distinctSubjects(fit)
	for _, e := range owned {
		ev := sv.entity(e)
		ot := &ownedTest{
			Name: e.Name(), AName: article(e.Name()) + " " + e.Name(), QualGo: e.Message.QualGo,
			OwnerField: e.Owner.Field.GoName, OwnerGetter: "Get" + e.Owner.Field.GoName,
			ReadBack: "s.store.Get" + e.Name(),
		}
		if ev.Sourced {
			ot.ReadBack = "s.store.Load" + e.Name()
		}
		if len(e.Owner.AdminRoles) > 0 {
			ot.Admin = e.Owner.AdminRoles[0]
		}
		// Queries first: the commands' tests create more entities.
		for _, q := range svc.Queries {
			if q.Entity != e {
				continue
			}
			m := &ownedMethod{Name: q.Name, ReqType: q.Input.QualGo, Result: "Get" + q.ResultField.GoName}
			switch {
			case q.ByID != nil:
				m.Kind = "id"
			case q.List:
				m.Kind = "list"
			default:
				m.Kind = "first"
			}
			if q.OwnerFilter != nil {
				m.OwnerInput = q.OwnerFilter.GoName
			}
			for _, f := range q.Input.Fields {
				m.Request = append(m.Request, assignment{f.GoName, ownedRequestValue(f, q.ByID, q.Filters, q.OwnerFilter, t.Imports)})
			}
			if m.Kind == "list" {
				t.Imports.add("slices")
			}
			ot.Methods = append(ot.Methods, m)
		}
		for _, c := range svc.Commands {
			if c.Entity != e {
				continue
			}
			m := &ownedMethod{Name: c.Name, ReqType: c.Input.QualGo}
			switch c.Mode {
			case model.ModeCreate:
				m.Kind = "create"
			case model.ModeUpdate:
				m.Kind, m.Lookup = "update", c.Lookup.GoName
			case model.ModeUpsert:
				m.Kind = "upsert"
			default:
				continue
			}
			if c.OwnerInput != nil {
				m.OwnerInput = c.OwnerInput.GoName
			}
			if m.Kind == "create" && m.OwnerInput == "" {
				continue // validation requires one: nothing to try
			}
			if len(c.Output.Fields) > 0 {
				m.Result = "Get" + c.Output.Fields[0].GoName
				if m.Kind == "create" {
					t.Imports.add(sv.Sys.Module + "/internal/platform/idempotency") // the key test
				}
			}
			var filters []model.Filter
			if c.Mode == model.ModeUpsert {
				filters = []model.Filter{{Input: c.Lookup, Column: c.LookupColumn()}}
			}
			var id *model.Field
			if c.Mode == model.ModeUpdate {
				id = c.Lookup
			}
			for _, f := range c.Input.Fields {
				m.Request = append(m.Request, assignment{f.GoName, ownedRequestValue(f, id, filters, c.OwnerInput, t.Imports)})
			}
			ot.Methods = append(ot.Methods, m)
		}
		t.Entities = append(t.Entities, ot)
	}
	return t
}

// ownedRequestValue is the value of request field f in a request about the
// entity "mine": its id, its value of a filter or lookup column, empty for
// the owner input (the rule fills it), else a sample.
func ownedRequestValue(f, id *model.Field, filters []model.Filter, owner *model.Field, im imports) string {
	switch {
	case f == owner:
		return `""` // the rule fills it
	case f == id:
		return "mine.GetId()"
	}
	for _, flt := range filters {
		if flt.Input == f {
			return "mine.Get" + flt.Column.GoName + "()"
		}
	}
	return sample(f, im)
}

// distinctSubjects returns the claim values of the test's two users, fitted
// to the owner inputs' constraints c and different from each other.
func distinctSubjects(c *model.Constraints) (string, string) {
	alice, mallory := c.FitString("alice"), c.FitString("mallory")
	if alice != mallory || mallory == "" {
		return alice, mallory
	}
	// A fixed format (a uuid) fits both to one value: change its last
	// character within its class.
	b := []byte(mallory)
	switch last := b[len(b)-1]; {
	case last >= '0' && last <= '8', last >= 'a' && last <= 'y', last >= 'A' && last <= 'Y':
		b[len(b)-1] = last + 1
	default:
		b[len(b)-1] = last - 1
	}
	return alice, string(b)
}
