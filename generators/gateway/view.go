package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/microforge/microforge/internal/model"
)

// view is what every gateway template prints: the routing table, the
// defaults taken from the blueprint and the scenarios of the generated
// tests, all decided here.
type view struct {
	Name      string
	Module    string
	Port      int
	Auth      *authView   // nil without an auth section
	JWT       authView    // Auth, or empty strings and the "roles" claim
	RateLimit *rateView   // nil: no rate limit
	Origins   []string    // CORS allowed origins; empty: no CORS
	Upstreams []*upstream // routed services in blueprint order
	Routes    []*route    // routed procedures, per service in blueprint order
	Imports   []string    // Connect packages of the routed services
	Test      *testView
	// LoadFlows are the calls of cmd/load.
	LoadFlows []*loadFlow
	// CrashFlows name the flows of cmd/load starting a saga whose end the
	// gateway shows: cmd/load's crash test runs them. Empty: no crash test.
	CrashFlows []string
	// GatewayName is the gateway's name among cmd/local's fixed ports.
	GatewayName string
	// AuthRoutes: some route requires a token.
	AuthRoutes bool
	// Versioned are the routed services serving older API versions whose
	// versions the generated tests cross; empty: no versions test.
	Versioned []*versionedTest
	// UserClaims are the verified claims, besides sub and roles, the
	// gateway forwards to services (X-User-Claims): those owner rules name.
	UserClaims []string

	// Observability of the gateway, as of every service.
	// Tenancy: every token names its tenant, which the gateway forwards
	// (package tenant); nil without.
	Tenancy *model.Tenancy
	// TenancyTest is the two-tenant test; nil without tenancy.
	TenancyTest *tenancyTest

	Tracing bool // spans, exported over OTLP
	Metrics bool // Prometheus metrics on MetricsPort
	// MetricsPort serves the gateway's /metrics apart from the public port,
	// so that the metrics never reach the Internet through the Ingress.
	MetricsPort int
}

type authView struct {
	Issuer     string
	Audience   string
	JWKSURL    string
	RolesClaim string
}

type rateView struct {
	RequestsPerSecond string // Go float literal
	Burst             int
}

// upstream is a routed service.
type upstream struct {
	Name       string // "orders"
	Env        string // "ORDERS_URL"
	DefaultURL string // "http://127.0.0.1:8081"
	// ServiceNames are the Go constants of the fully-qualified proto
	// service names of its served API versions, "ordersv1connect.OrdersServiceName".
	ServiceNames []string
}

// route is one procedure the gateway exposes.
type route struct {
	Service   string // "orders"
	Procedure string // "/shop.orders.v1.OrdersService/PlaceOrder"
	REST      string // ServeMux pattern of its REST path, "POST /v1/orders/place_order"
	Auth      bool
	Roles     []string
}

// testView holds the calls the generated tests make; each probe is a real
// routed (or deliberately unrouted) method with a valid sample request.
type testView struct {
	// Protected is a method of a route requiring auth, called with Role
	// (one the route accepts) to succeed; nil when no route requires auth.
	Protected *probe
	// Forbidden are methods of routes requiring roles, called with a token
	// holding only Role, a role they do not accept.
	Forbidden []*probe
	// Public is a method of a route with auth: none; nil when none.
	Public *probe
	// Unrouted is a procedure of a service the gateway must not expose.
	Unrouted string
	// RESTPost and RESTGet are a routed command and query called through
	// their REST paths; nil when none is routed.
	RESTPost, RESTGet *probe
	// GRPC is called with the gRPC protocol through the gateway.
	GRPC *probe
	// Bench is the method the benchmark calls, directly and through the
	// gateway: a routed query when there is one.
	Bench *probe
	// Limited is the method the rate limit test calls.
	Limited *probe
	// Refusals break each constraint of the routed methods' inputs, and
	// overflow their totals: 400 naming the field.
	Refusals []*refusal
	// OpenAPI holds the calls whose requests and answers the OpenAPI test
	// checks against the document.
	OpenAPI *openAPITest
	// Imports are the generated packages the gRPC probe needs.
	Imports []string
	// VersionImports are the generated packages the versions test needs.
	VersionImports []string
	// Subject is the subject of the tests' tokens (every claim in
	// UserClaims holds it too); the samples name it wherever an owner rule
	// checks that a request names the caller.
	Subject string
	// Ownership tries the owner rules through the gateway; nil when no
	// routed method reads or creates an owned entity.
	Ownership *ownershipProbe
}

// probe is one call of a routed method.
type probe struct {
	Service    string // "orders"
	Method     string // "PlaceOrder"
	Procedure  string
	Path       string // REST path
	Body       string // Go string literal of the request as protojson
	Query      string // Go string literal of the REST query string of a GET, "" for POST
	Get        bool   // a query, whose REST path is a GET
	Role       string // role the token holds; "" for no token
	WantStatus []int  // acceptable HTTP statuses of a call that reaches the service
	WantCodes  []string
	// Typed call for the gRPC probe.
	Client  string // "ordersv1connect.NewOrdersServiceClient"
	Request string // "ordersv1.PlaceOrderRequest"
	imports []string
}

func newView(sys *model.System) *view {
	g := sys.Gateway
	v := &view{Name: sys.Name, Module: sys.Module, Port: g.Port, Tenancy: sys.Tenancy,
		Tracing:     sys.Observability.Tracing == model.TracingOTLP,
		Metrics:     sys.Observability.Metrics == model.MetricsPrometheus,
		MetricsPort: model.GatewayMetricsPort,
		UserClaims:  sys.UserClaims,
	}
	if sys.Auth != nil && sys.Auth.JWT != nil {
		j := sys.Auth.JWT
		v.Auth = &authView{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, RolesClaim: j.RolesClaim}
		v.JWT = *v.Auth
	} else {
		v.JWT.RolesClaim = "roles"
	}
	if rl := g.RateLimit; rl != nil {
		v.RateLimit = &rateView{RequestsPerSecond: fmt.Sprintf("%g", rl.RequestsPerSecond), Burst: rl.Burst}
		if !strings.ContainsAny(v.RateLimit.RequestsPerSecond, ".e") {
			v.RateLimit.RequestsPerSecond += ".0"
		}
	}
	if g.CORS != nil {
		v.Origins = g.CORS.AllowedOrigins
	}
	imports := map[string]bool{}
	for _, r := range g.Routes {
		svc := r.Service
		if r.Auth == model.AuthRequired && len(routedMethods(r)) > 0 {
			v.AuthRoutes = true
		}
		up := &upstream{
			Name:       svc.Name,
			Env:        svc.EnvPrefix + "_URL",
			DefaultURL: fmt.Sprintf("http://127.0.0.1:%d", svc.Port),
		}
		v.Upstreams = append(v.Upstreams, up)
		// Every served version is routed alike, the current one first.
		for i := len(svc.Versions) - 1; i >= 0; i-- {
			ver := svc.Versions[i]
			up.ServiceNames = append(up.ServiceNames, ver.ConnectName+"."+svc.ProtoService+"Name")
			imports[ver.ConnectImport] = true
			for _, m := range routedMethods(r) {
				v.Routes = append(v.Routes, &route{
					Service:   svc.Name,
					Procedure: ver.Procedure(m.name),
					REST:      m.verb + " " + ver.HTTPPrefix + "/" + m.snake,
					Auth:      r.Auth == model.AuthRequired,
					Roles:     r.Roles,
				})
			}
		}
	}
	for imp := range imports {
		v.Imports = append(v.Imports, imp)
	}
	sort.Strings(v.Imports)
	v.Test = newTestView(sys)
	v.LoadFlows = newLoadFlows(sys, v.Test.Subject)
	for _, f := range v.LoadFlows {
		if f.Saga != nil && f.Saga.Unchecked == "" {
			v.CrashFlows = append(v.CrashFlows, f.Name)
		}
	}
	v.GatewayName = model.GatewayName
	v.TenancyTest = newTenancyTest(sys)
	var versionImports []string
	v.Versioned, versionImports = newVersionedTests(sys)
	for _, imp := range versionImports {
		if !slices.Contains(v.Test.VersionImports, imp) {
			v.Test.VersionImports = append(v.Test.VersionImports, imp)
		}
	}
	sort.Strings(v.Test.VersionImports)
	return v
}

// versionedTest creates an entity through each served version of a
// service and reads it back through every other one, directly and
// through the gateway's REST paths.
type versionedTest struct {
	Service    string // "catalog"
	Create     string // routed creating command, "CreateProduct"
	Read       string // routed query by id of the created entity, "GetProduct"
	Body       string // Go string literal of the create request as protojson
	Entity     string // JSON name of the entity in both responses, "product"
	EntityGo   string // getter of the entity in both responses, "GetProduct"
	IDGo       string // Go field of the query's id, "ProductId"
	IDParam    string // REST query parameter of the id, "product_id"
	CreateREST string // last element of the command's REST path, "create_product"
	ReadREST   string // "get_product"
	Role       string // role of the bearer token; "" for none
	Auth       bool   // the route requires a token
	Versions   []*versionView
}

// versionView is one served API version in the generated tests.
type versionView struct {
	Number     int
	Client     string // "catalogv1connect.NewCatalogServiceClient"
	CreateReq  string // "catalogv1.CreateProductRequest"
	ReadReq    string // "catalogv1.GetProductRequest"
	ReadResp   string // "catalogv1.GetProductResponse"
	HTTPPrefix string // "/v1/catalog"
}

// newVersionedTests picks, per routed service serving older versions, a
// routed creating command and a routed query reading its entity by id.
func newVersionedTests(sys *model.System) ([]*versionedTest, []string) {
	var out []*versionedTest
	var imps []string
	for _, r := range sys.Gateway.Routes {
		svc := r.Service
		if len(svc.Older()) == 0 {
			continue
		}
		var create *model.Command
		for _, c := range r.Commands {
			if c.Mode == model.ModeCreate && c.Entity != nil && len(c.Output.Fields) == 1 {
				create = c
				break
			}
		}
		if create == nil {
			continue
		}
		var read *model.Query
		for _, q := range r.Queries {
			if q.Entity == create.Entity && q.ByID != nil && !q.List {
				read = q
				break
			}
		}
		if read == nil {
			continue
		}
		entity := create.Output.Fields[0]
		vt := &versionedTest{
			Service: svc.Name, Create: create.Name, Read: read.Name,
			Body:   fmt.Sprintf("%q", sampleJSON(sampleRequest(create.Input, create.OwnerInput, testSubject(sys)))),
			Entity: entity.JSONName, EntityGo: "Get" + entity.GoName,
			IDGo: read.ByID.GoName, IDParam: read.ByID.Name,
			CreateREST: create.Snake, ReadREST: read.Snake,
			Role: acceptRole(r), Auth: r.Auth == model.AuthRequired,
		}
		for _, ver := range svc.Versions {
			vt.Versions = append(vt.Versions, &versionView{
				Number:     ver.Number,
				Client:     ver.ConnectName + ".New" + svc.ProtoService + "Client",
				CreateReq:  ver.GoPackageName + "." + create.Input.Name,
				ReadReq:    ver.GoPackageName + "." + read.Input.Name,
				ReadResp:   ver.GoPackageName + "." + read.Output.Name,
				HTTPPrefix: ver.HTTPPrefix,
			})
			imps = append(imps, ver.ConnectImport, ver.GoPackage)
		}
		out = append(out, vt)
	}
	return out, imps
}

// method is a routed command or query.
type method struct {
	route     *model.Route
	svc       *model.Service
	name      string
	procedure string
	verb      string // http.MethodPost for commands, http.MethodGet for queries
	path      string // REST path of the current version
	snake     string // last element of the REST path, "place_order"
	input     *model.Message
	command   *model.Command
	query     *model.Query
}

// owner is the input of the method an owner rule checks against the
// caller; nil for none.
func (m method) owner() *model.Field {
	switch {
	case m.command != nil:
		return m.command.OwnerInput
	case m.query != nil:
		return m.query.OwnerFilter
	}
	return nil
}

func routedMethods(r *model.Route) []method {
	var out []method
	for _, c := range r.Commands {
		out = append(out, method{route: r, svc: r.Service, name: c.Name, procedure: c.Procedure, verb: http.MethodPost, path: c.HTTPPath, snake: c.Snake, input: c.Input, command: c})
	}
	for _, q := range r.Queries {
		out = append(out, method{route: r, svc: r.Service, name: q.Name, procedure: q.Procedure, verb: http.MethodGet, path: q.HTTPPath, snake: q.Snake, input: q.Input, query: q})
	}
	return out
}

func newTestView(sys *model.System) *testView {
	t := &testView{Subject: testSubject(sys)}
	var all []method
	for _, r := range sys.Gateway.Routes {
		all = append(all, routedMethods(r)...)
	}
	auth := func(m method) bool { return m.route.Auth == model.AuthRequired }
	creates := func(m method) bool { return m.command != nil && m.command.Mode == model.ModeCreate }
	first := func(ok func(method) bool) *method {
		for i := range all {
			if ok(all[i]) {
				return &all[i]
			}
		}
		return nil
	}
	var roles []string
	for _, r := range sys.Gateway.Routes {
		for _, role := range r.Roles {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
	}
	if m := first(func(m method) bool { return auth(m) && creates(m) }); m != nil {
		t.Protected = newProbe(*m, acceptRole(m.route), t.Subject)
	} else if m := first(auth); m != nil {
		t.Protected = newProbe(*m, acceptRole(m.route), t.Subject)
	}
	for _, r := range sys.Gateway.Routes {
		if r.Auth != model.AuthRequired || len(r.Roles) == 0 {
			continue
		}
		ms := routedMethods(r)
		if len(ms) == 0 {
			continue
		}
		outsider := "no-such-role"
		for _, role := range roles {
			if !slices.Contains(r.Roles, role) {
				outsider = role
				break
			}
		}
		t.Forbidden = append(t.Forbidden, newProbe(ms[0], outsider, t.Subject))
	}
	if m := first(func(m method) bool { return !auth(m) }); m != nil {
		t.Public = newProbe(*m, "", t.Subject)
	}
	t.Unrouted = unrouted(sys)
	withRole := func(m *method) *probe {
		if m == nil {
			return nil
		}
		return newProbe(*m, acceptRole(m.route), t.Subject)
	}
	t.RESTPost = withRole(first(func(m method) bool { return m.command != nil && creates(m) }))
	if t.RESTPost == nil {
		t.RESTPost = withRole(first(func(m method) bool { return m.command != nil }))
	}
	t.RESTGet = withRole(first(func(m method) bool { return m.query != nil }))
	t.GRPC = withRole(first(func(m method) bool { return m.query != nil && !auth(m) }))
	if t.GRPC == nil {
		t.GRPC = withRole(&all[0])
	}
	t.Bench = t.GRPC
	t.Limited = t.GRPC
	t.Refusals = newRefusals(all, t.Subject)
	t.Ownership = newOwnershipProbe(sys, all, t.Subject)
	t.OpenAPI = newOpenAPITest(sys, all, t.Subject)
	t.Imports = t.GRPC.imports
	sort.Strings(t.Imports)
	return t
}

// openAPITest is what the generated OpenAPI test calls through the
// gateway, at REST and Connect paths.
type openAPITest struct {
	// Calls are every routed method of the current versions with its
	// sample request and a role its route accepts.
	Calls []*probe
	// Create is a routed creating command whose entity Read, a routed
	// query by id, reads back; both nil when no such pair is routed.
	Create, Read *probe
	Entity       string // JSON name of the entity in both answers, "order"
	IDParam      string // Read's query parameter of the id, "order_id"
	IDJSON       string // JSON name of that field, "orderId"
	// Consistent: Read's service builds its read model asynchronously, so
	// Read asks to wait for it (Min-Event-Position: head).
	Consistent bool
	// Protected is a method of a route requiring auth, called without a
	// token; nil when none.
	Protected *probe
}

func newOpenAPITest(sys *model.System, all []method, subject string) *openAPITest {
	t := &openAPITest{}
	for _, m := range all {
		t.Calls = append(t.Calls, newProbe(m, acceptRole(m.route), subject))
		if t.Protected == nil && m.route.Auth == model.AuthRequired {
			t.Protected = newProbe(m, "", subject)
		}
	}
	for _, c := range all {
		if c.command == nil || c.command.Mode != model.ModeCreate || c.command.Entity == nil || len(c.command.Output.Fields) != 1 {
			continue
		}
		for _, q := range all {
			if q.query == nil || q.query.Entity != c.command.Entity || q.query.ByID == nil || q.query.List {
				continue
			}
			t.Create, t.Read = newProbe(c, acceptRole(c.route), subject), newProbe(q, acceptRole(q.route), subject)
			t.Entity = c.command.Output.Fields[0].JSONName
			t.IDParam, t.IDJSON = q.query.ByID.Name, q.query.ByID.JSONName
			t.Consistent = q.svc.AsyncReadModel
			return t
		}
	}
	return t
}

// acceptRole is a role the route accepts, "" when it needs no token.
func acceptRole(r *model.Route) string {
	switch {
	case r.Auth != model.AuthRequired:
		return ""
	case len(r.Roles) > 0:
		return r.Roles[0]
	}
	return "user"
}

func newProbe(m method, role, subject string) *probe {
	p := &probe{
		Service:   m.svc.Name,
		Method:    m.name,
		Procedure: m.procedure,
		Path:      m.path,
		Body:      fmt.Sprintf("%q", sampleJSON(sampleRequest(m.input, m.owner(), subject))),
		Query:     `""`,
		Role:      role,
		Client:    m.svc.ConnectName + ".New" + m.svc.ProtoService + "Client",
		Request:   m.svc.GoPackageName + "." + m.input.Name,
		imports:   []string{m.svc.ConnectImport, m.svc.GoPackage},
	}
	if m.query != nil {
		p.Query = fmt.Sprintf("%q", sampleQuery(m.input, m.owner(), subject))
		p.Get = true
	}
	switch {
	case m.command != nil && m.command.Mode == model.ModeCreate:
		p.WantStatus = []int{http.StatusOK}
	case m.query != nil:
		// A query of a sample id finds nothing, or an empty list.
		p.WantStatus = []int{http.StatusOK, http.StatusNotFound}
		p.WantCodes = []string{"connect.CodeNotFound"}
	default:
		// Commands changing what does not exist refuse, as the service would.
		p.WantStatus = []int{http.StatusOK, http.StatusNotFound, http.StatusBadRequest, http.StatusConflict}
		p.WantCodes = []string{"connect.CodeNotFound", "connect.CodeFailedPrecondition", "connect.CodeInvalidArgument", "connect.CodeAlreadyExists"}
	}
	return p
}

// unrouted returns a procedure the gateway does not route: a method a routed
// service does not expose, else a method of a service without a route, else
// a method no service has.
func unrouted(sys *model.System) string {
	routed := map[*model.Service]bool{}
	for _, r := range sys.Gateway.Routes {
		routed[r.Service] = true
		for _, c := range r.Service.Commands {
			if c.Route == nil {
				return c.Procedure
			}
		}
		for _, q := range r.Service.Queries {
			if q.Route == nil {
				return q.Procedure
			}
		}
	}
	for _, svc := range sys.Services {
		if routed[svc] {
			continue
		}
		for _, c := range svc.Commands {
			return c.Procedure
		}
		for _, q := range svc.Queries {
			return q.Procedure
		}
	}
	svc := sys.Gateway.Routes[0].Service
	return "/" + svc.ProtoPackage + "." + svc.ProtoService + "/NoSuchMethod"
}

// sampleJSON is the protojson of a sample request object.
func sampleJSON(obj map[string]any) string {
	b, err := json.Marshal(obj)
	if err != nil {
		panic("internal error: " + err.Error())
	}
	return string(b)
}

// sampleRequest is a valid sample request of input m, as an object for
// protojson, naming subject in owner: the input an owner rule checks
// against the caller (nil for none).
func sampleRequest(m *model.Message, owner *model.Field, subject string) map[string]any {
	obj := sampleObject(m, 0)
	if owner != nil {
		obj[owner.JSONName] = subject
	}
	return obj
}

// sampleQuery is the REST query string of a sample request: its scalar and
// enum fields by proto name, owner naming subject.
func sampleQuery(m *model.Message, owner *model.Field, subject string) string {
	q := url.Values{}
	for _, f := range m.Fields {
		if f.Type.Kind == model.ScalarType || f.Type.Kind == model.EnumType {
			q.Set(f.Name, fmt.Sprint(sampleValue(f.Name, f.Type, f.Constraints, 0)))
		}
	}
	if owner != nil {
		q.Set(owner.Name, subject)
	}
	return q.Encode()
}

func sampleObject(m *model.Message, depth int) map[string]any {
	obj := map[string]any{}
	if depth >= 3 {
		return obj
	}
	for _, f := range m.Fields {
		obj[f.JSONName] = sampleValue(f.Name, f.Type, f.Constraints, depth+1)
	}
	return obj
}

// sampleValue follows the samples of the service tests: strings
// "<name>-1", small positive numbers derived from the name, true, the
// first enum value, one-element lists; each made to follow the field's
// constraints c.
func sampleValue(name string, t *model.Type, c *model.Constraints, depth int) any {
	switch t.Kind {
	case model.EnumType:
		return t.Enum.Values[0].ProtoName
	case model.MessageType:
		return sampleObject(t.Message, depth)
	case model.ListType:
		elems := make([]any, c.FitItems(1))
		for i := range elems {
			elems[i] = sampleValue(name, t.Elem, c, depth)
		}
		return elems
	}
	switch v := model.SampleScalar(name, t.Scalar, c).(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		return v.Format(time.RFC3339)
	default:
		return v
	}
}

func sampleNumber(name string) int { return model.SampleNumber(name) }
