package service

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// validation rejects an empty input field.
type validation struct {
	Field string // proto name, reported to the caller
	Cond  string // Go condition that is true when the field is invalid
	Issue string // "must not be empty"
	Clear string // statement making req invalid, for tests
}

// assignment sets a field from a Go expression.
type assignment struct {
	Field string // Go field name
	Value string
}

// eventFill records one event in a command's default logic.
type eventFill struct {
	Name     string
	Method   string // store method, "RecordOrderPlaced"
	QualGo   string
	FullName string
	Fields   []assignment
	Unset    []string // event fields the default leaves empty
}

// commandView is a command's implementation and test.
type commandView struct {
	Name        string
	Snake       string
	Description string
	Mode        string
	ReqType     string
	RespType    string
	Doc         []string // what the default does, one sentence a line

	InputDefaults []inputDefault
	Validations   []validation
	Entity        *entityView
	Var           string // entity variable
	Lookup        string // proto name of the lookup input field
	LookupGetter  string // "req.GetOrderId()"
	LookupField   string // Go field of the lookup input, "OrderId"
	Finder        *finderView
	CreateAllowed bool
	Defaults      []assignment // new entity: enum fields at their first value
	Assigns       []assignment
	Sets          []assignment // fixed values (sets:, or a status the verb or an event names)
	Guard         *stateGuard  // the states an existing entity must be in; nil: any
	Events        []*eventFill
	Aggregate     string // aggregate id of the events
	RespField     string // response field holding the entity, "" for none

	Totals []totalView
	Limit  *limitCheck

	Imports imports
	Test    *commandTest
}

// stateGuard refuses to change an entity that is not in a state the
// command starts from (from:).
type stateGuard struct {
	Cond string // Go condition, true when the entity may not change: "current := order.GetStatus(); current != ..."
	Err  string // Go expression of the FailedPrecondition error
}

// totalView sums quantity × price over a list into an entity field, with
// checked arithmetic: a total that overflows is refused (Field, Overflow).
type totalView struct {
	Target, List string // Go field names
	// Quantity and Price are the Go expressions of an element x's factors,
	// as int64: "int64(x.GetQuantity())", "x.GetPriceCents()".
	Quantity, Price string
	Type            string // Go type of Target
	Doc             string
	Field           string // proto name of Target
	Overflow        string // the problem reported when it overflows
}

// limitCheck refuses an input above a configurable limit.
type limitCheck struct {
	Name   string // Limits field
	Env    string
	Field  string // proto name
	Getter string // "req.GetAmountCents()"
	Value  string // Getter as an int64, converted only when it is not one

}

// commandTest is what a command's scaffolded test does.
type commandTest struct {
	Request      []assignment // sample request fields
	SeedLookup   string       // field of the seeded entity the lookup input takes, "GetId"
	SeedState    string       // arguments after (t, s) of the seed call putting it in a state the command starts from; "" for none
	Refused      string       // the same for a state the command does not start from; "" when every state is allowed
	SeedAgain    bool         // the command cannot change again the entity it changed: the idempotency test seeds another
	WantSets     []wantValue  // entity fields and the values they must hold
	WantFields   []assignment // entity getter and request getter that must be equal
	EventTypes   []string     // full names of the recorded events
	MissingValue string       // lookup value no entity has, "" to skip the not-found test
	Invalid      *validation
	Imports      imports
}

// inputDefault fills an input field the caller left empty with the
// blueprint's default (default:).
type inputDefault struct {
	Field string // proto name
	Cond  string // Go condition true when the caller left it empty
	Set   string // statement setting the default
}

// inputDefaults are the defaults of the fields of a request, applied before
// its validations.
func inputDefaults(in *model.Message) []inputDefault {
	var out []inputDefault
	for _, f := range in.Fields {
		if f.Default == "" {
			continue
		}
		get := "req.Get" + f.GoName + "()"
		d := inputDefault{Field: f.Name, Cond: get + " == 0", Set: "req." + f.GoName + " = " + f.Default}
		switch {
		case f.Type.Kind == model.EnumType:
			d.Cond = get + " == " + qualEnumUnspecified(f.Type.Enum)
			for _, v := range f.Type.Enum.Values {
				if v.Name == f.Default {
					d.Set = "req." + f.GoName + " = " + qualEnumValue(f.Type.Enum, v)
				}
			}
		case f.Type.Scalar == model.String:
			d.Cond, d.Set = get+` == ""`, "req."+f.GoName+" = "+strconv.Quote(f.Default)
		case f.Type.Scalar == model.Bool:
			d.Cond = "!" + get
		}
		out = append(out, d)
	}
	return out
}

// validations reject empty input fields, except those callers may leave
// out: fields added after the request first shipped (callers generated
// before do not send them).
func validations(in *model.Message) []validation {
	var out []validation
	for _, f := range in.Fields {
		if f.Optional {
			continue
		}
		get := "req.Get" + f.GoName + "()"
		switch {
		case f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String:
			out = append(out, validation{f.Name, get + ` == ""`, "must not be empty", "req." + f.GoName + ` = ""`})
		case f.Type.Kind == model.ListType:
			out = append(out, validation{f.Name, "len(" + get + ") == 0", "must not be empty", "req." + f.GoName + " = nil"})
		case f.Type.Kind == model.EnumType:
			unspecified := qualEnumUnspecified(f.Type.Enum)
			out = append(out, validation{f.Name, get + " == " + unspecified, "must be set", "req." + f.GoName + " = " + unspecified})
		}
	}
	return out
}

func newCommandView(sv *serviceView, c *model.Command) (*commandView, error) {
	svc := sv.model
	cv := &commandView{
		Name:          c.Name,
		Snake:         c.Snake,
		Description:   c.Description,
		Mode:          string(c.Mode),
		ReqType:       c.Input.QualGo,
		RespType:      c.Output.QualGo,
		Validations:   validations(c.Input),
		InputDefaults: inputDefaults(c.Input),
		Imports:       imports{}.add("context"),
	}
	importProto(svc, cv.Imports)
	if c.Entity != nil {
		cv.Entity = sv.entity(c.Entity)
		cv.Var = cv.Entity.Var
		if len(c.Output.Fields) > 0 {
			cv.RespField = c.Output.Fields[0].GoName
		}
		for _, a := range c.Assign {
			cv.Assigns = append(cv.Assigns, assignment{a.Target.GoName, "req.Get" + a.Source.GoName + "()"})
		}
		cv.Sets = fixedValues(c.Sets)
		if g := c.From; g != nil {
			cv.Guard = newStateGuard(c, cv.Var, g)
			cv.Imports.add("fmt", "connectrpc.com/connect")
		}
		if c.Mode == model.ModeCreate || (c.Mode == model.ModeUpsert && c.CreateAllowed) {
			for _, f := range c.Entity.Message.Fields {
				if f.Type.Kind == model.EnumType && !model.SetsField(c.Sets, f) {
					cv.Defaults = append(cv.Defaults, assignment{f.GoName, qualEnumValue(f.Type.Enum, f.Type.Enum.Values[0])})
				}
			}
		}
		cv.Aggregate = cv.Var + ".GetId()"
	}
	switch c.Mode {
	case model.ModeUpdate:
		cv.Lookup, cv.LookupGetter, cv.LookupField = c.Lookup.Name, "req.Get"+c.Lookup.GoName+"()", c.Lookup.GoName
	case model.ModeUpsert:
		target := lookupTarget(c)
		if !isSQLComparable(target) {
			return nil, fmt.Errorf("internal error: upsert looks up %s by %s, which is not comparable in SQL", c.Entity.Name(), target.Name)
		}
		cv.Lookup, cv.LookupGetter, cv.LookupField = c.Lookup.Name, "req.Get"+c.Lookup.GoName+"()", c.Lookup.GoName
		cv.Finder = sv.finder(c.Entity, []*model.Field{target})
		cv.CreateAllowed = c.CreateAllowed
		if !c.CreateAllowed {
			cv.Imports.add("fmt")
		}
	case model.ModeRecord:
		cv.Aggregate = "newID()"
		for _, f := range c.Input.Fields {
			if f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String && (f.Name == "id" || strings.HasSuffix(f.Name, "_id")) {
				cv.Aggregate = "req.Get" + f.GoName + "()"
				break
			}
		}
	}
	for _, fill := range c.EventFills {
		ef := &eventFill{Name: fill.Event.Name, Method: "Record" + fill.Event.Name, QualGo: fill.Event.QualGo, FullName: fill.Event.FullName}
		importProto(fill.Event.Service, cv.Imports)
		for _, fs := range fill.Fields {
			switch fs.Kind {
			case model.FromEntityID:
				ef.Fields = append(ef.Fields, assignment{fs.Field.GoName, cv.Var + ".GetId()"})
			case model.FromEntity:
				ef.Fields = append(ef.Fields, assignment{fs.Field.GoName, cv.Var + ".Get" + fs.Source.GoName + "()"})
			case model.FromInput:
				ef.Fields = append(ef.Fields, assignment{fs.Field.GoName, "req.Get" + fs.Source.GoName + "()"})
			default:
				ef.Unset = append(ef.Unset, fs.Field.GoName)
			}
		}
		cv.Events = append(cv.Events, ef)
	}
	for _, t := range c.Totals {
		cv.Totals = append(cv.Totals, newTotalView(t))
		cv.Imports.add(sv.Sys.Module + "/internal/platform/checked")
	}
	if l := c.Limit; l != nil {
		var in *model.Field
		for _, f := range c.Input.Fields {
			if f.Name == l.Field.Name {
				in = f
			}
		}
		cv.Limit = &limitCheck{Name: l.Name, Env: c.Service.EnvPrefix + "_" + l.Env, Field: in.Name, Getter: "req.Get" + in.GoName + "()"}
		cv.Limit.Value = cv.Limit.Getter
		if in.Type.Scalar != model.Int64 {
			cv.Limit.Value = "int64(" + cv.Limit.Getter + ")" // limits are int64
		}
		cv.Imports.add("fmt", "connectrpc.com/connect")
	}
	cv.Doc = commandDoc(c, cv)
	cv.Test = newCommandTest(sv, c, cv)
	return cv, nil
}

// commandDoc describes the default behaviour in the scaffold's comment.
func commandDoc(c *model.Command, cv *commandView) []string {
	var doc []string
	for _, d := range cv.InputDefaults {
		doc = append(doc, "It fills "+d.Field+" with the blueprint's default when the caller leaves it empty.")
	}
	if len(cv.Validations) > 0 {
		var names []string
		for _, v := range cv.Validations {
			names = append(names, v.Field)
		}
		doc = append(doc, "It checks that "+englishList(names)+" "+plural(len(names), "is", "are")+" set.")
	}
	entity := ""
	if c.Entity != nil {
		entity = c.Entity.Name()
	}
	switch c.Mode {
	case model.ModeCreate:
		doc = append(doc, "It creates a new "+entity+" with a fresh id from the request.")
	case model.ModeUpdate:
		how := ""
		if c.Service.EventSourced {
			how = " by folding its events"
		}
		doc = append(doc, "It loads the "+entity+" whose id is "+c.Lookup.Name+how+" (NotFound when there is none) and changes it.")
	case model.ModeUpsert:
		if c.CreateAllowed {
			doc = append(doc, "It changes the "+entity+" with the same "+c.Lookup.Name+", or creates one when there is none.")
		} else {
			doc = append(doc, "It changes the "+entity+" with the same "+c.Lookup.Name+" (NotFound when there is none).")
		}
	case model.ModeRecord:
		doc = append(doc, "It changes no stored state.")
	}
	if l := cv.Limit; l != nil {
		doc = append(doc, fmt.Sprintf("It refuses %s above a limit, %d unless the %s environment variable says otherwise (0: no limit), with FailedPrecondition: a deterministic way to make a saga step fail.", l.Field, c.Limit.Default, l.Env))
	}
	for _, t := range cv.Totals {
		doc = append(doc, "It computes "+strings.Replace(t.Doc, " is ", " as ", 1))
	}
	if d := ownerCommandDoc(c); d != "" {
		doc = append(doc, d)
	}
	if g := c.From; g != nil {
		doc = append(doc, "It refuses with FailedPrecondition unless the "+entity+"'s "+g.Field.Name+" is "+model.OrList(g.Values)+".")
	}
	for _, v := range c.Sets {
		doc = append(doc, "It sets "+v.Field.Name+" to "+v.Text()+".")
	}
	if len(cv.Events) > 0 {
		var names []string
		for _, e := range cv.Events {
			names = append(names, e.Name)
		}
		if c.Service.EventSourced {
			doc = append(doc, "It appends "+englishList(names)+" to the event store at the next version of the "+cmp.Or(entity, "aggregate")+" (Aborted when it changed concurrently).")
		} else {
			doc = append(doc, "It records "+englishList(names)+" in the outbox, in the same transaction.")
		}
	}
	return doc
}

// englishList joins names as "a", "a and b" or "a, b and c".
func englishList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newCommandTest(sv *serviceView, c *model.Command, cv *commandView) *commandTest {
	svc := sv.model
	t := &commandTest{Imports: imports{}.add("testing", "slices")}
	defer func() {
		if t.Invalid != nil || t.MissingValue != "" {
			t.Imports.add("connectrpc.com/connect")
		}
		if len(t.EventTypes) > 0 {
			t.Imports.add(sv.Sys.Module + "/internal/platform/idempotency")
		}
	}()
	importProto(svc, t.Imports)
	for _, f := range c.Input.Fields {
		t.Request = append(t.Request, assignment{f.GoName, sample(f, t.Imports)})
	}
	if len(cv.Validations) > 0 {
		t.Invalid = &cv.Validations[0]
	}
	for _, e := range cv.Events {
		t.EventTypes = append(t.EventTypes, strconv.Quote(e.FullName))
	}
	if c.Entity == nil {
		return t
	}
	for _, a := range cv.Sets {
		t.WantSets = append(t.WantSets, newWantValue(a))
	}
	if len(cv.Sets) == 0 && len(cv.Defaults) > 0 && c.Mode == model.ModeCreate {
		t.WantSets = append(t.WantSets, newWantValue(cv.Defaults[0]))
	}
	for _, a := range c.Assign {
		if isSQLComparable(a.Target) && a.Target.Type.Kind == model.ScalarType && a.Target.Type.Scalar != model.Timestamp || a.Target.Type.Kind == model.EnumType {
			t.WantFields = append(t.WantFields, assignment{"Get" + a.Target.GoName, "Get" + a.Source.GoName})
		}
	}
	switch c.Mode {
	case model.ModeUpdate:
		t.SeedLookup, t.MissingValue = "GetId", `"missing-id"`
	case model.ModeUpsert:
		target := lookupTarget(c)
		t.SeedLookup = "Get" + target.GoName
		if !c.CreateAllowed && target.Type.Kind == model.ScalarType {
			switch target.Type.Scalar {
			case model.String:
				t.MissingValue = `"missing"`
			case model.Int32, model.Int64:
				t.MissingValue = "999999"
			}
		}
	}
	if g := c.From; g != nil && t.SeedLookup != "" {
		t.SeedState, t.Refused = guardSeeds(cv.Entity, g)
		t.SeedAgain = !rerunnable(c)
		if t.Refused != "" {
			t.Imports.add("connectrpc.com/connect")
		}
	}
	return t
}

// queryView is a query's implementation and test.
type queryView struct {
	Name        string
	Snake       string
	Description string
	Kind        string // "id", "first", "list", "none"
	ReqType     string
	RespType    string
	RespField   string
	Doc         []string

	InputDefaults []inputDefault
	Validations   []validation
	Entity        *entityView
	ByIDGetter    string
	Finder        *finderView
	FinderArgs    string   // Go arguments of the finder call
	GoFilters     []string // conditions on variable "x" checked in Go
	Unused        []string // input fields the default ignores

	Imports imports
	Test    *queryTest
}

// queryTest is what a query's scaffolded test does.
type queryTest struct {
	Request []assignment // request fields taken from the seeded entity, or samples
	Missing bool         // a request for an unknown entity must fail NotFound
	Invalid *validation
	Imports imports
}

func newQueryView(sv *serviceView, q *model.Query) *queryView {
	svc := sv.model
	qv := &queryView{
		Name:          q.Name,
		Snake:         q.Snake,
		Description:   q.Description,
		Kind:          "none",
		ReqType:       q.Input.QualGo,
		RespType:      q.Output.QualGo,
		RespField:     q.ResultField.GoName,
		Validations:   validations(q.Input),
		InputDefaults: inputDefaults(q.Input),
		Imports:       imports{}.add("context"),
	}
	importProto(svc, qv.Imports)
	qt := &queryTest{Imports: imports{}.add("testing")}
	importProto(svc, qt.Imports)
	if len(qv.Validations) > 0 {
		qt.Invalid = &qv.Validations[0]
		qt.Imports.add("connectrpc.com/connect")
	}
	qv.Test = qt
	used := map[*model.Field]bool{}
	if q.Entity != nil {
		qv.Entity = sv.entity(q.Entity)
		switch {
		case q.ByID != nil:
			qv.Kind = "id"
			if len(q.Filters) > 0 {
				qv.Imports.add("fmt")
			}
			qv.ByIDGetter = "req.Get" + q.ByID.GoName + "()"
			used[q.ByID] = true
			qt.Request = append(qt.Request, assignment{q.ByID.GoName, "seeded.GetId()"})
		case q.List:
			qv.Kind = "list"
		default:
			qv.Kind = "first"
			qv.Imports.add("fmt", "connectrpc.com/connect")
		}
		if qv.Kind != "id" {
			qv.Finder = sv.finder(q.Entity, sqlFilterColumns(q))
		}
		var args []string
		for _, f := range q.Filters {
			used[f.Input] = true
			qt.Request = append(qt.Request, assignment{f.Input.GoName, "seeded.Get" + f.Column.GoName + "()"})
			get := "req.Get" + f.Input.GoName + "()"
			have := "x.Get" + f.Column.GoName + "()"
			switch {
			case isSQLComparable(f.Column) && qv.Kind != "id":
				args = append(args, get)
			case isSQLComparable(f.Column) && f.Column.Type.Scalar != model.Timestamp:
				qv.GoFilters = append(qv.GoFilters, have+" == "+get)
			case f.Column.Type.Kind == model.ScalarType && f.Column.Type.Scalar == model.Bytes:
				qv.Imports.add("bytes")
				qv.GoFilters = append(qv.GoFilters, "bytes.Equal("+have+", "+get+")")
			default:
				qv.Imports.add("google.golang.org/protobuf/proto")
				qv.GoFilters = append(qv.GoFilters, "proto.Equal("+have+", "+get+")")
			}
		}
		qv.FinderArgs = strings.Join(append([]string{"ctx"}, args...), ", ")
		qt.Imports.add("google.golang.org/protobuf/proto")
		qt.Missing = qv.Kind == "id" || qv.Kind == "first"
		if qt.Missing {
			qt.Imports.add("connectrpc.com/connect")
		}
	}
	for _, f := range q.Input.Fields {
		if !used[f] {
			qv.Unused = append(qv.Unused, f.Name)
			qt.Request = append(qt.Request, assignment{f.GoName, sample(f, qt.Imports)})
		}
	}
	qv.Doc = queryDoc(q, qv)
	return qv
}

func queryDoc(q *model.Query, qv *queryView) []string {
	var doc []string
	if len(qv.Validations) > 0 {
		var names []string
		for _, v := range qv.Validations {
			names = append(names, v.Field)
		}
		doc = append(doc, "It checks that "+englishList(names)+" "+plural(len(names), "is", "are")+" set.")
	}
	var filters []string
	for _, f := range q.Filters {
		filters = append(filters, f.Column.Name)
	}
	by := ""
	if len(filters) > 0 {
		by = " with the same " + strings.Join(filters, " and ") + " as the request"
	}
	switch qv.Kind {
	case "id":
		doc = append(doc, "It returns the "+q.Entity.Name()+" whose id is "+q.ByID.Name+" (NotFound when there is none).")
	case "first":
		doc = append(doc, "It returns the first "+q.Entity.Name()+by+" (NotFound when there is none).")
	case "list":
		doc = append(doc, "It returns every "+q.Entity.Name()+by+", oldest first.")
	case "none":
		doc = append(doc, "Its result is not a stored entity, so it returns an empty response: fill it in.")
	}
	if d := ownerQueryDoc(q); d != "" {
		doc = append(doc, d)
	}
	if len(qv.Unused) > 0 {
		doc = append(doc, "It ignores "+strings.Join(qv.Unused, ", ")+".")
	}
	return doc
}
