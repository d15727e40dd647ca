package blueprint

// The wire structs mirror the blueprint file exactly: one struct per YAML
// mapping, one `yaml` tag per key. They hold what was written, with
// positions, and nothing is decided here; build.go turns them into the model.
// The JSON Schema (blueprints/microforge.schema.json) must list the same keys;
// a test checks that it does.

// fieldsWire is an ordered mapping of field names to field types.
type fieldsWire = ordered[str]

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
	Entities    ordered[fieldsWire]  `yaml:"entities"`
	Commands    ordered[commandWire] `yaml:"commands"`
	Queries     ordered[queryWire]   `yaml:"queries"`
	Events      ordered[fieldsWire]  `yaml:"events"`
	Calls       list[str]            `yaml:"calls"`
	Consumes    list[str]            `yaml:"consumes"`
}

type commandWire struct {
	Pos         pos        `yaml:"-" what:"command"`
	Bad         bool       `yaml:"-"`
	Description str        `yaml:"description"`
	Input       fieldsWire `yaml:"input"`
	Emits       list[str]  `yaml:"emits"`
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

type observabilityWire struct {
	Pos     pos  `yaml:"-" what:"observability"`
	Bad     bool `yaml:"-"`
	Tracing str  `yaml:"tracing"`
	Metrics str  `yaml:"metrics"`
}
