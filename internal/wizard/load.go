package wizard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/internal/blueprint"
)

// editBase is a blueprint the answers edit: its text as the author keeps
// it, and the answers read from it written by Emit. The answers are
// written back by blueprint.Patch: what they did not change keeps its
// bytes, comments and every key the wizard does not ask about included.
type editBase struct {
	src []byte
	old []byte
}

// Load reads the answers a blueprint gives, to edit them: every question
// of the wizard starts from what the blueprint says. name is the file's
// name in messages. Emit writes the edited answers back onto src (see
// editBase). The blueprint must be valid.
func Load(name string, src []byte) (*Answers, error) {
	if _, err := blueprint.Parse(name, src); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	a := &Answers{
		Name:        scalarAt(root, "name"),
		Module:      scalarAt(root, "module"),
		Description: scalarAt(root, "description"),
	}
	for _, sn := range items(valueAt(root, "services")) {
		s := Service{
			Name:        scalarAt(sn, "name"),
			Description: scalarAt(sn, "description"),
			Store:       scalarAt(sn, "store"),
			Patterns:    listAt(sn, "patterns"),
			Types:       entries(valueAt(sn, "types")),
			Entities:    entries(valueAt(sn, "entities")),
			Commands:    entries(valueAt(sn, "commands")),
			Queries:     entries(valueAt(sn, "queries")),
			Events:      entries(valueAt(sn, "events")),
			Calls:       listAt(sn, "calls"),
			Consumes:    listAt(sn, "consumes"),
		}
		if s.Store == "" {
			s.Store = "sqlite"
		}
		a.Services = append(a.Services, s)
	}
	for _, gn := range items(valueAt(root, "sagas")) {
		sg := Saga{
			Name:         scalarAt(gn, "name"),
			Orchestrator: scalarAt(gn, "orchestrator"),
			Choreography: scalarAt(gn, "choreography") == "true",
			Trigger:      scalarAt(gn, "trigger"),
		}
		for _, st := range items(valueAt(gn, "steps")) {
			sg.Steps = append(sg.Steps, Step{
				Call:           scalarAt(st, "call"),
				With:           inside(valueAt(st, "with")),
				Compensate:     scalarAt(st, "compensate"),
				CompensateWith: inside(valueAt(st, "compensate_with")),
			})
		}
		if of := valueAt(gn, "on_failure"); of != nil {
			sg.OnFailure, sg.OnFailureIn = scalarAt(of, "call"), inside(valueAt(of, "with"))
		}
		a.Sagas = append(a.Sagas, sg)
	}
	if gn := valueAt(root, "gateway"); gn != nil {
		g := &Gateway{Port: 8080}
		if p, err := strconv.Atoi(scalarAt(gn, "port")); err == nil {
			g.Port = p
		}
		if rl := valueAt(gn, "rate_limit"); rl != nil {
			r := &RateLimit{}
			r.RequestsPerSecond, _ = strconv.ParseFloat(scalarAt(rl, "requests_per_second"), 64)
			r.Burst, _ = strconv.Atoi(scalarAt(rl, "burst"))
			g.RateLimit = r
		}
		if c := valueAt(gn, "cors"); c != nil {
			g.CORS = listAt(c, "allowed_origins")
		}
		for _, rn := range items(valueAt(gn, "routes")) {
			r := Route{Service: scalarAt(rn, "service"), Methods: listAt(rn, "methods"), Auth: scalarAt(rn, "auth"), Roles: listAt(rn, "roles")}
			if r.Auth == "" {
				r.Auth = "required"
			}
			g.Routes = append(g.Routes, r)
		}
		a.Gateway = g
	}
	if jwt := valueAt(valueAt(root, "auth"), "jwt"); jwt != nil {
		a.Auth = &Auth{Issuer: scalarAt(jwt, "issuer"), Audience: scalarAt(jwt, "audience"), JWKSURL: scalarAt(jwt, "jwks_url")}
	}
	// Without Kubernetes, the questions about it offer what new does.
	a.Deploy = DefaultDeploy(a.Name)
	a.Deploy.Namespace, a.Deploy.CI = "", ""
	if dn := valueAt(root, "deploy"); dn != nil {
		a.Deploy.CI = scalarAt(dn, "ci")
		if k := valueAt(dn, "kubernetes"); k != nil {
			a.Deploy.Autoscaling = false
			d := &a.Deploy
			d.Namespace = scalarAt(k, "namespace")
			if d.Namespace == "" {
				d.Namespace = strings.ReplaceAll(a.Name, "_", "-")
			}
			d.Replicas = 1
			if r, err := strconv.Atoi(scalarAt(k, "replicas")); err == nil {
				d.Replicas = r
			}
			if as := valueAt(k, "autoscaling"); as != nil {
				d.Autoscaling, d.Min, d.CPUPercent = true, 1, 80
				if v, err := strconv.Atoi(scalarAt(as, "min")); err == nil {
					d.Min = v
				}
				d.Max, _ = strconv.Atoi(scalarAt(as, "max"))
				if v, err := strconv.Atoi(scalarAt(as, "cpu_percent")); err == nil {
					d.CPUPercent = v
				}
			}
		}
	}
	old, _, err := emitNew(a)
	if err != nil {
		return nil, err
	}
	a.edit = &editBase{src: src, old: old}
	return a, nil
}

// Editing reports whether the answers edit an existing blueprint.
func (a *Answers) Editing() bool { return a.edit != nil }

// emitEdit writes the answers onto the blueprint they edit. Spans are
// those of the answers written alone (emitNew); lines maps each line of
// the result to a line there. When the answers do not make valid YAML,
// it returns them written alone, for the parser to say where.
func emitEdit(a *Answers) ([]byte, map[string]span, []int, error) {
	text, spans, err := emitNew(a)
	if err != nil {
		return nil, nil, nil, err
	}
	var probe yaml.Node
	if yaml.Unmarshal(text, &probe) != nil {
		return text, spans, nil, nil
	}
	out, lines, err := blueprint.Patch(a.edit.src, a.edit.old, text)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, spans, lines, nil
}

func valueAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v := m.Content[i+1]; v.Tag != "!!null" {
				return v
			}
			return nil
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	if v := valueAt(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func listAt(m *yaml.Node, key string) []string {
	var out []string
	for _, it := range items(valueAt(m, key)) {
		out = append(out, it.Value)
	}
	return out
}

// entries writes each entry of a mapping on a line of its own, in flow
// style: the answer of a multi-line question.
func entries(m *yaml.Node) string {
	if m == nil || m.Kind != yaml.MappingNode {
		return ""
	}
	var lines []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		lines = append(lines, flow(m.Content[i])+": "+flow(m.Content[i+1]))
	}
	return strings.Join(lines, "\n")
}

// inside is a mapping in flow style without its braces: "a: b, c: d".
func inside(m *yaml.Node) string {
	if m == nil {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(flow(m), "{"), "}")
}

// enumTypeRE matches a field type the blueprint reads inside a flow
// mapping as it is, commas included.
var enumTypeRE = regexp.MustCompile(`^enum\s*\([^()]*\)$`)

// flow writes a node in flow style on one line, without comments, keeping
// the quoting of quoted scalars.
func flow(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		var parts []string
		content := joinEnums(n.Content)
		for i := 0; i+1 < len(content); i += 2 {
			parts = append(parts, flow(content[i])+": "+flow(content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case yaml.SequenceNode:
		var parts []string
		for _, c := range n.Content {
			parts = append(parts, flow(c))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.AliasNode:
		return flow(n.Alias)
	}
	if n.Tag == "!!null" {
		return "null"
	}
	plain := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
	if plain && (enumTypeRE.MatchString(n.Value) || !strings.ContainsAny(n.Value, ",[]{}#\n") && scalar(n.Value) == n.Value) {
		return n.Value
	}
	if plain && n.Tag != "!!str" {
		return n.Value // a number or a bool
	}
	q := &yaml.Node{Kind: yaml.ScalarNode, Value: n.Value, Style: yaml.DoubleQuotedStyle}
	if n.Style&yaml.SingleQuotedStyle != 0 && !strings.Contains(n.Value, "\n") {
		q.Style = yaml.SingleQuotedStyle
	}
	out, err := yaml.Marshal(q)
	if err != nil {
		return fmt.Sprintf("%q", n.Value)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// joinEnums undoes what YAML does to an enum inside a flow mapping, as the
// blueprint does: in {status: enum(a, b)} the comma ends the value, leaving
// "enum(a" and a key "b)" without a value. It returns the mapping's content
// with the pieces joined back into one plain value.
func joinEnums(content []*yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		k, v := content[i], content[i+1]
		if v.Kind != yaml.ScalarNode || v.Style != 0 || !strings.Contains(v.Value, "enum(") || strings.Contains(v.Value, ")") {
			out = append(out, k, v)
			continue
		}
		joined := *v
		for i+3 < len(content) && content[i+3].Tag == "!!null" && content[i+2].Style == 0 {
			i += 2
			joined.Value += ", " + content[i].Value
			if strings.Contains(content[i].Value, ")") {
				break
			}
		}
		out = append(out, k, &joined)
	}
	return out
}
