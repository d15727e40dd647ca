package blueprint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// builder turns the wire structs into the model, checking every rule on the
// way. It keeps going after a problem so that all problems are reported.
type builder struct {
	*sink
	w     *fileWire
	sys   *model.System
	svcs  map[string]*svcBuild // by name; first of duplicates wins
	order []*svcBuild
}

// svcBuild is a service being built, with indexes by name.
type svcBuild struct {
	w          *serviceWire
	m          *model.Service
	named      map[string]*model.Message // types and entities
	namedOrder []string
	events     map[string]*model.Message
	eventOrder []string
	cmds       map[string]*model.Command
	queries    map[string]*model.Query
	methods    []string        // commands then queries, in declaration order
	emitted    map[string]bool // events some command emits
	fieldPos   map[*model.Field]pos
}

func newBuilder(s *sink, w *fileWire) *builder {
	return &builder{sink: s, w: w, sys: &model.System{}, svcs: map[string]*svcBuild{}}
}

func (b *builder) serviceNames() []string {
	var out []string
	for _, sb := range b.order {
		if sb.m.Name != "" {
			out = append(out, sb.m.Name)
		}
	}
	return out
}

// required reports a missing or empty required string and says whether it
// is usable.
func (b *builder) required(s str, key string, parent pos, noun string) bool {
	switch {
	case s.Bad:
		return false
	case !s.Set:
		b.errorf(parent, "", "missing key %q in %s", key, noun)
		return false
	case strings.TrimSpace(s.V) == "":
		b.errorf(s.Pos, "", "%s must not be empty", key)
		return false
	}
	return true
}

// choice checks an optional enumerated value; it returns def when unset.
func (b *builder) choice(s str, key string, options []string, def string) (string, bool) {
	if s.Bad {
		return def, false
	}
	if !s.Set {
		return def, true
	}
	for _, o := range options {
		if s.V == o {
			return o, true
		}
	}
	hint := didYouMean(s.V, options)
	if hint == "" {
		hint = "one of " + strings.Join(options, ", ")
	}
	b.errorf(s.Pos, hint, "unknown %s %q", key, s.V)
	return def, false
}

func (b *builder) lowerName(s str, kind string) bool {
	if !lowerSnakeRE.MatchString(s.V) {
		b.errorf(s.Pos, snakeHint(s.V), "%s name %q must be lower_snake_case", kind, s.V)
		return false
	}
	return true
}

func (b *builder) pascalName(s str, kind string) bool {
	if !pascalRE.MatchString(s.V) {
		b.errorf(s.Pos, pascalHint(s.V), "%s name %q must be PascalCase", kind, s.V)
		return false
	}
	return true
}

func (b *builder) stringList(l list[str], key string) []string {
	var out []string
	for _, s := range l.Items {
		if s.Bad {
			continue
		}
		if strings.TrimSpace(s.V) == "" {
			b.errorf(s.Pos, "", "%s: empty entry", key)
			continue
		}
		out = append(out, s.V)
	}
	return out
}

func (b *builder) port(p integer, key string) bool {
	if p.Set && !p.Bad && (p.V < 1 || p.V > 65535) {
		b.errorf(p.Pos, "use a port from 1 to 65535", "%s %d is out of range", key, p.V)
		return false
	}
	return p.Set && !p.Bad
}

// maxAPIVersion bounds API version numbers: without api_versions a service
// serves every version up to its own.
const maxAPIVersion = 100

// apiVersions decides the API versions a service serves: api_versions as
// listed (ascending, unique, each from 1 to maxAPIVersion), else 1 through
// version (default 1). With both, version must be the largest listed.
func (b *builder) apiVersions(sw *serviceWire) []int {
	version := 0
	if v := sw.Version; v.Set && !v.Bad {
		if v.V < 1 || v.V > maxAPIVersion {
			b.errorf(v.Pos, fmt.Sprintf("API versions go from 1 to %d", maxAPIVersion), "version %d is out of range", v.V)
			return nil
		}
		version = v.V
	}
	if !sw.APIVersions.Set || sw.APIVersions.Bad {
		if version == 0 {
			version = 1
		}
		out := make([]int, version)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	if len(sw.APIVersions.Items) == 0 {
		b.errorf(sw.APIVersions.Pos, "list the versions served, such as [1, 2], or remove api_versions", "api_versions is empty")
		return nil
	}
	var out []int
	ok := true
	for _, it := range sw.APIVersions.Items {
		if it.Bad {
			ok = false
			continue
		}
		switch {
		case it.V < 1 || it.V > maxAPIVersion:
			b.errorf(it.Pos, fmt.Sprintf("API versions go from 1 to %d", maxAPIVersion), "api version %d is out of range", it.V)
			ok = false
		case len(out) > 0 && it.V == out[len(out)-1]:
			b.errorf(it.Pos, "", "api version %d is listed twice", it.V)
			ok = false
		case len(out) > 0 && it.V < out[len(out)-1]:
			b.errorf(it.Pos, "list api_versions in ascending order", "api version %d comes after %d", it.V, out[len(out)-1])
			ok = false
		default:
			out = append(out, it.V)
		}
	}
	if !ok {
		return nil
	}
	if last := out[len(out)-1]; version != 0 && version != last {
		hint := fmt.Sprintf("the current version is the latest served: set version: %d, or add %d to api_versions", last, version)
		if version < last {
			hint = fmt.Sprintf("the current version is the latest served: set version: %d, or remove the versions above %d from api_versions", last, version)
		}
		b.errorf(sw.Version.Pos, hint, "version %d is not the largest of api_versions", version)
		return nil
	}
	return out
}

func (b *builder) build() *model.System {
	w, sys := b.w, b.sys
	if w.Bad {
		return sys
	}
	switch {
	case !w.Version.Set:
		b.errorf(w.Pos, "add \"version: 1\"", "missing key %q in the blueprint", "version")
	case w.Version.Bad:
	case w.Version.V != 1:
		b.errorf(w.Version.Pos, "this microforge reads version 1", "unsupported version %d", w.Version.V)
	}
	if b.required(w.Name, "name", w.Pos, "the blueprint") && b.lowerName(w.Name, "system") {
		sys.Name = w.Name.V
	}
	if b.required(w.Module, "module", w.Pos, "the blueprint") {
		if !moduleRE.MatchString(w.Module.V) {
			b.errorf(w.Module.Pos, "write a Go module path such as github.com/acme/shop", "invalid module path %q", w.Module.V)
		} else {
			sys.Module = w.Module.V
		}
	}
	sys.Description = w.Description.V
	sys.Owners = b.stringList(w.Owners, "owners")
	for _, a := range w.AllowBreaking.Items {
		if !a.Bad && !wirePathRE.MatchString(a.V) {
			b.errorf(a.Pos, `write service.Message.field or service.Enum.value, e.g. "orders.Order.total_cents"`, "allow_breaking entry %q names no field or enum value", a.V)
			continue
		}
		sys.AllowBreaking = append(sys.AllowBreaking, a.V)
	}

	b.declareServices()
	for _, sb := range b.order {
		b.buildService(sb)
	}
	for _, sb := range b.order {
		b.checkSymbols(sb)
	}
	b.checkCallCycles()
	b.checkTypeCycles()
	b.buildAuth()
	b.buildSagas()
	b.buildGateway()
	b.buildTenancy()
	b.buildMessaging()
	b.buildDeploy()
	b.buildObservability()
	b.checkPorts()
	return sys
}

// declareServices creates every service and the names of its messages, so
// that references between services resolve in any order.
func (b *builder) declareServices() {
	w := b.w
	switch {
	case w.Services.Bad:
		return
	case !w.Services.Set:
		b.errorf(w.Pos, "", "missing key %q in the blueprint", "services")
		return
	case len(w.Services.Items) == 0:
		b.errorf(w.Services.Pos, "", "services is empty: a system needs at least one service")
		return
	}
	pkgs := map[string]*svcBuild{}
	for i := range w.Services.Items {
		sw := &w.Services.Items[i]
		svc := &model.Service{}
		sb := &svcBuild{w: sw, m: svc, named: map[string]*model.Message{}, events: map[string]*model.Message{},
			cmds: map[string]*model.Command{}, queries: map[string]*model.Query{}, emitted: map[string]bool{},
			fieldPos: map[*model.Field]pos{}}
		b.order = append(b.order, sb)
		b.sys.Services = append(b.sys.Services, svc)
		if !sw.Bad {
			b.declareService(sb, pkgs)
		}
	}
}

var (
	eventOrderChoices = []string{string(model.EventOrderProducer), string(model.EventOrderParallel)}
	storeChoices      = []string{string(model.StoreSQLite), string(model.StorePostgres), string(model.StoreMySQL)}
	patternChoices    = []string{string(model.PatternCQRS), string(model.PatternEventSourcing)}
)

// declareService fills a service's own settings and declares its messages,
// commands and queries by name; pkgs holds the Go package names taken.
func (b *builder) declareService(sb *svcBuild, pkgs map[string]*svcBuild) {
	sw, svc := sb.w, sb.m
	if b.required(sw.Name, "name", sw.Pos, "service") && b.lowerName(sw.Name, "service") {
		name := sw.Name.V
		if why := packageNameProblem(name); why != "" {
			b.errorf(sw.Name.Pos, "service names become Go package names", "service name %q %s", name, why)
		} else if prev := b.svcs[name]; prev != nil {
			b.errorf(sw.Name.Pos, "", "duplicate service %q (first at line %d)", name, prev.w.Name.Pos.Line)
		} else if prev := pkgs[model.GoPackageName(name, 1)]; prev != nil {
			b.errorf(sw.Name.Pos, "", "service %q and service %q (line %d) both generate Go package %s", name, prev.m.Name, prev.w.Name.Pos.Line, model.GoPackageName(name, 1))
		} else {
			svc.Name = name
			b.svcs[name] = sb
			pkgs[model.GoPackageName(name, 1)] = sb
		}
	}
	svc.Description = sw.Description.V
	svc.Owners = b.stringList(sw.Owners, "owners")
	store, _ := b.choice(sw.Store, "store", storeChoices, string(model.StoreSQLite))
	svc.Store = model.Store(store)
	order, _ := b.choice(sw.EventOrder, "event_order", eventOrderChoices, string(model.EventOrderProducer))
	svc.EventOrder = model.EventOrder(order)
	seenPattern := map[string]bool{}
	for _, p := range sw.Patterns.Items {
		if p.Bad {
			continue
		}
		v, ok := b.choice(p, "pattern", patternChoices, "")
		if !ok {
			continue
		}
		if seenPattern[v] {
			b.errorf(p.Pos, "", "duplicate pattern %q", v)
			continue
		}
		seenPattern[v] = true
		svc.Patterns = append(svc.Patterns, model.Pattern(v))
	}
	if b.port(sw.Port, "port") {
		svc.Port = sw.Port.V
	}
	svc.APIVersions = b.apiVersions(sw)
	for _, e := range sw.Types.Entries {
		if !b.pascalName(e.Key, "type") {
			continue
		}
		m := &model.Message{Name: e.Key.V, Kind: model.TypeMessage, Service: svc}
		svc.Types = append(svc.Types, m)
		b.declareNamed(sb, e.Key, m)
	}
	for _, e := range sw.Entities.Entries {
		if !b.pascalName(e.Key, "entity") {
			continue
		}
		m := &model.Message{Name: e.Key.V, Kind: model.EntityMessage, Service: svc}
		ent := &model.Entity{Message: m}
		m.Entity = ent
		svc.Entities = append(svc.Entities, ent)
		b.declareNamed(sb, e.Key, m)
	}
	for _, e := range sw.Events.Entries {
		if !b.pascalName(e.Key, "event") {
			continue
		}
		m := &model.Message{Name: e.Key.V, Kind: model.EventMessage, Service: svc}
		svc.Events = append(svc.Events, m)
		sb.events[e.Key.V] = m
		sb.eventOrder = append(sb.eventOrder, e.Key.V)
	}
	for _, e := range sw.Commands.Entries {
		if !b.pascalName(e.Key, "command") {
			continue
		}
		c := &model.Command{Name: e.Key.V, Service: svc, Description: e.Value.Description.V,
			Input: &model.Message{Kind: model.RequestMessage, Service: svc}}
		svc.Commands = append(svc.Commands, c)
		sb.cmds[c.Name] = c
		sb.methods = append(sb.methods, c.Name)
	}
	for _, e := range sw.Queries.Entries {
		if !b.pascalName(e.Key, "query") {
			continue
		}
		if sb.cmds[e.Key.V] != nil {
			b.errorf(e.Key.Pos, "", "query %q has the name of a command of service %s", e.Key.V, svc.Name)
			continue
		}
		q := &model.Query{Name: e.Key.V, Service: svc, Description: e.Value.Description.V,
			Input: &model.Message{Kind: model.RequestMessage, Service: svc}}
		svc.Queries = append(svc.Queries, q)
		sb.queries[q.Name] = q
		sb.methods = append(sb.methods, q.Name)
	}
}

func (b *builder) declareNamed(sb *svcBuild, key str, m *model.Message) {
	if sb.named[key.V] == nil {
		sb.named[key.V] = m
		sb.namedOrder = append(sb.namedOrder, key.V)
	}
}

// buildService fills fields, commands, queries, calls and consumes.
func (b *builder) buildService(sb *svcBuild) {
	sw, svc := sb.w, sb.m
	if sw.Bad {
		return
	}
	for _, e := range sw.Types.Entries {
		if m := svc.Type(e.Key.V); m != nil {
			b.fields(sb, m, e.Value, "type "+e.Key.V)
		}
	}
	for _, e := range sw.Entities.Entries {
		if ent := svc.Entity(e.Key.V); ent != nil {
			b.fields(sb, ent.Message, e.Value.Fields, "entity "+e.Key.V)
			b.ownership(sb, ent, e.Value)
		}
	}
	for _, e := range sw.Events.Entries {
		if m := sb.events[e.Key.V]; m != nil {
			b.fields(sb, m, e.Value, "event "+e.Key.V)
		}
	}
	for _, e := range sw.Commands.Entries {
		c := sb.cmds[e.Key.V]
		if c == nil || e.Value.Bad {
			continue
		}
		b.fields(sb, c.Input, e.Value.Input, "input of "+c.Name)
		seen := map[string]bool{}
		for _, ev := range e.Value.Emits.Items {
			if ev.Bad {
				continue
			}
			m := sb.events[ev.V]
			switch {
			case seen[ev.V]:
				b.errorf(ev.Pos, "", "%s emits %q twice", c.Name, ev.V)
			case m == nil && strings.Contains(ev.V, "."):
				b.errorf(ev.Pos, "", "%s emits %q: a command emits events of its own service, named without a service", c.Name, ev.V)
			case m == nil:
				b.errorf(ev.Pos, didYouMean(ev.V, sb.eventOrder), "%s emits %q, which is not an event of service %s", c.Name, ev.V, svc.Name)
			default:
				c.Emits = append(c.Emits, m)
				sb.emitted[ev.V] = true
			}
			seen[ev.V] = true
		}
		b.declaredEffects(c, e.Value)
	}
	for _, e := range sw.Queries.Entries {
		q := sb.queries[e.Key.V]
		if q == nil || e.Value.Bad {
			continue
		}
		b.fields(sb, q.Input, e.Value.Input, "input of "+q.Name)
		if !b.required(e.Value.Output, "output", e.Value.Pos, "query") {
			continue
		}
		out := e.Value.Output
		expr := b.parseType(out, 0, len(out.V), false)
		if expr == nil {
			continue
		}
		t := b.resolveType(sb, expr)
		if t == nil {
			continue
		}
		elem := t
		if t.Kind == model.ListType {
			elem = t.Elem
		}
		if elem.Kind != model.MessageType {
			b.errorf(out.Pos, "a query returns a type or an entity, or a list of them", "query %s has output %q", q.Name, out.V)
			continue
		}
		q.Result = t
	}
	seenCall := map[string]bool{}
	for _, c := range sw.Calls.Items {
		if c.Bad {
			continue
		}
		target := b.svcs[c.V]
		switch {
		case c.V == svc.Name && svc.Name != "":
			b.errorf(c.Pos, "a service calls its own code directly", "service %s calls itself", svc.Name)
		case target == nil:
			b.errorf(c.Pos, didYouMean(c.V, b.serviceNames()), "unknown service %q in calls", c.V)
		case seenCall[c.V]:
			b.errorf(c.Pos, "", "service %s calls %s twice", svc.Name, c.V)
		default:
			svc.Calls = append(svc.Calls, target.m)
		}
		seenCall[c.V] = true
	}
	seenEvent := map[string]bool{}
	for _, c := range sw.Consumes.Items {
		if c.Bad {
			continue
		}
		other, name, at, ok := b.splitRef(c, "event", "consumes")
		if !ok {
			continue
		}
		ev := other.events[name]
		switch {
		case ev == nil:
			b.notAnEvent(other, name, at, c.V)
		case seenEvent[c.V]:
			b.errorf(c.Pos, "", "service %s consumes %s twice", svc.Name, c.V)
		case !other.emitted[name]:
			b.errorf(at, "list it under emits: of a command of "+other.m.Name, "event %s is consumed but no command emits it", c.V)
		default:
			svc.Consumes = append(svc.Consumes, ev)
		}
		seenEvent[c.V] = true
	}
}

// notAnEvent reports that name is not an event of service sb.
func (b *builder) notAnEvent(sb *svcBuild, name string, at pos, ref string) {
	switch {
	case sb.cmds[name] != nil:
		b.errorf(at, "", "%s is a command, not an event", ref)
	case sb.queries[name] != nil:
		b.errorf(at, "", "%s is a query, not an event", ref)
	default:
		b.errorf(at, didYouMean(name, sb.eventOrder), "unknown event %q in service %s", name, sb.m.Name)
	}
}

// splitRef resolves the service of a "service.Name" reference. It returns
// the service, the name and the name's position.
func (b *builder) splitRef(s str, kind, key string) (*svcBuild, string, pos, bool) {
	i := strings.IndexByte(s.V, '.')
	if i < 0 {
		b.errorf(s.Pos, fmt.Sprintf("write service.%s", pascalKind(kind)), "%s: %q must name a service and %s %s", key, s.V, model.Article(kind), kind)
		return nil, "", pos{}, false
	}
	svcName, name := s.V[:i], s.V[i+1:]
	sb := b.svcs[svcName]
	if sb == nil {
		b.errorf(s.Pos, didYouMean(svcName, b.serviceNames()), "unknown service %q in %s", svcName, key)
		return nil, "", pos{}, false
	}
	return sb, name, s.at(i + 1), true
}

func pascalKind(kind string) string { return strings.ToUpper(kind[:1]) + kind[1:] }

// fields fills msg's fields from an ordered fields mapping.
func (b *builder) fields(sb *svcBuild, msg *model.Message, fw fieldsWire, owner string) {
	goNames := map[string]str{}
	jsonNames := map[string]str{}
	for _, e := range fw.Entries {
		k := e.Key
		if !lowerSnakeRE.MatchString(k.V) {
			b.errorf(k.Pos, snakeHint(k.V), "field name %q must be lower_snake_case", k.V)
			continue
		}
		if why := fieldNameProblem(k.V); why != "" {
			b.errorf(k.Pos, "", "field name %q %s", k.V, why)
			continue
		}
		if msg.Kind == model.EntityMessage && k.V == "id" {
			b.errorf(k.Pos, "remove it: every entity gets a string id automatically", "entity %s declares an id field", msg.Name)
			continue
		}
		if prev, ok := goNames[model.GoCamelCase(k.V)]; ok {
			b.errorf(k.Pos, "", "field %q and field %q (line %d) of %s have the same Go name %s", k.V, prev.V, prev.Pos.Line, owner, model.GoCamelCase(k.V))
			continue
		}
		if prev, ok := jsonNames[model.JSONCamelCase(k.V)]; ok {
			b.errorf(k.Pos, "", "field %q and field %q (line %d) of %s have the same JSON name %s", k.V, prev.V, prev.Pos.Line, owner, model.JSONCamelCase(k.V))
			continue
		}
		goNames[model.GoCamelCase(k.V)] = k
		jsonNames[model.JSONCamelCase(k.V)] = k
		if e.Value.Bad {
			continue
		}
		if !e.Value.Set || e.Value.V == "" {
			b.errorf(k.Pos, typeHint, "field %q has no type", k.V)
			continue
		}
		expr := b.parseType(e.Value.str, 0, len(e.Value.V), false)
		if expr == nil {
			continue
		}
		t := b.resolveType(sb, expr)
		if t == nil {
			continue
		}
		f := &model.Field{Name: k.V, Type: t}
		b.fieldOptions(f, e.Value, fw, msg, owner)
		b.constraints(f, e.Value.Options, msg, owner)
		sb.fieldPos[f] = k.Pos
		msg.Fields = append(msg.Fields, f)
	}
}

// wirePathRE matches what allow_breaking names: a message or enum of a
// service, or one of its fields or values.
var wirePathRE = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9]*(\.[a-z][a-z0-9_]*)?$`)

// fieldOptions checks and sets what the mapping form of a field says.
func (b *builder) fieldOptions(f *model.Field, w fieldWire, fw fieldsWire, msg *model.Message, owner string) {
	if r := w.RenamedFrom; r.Set && !r.Bad {
		switch {
		case !lowerSnakeRE.MatchString(r.V):
			b.errorf(r.Pos, snakeHint(r.V), "renamed_from %q must be the field's old lower_snake_case name", r.V)
		case r.V == f.Name:
			b.errorf(r.Pos, "remove renamed_from", "field %q is renamed from itself", f.Name)
		default:
			for _, e := range fw.Entries {
				if e.Key.V == r.V {
					b.errorf(r.Pos, "a renamed field's old name must be gone from the message", "renamed_from %q names field %q, which %s still declares (line %d)", r.V, r.V, owner, e.Key.Pos.Line)
					return
				}
			}
			f.RenamedFrom = r.V
		}
	}
	d := w.Default
	if !d.Set || d.Bad {
		return
	}
	if msg.Kind != model.RequestMessage {
		b.errorf(d.Pos, "defaults fill what a caller leaves out: set them on command and query inputs", "default on field %q of %s, which is not a command's or query's input", f.Name, owner)
		return
	}
	if why := defaultProblem(f.Type, d.V); why != "" {
		b.errorf(d.Pos, "", "default %q of field %q %s", d.V, f.Name, why)
		return
	}
	f.Default = d.V
}

// defaultProblem says why v cannot be the default of a field of type t.
func defaultProblem(t *model.Type, v string) string {
	switch t.Kind {
	case model.EnumType:
		for _, ev := range t.Enum.Values {
			if ev.Name == v {
				return ""
			}
		}
		return "is not one of the enum's values"
	case model.ScalarType:
		var err error
		switch t.Scalar {
		case model.String:
			if v == "" {
				return "is empty"
			}
		case model.Bool:
			return "cannot be set on a bool: a caller's false and a caller who sent nothing cannot be told apart"
		case model.Int32:
			_, err = strconv.ParseInt(v, 10, 32)
		case model.Int64:
			_, err = strconv.ParseInt(v, 10, 64)
		case model.Double:
			_, err = strconv.ParseFloat(v, 64)
		default:
			return "cannot be written: defaults apply to strings, numbers, booleans and enums"
		}
		if err != nil {
			return fmt.Sprintf("is not a valid %s", t.Scalar)
		}
		return ""
	}
	return "cannot be written: defaults apply to strings, numbers, booleans and enums"
}
