package service

import (
	"fmt"
	"go/token"
	"slices"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// systemView is what the system-wide templates (go.mod, platform, local)
// print.
type systemView struct {
	Module    string
	Name      string
	Services  []*serviceView
	NameWidth int // longest service name, to align cmd/local's listing

	// Events on NATS JetStream.
	Broker           bool          // some service records or consumes events
	NATSPort         int           // port of the embedded NATS server in cmd/local
	Stream           string        // "SHOP"
	Subjects         string        // "shop.>"
	DeadLetterPrefix string        // "dead_letter"
	Choreographies   []*model.Saga // choreographed sagas

	// The gateway cmd/local starts; nil without one.
	Gateway *gatewayView

	// Observability: Tracing makes spans and exports them over OTLP,
	// Metrics serves /metrics; with neither, services get no telemetry.
	Tracing bool
	Metrics bool
	// Deployables are the names with a service identity: the gateway
	// (when the blueprint has one) and every service; cmd/local generates a
	// key for each, cmd/keys prints keys for each.
	Deployables []string
	// Keys are how cmd/keys names each deployable's Secret and variables.
	Keys []*keyView
	// PublicKeysSecret is the Secret holding every public key.
	PublicKeysSecret string
	// KubeNamespace is cmd/keys' default namespace ("" without Kubernetes).
	KubeNamespace string

	Imports imports // of the file being rendered

	// Validation: some service validates requests (package validation,
	// and protovalidate in go.mod); Checked: some command computes a
	// total (package checked).
	Validation, Checked bool
	// Ownership: some entity has an owner rule (package ownership).
	Ownership bool

	// Tenancy scopes every table, call, event and saga to a tenant
	// (package tenant); nil without.
	Tenancy *model.Tenancy

	model *model.System
}

// keyView is one deployable's key material as cmd/keys prints it.
type keyView struct {
	Name      string // "orders", "gateway"
	EnvPrefix string // "ORDERS": compose reads ORDERS_SERVICE_PRIVATE_KEY
	Secret    string // "orders-identity"
}

// gatewayView is what cmd/local needs of the gateway.
type gatewayView struct {
	Port int
	Auth bool // tokens are verified: cmd/local trusts the development key
	// TryToken is the cmd/token invocation cmd/local suggests.
	TryToken string
}

// serviceView is what a service's templates print.
type serviceView struct {
	Sys          *systemView
	Name         string // "orders", also the Go package name
	Pascal       string // "Orders"
	Description  string
	EnvPrefix    string // "ORDERS"
	Port         int
	Store        string // declared production dialect
	PB           string // "ordersv1"
	Connect      string // "ordersv1connect"
	ProtoService string // "OrdersService"
	FullService  string // "shop.orders.v1.OrdersService"
	InternalPkg  string
	Dialects     []string // migration folders: the declared store, then sqlite

	// Older are the API versions it serves before the current one, each
	// through an adapter to the current version.
	Older []*olderView
	// ProtoServices are the Go expressions of the fully-qualified proto
	// service names of every served version, for grpc health and reflection.
	ProtoServices []string

	Calls    []*callView
	Peers    []string       // the other deployables whose public keys it reads
	Policy   []*policyEntry // who may call each endpoint
	Entities []*entityView
	Enums    []*enumView
	Events   []*eventView
	// LocalTriggers are the events among Events that trigger sagas the
	// service orchestrates.
	LocalTriggers []*eventView
	Commands      []*commandView
	Queries       []*queryView
	Consumers     []*consumerView
	Sagas         []*sagaView // orchestrated sagas it runs
	// SagaStarters are the procedures (Go expressions) of its commands that
	// record the trigger of a saga it orchestrates: refused while its saga
	// backlog is above the bound (saga.Runner.Backpressure).
	SagaStarters []string
	// Choreographies are the choreographed sagas whose steps it runs.
	Choreographies []*choreographyView
	Compensations  []*compensationView // what it does when a choreographed saga fails
	Projections    []*projectionView   // event-sourced: how events fold into entities
	ReadModels     []*entityView       // entities the projections rebuild
	Upcasts        []*upcastView       // event-sourced: converters of events stored before a field changed type
	ReadModelShape string              // event-sourced: fingerprint of the read models and their projections
	ProjectionTest *projectionTest
	Failures       []*failureView // sagas whose failure its step consumers report
	Limits         []*limitView

	// Schema is every table and column its SQL uses, which the database
	// must have for the service to start; SchemaTest is the column its
	// schema test drops.
	Schema     []*schemaTable
	SchemaTest *schemaTest

	// Broker: the service records or consumes events, so it connects to NATS.
	Broker bool
	// EventSourced: its events are appended to the event store with versions.
	EventSourced bool
	// CQRS: a projector builds its read models asynchronously.
	CQRS bool
	// SagaState: it keeps saga state (GET /sagas): of the sagas it
	// orchestrates and of the choreographies it tracks.
	SagaState bool
	// Trackers are the choreographed sagas whose state it keeps by observing
	// their events.
	Trackers []*model.SagaTracker
	// Handlers: the service consumes events or starts sagas from them.
	Handlers bool
	Source   string // CloudEvents source of its events, "/shop/orders"
	// Validated: some request it serves has constraints, which an
	// interceptor checks before the handler runs (package validation).
	Validated bool
	// ConstraintsTest breaks its constraints and overflows its totals; nil
	// when it has neither.
	ConstraintsTest *constraintsTest
	// Owners are the rules of its owned entities (ownership.go), and
	// OwnerInputs the request fields they check before the handler runs;
	// OwnershipTest tries every rule; nil when it owns no entity.
	Owners        []*ownerView
	OwnerInputs   []*ownerInputView
	OwnershipTest *ownershipTest
	// OwnershipImports are the imports of ownership.go.
	OwnershipImports imports

	// Imports of each service-wide file.
	ServiceImports, StoreImports, RunImports, TestImports, ConsumersImports, SagaImports imports
	SagasTestImports                                                                     imports
	CompensationsTestImports, ProjectionsImports                                         imports
	// TenancyTestImports are tenancy_test.go's (with tenancy).
	TenancyTestImports imports

	model *model.Service
}

// olderView is an older API version the service serves by converting its
// messages to and from the current version's.
type olderView struct {
	Service     *serviceView
	Number      int    // 1
	Tag         string // "V1"
	PB          string // "ordersv1"
	Connect     string // "ordersv1connect"
	FullService string // "shop.orders.v1.OrdersService"
	Methods     []*olderMethod
	Imports     imports

	// Of its test: the queries, which must answer an empty request as the
	// current version does, and a creating command and a query by id that
	// cross the versions; nil when the service has none.
	Queries     []*olderMethod
	Cross       *olderCross
	CreateReq   string // request message of Cross.Create, "CreateProductRequest"
	ReadReq     string // request message of Cross.Read, "GetProductRequest"
	TestImports imports
}

// olderCross creates an entity through one version and reads it through the
// other.
type olderCross struct {
	Create      *e2eCall // with sample values, in the current version's types
	Read        string   // "GetProduct"
	ReadID      string   // Go field of the query's id, "ProductId"
	EntityGet   string   // getter of the entity in both responses, "GetProduct"
	WaitForCQRS bool     // reads trail the commands: wait for the read model
}

// olderMethod is one RPC of an older version.
type olderMethod struct {
	Name string // "PlaceOrder"
	Req  string // "PlaceOrderRequest", in the older and the current package
	Resp string // "PlaceOrderResponse"
}

// olderCrossOf picks a creating command whose response holds the entity
// and a query reading that entity by id; nil when the service has none.
func olderCrossOf(svc *model.Service, im imports) *olderCross {
	for _, c := range svc.Commands {
		if c.Mode != model.ModeCreate || c.Entity == nil || len(c.Output.Fields) != 1 {
			continue
		}
		for _, q := range svc.Queries {
			if q.Entity == c.Entity && q.ByID != nil && !q.List {
				return &olderCross{
					Create:      sampleCall(c, im),
					Read:        q.Name,
					ReadID:      q.ByID.GoName,
					EntityGet:   "Get" + c.Output.Fields[0].GoName,
					WaitForCQRS: svc.AsyncReadModel,
				}
			}
		}
	}
	return nil
}

// callView is a service this one calls.
type callView struct {
	Name         string // "inventory"
	Field        string // field of Clients, "Inventory"
	ConfigField  string // field of Config, "InventoryURL"
	Env          string // "INVENTORY_URL"
	DefaultURL   string
	Connect      string // "inventoryv1connect"
	ProtoService string // "InventoryService"
}

// policyEntry is one entry of a service's identity.Policy: Go expressions
// of the path and of its callers.
type policyEntry struct {
	Key     string // "ordersv1connect.OrdersServicePlaceOrderProcedure" or a quoted path
	Callers string // `{"gateway", "orders"}`
}

// goStrings prints a []string literal whose type is elided, as in a map
// literal: {"gateway", "orders"}.
func goStrings(ss []string) string {
	var b strings.Builder
	b.WriteString("{")
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString("}")
	return b.String()
}

// limitView is a configurable bound of the service's commands.
type limitView struct {
	Name    string // Limits field, "MaxAmountCents"
	Env     string // "MAX_AMOUNT_CENTS"
	FullEnv string // "PAYMENTS_MAX_AMOUNT_CENTS"
	Default int64
	Field   string // input field it bounds, "amount_cents"
}

// entityView is an entity and its table.
type entityView struct {
	Name     string // "Order"
	Var      string // "order"
	Plural   string // "Orders"
	PluralV  string // "orders"
	QualGo   string // "ordersv1.Order"
	Table    string
	TableVar string // "orderTable"
	Columns  []*column
	Finders  []*finderView
	Sample   string // composite literal "ordersv1.Order{...}" without id
	// Sourced: the event store is its source of truth; Folds are the
	// events that change it (event-sourced services).
	Sourced bool
	Folds   []*projectionView
	// Retyped: a field changed type since snapshots were taken, so a
	// snapshot holding an old value (an unknown field) is not used.
	Retyped bool
	// Owner is its owner rule; nil: not owned.
	Owner *ownerView

	model *model.Entity
}

// finderView is a store method selecting an entity's rows by columns.
type finderView struct {
	Method string // "FindOrdersByCustomerID"
	// Deprecated is the name the finder had before it followed Go's
	// initialisms, "FindOrdersByCustomerId"; empty when it is the same.
	Deprecated string
	Params     []*paramView
	// OwnerParam is the parameter on the owner column of an owned entity;
	// nil when the finder does not select by it.
	OwnerParam *paramView
}

// paramView is one parameter of a finder.
type paramView struct {
	Name   string // Go parameter
	Type   string
	Column *column
	Arg    string // the SQL argument
}

// ParamList is the finder's parameter declaration list.
func (f *finderView) ParamList() string {
	var parts []string
	for _, p := range f.Params {
		parts = append(parts, p.Name+" "+p.Type)
	}
	return strings.Join(parts, ", ")
}

// NameList is the finder's parameter names, as arguments.
func (f *finderView) NameList() string {
	var parts []string
	for _, p := range f.Params {
		parts = append(parts, p.Name)
	}
	return strings.Join(parts, ", ")
}

// ColumnList is the finder's columns as Go string literals.
func (f *finderView) ColumnList() string {
	var parts []string
	for _, p := range f.Params {
		parts = append(parts, strconv.Quote(p.Column.Name))
	}
	return strings.Join(parts, ", ")
}

// ArgList is the finder's SQL arguments.
func (f *finderView) ArgList() string {
	var parts []string
	for _, p := range f.Params {
		parts = append(parts, p.Arg)
	}
	return strings.Join(parts, ", ")
}

// enumView is an enum stored as text.
type enumView struct {
	Name    string // "OrderStatus"
	TextVar string // "orderStatusText"
	QualGo  string
	Values  []enumValueView
}

type enumValueView struct {
	Const string // "ordersv1.OrderStatus_ORDER_STATUS_PENDING"
	Text  string // "pending"
}

// eventView is an event the service records.
type eventView struct {
	Name     string // "OrderPlaced"
	QualGo   string
	FullName string
	Subject  string
	Method   string // store method recording it, "RecordOrderPlaced"
	// Sagas are the sagas of the service this event triggers ("checkout"):
	// recording it starts them in the same transaction.
	Sagas       []string
	SagaDurable string // the consumer of the first of Sagas' trigger
}

// safeIdent returns name, changed when it is a Go keyword or an identifier
// the generated code already uses.
func safeIdent(name string) string {
	switch {
	case token.IsKeyword(name):
		return name + "Value"
	case reserved[name]:
		return name + "Value"
	}
	return name
}

// reserved are identifiers of generated method bodies and imported
// packages that a variable named after a blueprint name must not shadow.
var reserved = map[string]bool{
	"ctx": true, "req": true, "err": true, "tx": true, "s": true, "t": true,
	"q": true, "row": true, "rows": true, "resp": true, "got": true, "want": true,
	"svc": true, "store": true, "database": true, "outbox": true, "connect": true,
	"fmt": true, "errors": true, "sql": true, "time": true, "proto": true,
	"context": true, "slog": true, "http": true, "uuid": true, "testing": true,
	"timestamppb": true, "created": true, "found": true, "client": true,
	"string": true, "bool": true, "int32": true, "int64": true, "len": true,
	"new": true, "nil": true, "true": true, "false": true, "any": true, "error": true,
	"byte": true, "float64": true, "make": true, "append": true, "copy": true,
}

func newSystemView(sys *model.System) (*systemView, error) {
	sv := &systemView{
		Module:           sys.Module,
		Name:             sys.Name,
		Stream:           sys.Stream,
		NATSPort:         sys.Messaging.Port,
		Subjects:         sys.Subjects,
		DeadLetterPrefix: model.DeadLetterPrefix,
		Tracing:          sys.Observability.Tracing == model.TracingOTLP,
		Metrics:          sys.Observability.Metrics == model.MetricsPrometheus,
		PublicKeysSecret: model.PublicKeysSecret(sys),
		Tenancy:          sys.Tenancy,
		model:            sys,
	}
	if sys.Gateway != nil {
		sv.Deployables = append(sv.Deployables, model.GatewayCaller)
	}
	for _, svc := range sys.Services {
		sv.Deployables = append(sv.Deployables, svc.Name)
	}
	if k := sys.Deploy.Kubernetes; k != nil {
		sv.KubeNamespace = k.Namespace
	}
	for _, d := range sv.Deployables {
		sv.Keys = append(sv.Keys, &keyView{Name: d, EnvPrefix: strings.ToUpper(d), Secret: model.IdentitySecret(d)})
	}
	for _, svc := range sys.Services {
		v, err := newServiceView(sv, svc)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		sv.Services = append(sv.Services, v)
		sv.NameWidth = max(sv.NameWidth, len(svc.Name))
		sv.Broker = sv.Broker || v.Broker
		sv.Validation = sv.Validation || v.Validated
		sv.Ownership = sv.Ownership || len(v.Owners) > 0
		for _, c := range svc.Commands {
			sv.Checked = sv.Checked || len(c.Totals) > 0
		}
	}
	if sv.Broker {
		sv.NameWidth = max(sv.NameWidth, len("nats"))
	}
	if g := sys.Gateway; g != nil {
		sv.Gateway = &gatewayView{Port: g.Port, Auth: sys.Auth != nil && sys.Auth.JWT != nil}
		sv.NameWidth = max(sv.NameWidth, len("gateway"))
		if sv.Gateway.Auth {
			sv.Gateway.TryToken = "go run ./cmd/token --sub alice"
			for _, r := range g.Routes {
				if len(r.Roles) > 0 {
					sv.Gateway.TryToken += " --roles " + r.Roles[0]
					break
				}
			}
			if sys.Tenancy != nil {
				sv.Gateway.TryToken += " --tenant acme"
			}
		}
	}
	for _, sg := range sys.Sagas {
		if sg.Choreography {
			sv.Choreographies = append(sv.Choreographies, sg)
		}
	}
	return sv, nil
}

func newServiceView(sys *systemView, svc *model.Service) (*serviceView, error) {
	v := &serviceView{
		Sys:          sys,
		Name:         svc.Name,
		Pascal:       svc.Pascal,
		Description:  svc.Description,
		EnvPrefix:    svc.EnvPrefix,
		Port:         svc.Port,
		Store:        string(svc.Store),
		PB:           svc.GoPackageName,
		Connect:      svc.ConnectName,
		ProtoService: svc.ProtoService,
		FullService:  svc.ProtoPackage + "." + svc.ProtoService,
		InternalPkg:  svc.InternalPkg,
		Broker:       len(svc.Events) > 0 || len(svc.Consumers) > 0 || len(svc.Orchestrates) > 0 || len(svc.Compensates) > 0 || len(svc.Tracks) > 0,
		Handlers:     len(svc.Consumers) > 0 || len(svc.Orchestrates) > 0 || len(svc.Compensates) > 0 || len(svc.Tracks) > 0,
		SagaState:    len(svc.Orchestrates) > 0 || len(svc.Tracks) > 0,
		Trackers:     svc.Tracks,
		Source:       "/" + sys.Name + "/" + svc.Name,
		EventSourced: svc.EventSourced,
		CQRS:         svc.AsyncReadModel,
		model:        svc,
	}
	if v.Store == "" {
		v.Store = dialectSQLite
	}
	v.Dialects = Dialects(svc)
	for _, l := range svc.Limits {
		v.Limits = append(v.Limits, &limitView{Name: l.Name, Env: l.Env, FullEnv: svc.EnvPrefix + "_" + l.Env, Default: l.Default, Field: l.Field.Name})
	}
	for _, c := range svc.Clients {
		v.Calls = append(v.Calls, &callView{
			Name:         c.Name,
			Field:        c.Pascal,
			ConfigField:  c.Pascal + "URL",
			Env:          c.EnvPrefix + "_URL",
			DefaultURL:   fmt.Sprintf("http://127.0.0.1:%d", c.Port),
			Connect:      c.ConnectName,
			ProtoService: c.ProtoService,
		})
	}
	for _, d := range sys.Deployables {
		if d != svc.Name {
			v.Peers = append(v.Peers, d)
		}
	}
	for _, c := range svc.Commands {
		v.Policy = append(v.Policy, &policyEntry{Key: svc.ConnectName + "." + svc.ProtoService + c.Name + "Procedure", Callers: goStrings(c.Callers)})
		if startsSaga(svc, c) {
			v.SagaStarters = append(v.SagaStarters, svc.ConnectName+"."+svc.ProtoService+c.Name+"Procedure")
		}
	}
	for _, q := range svc.Queries {
		v.Policy = append(v.Policy, &policyEntry{Key: svc.ConnectName + "." + svc.ProtoService + q.Name + "Procedure", Callers: goStrings(q.Callers)})
	}
	// Older versions serve the same methods to the same callers.
	for _, ver := range svc.Older() {
		o := &olderView{
			Service: v, Number: ver.Number, Tag: fmt.Sprintf("V%d", ver.Number),
			PB: ver.GoPackageName, Connect: ver.ConnectName, FullService: ver.FullService,
		}
		o.Imports = imports{}.add("net/http", "connectrpc.com/connect", ver.ConnectImport, svc.ConnectImport)
		if len(svc.Commands)+len(svc.Queries) > 0 {
			o.Imports.add("context", "fmt", "google.golang.org/protobuf/proto")
			o.Imports.alias(ver.GoPackageName, ver.GoPackage)
			importProto(svc, o.Imports)
		}
		for _, c := range svc.Commands {
			o.Methods = append(o.Methods, &olderMethod{Name: c.Name, Req: c.Input.Name, Resp: c.Output.Name})
			v.Policy = append(v.Policy, &policyEntry{Key: strconv.Quote(ver.Procedure(c.Name)), Callers: goStrings(c.Callers)})
			if startsSaga(svc, c) {
				v.SagaStarters = append(v.SagaStarters, strconv.Quote(ver.Procedure(c.Name)))
			}
		}
		for _, q := range svc.Queries {
			o.Methods = append(o.Methods, &olderMethod{Name: q.Name, Req: q.Input.Name, Resp: q.Output.Name})
			v.Policy = append(v.Policy, &policyEntry{Key: strconv.Quote(ver.Procedure(q.Name)), Callers: goStrings(q.Callers)})
		}
		o.Queries = o.Methods[len(svc.Commands):]
		o.TestImports = imports{}.add("net/http", "net/http/httptest", "testing", "connectrpc.com/connect", ver.ConnectImport, svc.ConnectImport)
		o.TestImports.alias(ver.GoPackageName, ver.GoPackage)
		importProto(svc, o.TestImports)
		o.Cross = olderCrossOf(svc, o.TestImports)
		if o.Cross != nil {
			o.CreateReq = svc.Command(o.Cross.Create.Method).Input.Name
			o.ReadReq = svc.Query(o.Cross.Read).Input.Name
			o.TestImports.add("bytes", "google.golang.org/protobuf/proto")
		}
		v.Older = append(v.Older, o)
		v.ProtoServices = append(v.ProtoServices, strconv.Quote(ver.FullService))
	}
	v.ProtoServices = append(v.ProtoServices, svc.ConnectName+"."+svc.ProtoService+"Name")
	if len(svc.Orchestrates) > 0 || len(svc.Tracks) > 0 {
		// The saga state (GET /sagas, /sagas/{id}) is the service's own.
		self := goStrings([]string{svc.Name})
		v.Policy = append(v.Policy, &policyEntry{Key: strconv.Quote("/sagas"), Callers: self}, &policyEntry{Key: strconv.Quote("/sagas/"), Callers: self})
	}
	for _, ev := range svc.Events {
		e := &eventView{
			Name:     ev.Name,
			QualGo:   ev.QualGo,
			FullName: ev.FullName,
			Subject:  ev.Subject,
			Method:   "Record" + ev.Name,
		}
		for _, sg := range svc.Orchestrates {
			if sg.Trigger == ev {
				if e.Sagas == nil {
					e.SagaDurable = sg.Durable
				}
				e.Sagas = append(e.Sagas, sg.Name)
			}
		}
		if len(e.Sagas) > 0 {
			v.LocalTriggers = append(v.LocalTriggers, e)
		}
		v.Events = append(v.Events, e)
	}

	v.StoreImports = imports{}.add("context", "database/sql", "embed", "log/slog", "time",
		sys.Module+"/internal/platform/app", sys.Module+"/internal/platform/database", sys.Module+"/internal/platform/outbox")
	if sys.Tenancy != nil && len(svc.Entities) > 0 {
		v.StoreImports.add(sys.Module + "/internal/platform/tenant")
	}
	enumText := func(e *model.Enum) string { return v.enum(e).TextVar }
	for _, e := range svc.Entities {
		ev := newEntityView(e, enumText, v.StoreImports)
		v.Entities = append(v.Entities, ev)
		for _, c := range ev.Columns {
			if c.EncodeErr || c.DecodeErr || e.Owner != nil {
				v.StoreImports.add("fmt") // for the errors of columns and owner checks
			}
		}
	}
	if len(v.Entities) > 0 || len(v.Events) > 0 {
		importProto(svc, v.StoreImports)
	}
	// Finders: every column set a query filters on and every upsert lookup.
	for _, q := range svc.Queries {
		if q.Entity != nil {
			v.finder(q.Entity, sqlFilterColumns(q))
		}
	}
	for _, c := range svc.Commands {
		if c.Mode == model.ModeUpsert {
			v.finder(c.Entity, []*model.Field{lookupTarget(c)})
		}
	}
	for _, e := range v.Entities {
		for _, f := range e.Finders {
			for _, p := range f.Params {
				p.Type = goType(p.Column.field.Type, v.StoreImports)
			}
		}
	}

	for _, c := range svc.Commands {
		cv, err := newCommandView(v, c)
		if err != nil {
			return nil, fmt.Errorf("command %s: %w", c.Name, err)
		}
		v.Commands = append(v.Commands, cv)
	}
	for _, q := range svc.Queries {
		v.Queries = append(v.Queries, newQueryView(v, q))
	}

	v.ServiceImports = imports{}.add("context", "log/slog", "net/http", sys.Module+"/internal/platform/app",
		"connectrpc.com/connect", svc.ConnectImport)
	for _, c := range svc.Clients {
		v.ServiceImports.add(c.ConnectImport)
	}
	if len(svc.Commands) > 0 {
		importProto(svc, v.ServiceImports)
	}
	if v.SagaState {
		v.ServiceImports.add(sys.Module + "/internal/platform/saga")
	}
	if v.Validated = validated(svc); v.Validated {
		v.ServiceImports.add(sys.Module + "/internal/platform/validation")
	}
	v.ConstraintsTest = newConstraintsTest(v)
	for _, e := range v.Entities {
		if e.Owner != nil {
			v.Owners = append(v.Owners, e.Owner)
		}
	}
	if len(v.Owners) > 0 {
		v.OwnerInputs = newOwnerInputs(svc)
		v.OwnershipImports = imports{}.add(sys.Module + "/internal/platform/ownership")
		v.ServiceImports.add(sys.Module + "/internal/platform/ownership")
		v.StoreImports.add(sys.Module + "/internal/platform/ownership")
		v.ServiceImports.add("errors")
		v.OwnershipTest = newOwnershipTest(v)
	}
	if svc.AsyncReadModel {
		v.ServiceImports.add(sys.Module + "/internal/platform/outbox")
		importProto(svc, v.ServiceImports)
	}
	v.SagaImports = imports{}.add("context", "fmt", "google.golang.org/protobuf/proto", sys.Module+"/internal/platform/saga")
	v.SagasTestImports = imports{}.add("context", "errors", "slices", "sync", "testing", "time", "connectrpc.com/connect",
		sys.Module+"/internal/platform/logging", sys.Module+"/internal/platform/saga")
	if len(v.LocalTriggers) > 0 {
		v.SagaImports.add(sys.Module + "/internal/platform/outbox")
		v.SagasTestImports.add(sys.Module + "/internal/platform/events")
		importProto(svc, v.SagasTestImports)
	}
	newSagaViews(v)
	v.RunImports = imports{}.add("context",
		sys.Module+"/internal/platform/app",
		sys.Module+"/internal/platform/config",
		sys.Module+"/internal/platform/database",
		sys.Module+"/internal/platform/identity",
		sys.Module+"/internal/platform/telemetry",
		svc.ConnectImport)
	if len(svc.Clients) > 0 {
		v.RunImports.add(sys.Module + "/internal/platform/client")
	}
	if len(v.Sagas) > 0 {
		v.RunImports.add("time", sys.Module+"/internal/platform/saga")
	}
	if v.SagaState {
		v.RunImports.add("net/http", "connectrpc.com/connect")
	}
	newConsumerViews(v)
	v.ConsumersImports = imports{}.add("context", "fmt", "google.golang.org/protobuf/proto", sys.Module+"/internal/platform/events")
	for _, c := range svc.Consumers {
		importProto(c.Event.Service, v.ConsumersImports)
	}
	if len(svc.Consumers) == 0 {
		delete(v.ConsumersImports, "fmt")
		delete(v.ConsumersImports, "google.golang.org/protobuf/proto")
	}
	seenSaga := map[*model.Saga]bool{}
	var chor []*model.Saga
	for _, c := range svc.Consumers {
		if c.SagaCall != nil {
			chor = append(chor, c.Saga)
		}
	}
	for _, c := range svc.Compensates {
		chor = append(chor, c.Saga)
	}
	for _, sg := range chor {
		if seenSaga[sg] {
			continue
		}
		seenSaga[sg] = true
		c := struct{ Saga *model.Saga }{sg}
		v.Choreographies = append(v.Choreographies, &choreographyView{
			Name: c.Saga.Name, Func: model.LowerFirst(c.Saga.Pascal) + "Saga", TriggerQualGo: c.Saga.Trigger.QualGo,
		})
		importProto(c.Saga.Trigger.Service, v.ConsumersImports)
		v.ConsumersImports.add("errors", sys.Module+"/internal/platform/outbox")
	}
	newCompensationViews(v)
	newProjectionViews(v)
	newUpcastViews(v)
	if v.EventSourced {
		v.ReadModelShape = readModelShape(v)
	}
	if len(v.Compensations) > 0 || len(v.Failures) > 0 {
		v.ConsumersImports.add("fmt", "google.golang.org/protobuf/proto")
	}
	if len(v.Compensations) > 0 {
		// A participant that only reports failures (it has no step to
		// undo) does not name its own messages.
		importProto(svc, v.ConsumersImports)
	}
	if len(v.Failures) > 0 || len(svc.Tracks) > 0 {
		v.ConsumersImports.add(sys.Module + "/internal/platform/saga")
	}
	for _, c := range v.Compensations {
		v.ConsumersImports.add("slices")
		if len(c.Compensations) > 0 {
			v.ConsumersImports.add("connectrpc.com/connect")
		}
	}
	for _, c := range svc.Clients {
		v.RunImports.add(c.ConnectImport)
	}
	v.TestImports = newStoreTestImports(v)
	if sys.Tenancy != nil {
		v.TenancyTestImports = imports{}.add("errors", "testing", "google.golang.org/protobuf/types/known/wrapperspb",
			sys.Module+"/internal/platform/idempotency", sys.Module+"/internal/platform/outbox", sys.Module+"/internal/platform/tenant")
		if len(v.Entities) > 0 {
			v.TenancyTestImports.add("context", "google.golang.org/protobuf/proto")
		}
		if v.SagaState {
			v.TenancyTestImports.add(sys.Module + "/internal/platform/saga")
		}
	}
	newSchemaViews(v)
	return v, nil
}

// enum returns the view of an entity enum, adding it on first use.
func (v *serviceView) enum(e *model.Enum) *enumView {
	for _, ev := range v.Enums {
		if ev.Name == e.Name {
			return ev
		}
	}
	ev := &enumView{Name: e.Name, TextVar: model.LowerFirst(e.Name) + "Text", QualGo: e.QualGo}
	for _, val := range e.Values {
		ev.Values = append(ev.Values, enumValueView{Const: qualEnumValue(e, val), Text: val.Name})
	}
	v.Enums = append(v.Enums, ev)
	return ev
}

func (v *serviceView) entity(e *model.Entity) *entityView {
	for _, ev := range v.Entities {
		if ev.model == e {
			return ev
		}
	}
	panic("internal error: entity " + e.Name() + " of another service")
}

// finder returns the finder of entity e by the columns of fields, adding
// it on first use. No fields means List<Plural>.
func (v *serviceView) finder(e *model.Entity, fields []*model.Field) *finderView {
	ev := v.entity(e)
	var names, protoNames []string
	for _, f := range fields {
		names = append(names, exportedName(f.Name))
		protoNames = append(protoNames, f.GoName)
	}
	method := "List" + ev.Plural
	if len(names) > 0 {
		method = "Find" + ev.Plural + "By" + strings.Join(names, "And")
	}
	for _, f := range ev.Finders {
		if f.Method == method {
			return f
		}
	}
	fv := &finderView{Method: method}
	// Finders were named with protoc-gen-go's spelling before: the old
	// name stays, deprecated, for handlers that call it.
	if old := "Find" + ev.Plural + "By" + strings.Join(protoNames, "And"); len(fields) > 0 && old != method {
		fv.Deprecated = old
	}
	for _, f := range fields {
		col := ev.column(f)
		if !f.Indexed {
			panic("internal error: finder " + method + " by a column the model did not index: " + f.Name)
		}
		name := safeIdent(unexportedName(f.Name))
		fv.Params = append(fv.Params, &paramView{Name: name, Column: col, Arg: argOf(col, name)})
		if o := e.Owner; o != nil && o.Field == f {
			fv.OwnerParam = fv.Params[len(fv.Params)-1]
		}
	}
	if len(fields) > 0 {
		ev.Finders = append(ev.Finders, fv)
	}
	return fv
}

// argOf is the SQL argument for comparing col with Go variable name.
func argOf(col *column, name string) string {
	switch {
	case col.field.Type.Kind == model.EnumType:
		return strings.Replace(col.Encode, "%[1]s."+col.Getter+"()", name, 1)
	case col.field.Type.Kind == model.ScalarType && col.field.Type.Scalar == model.Timestamp:
		return "database.Time(" + name + ")"
	}
	return name
}

func (e *entityView) column(f *model.Field) *column {
	for _, c := range e.Columns {
		if c.field == f {
			return c
		}
	}
	panic("internal error: no column for field " + f.Name)
}

func newEntityView(e *model.Entity, enumText func(*model.Enum) string, im imports) *entityView {
	ev := &entityView{
		Name:     e.Name(),
		Var:      safeIdent(model.LowerFirst(e.Name())),
		Plural:   model.GoCamelCase(e.Plural),
		PluralV:  safeIdent(model.LowerFirst(model.GoCamelCase(e.Plural))),
		QualGo:   e.Message.QualGo,
		Table:    e.Table,
		TableVar: model.LowerFirst(e.Name()) + "Table",
		Owner:    newOwnerView(e),
		model:    e,
	}
	if ev.PluralV == ev.Var {
		ev.PluralV += "List"
	}
	for _, f := range e.Message.Fields {
		ev.Columns = append(ev.Columns, newColumn(f, enumText, im))
	}
	return ev
}

// sqlFilterColumns are the entity columns a query filters on in SQL.
func sqlFilterColumns(q *model.Query) []*model.Field {
	var out []*model.Field
	for _, f := range q.Filters {
		if isSQLComparable(f.Column) {
			out = append(out, f.Column)
		}
	}
	return out
}

func isSQLComparable(f *model.Field) bool { return model.SQLComparable(f) }

// lookupTarget is the entity field an upsert command looks its entity up by.
func lookupTarget(c *model.Command) *model.Field { return c.LookupColumn() }

// newStoreTestImports are the imports of service_test.go, which also
// builds each entity's sample.
func newStoreTestImports(v *serviceView) imports {
	im := imports{}.add("testing", "connectrpc.com/connect",
		v.Sys.Module+"/internal/platform/app/apptest",
		v.Sys.Module+"/internal/platform/database/dbtest",
		v.Sys.Module+"/internal/platform/logging")
	if v.CQRS {
		im.add("context", "time", v.Sys.Module+"/internal/platform/outbox")
	}
	if v.Sys.Tenancy != nil {
		im.add("context", "net/http", v.Sys.Module+"/internal/platform/tenant")
	}
	if len(v.Trackers) > 0 {
		im.add(v.Sys.Module+"/internal/platform/events", v.Sys.Module+"/internal/platform/outbox", v.Sys.Module+"/internal/platform/saga")
	}
	for _, e := range v.Entities {
		if e.Sourced {
			im.add(v.Sys.Module + "/internal/platform/outbox")
		}
		if len(e.Finders) > 0 {
			im.add("context")
		}
	}
	for _, e := range v.Entities {
		importProto(v.model, im)
		parts := []string{"Id: newID()"}
		for _, f := range e.model.Message.Fields[1:] {
			parts = append(parts, f.GoName+": "+sample(f, im))
		}
		e.Sample = e.QualGo + "{\n" + strings.Join(parts, ",\n") + ",\n}"
	}
	return im
}

// startsSaga reports whether c records the trigger event of a saga its
// service orchestrates.
func startsSaga(svc *model.Service, c *model.Command) bool {
	for _, sg := range svc.Orchestrates {
		if slices.Contains(c.Emits, sg.Trigger) {
			return true
		}
	}
	return false
}
