package blueprint

import (
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// The wire structs mirror the blueprint file exactly: one struct per YAML
// mapping, one `yaml` tag per key. They hold what was written, with
// positions, and nothing is decided here; build.go turns them into the model.
// The JSON Schema (blueprints/microforge.schema.json) must list the same keys;
// a test checks that it does.

// fieldsWire is an ordered mapping of field names to field types.
type fieldsWire = ordered[fieldWire]

// fieldWire is a field's type, written either as the type alone
// (`note: string`) or as a mapping that says more about the field:
// `note: {type: string, renamed_from: memo, default: "none"}`. The embedded
// str is the type; Pos of the mapping form is its type's.
type fieldWire struct {
	str
	Long        bool // written as a mapping
	RenamedFrom str
	Default     str
	Options     fieldOptionsWire // the whole mapping form, constraints included
}

// fieldOptionsWire is the mapping form of a field: its type, where it came
// from, its default and its constraints (see model.Constraints).
type fieldOptionsWire struct {
	Pos          pos     `yaml:"-" what:"field"`
	Bad          bool    `yaml:"-"`
	Type         str     `yaml:"type"`
	RenamedFrom  str     `yaml:"renamed_from"`
	Default      str     `yaml:"default"`
	Required     boolean `yaml:"required"`
	Min          numeral `yaml:"min"`
	Max          numeral `yaml:"max"`
	ExclusiveMin numeral `yaml:"exclusive_min"`
	ExclusiveMax numeral `yaml:"exclusive_max"`
	MinLen       integer `yaml:"min_len"`
	MaxLen       integer `yaml:"max_len"`
	Pattern      str     `yaml:"pattern"`
	Format       str     `yaml:"format"`
	MinItems     integer `yaml:"min_items"`
	MaxItems     integer `yaml:"max_items"`
}

// fieldOptionKeys are the keys of a field's mapping form.
var fieldOptionKeys, _ = wireKeys(reflect.TypeOf(fieldOptionsWire{}))

func (f *fieldWire) decodeNode(d *decoder, n *yaml.Node, what string) {
	if n.Kind != yaml.MappingNode || !slices.ContainsFunc(fieldOptionKeys, func(k string) bool { return nodeHasKey(n, k) }) {
		f.str.decodeNode(d, n, what) // a mapping that is no field's is reported as the wrong kind
		return
	}
	var o fieldOptionsWire
	d.decodeStruct(n, reflect.ValueOf(&o).Elem(), what)
	f.Long, f.RenamedFrom, f.Default, f.Options = true, o.RenamedFrom, o.Default, o
	f.str = o.Type
	if o.Bad {
		f.Bad = true
	}
	if !o.Type.Set {
		f.Set, f.Pos = true, nodePos(n) // reported as a field with no type
	}
}

type fileWire struct {
	Pos           pos                `yaml:"-" what:"the blueprint"`
	Bad           bool               `yaml:"-"`
	Version       integer            `yaml:"version"`
	Name          str                `yaml:"name"`
	Module        str                `yaml:"module"`
	Description   str                `yaml:"description"`
	Owners        list[str]          `yaml:"owners"`
	Services      list[serviceWire]  `yaml:"services"`
	Sagas         list[sagaWire]     `yaml:"sagas"`
	Gateway       *gatewayWire       `yaml:"gateway"`
	Auth          *authWire          `yaml:"auth"`
	Messaging     *messagingWire     `yaml:"messaging"`
	Deploy        *deployWire        `yaml:"deploy"`
	Observability *observabilityWire `yaml:"observability"`
	Tenancy       *tenancyWire       `yaml:"tenancy"`
	AllowBreaking list[str]          `yaml:"allow_breaking"`
}

type serviceWire struct {
	Pos         pos                  `yaml:"-" what:"service"`
	Bad         bool                 `yaml:"-"`
	Name        str                  `yaml:"name"`
	Description str                  `yaml:"description"`
	Owners      list[str]            `yaml:"owners"`
	Store       str                  `yaml:"store"`
	Patterns    list[str]            `yaml:"patterns"`
	Port        integer              `yaml:"port"`
	Version     integer              `yaml:"version"`
	APIVersions list[integer]        `yaml:"api_versions"`
	Types       ordered[fieldsWire]  `yaml:"types"`
	Entities    ordered[entityWire]  `yaml:"entities"`
	Commands    ordered[commandWire] `yaml:"commands"`
	Queries     ordered[queryWire]   `yaml:"queries"`
	Events      ordered[fieldsWire]  `yaml:"events"`
	Calls       list[str]            `yaml:"calls"`
	Consumes    list[str]            `yaml:"consumes"`
	EventOrder  str                  `yaml:"event_order"`
}

type commandWire struct {
	Pos         pos        `yaml:"-" what:"command"`
	Bad         bool       `yaml:"-"`
	Description str        `yaml:"description"`
	Input       fieldsWire `yaml:"input"`
	Emits       list[str]  `yaml:"emits"`
	// What the command does to its entity beyond copying its input.
	Sets ordered[str] `yaml:"sets"`
	From list[str]    `yaml:"from"`
}

type queryWire struct {
	Pos         pos        `yaml:"-" what:"query"`
	Bad         bool       `yaml:"-"`
	Description str        `yaml:"description"`
	Input       fieldsWire `yaml:"input"`
	Output      str        `yaml:"output"`
}

type sagaWire struct {
	Pos          pos            `yaml:"-" what:"saga"`
	Bad          bool           `yaml:"-"`
	Name         str            `yaml:"name"`
	Orchestrator str            `yaml:"orchestrator"`
	Choreography boolean        `yaml:"choreography"`
	Trigger      str            `yaml:"trigger"`
	Steps        list[stepWire] `yaml:"steps"`
	OnFailure    *callWire      `yaml:"on_failure"`
}

type stepWire struct {
	Pos            pos          `yaml:"-" what:"saga step"`
	Bad            bool         `yaml:"-"`
	Call           str          `yaml:"call"`
	With           ordered[str] `yaml:"with"`
	Compensate     str          `yaml:"compensate"`
	CompensateWith ordered[str] `yaml:"compensate_with"`
}

type callWire struct {
	Pos  pos          `yaml:"-" what:"on_failure"`
	Bad  bool         `yaml:"-"`
	Call str          `yaml:"call"`
	With ordered[str] `yaml:"with"`
}

type gatewayWire struct {
	Pos       pos             `yaml:"-" what:"gateway"`
	Bad       bool            `yaml:"-"`
	Port      integer         `yaml:"port"`
	RateLimit *rateLimitWire  `yaml:"rate_limit"`
	CORS      *corsWire       `yaml:"cors"`
	Routes    list[routeWire] `yaml:"routes"`
}

type rateLimitWire struct {
	Pos               pos     `yaml:"-" what:"rate_limit"`
	Bad               bool    `yaml:"-"`
	RequestsPerSecond number  `yaml:"requests_per_second"`
	Burst             integer `yaml:"burst"`
}

type corsWire struct {
	Pos            pos       `yaml:"-" what:"cors"`
	Bad            bool      `yaml:"-"`
	AllowedOrigins list[str] `yaml:"allowed_origins"`
}

type routeWire struct {
	Pos     pos       `yaml:"-" what:"route"`
	Bad     bool      `yaml:"-"`
	Service str       `yaml:"service"`
	Methods list[str] `yaml:"methods"`
	Auth    str       `yaml:"auth"`
	Roles   list[str] `yaml:"roles"`
}

type authWire struct {
	Pos pos      `yaml:"-" what:"auth"`
	Bad bool     `yaml:"-"`
	JWT *jwtWire `yaml:"jwt"`
}

type jwtWire struct {
	Pos        pos  `yaml:"-" what:"jwt"`
	Bad        bool `yaml:"-"`
	Issuer     str  `yaml:"issuer"`
	Audience   str  `yaml:"audience"`
	JWKSURL    str  `yaml:"jwks_url"`
	RolesClaim str  `yaml:"roles_claim"`
}

type messagingWire struct {
	Pos    pos  `yaml:"-" what:"messaging"`
	Bad    bool `yaml:"-"`
	Broker str  `yaml:"broker"`
}

type deployWire struct {
	Pos        pos             `yaml:"-" what:"deploy"`
	Bad        bool            `yaml:"-"`
	Kubernetes *kubernetesWire `yaml:"kubernetes"`
	CI         str             `yaml:"ci"`
}

type kubernetesWire struct {
	Pos         pos              `yaml:"-" what:"kubernetes"`
	Bad         bool             `yaml:"-"`
	Namespace   str              `yaml:"namespace"`
	Replicas    integer          `yaml:"replicas"`
	Autoscaling *autoscalingWire `yaml:"autoscaling"`
}

type autoscalingWire struct {
	Pos        pos     `yaml:"-" what:"autoscaling"`
	Bad        bool    `yaml:"-"`
	Min        integer `yaml:"min"`
	Max        integer `yaml:"max"`
	CPUPercent integer `yaml:"cpu_percent"`
}

type tenancyWire struct {
	Pos    pos  `yaml:"-" what:"tenancy"`
	Bad    bool `yaml:"-"`
	Claim  str  `yaml:"claim"`
	Column str  `yaml:"column"`
}

type observabilityWire struct {
	Pos     pos  `yaml:"-" what:"observability"`
	Bad     bool `yaml:"-"`
	Tracing str  `yaml:"tracing"`
	Metrics str  `yaml:"metrics"`
}

// nodeHasKey reports whether the mapping node n has the key.
func nodeHasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}
