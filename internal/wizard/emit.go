package wizard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/internal/blueprint"
)

// SchemaLine is the first line of every blueprint the wizard writes, like
// the shipped blueprints: editors that speak the YAML language server check
// the file against the schema (generate points it at the repository's copy).
const SchemaLine = "# yaml-language-server: $schema=microforge.schema.json"

// span is the lines (1-based, inclusive) an answer occupies in the emitted
// blueprint; lines maps each of them to the line of a multi-line answer.
type span struct {
	first, last int
	lines       []int
}

// Emit writes the answers as a blueprint.
func Emit(a *Answers) ([]byte, error) {
	text, _, _, err := emit(a)
	return text, err
}

// emitter collects the lines of a blueprint and where each answer went.
type emitter struct {
	lines []string
	spans map[string]span
}

func (e *emitter) line(format string, args ...any) {
	e.lines = append(e.lines, fmt.Sprintf(format, args...))
}

// keyed adds lines holding the answer named key.
func (e *emitter) keyed(key string, lines ...string) {
	first := len(e.lines) + 1
	e.lines = append(e.lines, lines...)
	e.spans[key] = span{first: first, last: len(e.lines)}
}

// block adds "name:" followed by the non-blank lines of text, indented,
// remembering which line of text each came from.
func (e *emitter) block(key, indent, name, text string) {
	first := len(e.lines) + 1
	sp := span{first: first, lines: []int{0}}
	e.lines = append(e.lines, indent+name+":")
	for i, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		e.lines = append(e.lines, indent+"  "+strings.TrimSpace(l))
		sp.lines = append(sp.lines, i+1)
	}
	sp.last = len(e.lines)
	e.spans[key] = sp
}

// emit returns the blueprint and where each answer landed in it: spans
// give the lines of each answer, in the text itself or, when lines is not
// nil, in the lines of another text that lines maps each line to (a line
// of the result, 1-based, is line lines[n] there).
func emit(a *Answers) (text []byte, spans map[string]span, lines []int, err error) {
	switch {
	case a.Base != nil:
		text, spans, err = emitOnto(a)
		return text, spans, nil, err
	case a.edit != nil:
		return emitEdit(a)
	}
	text, spans, err = emitNew(a)
	return text, spans, nil, err
}

// emitNew writes the answers as a blueprint of their own.
func emitNew(a *Answers) ([]byte, map[string]span, error) {
	e := &emitter{spans: map[string]span{}}
	e.line("%s", SchemaLine)
	e.line("# The blueprint of %s, written by `microforge new`. Edit it and run", a.Name)
	e.line("# `microforge generate` to update the repository; `microforge validate` checks it.")
	e.line("version: 1")
	e.keyed("name", "name: "+scalar(a.Name))
	e.keyed("module", "module: "+scalar(a.Module))
	if a.Description != "" {
		e.keyed("description", "description: "+scalar(a.Description))
	}
	e.line("")
	e.line("# Each service owns its store and serves its commands and queries over")
	e.line("# Connect, gRPC and gRPC-Web; commands record events that others consume.")
	e.line("services:")
	for i, s := range a.Services {
		if i > 0 {
			e.line("")
		}
		start := len(e.lines)
		sub := &emitter{spans: map[string]span{}}
		sub.service(s)
		for j, l := range sub.lines {
			if j == 0 {
				e.lines = append(e.lines, "  - "+l)
			} else {
				e.lines = append(e.lines, "    "+l)
			}
		}
		for k, sp := range sub.spans {
			sp.first += start
			sp.last += start
			e.spans[fmt.Sprintf("services.%d.%s", i, k)] = sp
		}
	}
	if len(a.Sagas) > 0 {
		e.line("")
		e.line("# Sagas run steps across services and undo the done ones when a step fails.")
		e.line("sagas:")
		for i, sg := range a.Sagas {
			p := fmt.Sprintf("sagas.%d.", i)
			e.keyed(p+"name", "  - name: "+scalar(sg.Name))
			if sg.Choreography {
				e.keyed(p+"orchestrator", "    choreography: true")
			} else {
				e.keyed(p+"orchestrator", "    orchestrator: "+scalar(sg.Orchestrator))
			}
			e.keyed(p+"trigger", "    trigger: "+scalar(sg.Trigger))
			e.line("    steps:")
			for j, st := range sg.Steps {
				parts := []string{"call: " + st.Call}
				if strings.TrimSpace(st.With) != "" {
					parts = append(parts, "with: {"+strings.TrimSpace(st.With)+"}")
				}
				if st.Compensate != "" {
					parts = append(parts, "compensate: "+st.Compensate)
				}
				if strings.TrimSpace(st.CompensateWith) != "" {
					parts = append(parts, "compensate_with: {"+strings.TrimSpace(st.CompensateWith)+"}")
				}
				e.keyed(fmt.Sprintf("%ssteps.%d", p, j), "      - {"+strings.Join(parts, ", ")+"}")
			}
			if sg.OnFailure != "" {
				of := "call: " + sg.OnFailure
				if strings.TrimSpace(sg.OnFailureIn) != "" {
					of += ", with: {" + strings.TrimSpace(sg.OnFailureIn) + "}"
				}
				e.keyed(p+"on_failure", "    on_failure: {"+of+"}")
			}
		}
	}
	if g := a.Gateway; g != nil {
		e.line("")
		e.line("# The gateway is the one public entry point: it checks the caller's JWT")
		e.line("# and forwards each route to its service.")
		e.line("gateway:")
		e.keyed("gateway.port", fmt.Sprintf("  port: %d", g.Port))
		if r := g.RateLimit; r != nil {
			rl := "requests_per_second: " + strconv.FormatFloat(r.RequestsPerSecond, 'f', -1, 64)
			if r.Burst > 0 {
				rl += fmt.Sprintf(", burst: %d", r.Burst)
			}
			e.keyed("gateway.rate_limit", "  rate_limit: {"+rl+"}")
		}
		if len(g.CORS) > 0 {
			e.keyed("gateway.cors", "  cors: {allowed_origins: ["+strings.Join(flowItems(g.CORS), ", ")+"]}")
		}
		e.line("  routes:")
		for i, r := range g.Routes {
			parts := []string{"service: " + r.Service}
			if len(r.Methods) > 0 {
				parts = append(parts, "methods: ["+strings.Join(r.Methods, ", ")+"]")
			}
			parts = append(parts, "auth: "+r.Auth)
			if len(r.Roles) > 0 {
				parts = append(parts, "roles: ["+strings.Join(flowItems(r.Roles), ", ")+"]")
			}
			e.keyed(fmt.Sprintf("gateway.routes.%d", i), "    - {"+strings.Join(parts, ", ")+"}")
		}
	}
	if au := a.Auth; au != nil {
		e.line("")
		e.line("# Tokens are verified against the issuer's keys (JWKS).")
		e.line("auth:")
		e.line("  jwt:")
		e.keyed("auth.issuer", "    issuer: "+scalar(au.Issuer))
		e.keyed("auth.audience", "    audience: "+scalar(au.Audience))
		e.keyed("auth.jwks_url", "    jwks_url: "+scalar(au.JWKSURL))
	}
	d := a.Deploy
	if d.Namespace != "" || d.CI != "" {
		e.line("")
		e.line("deploy:")
		if d.Namespace != "" {
			e.line("  kubernetes:")
			e.keyed("deploy.namespace", "    namespace: "+scalar(d.Namespace))
			e.keyed("deploy.replicas", fmt.Sprintf("    replicas: %d", d.Replicas))
			if d.Autoscaling {
				e.keyed("deploy.autoscaling", fmt.Sprintf("    autoscaling: {min: %d, max: %d, cpu_percent: %d}", d.Min, d.Max, d.CPUPercent))
			}
		}
		if d.CI != "" {
			e.keyed("deploy.ci", "  ci: "+d.CI)
		}
	}
	return []byte(strings.Join(e.lines, "\n") + "\n"), e.spans, nil
}

// service writes a service's mapping, unindented, first line "name: ...".
func (e *emitter) service(s Service) {
	e.keyed("name", "name: "+scalar(s.Name))
	if s.Description != "" {
		e.keyed("description", "description: "+scalar(s.Description))
	}
	e.keyed("store", "store: "+s.Store)
	if len(s.Patterns) > 0 {
		e.keyed("patterns", "patterns: ["+strings.Join(s.Patterns, ", ")+"]")
	}
	for _, b := range []struct{ key, text string }{
		{"types", s.Types}, {"entities", s.Entities}, {"commands", s.Commands}, {"queries", s.Queries}, {"events", s.Events},
	} {
		if strings.TrimSpace(b.text) != "" {
			e.block(b.key, "", b.key, b.text)
		}
	}
	if len(s.Calls) > 0 {
		e.keyed("calls", "calls: ["+strings.Join(s.Calls, ", ")+"]")
	}
	if len(s.Consumes) > 0 {
		e.keyed("consumes", "consumes: ["+strings.Join(s.Consumes, ", ")+"]")
	}
}

var (
	nameLineRE   = regexp.MustCompile(`(?m)^name:[ \t].*$`)
	moduleLineRE = regexp.MustCompile(`(?m)^module:[ \t].*$`)
)

// emitOnto extends a.Base: replaces its name and module, appends services.
func emitOnto(a *Answers) ([]byte, map[string]span, error) {
	spans := map[string]span{}
	text := a.Base
	replace := func(re *regexp.Regexp, key, value string) {
		if value == "" {
			return
		}
		if loc := re.FindIndex(text); loc != nil {
			line := strings.Count(string(text[:loc[0]]), "\n") + 1
			text = append(append(append([]byte{}, text[:loc[0]]...), key+": "+scalar(value)...), text[loc[1]:]...)
			spans[key] = span{first: line, last: line}
		}
	}
	replace(nameLineRE, "name", a.Name)
	replace(moduleLineRE, "module", a.Module)
	for i, s := range a.Services {
		sub := &emitter{spans: map[string]span{}}
		sub.service(s)
		out, at, err := blueprint.InsertService(text, sub.lines)
		if err != nil {
			return nil, nil, err
		}
		text = out
		for k, sp := range sub.spans {
			sp.first += at - 1
			sp.last += at - 1
			spans[fmt.Sprintf("services.%d.%s", i, k)] = sp
		}
	}
	return text, spans, nil
}

// scalar writes s as a YAML scalar, quoted only when it must be.
func scalar(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+s), &n); err == nil && len(n.Content) == 1 {
		m := n.Content[0]
		if len(m.Content) == 2 && m.Content[1].Kind == yaml.ScalarNode && m.Content[1].Value == s && m.Content[1].Tag == "!!str" && !strings.Contains(s, "#") {
			return s
		}
	}
	out, _ := yaml.Marshal(s)
	return strings.TrimSuffix(string(out), "\n")
}

// flowItems quotes the items of a flow list where they must be.
func flowItems(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		if strings.ContainsAny(s, ",[]{}:#\"'") || s != strings.TrimSpace(s) || scalar(s) != s {
			q, _ := yaml.Marshal(s)
			s = strings.TrimSuffix(string(q), "\n")
		}
		out[i] = s
	}
	return out
}
