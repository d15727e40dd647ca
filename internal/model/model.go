// Package model is the validated, fully resolved description of a system that
// every generator reads. The blueprint package builds it from YAML; Compile
// decides every derived name, port, number and default behaviour once, so that
// generators and templates only format.
//
// Import rule: model imports nothing from microforge except itself.
package model

// Store is the database a service owns in production.
type Store string

// Stores a service may declare.
const (
	StorePostgres Store = "postgres"
	StoreMySQL    Store = "mysql"
	StoreSQLite   Store = "sqlite"
)

// EventOrder is how a service's consumers receive events across its
// replicas.
type EventOrder string

// Event orders a service may declare.
const (
	// EventOrderProducer delivers a service's events of one producer one at
	// a time, in the order the producer recorded them: every aggregate's
	// events are handled in order, across replicas, retries and crashes.
	EventOrderProducer EventOrder = "producer"
	// EventOrderParallel delivers several at once, each event type on its
	// own, so two events of an aggregate may be handled in either order.
	EventOrderParallel EventOrder = "parallel"
)

// Pattern is an architectural pattern a service opts into.
type Pattern string

// Patterns a service may declare.
const (
	PatternCQRS          Pattern = "cqrs"
	PatternEventSourcing Pattern = "event-sourcing"
)

// System is a whole microservice system: the root of the model.
type System struct {
	Name        string   // lower snake identifier, e.g. "shop"
	Module      string   // Go module path of the generated repository
	Description string   // one line
	Owners      []string // CODEOWNERS entries for the repository root

	Services []*Service
	Sagas    []*Saga
	Gateway  *Gateway // nil when the blueprint has no gateway
	Auth     *Auth    // nil when the blueprint has no auth section
	// Tenancy scopes every entity of every service to the caller's
	// tenant; nil when the blueprint has no tenancy section.
	Tenancy *Tenancy

	Messaging     Messaging
	Deploy        Deploy
	Observability Observability

	// UserClaims are the verified token claims, besides sub and roles,
	// that the gateway forwards to services with a caller's identity: those
	// the owner rules name, in blueprint order (filled by Compile).
	UserClaims []string

	// Blueprint is the blueprint source exactly as read; generated
	// repositories carry it as microforge.yaml.
	Blueprint []byte
	// History is what earlier generations of the repository decided (its
	// wire numbers); nil for a first generation. Compile reads it.
	History *History
	// AllowBreaking lists the changes the blueprint acknowledges as
	// breaking (allow_breaking:), as paths "orders.Order.total_cents".
	AllowBreaking []string

	// Derived by Compile.
	ProtoRoot string // folder of .proto files, "proto"
	GenRoot   string // folder of generated Go protobuf code, "gen"
	Stream    string // JetStream stream holding every event, "SHOP"
	Subjects  string // subjects of the stream, "shop.>"
	// GatewayImage is the repository (without tag) of the gateway's
	// container image, "" without a gateway; Edges the synchronous call
	// graph the network must allow.
	GatewayImage string
	Edges        []Edge
	// Wire is the numbering of this generation, to commit as
	// .microforge/wire.json; WireChanges what it decided against History.
	Wire        *WireLock
	WireChanges []WireChange
	// Schema is the database history of this generation, to commit as
	// .microforge/schema.json; DataLoss the destructive steps of its new
	// migrations, which need acknowledging (allow_breaking).
	Schema   *SchemaLock
	DataLoss []DataLoss
	// TenancyChanges are the services whose history scopes their tables
	// to tenants otherwise than the blueprint: refused.
	TenancyChanges []TenancyChange
}

// Service is one deployable that owns its data.
type Service struct {
	Name        string // lower snake identifier, e.g. "orders"
	Description string
	Owners      []string
	Store       Store
	Patterns    []Pattern
	Port        int // 0 until Compile assigns one unless the blueprint set it
	// Image is the repository (without tag) of the service's container
	// image, the name CI pushes and the manifests deploy (Compile).
	Image string
	// APIVersions are the numbers of the API versions it serves, ascending;
	// the last is the current one. Empty means [1].
	APIVersions []int

	Types    []*Message // plain message types (Kind TypeMessage)
	Entities []*Entity
	Events   []*Message // Kind EventMessage
	Enums    []*Enum    // every enum declared inline in this service's fields (filled by Compile)
	Commands []*Command
	Queries  []*Query
	Calls    []*Service // services this one calls synchronously
	Consumes []*Message // events of any service this one consumes
	// EventOrder is how the consumers of Consumes receive their events
	// (EventOrderProducer unless the blueprint says otherwise).
	EventOrder EventOrder

	// Consumers has one entry per Consumes entry, in the same order, then
	// one per event the service must react to as a step of a choreographed
	// saga and does not list (filled by Compile).
	Consumers []*Consumer
	// Clients are the services this one calls over the network: Calls plus
	// every other service a saga it orchestrates calls (filled by Compile).
	Clients []*Service
	// Orchestrates are the orchestrated sagas this service runs (filled by
	// Compile).
	Orchestrates []*Saga
	// Limits are the configurable upper bounds its commands check (filled by
	// Compile).
	Limits []*Limit
	// Projections fold the service's events into its entity tables, one
	// per event that a command changing an entity records; only for
	// event-sourced services, whose read models can be rebuilt by replaying
	// the event store (filled by Compile).
	Projections []*Projection
	// EventSourced: the event store is the source of truth of its entities
	// (patterns event-sourcing or cqrs): commands load an entity by folding
	// its events and append new ones at the next version.
	EventSourced bool
	// AsyncReadModel (pattern cqrs): a projector builds the read model from
	// the event store after the commands commit; otherwise commands fold
	// their events into it in their own transaction.
	AsyncReadModel bool
	// Compensates lists, per choreographed saga it takes part in with a
	// compensation or the on_failure call, what it does when the saga
	// fails (filled by Compile).
	Compensates []*Compensations
	// Callers are the deployables other than itself that may call some of
	// its procedures, GatewayCaller first, then services in blueprint order
	// (filled by Compile; see Command.Callers).
	Callers []string
	// Tracks lists the choreographed sagas whose trigger the service emits:
	// it keeps their state (GET /sagas) by observing their events (filled
	// by Compile).
	Tracks []*SagaTracker

	// Tenancy is the system's: every row of the service is a tenant's; nil
	// without (set by Compile).
	Tenancy *Tenancy

	// Derived by Compile.
	Pascal    string // "Orders"
	Camel     string // "orders"
	EnvPrefix string // "ORDERS"
	// Versions are the API versions it serves, one per APIVersions entry;
	// the last is the current one, which the fields below name. Every
	// version has the same definitions and field numbers.
	Versions      []*APIVersion
	ProtoPackage  string // "shop.orders.v1"
	ProtoDir      string // "shop/orders/v1" (below System.ProtoRoot and System.GenRoot)
	ProtoService  string // "OrdersService"
	ProtoFile     string // "shop/orders/v1/orders.proto"
	TypesFile     string // "shop/orders/v1/types.proto", "" when the service has no types, entities or enums
	EventsFile    string // "shop/orders/v1/events.proto", "" when the service has no events
	GoPackage     string // import path of the generated messages, "github.com/acme/shop/gen/shop/orders/v1"
	GoPackageName string // "ordersv1"
	ConnectImport string // "github.com/acme/shop/gen/shop/orders/v1/ordersv1connect"
	ConnectName   string // "ordersv1connect"
	InternalDir   string // "internal/orders"
	InternalPkg   string // "github.com/acme/shop/internal/orders"
	CmdDir        string // "cmd/orders"
	// Migrations are its database migrations, oldest first: those earlier
	// generations recorded, then the one this generation adds when the
	// blueprint's schema changed (New); Schema is what they build.
	Migrations []*Migration
	Schema     *Schema
}

// NewMigrations returns the migrations this generation adds.
func (s *Service) NewMigrations() []*Migration {
	var out []*Migration
	for _, m := range s.Migrations {
		if m.New {
			out = append(out, m)
		}
	}
	return out
}

// APIVersion is one served version of a service's API: a protobuf package
// of its own with the service's definitions.
type APIVersion struct {
	Number        int    // 2
	Latest        bool   // the current version, which the service implements
	ProtoPackage  string // "shop.orders.v2"
	ProtoDir      string // "shop/orders/v2"
	ProtoFile     string // "shop/orders/v2/orders.proto"
	TypesFile     string // "" when the service has no types, entities or enums
	EventsFile    string // "" when the service has no events
	GoPackage     string // "github.com/acme/shop/gen/shop/orders/v2"
	GoPackageName string // "ordersv2"
	ConnectImport string // "github.com/acme/shop/gen/shop/orders/v2/ordersv2connect"
	ConnectName   string // "ordersv2connect"
	FullService   string // "shop.orders.v2.OrdersService"
	HTTPPrefix    string // prefix of its REST paths through the gateway, "/v2/orders"
}

// Procedure returns the procedure path of a method of this version,
// "/shop.orders.v1.OrdersService/PlaceOrder".
func (v *APIVersion) Procedure(method string) string { return "/" + v.FullService + "/" + method }

// Older returns the served versions before the current one, ascending.
func (s *Service) Older() []*APIVersion {
	if len(s.Versions) == 0 {
		return nil
	}
	return s.Versions[:len(s.Versions)-1]
}

// Has reports whether the service declared the pattern.
func (s *Service) Has(p Pattern) bool {
	for _, q := range s.Patterns {
		if q == p {
			return true
		}
	}
	return false
}

// MessageKind says where a message comes from.
type MessageKind int

// Message kinds.
const (
	TypeMessage     MessageKind = iota // declared under types:
	EntityMessage                      // declared under entities: (has an id)
	EventMessage                       // declared under events:
	RequestMessage                     // input of a command or query
	ResponseMessage                    // output of a command or query
)

// Message is a protobuf message of a service.
type Message struct {
	Name    string // proto and Go name, e.g. "LineItem", "PlaceOrderRequest"
	Kind    MessageKind
	Service *Service // owner
	Fields  []*Field

	// Derived by Compile.
	File     string // proto file (relative to System.ProtoRoot) that declares it
	FullName string // "shop.orders.v1.LineItem"
	Snake    string // "line_item"
	Subject  string // for events: NATS subject "shop.orders.order_placed"; empty otherwise
	// StoredNames (events) are the full names the event has in every API
	// version from 1 to the current one, oldest first: an event store keeps
	// the name of the version that recorded an event, and the versions share
	// field numbers, so every one of them decodes into the current message.
	StoredNames []string
	QualGo      string  // Go type qualified with the service's proto package name, "ordersv1.LineItem"
	Entity      *Entity // set when Kind == EntityMessage
	// Reserved are the numbers and names of fields removed from the
	// message since its first generation, never to be reused.
	Reserved []Reserved
}

// Field returns the field with the proto name, or nil.
func (m *Message) Field(name string) *Field {
	for _, f := range m.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Field is one field of a message.
type Field struct {
	Name string // lower snake proto name, "customer_id"
	Type *Type
	// RenamedFrom is the field's previous name (renamed_from:): it keeps
	// that field's number.
	RenamedFrom string
	// Default is the value a command uses when the caller leaves the field
	// empty (default:), as written in the blueprint; "" for none.
	Default string
	// Optional: callers may leave the field empty. Set for fields added to
	// an existing request (callers generated before it do not send it)
	// unless they have a Default.
	Optional bool
	// WasTypes are the types (as WireType spells them) the field had in
	// earlier generations, oldest first; the change was acknowledged.
	// Stored events may hold values of them, which an upcaster converts.
	WasTypes []string
	// Constraints are the rules its value must follow; nil for none.
	Constraints *Constraints

	// Derived by Compile.
	Number   int    // proto field number: declaration order at first, then stable (see WireLock)
	GoName   string // protoc-gen-go field name, "CustomerId"
	JSONName string // protojson name, "customerId"
	Column   string // SQL column name (entities only), same as Name
	// Indexed (entity fields): a query filters on it in SQL or an upsert
	// command looks its entity up by it, so its column is indexed.
	Indexed bool
}

// TypeKind classifies a field type.
type TypeKind int

// Type kinds.
const (
	ScalarType TypeKind = iota
	EnumType
	MessageType
	ListType
)

// Scalar is a built-in field type.
type Scalar string

// Scalars of the blueprint.
const (
	String    Scalar = "string"
	Bool      Scalar = "bool"
	Int32     Scalar = "int32"
	Int64     Scalar = "int64"
	Double    Scalar = "double"
	Bytes     Scalar = "bytes"
	Timestamp Scalar = "timestamp"
)

// Type is a resolved field type.
type Type struct {
	Kind    TypeKind
	Scalar  Scalar   // ScalarType
	Enum    *Enum    // EnumType
	Message *Message // MessageType: a type or entity, possibly of another service
	Elem    *Type    // ListType: element type (never a list)
}

// Enum is an enumeration declared inline as enum(a, b) on one field.
type Enum struct {
	Owner  *Message // message whose field declares it
	Field  *Field   // that field
	Values []*EnumValue

	// Derived by Compile.
	Name                 string // "OrderStatus"
	Service              *Service
	File                 string // proto file that declares it (the owner's)
	UnspecifiedProtoName string // "ORDER_STATUS_UNSPECIFIED"
	UnspecifiedGoName    string // "OrderStatus_ORDER_STATUS_UNSPECIFIED"
	QualGo               string // "ordersv1.OrderStatus"
	Reserved             []Reserved
}

// EnumValue is one value of an enum.
type EnumValue struct {
	Name string // as written in the blueprint, lower snake: "pending"

	// Derived by Compile.
	Number    int    // 1-based, stable (see WireLock); 0 is the UNSPECIFIED value
	ProtoName string // "ORDER_STATUS_PENDING"
	GoName    string // "OrderStatus_ORDER_STATUS_PENDING"
}

// Entity is a stored aggregate: a message with an id and a table.
type Entity struct {
	Message *Message // Kind EntityMessage; Fields[0] is the id
	// Owner is its owner rule (owner: in the blueprint); nil: any caller
	// the gateway lets in acts on every entity.
	Owner *Ownership

	// Derived by Compile.
	ID     *Field // the automatic "id" field (string)
	Table  string // SQL table, "orders"
	Plural string // lower snake plural, "orders"
}

// Name returns the entity's message name.
func (e *Entity) Name() string { return e.Message.Name }

// CommandMode is the default behaviour microforge writes for a command.
type CommandMode string

// Command modes, decided by Compile from the command's name and input.
const (
	// ModeCreate inserts a new entity with a fresh id.
	ModeCreate CommandMode = "create"
	// ModeUpdate loads an entity by id (LookupField), changes it, saves it.
	ModeUpdate CommandMode = "update"
	// ModeUpsert finds an entity by LookupField (not its id); updates it if
	// found, otherwise creates it.
	ModeUpsert CommandMode = "upsert"
	// ModeRecord changes no entity: it validates and records its events.
	ModeRecord CommandMode = "record"
)

// Command changes state and emits events.
type Command struct {
	Name        string // "PlaceOrder"
	Service     *Service
	Description string
	Input       *Message // PlaceOrderRequest; its Fields come from the blueprint
	Emits       []*Message
	// What the blueprint says the command does to its entity, as written:
	// DeclaredSets (sets:) in order, SetsDeclared when sets: is present (an
	// empty sets: turns inference off), DeclaredFrom (from:) the states it
	// may start from. Compile resolves them into Sets and From.
	DeclaredSets []DeclaredValue
	SetsDeclared bool
	DeclaredFrom []string

	// Derived by Compile.
	Output        *Message // PlaceOrderResponse: one field holding the entity, or empty
	Snake         string   // "place_order": the user-owned file's base name
	Procedure     string   // "/shop.orders.v1.OrdersService/PlaceOrder"
	Entity        *Entity  // the entity the default logic changes; nil for ModeRecord
	Mode          CommandMode
	Lookup        *Field        // ModeUpdate: input field holding the id; ModeUpsert: input field matched against Entity field of the same name
	Assign        []Assign      // entity fields set from input fields of the same name and type
	Sets          []*FixedValue // entity fields set to fixed values after Assign: sets:, else a status its verb or an event's name says (effects.go)
	SetsBy        SetsSource    // where Sets come from; "" when empty
	SetsEvent     *Message      // SetsByEvent: the event whose name decided Sets
	SetStatus     *StatusChange // the first enum field of Sets: the state the command moves its entity to, e.g. ConfirmOrder -> status confirmed
	From          *StateGuard   // from: the states an existing entity must be in, else FailedPrecondition; nil: any
	EventFills    []*EventFill  // how each emitted event is filled
	CreateAllowed bool          // ModeUpsert: whether a missing entity is created
	Totals        []*Total      // ModeCreate: entity totals computed from a list
	Limit         *Limit        // an amount input checked against a configurable bound; nil for none
	OwnerInput    *Field        // owned entity: the input copied into its owner field, which must name the caller; nil for none
	Route         *Route        // the gateway route exposing it; nil when not routed
	HTTPPath      string        // REST path of the current version through the gateway, POST "/v1/orders/place_order"; "" when not routed
	// Callers may call the command (service identity): GatewayCaller when a
	// route exposes it, every service whose calls list the service, the
	// orchestrator of each orchestrated saga whose steps, compensations or
	// on_failure name it, and the service itself; GatewayCaller first, then
	// services in blueprint order.
	Callers []string
}

// Total computes an entity field "total_<unit>" (or "total") as the sum of
// quantity × "<x>_<unit>" (or "price") over the elements of a list field:
// Order.total_cents = Σ items.quantity × items.price_cents.
type Total struct {
	Target   *Field // entity field, int32 or int64
	List     *Field // entity field, list of a message
	Quantity *Field // element field "quantity"
	Price    *Field // element field priced in the target's unit
}

// Limit is an upper bound on an amount input field ("amount" or
// "amount_<unit>"), set per deployment through an environment variable.
// Commands refuse larger amounts with FailedPrecondition: a deterministic
// way to make a saga step fail.
type Limit struct {
	Field   *Field // the input field of the first command checking it
	Name    string // config field, "MaxAmountCents"
	Env     string // environment variable without the service prefix, "MAX_AMOUNT_CENTS"
	Default int64  // DefaultLimit
}

// Projection applies one event to the entity it is about, decided from
// the first command that records the event: the event's fields set the
// entity fields of the same name and type, the command's fixed values (Sets)
// apply, and an event of a creating command creates the entity (its id is
// the event's aggregate id).
type Projection struct {
	Event     *Message
	By        *Command // the command the projection is decided from
	Entity    *Entity
	Create    bool
	Fields    []Assign      // Target: entity field, Source: event field
	Sets      []*FixedValue // the command's fixed values, applied after Fields
	SetStatus *StatusChange // the first enum field of Sets; nil for none
}

// DefaultLimit is the bound of every Limit unless configured: 1,000,000
// units (10,000.00 when the unit is cents).
const DefaultLimit = 1_000_000

// Assign sets an entity field from an input field.
type Assign struct {
	Target *Field // entity field
	Source *Field // input field
}

// StatusChange sets an enum field of the entity to a value.
type StatusChange struct {
	Field *Field
	Value *EnumValue
}

// DeclaredValue is one entry of a command's sets:, as written.
type DeclaredValue struct {
	Field string // entity field name
	Value string // enum value name or literal
}

// FixedValue sets an entity field to a value decided in the blueprint: an
// enum field to one of its values, or (sets: only) a bool, number or
// string field to a literal.
type FixedValue struct {
	Field   *Field
	Enum    *EnumValue // enum fields; nil for literals
	Literal string     // scalar fields, canonical: "true", "42", "2.5", "gift"
}

// SetsSource says how Compile decided a command's Sets, in precedence
// order: what the blueprint declares, else the verb, else an event's name.
type SetsSource string

// Sources of a command's Sets.
const (
	SetsDeclared SetsSource = "sets"  // the command's sets: in the blueprint
	SetsByVerb   SetsSource = "verb"  // its verb names an enum value: ConfirmOrder -> confirmed
	SetsByEvent  SetsSource = "event" // an event it emits ends with one: ParcelShipped -> shipped
)

// StateGuard lets a command change only an entity whose enum Field holds
// one of Values.
type StateGuard struct {
	Field  *Field
	Values []*EnumValue
}

// Allows reports whether the guard lets the command start from v.
func (g *StateGuard) Allows(v *EnumValue) bool {
	for _, a := range g.Values {
		if a == v {
			return true
		}
	}
	return false
}

// EventFill says how a command's default logic fills one event.
type EventFill struct {
	Event  *Message
	Fields []FieldSource
}

// SourceKind says where a value comes from.
type SourceKind string

// Sources of an event field in a command's default logic.
const (
	FromEntity   SourceKind = "entity"    // the entity field of the same name
	FromEntityID SourceKind = "entity_id" // the entity's id (field named <entity>_id)
	FromInput    SourceKind = "input"     // the input field of the same name
	FromNone     SourceKind = "none"      // left at its zero value
)

// FieldSource fills Field from Source.
type FieldSource struct {
	Field  *Field // event field
	Kind   SourceKind
	Source *Field // entity or input field; nil for FromEntityID and FromNone
}

// Query reads state.
type Query struct {
	Name        string // "GetOrder"
	Service     *Service
	Description string
	Input       *Message // GetOrderRequest
	Result      *Type    // what the blueprint's output: names (message or list of message)

	// Derived by Compile.
	Output      *Message // GetOrderResponse with one field holding Result
	ResultField *Field   // that field
	Snake       string   // "get_order"
	Procedure   string
	Entity      *Entity  // entity read by the default logic; nil when Result is not an entity
	List        bool     // Result is a list
	ByID        *Field   // input field holding the entity id, if any
	Filters     []Filter // input fields matched against entity columns of the same name
	OwnerFilter *Field   // owned entity: the filter input on its owner field, which must name the caller; nil for none
	Route       *Route   // the gateway route exposing it; nil when not routed
	HTTPPath    string   // REST path of the current version through the gateway, GET "/v1/orders/get_order"; "" when not routed
	// Callers may call the query, decided as Command.Callers (sagas call
	// commands only).
	Callers []string
}

// Filter matches an input field against an entity column.
type Filter struct {
	Input  *Field
	Column *Field
}

// Consumer is a service's durable subscription to one event it consumes.
type Consumer struct {
	Service *Service // the consuming service
	Event   *Message // the consumed event, of any service

	// Derived by Compile.
	Durable string // durable consumer name, "inventory_orders_order_cancelled"
	// Ordered is the durable consumer delivering the service's events of
	// the producer one at a time, in order, "inventory_from_orders"; empty
	// for a choreographed saga's step (its events come one after the
	// other by construction) and with EventOrderParallel, where Durable
	// delivers the event on its own.
	Ordered    string
	Handler    string // Go method handling it, "OnOrderCancelled"
	Snake      string // the user-owned file's base name, "on_order_cancelled"
	DeadLetter string // subject failed deliveries go to, "shop.dead_letter.inventory.orders.order_cancelled"
	// Command is what the default handler calls with the event's fields: the
	// next step of a choreographed saga the event advances, else the first
	// command of the service whose every input field the event carries
	// (same name and type); nil when none fits, and the default only logs.
	Command *Command
	Saga    *Saga          // the choreographed saga Command is a step of; nil otherwise
	Inputs  []EventBinding // one per field of Command.Input, in field order
	// SagaCall is the saga's call of Command, whose inputs are bound from the
	// saga's trigger, carried with every event of the saga; nil without Saga.
	SagaCall *SagaCall
	// SagaFirst: Event is the saga's trigger, so handling it starts the saga.
	SagaFirst bool
}

// EventBinding fills one command input field from a consumed event.
type EventBinding struct {
	Field  *Field // command input field
	Source *Field // event field of the same name and type; nil: left at its zero value
}

// DeadLetterPrefix is the subject token after the system name under which
// events that failed every delivery attempt are published.
const DeadLetterPrefix = "dead_letter"

// Saga is a multi-step business transaction with compensation.
type Saga struct {
	Name         string   // lower snake, "checkout"
	Orchestrator *Service // nil when Choreography
	Choreography bool
	Trigger      *Message // event that starts it
	Steps        []*SagaStep
	OnFailure    *SagaCall // nil when absent

	// Derived by Compile.
	Pascal     string
	Durable    string // orchestrated: durable consumer of the trigger, "orders_saga_checkout"
	DeadLetter string // orchestrated: dead-letter subject of that consumer
	// FailedSubject (choreographed) is where a participant whose step fails
	// publishes the saga's failure, "travel.saga.trip.failed"; the
	// participants with compensations or the on_failure call consume it.
	FailedSubject string
}

// Compensations are what one service does when a choreographed saga fails:
// the compensations of its steps (run when the failed step comes after
// them) and the saga's on_failure call when the service owns its command.
type Compensations struct {
	Saga       *Saga
	Steps      []int  // indexes into Saga.Steps of the steps it compensates, last first
	OnFailure  bool   // the service runs Saga.OnFailure
	Durable    string // "flights_saga_trip_failed"
	DeadLetter string
}

// SagaTracker is how a service keeps the state of a choreographed saga:
// one durable consumer per event that shows a transition.
type SagaTracker struct {
	Saga      *Saga
	Observers []*SagaObserver
}

// SagaObserver consumes one event of a choreographed saga and records the
// transition it shows.
type SagaObserver struct {
	Kind       string // ObserveTrigger, ObserveCall, ObserveFailed, ObserveCompensate, ObserveOnFailure
	Step       string // the step ("hold_seat"), or the on_failure command ("bookings.RejectTrip")
	Last       bool   // ObserveCall of the last step: the saga completed
	Subject    string
	Durable    string // "bookings_saga_trip_observe_1"
	DeadLetter string
}

// Observer kinds.
const (
	ObserveTrigger    = "trigger"
	ObserveCall       = "call"
	ObserveFailed     = "failed"
	ObserveCompensate = "compensate"
	ObserveOnFailure  = "on_failure"
)

// SagaStep is one step and its optional compensation.
type SagaStep struct {
	Call       *SagaCall
	Compensate *SagaCall // nil when absent

	// Derived by Compile.
	Name string // "reserve_stock": the step's name in the saga's state
}

// SagaCall invokes a command with inputs bound from the saga's context.
type SagaCall struct {
	Command *Command
	Inputs  []InputBinding // one per field of Command.Input, in field order
}

// BindingKind says where a saga call's input field comes from.
type BindingKind string

// Binding kinds.
const (
	BindTriggerField BindingKind = "trigger"    // a field of the trigger event
	BindSagaID       BindingKind = "saga.id"    // the saga instance id
	BindSagaError    BindingKind = "saga.error" // the error that failed the saga
)

// InputBinding fills one command input field.
type InputBinding struct {
	Field  *Field // command input field
	Kind   BindingKind
	Source *Field // trigger event field for BindTriggerField
}

// GatewayCaller is the gateway's name as a caller of services: the subject
// of the service tokens it signs and an entry of Command.Callers.
const GatewayCaller = "gateway"

// AuthMode of a gateway route.
type AuthMode string

// Route auth modes.
const (
	AuthRequired AuthMode = "required"
	AuthNone     AuthMode = "none"
)

// GatewayMetricsPort is the port of the gateway's /metrics, apart from its
// public port.
const GatewayMetricsPort = 9464

// Gateway is the system's single entry point.
type Gateway struct {
	Port      int
	RateLimit *RateLimit // nil: no rate limit
	CORS      *CORS      // nil: no CORS
	Routes    []*Route
}

// RateLimit is a token bucket per client.
type RateLimit struct {
	RequestsPerSecond float64
	Burst             int
}

// CORS settings of the gateway.
type CORS struct {
	AllowedOrigins []string
}

// Route exposes some or all methods of a service.
type Route struct {
	Service  *Service
	Commands []*Command // routed commands (all when the blueprint lists no methods)
	Queries  []*Query   // routed queries
	All      bool       // the blueprint listed no methods
	Auth     AuthMode
	Roles    []string
}

// Auth describes how callers prove who they are.
type Auth struct {
	JWT *JWT
}

// Tenancy scopes a whole system to tenants: the gateway reads the tenant
// from a claim of the verified token, every call and event carries it, and
// every table holds it in Column, first in its primary key and indexes.
type Tenancy struct {
	Claim  string // the JWT claim holding the caller's tenant, "tenant"
	Column string // the column holding the tenant in every table, "tenant_id"
}

// DefaultTenantColumn is the tenant column unless tenancy: names another.
const DefaultTenantColumn = "tenant_id"

// TenantColumn returns the tenant column of the system's tables, "" without
// tenancy.
func (s *System) TenantColumn() string {
	if s.Tenancy == nil {
		return ""
	}
	return s.Tenancy.Column
}

// JWT validation settings.
type JWT struct {
	Issuer   string
	Audience string
	JWKSURL  string
	// RolesClaim is the claim holding roles; "roles" unless set.
	RolesClaim string
}

// Messaging selects the event broker.
type Messaging struct {
	Broker string // "nats"

	// Derived by Compile.
	Port int // port of the NATS server cmd/local embeds, DefaultNATSPort
}

// Deploy holds deployment choices.
type Deploy struct {
	Kubernetes *Kubernetes // nil when absent
	CI         string      // "github", "gitlab" or ""
}

// Kubernetes deployment settings.
type Kubernetes struct {
	Namespace   string
	Replicas    int
	Autoscaling *Autoscaling // nil when absent
}

// Autoscaling settings for a HorizontalPodAutoscaler.
type Autoscaling struct {
	Min        int
	Max        int
	CPUPercent int
}

// Observability choices.
type Observability struct {
	Tracing string // TracingOTLP or ""
	Metrics string // MetricsPrometheus or ""
}

// Observability values.
const (
	TracingOTLP       = "otlp"       // spans exported over OTLP
	MetricsPrometheus = "prometheus" // metrics served on /metrics
)

// Service returns the service with the name, or nil.
func (s *System) Service(name string) *Service {
	for _, svc := range s.Services {
		if svc.Name == name {
			return svc
		}
	}
	return nil
}

// Command returns the command with the name, or nil.
func (s *Service) Command(name string) *Command {
	for _, c := range s.Commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Query returns the query with the name, or nil.
func (s *Service) Query(name string) *Query {
	for _, q := range s.Queries {
		if q.Name == name {
			return q
		}
	}
	return nil
}

// Event returns the event with the name, or nil.
func (s *Service) Event(name string) *Message {
	for _, e := range s.Events {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Entity returns the entity with the name, or nil.
func (s *Service) Entity(name string) *Entity {
	for _, e := range s.Entities {
		if e.Message.Name == name {
			return e
		}
	}
	return nil
}

// Type returns the declared type with the name, or nil.
func (s *Service) Type(name string) *Message {
	for _, t := range s.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Messages returns every message of the service in a stable order: types,
// entities, events, then each command's and query's request and response.
func (s *Service) Messages() []*Message {
	var out []*Message
	out = append(out, s.Types...)
	for _, e := range s.Entities {
		out = append(out, e.Message)
	}
	out = append(out, s.Events...)
	for _, c := range s.Commands {
		out = append(out, c.Input)
		if c.Output != nil {
			out = append(out, c.Output)
		}
	}
	for _, q := range s.Queries {
		out = append(out, q.Input)
		if q.Output != nil {
			out = append(out, q.Output)
		}
	}
	return out
}
