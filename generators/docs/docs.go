// Package docs generates the files that explain and own a repository: the
// README with the architecture diagram, CODEOWNERS, the Makefile, .gitignore,
// and the repository's copy of its blueprint with the JSON Schema editors use.
package docs

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/microforge/microforge/blueprints"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/graph"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// Name identifies this generator in plans and errors.
const Name = "docs"

// SchemaPath is where a generated repository keeps the blueprint's JSON
// Schema; BlueprintPath is its copy of the blueprint.
const (
	SchemaPath    = ".microforge/microforge.schema.json"
	BlueprintPath = "microforge.yaml"
	schemaLine    = "# yaml-language-server: $schema=" + SchemaPath
)

// Options of the docs generator.
type Options struct {
	// BlueprintInPlace is true when the blueprint being generated from is the
	// repository's own microforge.yaml: it is then carried over byte for byte.
	BlueprintInPlace bool
}

// Generate returns the documentation and ownership files of a system.
func Generate(sys *model.System, opts Options) ([]files.File, error) {
	v := newView(sys)
	var out []files.File
	for _, t := range []struct {
		tmpl, path string
		policy     files.Policy
	}{
		{"docs/README.md", "README.md", files.Scaffold},
		{"docs/CODEOWNERS", "CODEOWNERS", files.Scaffold},
		{"docs/Makefile", "Makefile", files.Scaffold},
		{"docs/gitignore", ".gitignore", files.Scaffold},
	} {
		b, err := templates.Render(t.tmpl, v)
		if err != nil {
			return nil, err
		}
		out = append(out, files.File{Path: t.path, Content: b, Policy: t.policy, Generator: Name})
	}
	pages, err := renderPages(sys, v.Mermaid)
	if err != nil {
		return nil, err
	}
	out = append(out, pages...)
	bp := sys.Blueprint
	if !opts.BlueprintInPlace {
		bp = WithSchemaLine(bp)
	}
	out = append(out,
		files.File{Path: BlueprintPath, Content: bp, Policy: files.Scaffold, Generator: Name},
		files.File{Path: SchemaPath, Content: blueprints.Schema, Policy: files.Owned, Generator: Name},
	)
	return out, nil
}

// renderPages renders docs/ and the Backstage catalog: pages derived from
// the blueprint are Owned, the decision records and catalog entries Scaffold.
func renderPages(sys *model.System, mermaid string) ([]files.File, error) {
	pv := newPagesView(sys, mermaid)
	var out []files.File
	render := func(tmpl, p string, data any, policy files.Policy) error {
		b, err := templates.Render("docs/"+tmpl, data)
		if err != nil {
			return err
		}
		out = append(out, files.File{Path: p, Content: b, Policy: policy, Generator: Name})
		return nil
	}
	for _, t := range []struct {
		tmpl, path string
		policy     files.Policy
	}{
		{"docs/architecture.md", ArchitecturePath, files.Owned},
		{"docs/adr/README.md", ADRDir + "/README.md", files.Scaffold},
		{"docs/adr/0001-generated-architecture.md", ADRDir + "/0001-generated-architecture.md", files.Scaffold},
		{"catalog-info.yaml", CatalogPath, files.Scaffold},
	} {
		if err := render(t.tmpl, t.path, pv, t.policy); err != nil {
			return nil, err
		}
	}
	for _, s := range pv.Services {
		data := struct {
			*pagesView
			Service *servicePage
		}{pv, s}
		if err := render("docs/services/[service].md", s.Page, data, files.Owned); err != nil {
			return nil, err
		}
		if err := render("cmd/[service]/catalog-info.yaml", s.Catalog, data, files.Scaffold); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var schemaLineRE = regexp.MustCompile(`(?m)^#\s*yaml-language-server:\s*\$schema=.*$`)

// WithSchemaLine points the blueprint's yaml-language-server comment at the
// repository's schema copy, adding the comment when there is none.
func WithSchemaLine(src []byte) []byte {
	if loc := schemaLineRE.FindIndex(src); loc != nil {
		out := append([]byte{}, src[:loc[0]]...)
		out = append(out, schemaLine...)
		return append(out, src[loc[1]:]...)
	}
	return append([]byte(schemaLine+"\n"), src...)
}

// SchemaLineInHeader reports whether WithSchemaLine(src) changes src only
// in its leading comments: the yaml-language-server line it replaces, if
// src has one, comes before any YAML content. The copy then means what src
// means.
func SchemaLineInHeader(src []byte) bool {
	loc := schemaLineRE.FindIndex(src)
	if loc == nil {
		return true // the line is added at the top
	}
	for line := range strings.SplitSeq(string(src[:loc[0]]), "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

type view struct {
	Sys        *model.System
	Mermaid    string
	Services   []serviceView
	RootOwners string
	Curl       string
	Env        []envVar
	Events     bool // some service records or consumes events
	Sagas      []readmeSaga
	Gateway    *gatewayDoc // nil without a gateway

	// EventSourced and CQRS name the services with those patterns, "" for none.
	EventSourced, CQRS string
	// Owned lists the entities with an owner rule, "`orders.Order`", ""
	// for none.
	Owned string

	// Observability is nil when the blueprint observes nothing.
	Observability *observabilityView
}

// gatewayDoc is the README's gateway section.
type gatewayDoc struct {
	Port   int
	Routes []string // one line per route
	Try    string   // shell lines calling the gateway
	Env    []envVar
	Auth   bool
}

// observabilityView is the README's "Observe it" section.
type observabilityView struct {
	Tracing, Metrics bool
	Service          string // a service to show /metrics of
	Port             int
	Trace            string // what one trace spans, "one `orders.PlaceOrder` call ..."
	Jaeger           string // image to run locally
	Kube             bool
}

type serviceView struct {
	Name, Description, Store, Dir, Owners, OwnerList, ProtoDir string
	Port                                                       int
	Commands, Queries                                          []methodView
	Events, Calls, Consumes                                    string
}

type methodView struct{ Name, Summary string }

type envVar struct{ Name, Meaning, Default string }

func newView(sys *model.System) *view {
	v := &view{
		Sys:        sys,
		Mermaid:    graph.Build(sys).Mermaid(),
		RootOwners: strings.Join(sys.Owners, " "),
		Curl:       curlExample(sys),
	}
	for _, svc := range sys.Services {
		sv := serviceView{
			Name: svc.Name, Description: svc.Description, Store: string(svc.Store),
			Dir: svc.InternalDir, Port: svc.Port, ProtoDir: svc.ProtoDir,
			OwnerList: strings.Join(svc.Owners, " "),
		}
		sv.Owners = sv.OwnerList
		if sv.Owners == "" {
			sv.Owners = v.RootOwners
		}
		for _, c := range svc.Commands {
			sv.Commands = append(sv.Commands, methodView{c.Name, commandSummary(c)})
		}
		for _, q := range svc.Queries {
			sv.Queries = append(sv.Queries, methodView{q.Name, querySummary(q)})
		}
		var evs, calls, cons []string
		for _, e := range svc.Events {
			evs = append(evs, "`"+e.Name+"`")
		}
		for _, c := range svc.Calls {
			calls = append(calls, "`"+c.Name+"`")
		}
		for _, e := range svc.Consumes {
			cons = append(cons, "`"+e.Service.Name+"."+e.Name+"`")
		}
		sv.Events, sv.Calls, sv.Consumes = strings.Join(evs, ", "), strings.Join(calls, ", "), strings.Join(cons, ", ")
		if len(cons) > 0 {
			if svc.EventOrder == model.EventOrderParallel {
				sv.Consumes += ", several at once and in any order (`event_order: parallel`)"
			} else {
				sv.Consumes += ", one at a time per producing service, in the order it recorded them (`event_order: producer`)"
			}
		}
		v.Services = append(v.Services, sv)

		for _, c := range svc.Calls {
			v.Env = append(v.Env, envVar{c.EnvPrefix + "_URL", "where a service reaches `" + c.Name + "`", fmt.Sprintf("`http://127.0.0.1:%d`", c.Port)})
		}
		if len(svc.Events) > 0 || len(svc.Consumers) > 0 {
			v.Events = true
		}
		for _, l := range svc.Limits {
			v.Env = append(v.Env, envVar{svc.EnvPrefix + "_" + l.Env,
				fmt.Sprintf("the largest `%s` the default logic of `%s` accepts; more is refused", l.Field.Name, svc.Name),
				fmt.Sprintf("`%d`", l.Default)})
		}
	}
	var sourced, cqrs []string
	for _, svc := range sys.Services {
		if svc.EventSourced {
			sourced = append(sourced, "`"+svc.Name+"`")
		}
		if svc.AsyncReadModel {
			cqrs = append(cqrs, "`"+svc.Name+"`")
		}
	}
	v.EventSourced, v.CQRS = strings.Join(sourced, ", "), strings.Join(cqrs, ", ")
	var owned []string
	for _, svc := range sys.Services {
		for _, e := range svc.Owned() {
			owned = append(owned, "`"+svc.Name+"."+e.Name()+"`")
		}
	}
	v.Owned = strings.Join(owned, ", ")
	if len(sourced) > 0 {
		v.Env = append(v.Env, envVar{"SNAPSHOT_EVERY", "event-sourced services: events an aggregate load folds before it stores a snapshot (0: never)", "`50`"})
	}
	if len(sourced) < len(sys.Services) {
		v.Env = append(v.Env, envVar{"OUTBOX_RETENTION", "how long published events stay in the outbox (not in an event-sourced service's event store)", "`168h`"})
	}
	v.Env = append(v.Env,
		envVar{"IDEMPOTENCY_RETENTION", "how long responses stored under idempotency keys and records of processed events are kept", "`168h`"},
		envVar{"PRUNE_INTERVAL", "how often what outlived its retention is deleted, by one replica per round (0: never)", "`1h`"},
		envVar{"LEASE_TTL", "how long a replica keeps a worker that runs on one replica at a time (outbox relay, projections) without renewing its lease: another replica takes over within it when one dies", "`10s`"},
	)
	if v.Events {
		v.Env = append(v.Env,
			envVar{"NATS_URL", "NATS server with JetStream that carries events (`cmd/local` embeds one); a cluster's servers comma-separated", "`nats://127.0.0.1:4222`"},
			envVar{"NATS_STREAM_REPLICAS", "copies of the event stream and of each consumer's position: 1 on a single server, 3 on a JetStream cluster of 3 nodes or more; the same in every service", "`1`"},
			envVar{"EVENT_MAX_ATTEMPTS", "deliveries of a consumed event before it goes to the dead-letter subject", "`5`"},
			envVar{"EVENT_RETRY_BACKOFF", "delay before the first retry of a failed event, doubled each time", "`500ms`"},
		)
	}
	if sys.Observability.Tracing == model.TracingOTLP {
		v.Env = append(v.Env,
			envVar{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTLP/HTTP endpoint the service exports its spans to, e.g. `http://otel-collector:4318`; the other standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, ...) apply too, without a service prefix", "unset: spans are made (logs carry trace ids, calls and events carry the trace) but not exported"},
			envVar{"OTEL_TRACES_SAMPLER", "which traces to record: `parentbased_always_on`, `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG=0.1`, ...", "`parentbased_always_on`"},
			envVar{"OTEL_RESOURCE_ATTRIBUTES", "attributes added to every span and metric, e.g. `deployment.environment=dev`", "none"},
		)
	}
	v.Observability = newObservabilityView(sys)
	v.Sagas = readmeSagas(sys)
	v.Gateway = gatewayDocOf(sys)
	v.Env = dedupeEnv(append([]envVar{
		{"PORT", "port the service listens on", "the service's port in the table above"},
		{"DATABASE_URL", "`postgres://…`, `mysql://user:pass@tcp(host:3306)/db`, `sqlite:…` or `file:…`", "SQLite file `$DATA_DIR/<service>.db`"},
		{"DATA_DIR", "folder for embedded data", "`data`"},
		{"DB_MAX_CONNS", "connections to a PostgreSQL or MySQL server one process opens at most; keep the sum over the replicas of every service sharing a server below its `max_connections`", "`10`"},
		{"LOG_FORMAT", "`json` or `text`", "`json`"},
		{"LOG_LEVEL", "`debug`, `info`, `warn` or `error`", "`info`"},
		{"SHUTDOWN_TIMEOUT", "how long to drain requests on SIGTERM", "`15s`"},
		{"SERVICE_PRIVATE_KEY", "the deployable's Ed25519 service identity key (base64 seed or PKCS #8 PEM; `go run ./cmd/keys` prints keys); it signs the `X-Service-Token` of its calls", "none: it refuses to start without (`cmd/local` generates keys)"},
		{"<NAME>_PUBLIC_KEY", "public key of each other deployable (`GATEWAY_PUBLIC_KEY`, one per service), to verify its calls", "none: it refuses to start without"},
	}, v.Env...))
	return v
}

func dedupeEnv(in []envVar) []envVar {
	seen := map[string]bool{}
	var out []envVar
	for _, e := range in {
		if !seen[e.Name] {
			seen[e.Name] = true
			out = append(out, e)
		}
	}
	return out
}

func commandSummary(c *model.Command) string {
	var s string
	switch c.Mode {
	case model.ModeCreate:
		s = "creates " + article(c.Entity.Name()) + " `" + c.Entity.Name() + "`"
	case model.ModeUpdate:
		s = "changes " + article(c.Entity.Name()) + " `" + c.Entity.Name() + "` found by `" + c.Lookup.Name + "`"
	case model.ModeUpsert:
		s = "changes the `" + c.Entity.Name() + "` with the given `" + c.Lookup.Name + "`"
		if c.CreateAllowed {
			s = "creates or changes the `" + c.Entity.Name() + "` with the given `" + c.Lookup.Name + "`"
		}
	default:
		s = "validates its input and records its events"
	}
	if len(c.Sets) > 0 {
		var sets []string
		for _, v := range c.Sets {
			sets = append(sets, fmt.Sprintf("`%s` to `%s`", v.Field.Name, v.Text()))
		}
		s += ", sets " + joinAnd(sets)
	}
	if g := c.From; g != nil {
		var from []string
		for _, v := range g.Values {
			from = append(from, "`"+v.Name+"`")
		}
		s += fmt.Sprintf(" (only from `%s` %s)", g.Field.Name, strings.Join(from, ", "))
	}
	if len(c.Emits) > 0 {
		var names []string
		for _, e := range c.Emits {
			names = append(names, "`"+e.Name+"`")
		}
		s += ", emits " + strings.Join(names, ", ")
	}
	if c.Description != "" {
		s = c.Description + " (" + s + ")"
	}
	return s
}

func querySummary(q *model.Query) string {
	var s string
	switch {
	case q.Entity == nil:
		s = "returns " + article(q.Output.Name) + " `" + q.Output.Name + "`"
	case q.ByID != nil:
		s = "reads " + article(q.Entity.Name()) + " `" + q.Entity.Name() + "` by `" + q.ByID.Name + "`"
	case q.List:
		s = "lists `" + q.Entity.Name() + "` records"
	default:
		s = "finds " + article(q.Entity.Name()) + " `" + q.Entity.Name() + "`"
	}
	if len(q.Filters) > 0 {
		var names []string
		for _, f := range q.Filters {
			names = append(names, "`"+f.Input.Name+"`")
		}
		s += " by " + strings.Join(names, ", ")
	}
	if q.Description != "" {
		s = q.Description + " (" + s + ")"
	}
	return s
}

type readmeSaga struct {
	Name, Kind, Trigger, State string
	Choreography               bool   // participants compensate on the failure event, each on its own
	OnFailure                  string // command run after the compensations
	Steps                      []string
	Fail                       string // how to make it fail on purpose, when the default logic offers a way
	Throughput                 string // orchestrated: how many advance at once, and the bound on the backlog
}

// sagaStateCurl reads the saga state a service keeps: the endpoint is the
// service's own, so the call carries its service token.
func sagaStateCurl(svc *model.Service) string {
	return fmt.Sprintf("curl -s -H \"X-Service-Token: $(go run ./cmd/keys -sign %s)\" \\\n  http://127.0.0.1:%d/sagas", svc.Name, svc.Port)
}

func readmeSagas(sys *model.System) []readmeSaga {
	var out []readmeSaga
	for _, sg := range sys.Sagas {
		sv := readmeSaga{Name: sg.Name, Trigger: "`" + sg.Trigger.Service.Name + "." + sg.Trigger.Name + "`", Choreography: sg.Choreography}
		if sg.Choreography {
			sv.Kind = "choreographed: each participant reacts to the previous step's event; a refused step, or one still failing after its retries (dead-lettered), publishes a failure event the others compensate on. `" + sg.Trigger.Service.Name + "` keeps the saga's state by observing its events"
			sv.State = sagaStateCurl(sg.Trigger.Service)
		} else {
			sv.Kind = "orchestrated by `" + sg.Orchestrator.Name + "`, which persists every transition and resumes after a restart"
			sv.State = sagaStateCurl(sg.Orchestrator)
			sv.Throughput = sagaThroughput(sg)
		}
		for i, st := range sg.Steps {
			line := fmt.Sprintf("%d. `%s.%s`", i+1, st.Call.Command.Service.Name, st.Call.Command.Name)
			if st.Compensate != nil {
				line += fmt.Sprintf(", undone by `%s.%s`", st.Compensate.Command.Service.Name, st.Compensate.Command.Name)
			}
			sv.Steps = append(sv.Steps, line)
			if l := st.Call.Command.Limit; l != nil && sv.Fail == "" {
				svc := st.Call.Command.Service
				amount := "a larger amount"
				for _, b := range st.Call.Inputs {
					if b.Field.Name == l.Field.Name && b.Kind == model.BindTriggerField && b.Source.Name != l.Field.Name {
						amount += fmt.Sprintf(" (the step's `%s` is the trigger's `%s`)", l.Field.Name, b.Source.Name)
					}
				}
				undone := "are compensated in reverse order"
				if sg.Choreography {
					undone = "are compensated by their participants, on the saga's failure event"
				}
				sv.Fail = fmt.Sprintf("`%s` refuses %s `%s` above `%s_%s` (default %d). Start the system with a low limit, e.g. `%s_%s=1000 go run ./cmd/local`, and trigger the saga with %s: the steps before `%s` %s",
					st.Call.Command.Name, article(l.Field.Name), l.Field.Name, svc.EnvPrefix, l.Env, l.Default, svc.EnvPrefix, l.Env, amount, st.Call.Command.Name, undone)
				if sg.OnFailure != nil {
					sv.Fail += fmt.Sprintf(", then `%s.%s` runs", sg.OnFailure.Command.Service.Name, sg.OnFailure.Command.Name)
				}
				sv.Fail += "."
			}
		}
		if sg.OnFailure != nil {
			sv.OnFailure = fmt.Sprintf("`%s.%s`", sg.OnFailure.Command.Service.Name, sg.OnFailure.Command.Name)
		}
		out = append(out, sv)
	}
	return out
}

// sagaThroughput says how the orchestrator of sg keeps up: its workers,
// how its replicas share the sagas, and the commands refused while its
// backlog is above the bound.
func sagaThroughput(sg *model.Saga) string {
	o := sg.Orchestrator
	start := "each from the moment its trigger arrives"
	if sg.Trigger.Service == o {
		start = fmt.Sprintf("each from the moment the command recording `%s` commits: recording it starts the saga in the same transaction, not through the broker", sg.Trigger.Name)
	}
	out := fmt.Sprintf("`%s` advances up to `%s_SAGA_WORKERS` sagas at once (default 64), %s.", o.Name, o.EnvPrefix, start) +
		" Its replicas share the sagas: each saga is advanced by one replica at a time, which holds its lease (renewed with every step) and saves each step only over the version of the saga it read, so no two advance it at once and none moves it back; when a replica dies, another takes its sagas over once their leases expire (`SAGA_LEASE`, 30 s), and one that stops hands them over at once. `saga_held` shows how many each replica is advancing."
	var starters []string
	for _, c := range o.Commands {
		if slices.Contains(c.Emits, sg.Trigger) {
			starters = append(starters, fmt.Sprintf("`%s.%s`", o.Name, c.Name))
		}
	}
	if len(starters) == 0 {
		return out + fmt.Sprintf(" `saga_backlog` and `saga_oldest_age_seconds` show the sagas waiting to finish (the trigger comes from `%s`, whose commands are not refused when they pile up).", sg.Trigger.Service.Name)
	}
	return out + fmt.Sprintf(" While more than `%s_SAGA_MAX_BACKLOG` of its sagas are unfinished (default 1000; negative for no bound), %s answers `ResourceExhausted` (HTTP 429 with `Retry-After` through the gateway) instead of letting the backlog grow; `saga_backlog` and `saga_oldest_age_seconds` show it.", o.EnvPrefix, strings.Join(starters, ", "))
}

// article is "an" before a vowel sound (roughly: a vowel letter), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// curlExample shows a create command and the query that reads its result
// back, for the first service that has both.
func curlExample(sys *model.System) string {
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			if c.Mode != model.ModeCreate {
				continue
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# %s, as %s itself (a service token is valid for a minute)\n", c.Name, svc.Name)
			fmt.Fprintf(&b, "curl -s -H 'Content-Type: application/json' \\\n  -H \"X-Service-Token: $(go run ./cmd/keys -sign %s)\" \\\n  -d '%s' \\\n  http://127.0.0.1:%d%s\n", svc.Name, sampleJSON(c.Input), svc.Port, c.Procedure)
			for _, q := range svc.Queries {
				if q.Entity == c.Entity && q.ByID != nil {
					fmt.Fprintf(&b, "\n# %s, with the id the call above returned\n", q.Name)
					wait := ""
					if svc.Has(model.PatternCQRS) {
						// The read model is built asynchronously.
						b.WriteString("# (Min-Event-Position: head waits until the read model holds every event so far)\n")
						wait = "  -H 'Min-Event-Position: head' \\\n"
					}
					fmt.Fprintf(&b, "curl -s -H 'Content-Type: application/json' \\\n  -H \"X-Service-Token: $(go run ./cmd/keys -sign %s)\" \\\n%s  -d '{\"%s\": \"ID\"}' \\\n  http://127.0.0.1:%d%s\n", svc.Name, wait, q.ByID.JSONName, svc.Port, q.Procedure)
					break
				}
			}
			return b.String()
		}
	}
	for _, svc := range sys.Services {
		for _, q := range svc.Queries {
			return fmt.Sprintf("curl -s -H 'Content-Type: application/json' -H \"X-Service-Token: $(go run ./cmd/keys -sign %s)\" \\\n  -d '%s' http://127.0.0.1:%d%s\n", svc.Name, sampleJSON(q.Input), svc.Port, q.Procedure)
		}
	}
	return "# this system declares no commands or queries yet\n"
}

// sampleJSON is a protojson request body with a sample value per field.
func sampleJSON(m *model.Message) string { return sampleJSONDepth(m, 0) }

func sampleJSONDepth(m *model.Message, depth int) string {
	if depth > 3 { // recursive types: stop somewhere readable
		return "{}"
	}
	var parts []string
	for _, f := range m.Fields {
		parts = append(parts, fmt.Sprintf("%q: %s", f.JSONName, sampleValue(f.Name, f.Type, f.Constraints, depth)))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// sampleValue is the JSON of the field's sample (model.SampleScalar),
// with one element in a list.
func sampleValue(name string, t *model.Type, c *model.Constraints, depth int) string {
	switch t.Kind {
	case model.ListType:
		return "[" + sampleValue(name, t.Elem, c, depth) + "]"
	case model.EnumType:
		return fmt.Sprintf("%q", t.Enum.Values[0].ProtoName)
	case model.MessageType:
		return sampleJSONDepth(t.Message, depth+1)
	}
	v := model.SampleScalar(name, t.Scalar, c)
	if x, ok := v.(time.Time); ok {
		v = x.Format(time.RFC3339)
	}
	b, err := json.Marshal(v) // []byte becomes base64, as in protojson
	if err != nil {
		panic("internal error: sample of " + name + ": " + err.Error())
	}
	return string(b)
}

// gatewayDocOf describes the gateway: its routes, how to call it with a
// development token, and its settings.
func gatewayDocOf(sys *model.System) *gatewayDoc {
	g := sys.Gateway
	if g == nil {
		return nil
	}
	d := &gatewayDoc{Port: g.Port, Auth: sys.Auth != nil && sys.Auth.JWT != nil}
	base := fmt.Sprintf("http://127.0.0.1:%d", g.Port)
	var post, get, token string
	for _, r := range g.Routes {
		var names []string
		for _, c := range r.Commands {
			names = append(names, "`"+c.Name+"`")
		}
		for _, q := range r.Queries {
			names = append(names, "`"+q.Name+"`")
		}
		access := "public"
		if r.Auth == model.AuthRequired {
			access = "token required"
			if len(r.Roles) > 0 {
				access = "role " + strings.Join(r.Roles, " or ")
			}
		}
		d.Routes = append(d.Routes, fmt.Sprintf("- `%s` (%s): %s", r.Service.Name, access, strings.Join(names, ", ")))
		bearer := ""
		if r.Auth == model.AuthRequired {
			bearer = " -H \"Authorization: Bearer $TOKEN\""
			if token == "" {
				token = "TOKEN=$(go run ./cmd/token --sub alice"
				if len(r.Roles) > 0 {
					token += " --roles " + r.Roles[0]
				}
				if sys.Tenancy != nil {
					token += " --tenant acme"
				}
				token += ")\n"
			}
		}
		for _, c := range r.Commands {
			if post == "" {
				post = fmt.Sprintf("curl -s%s -H 'Content-Type: application/json' \\\n  -d '%s' \\\n  %s%s\n", bearer, sampleJSON(c.Input), base, c.HTTPPath)
			}
		}
		for _, q := range r.Queries {
			if get == "" && r.Auth == model.AuthNone {
				get = fmt.Sprintf("curl -s '%s%s?%s'\n", base, q.HTTPPath, queryExample(q.Input))
			}
		}
	}
	d.Try = token + post + get
	d.Env = []envVar{
		{"PORT", "port the gateway listens on", fmt.Sprintf("`%d`", g.Port)},
		{"SERVICE_PRIVATE_KEY", "the gateway's service identity: services accept routed calls only with its tokens (`go run ./cmd/keys` prints it)", "none: the gateway refuses to start without it"},
	}
	if sys.Observability.Metrics == model.MetricsPrometheus {
		d.Env = append(d.Env, envVar{"METRICS_PORT", "port of the gateway's `/metrics`, kept apart from the public port so the Ingress never exposes it", fmt.Sprintf("`%d`", model.GatewayMetricsPort)})
	}
	for _, r := range g.Routes {
		d.Env = append(d.Env, envVar{r.Service.EnvPrefix + "_URL", "where the gateway reaches `" + r.Service.Name + "`", fmt.Sprintf("`http://127.0.0.1:%d`", r.Service.Port)})
	}
	if d.Auth {
		j := sys.Auth.JWT
		d.Env = append(d.Env,
			envVar{"JWT_ISSUER", "the `iss` tokens must carry", "`" + j.Issuer + "`"},
			envVar{"JWT_AUDIENCE", "the `aud` tokens must include", "`" + j.Audience + "`"},
			envVar{"JWKS_URL", "JWK Set of the keys tokens are signed with (cached, refreshed on rotation)", "`" + j.JWKSURL + "`"},
		)
	}
	rps, burst := "off", "—"
	if rl := g.RateLimit; rl != nil {
		rps, burst = fmt.Sprintf("`%g`", rl.RequestsPerSecond), fmt.Sprintf("`%d`", rl.Burst)
	}
	origins := "none"
	if g.CORS != nil {
		origins = "`" + strings.Join(g.CORS.AllowedOrigins, ",") + "`"
	}
	d.Env = append(d.Env,
		envVar{"RATE_LIMIT_RPS", "requests per second per client (token subject, else IP); `0` turns the limit off", rps},
		envVar{"RATE_LIMIT_BURST", "requests a client may make at once", burst},
		envVar{"CORS_ALLOWED_ORIGINS", "comma-separated origins browsers may call from", origins},
		envVar{"MAX_REQUEST_BYTES", "largest request body", "`4194304`"},
		envVar{"REQUEST_TIMEOUT", "time limit of a call to a service", "`30s`"},
		envVar{"SHUTDOWN_TIMEOUT", "how long to drain requests on SIGTERM", "`10s`"},
		envVar{"TRUST_FORWARDED_FOR", "`true` behind a proxy that appends the client IP to `X-Forwarded-For`", "`false`"},
		envVar{"LOG_FORMAT", "`json` or `text`", "`json`"},
		envVar{"LOG_LEVEL", "`debug`, `info`, `warn` or `error`", "`info`"},
	)
	return d
}

// queryExample is a REST query string with a sample value per scalar field.
func queryExample(m *model.Message) string {
	var parts []string
	for _, f := range m.Fields {
		if f.Type.Kind == model.ScalarType && f.Type.Scalar == model.String {
			parts = append(parts, f.Name+"="+f.Name+"-1")
		}
	}
	return strings.Join(parts, "&")
}

// newObservabilityView describes the README's "Observe it" section, nil when
// the blueprint observes nothing.
func newObservabilityView(sys *model.System) *observabilityView {
	o := &observabilityView{
		Tracing: sys.Observability.Tracing == model.TracingOTLP,
		Metrics: sys.Observability.Metrics == model.MetricsPrometheus,
		Jaeger:  model.JaegerImage,
		Kube:    sys.Deploy.Kubernetes != nil,
	}
	if !o.Tracing && !o.Metrics {
		return nil
	}
	if len(sys.Services) > 0 {
		o.Service, o.Port = sys.Services[0].Name, sys.Services[0].Port
	}
	for _, sg := range sys.Sagas {
		if sg.Choreography {
			continue
		}
		for _, c := range sg.Trigger.Service.Commands {
			if slices.Contains(c.Emits, sg.Trigger) {
				o.Trace = fmt.Sprintf("one `%s.%s` call is one trace through its event and every call of the `%s` saga", c.Service.Name, c.Name, sg.Name)
				break
			}
		}
		if o.Trace != "" {
			break
		}
	}
	if o.Trace == "" {
		o.Trace = "one request is one trace through every call and event it causes"
	}
	return o
}
