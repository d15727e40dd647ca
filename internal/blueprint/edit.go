package blueprint

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The edits below change a blueprint's text in place, as a person would:
// they insert lines where the new entry belongs and leave every other byte
// — comments, blank lines, quoting, flow or block style — as it was. They
// use the YAML parse only to find where things are. The result is not
// validated here: parse it to check it.

// AddService appends a service to the blueprint's services list. Store and
// description are optional ("" leaves the key out).
func AddService(src []byte, name, store, description string) ([]byte, error) {
	out, _, err := InsertService(src, append([]string{"name: " + name}, serviceKeys("", store, description)...))
	return out, err
}

// InsertService appends a service to the blueprint's services list. entry
// is the service's mapping as block YAML lines, unindented, its first line
// "name: NAME"; it is indented to match the list. It also returns the
// 1-based line at which the entry's first line landed.
func InsertService(src []byte, entry []string) ([]byte, int, error) {
	if len(entry) == 0 || !strings.HasPrefix(entry[0], "name: ") {
		return nil, 0, fmt.Errorf("internal error: a service entry starts with its name")
	}
	name := strings.TrimSpace(strings.TrimPrefix(entry[0], "name: "))
	d, err := newEditDoc(src)
	if err != nil {
		return nil, 0, err
	}
	indented := func(dashCol, keyCol int) []string {
		out := []string{strings.Repeat(" ", dashCol) + "-" + strings.Repeat(" ", keyCol-dashCol-1) + entry[0]}
		for _, l := range entry[1:] {
			if l == "" {
				out = append(out, "")
			} else {
				out = append(out, strings.Repeat(" ", keyCol)+l)
			}
		}
		return out
	}
	key, services := d.rootKey("services")
	if services == nil {
		at := d.lastContentLine()
		return d.insertAfter(at, append([]string{"", "services:"}, indented(2, 4)...)), at + 3, nil
	}
	if services.Kind != yaml.SequenceNode || services.Style&yaml.FlowStyle != 0 {
		return nil, 0, fmt.Errorf("%d:%d: services is not a block list (\"- name: ...\" lines): add the service by hand", key.Line, key.Column)
	}
	if len(services.Content) == 0 {
		return nil, 0, fmt.Errorf("%d:%d: services is empty: add the service by hand", key.Line, key.Column)
	}
	for _, s := range services.Content {
		if n := mapValue(s, "name"); n != nil && n.Value == name {
			return nil, 0, fmt.Errorf("%d:%d: there is already a service named %q", n.Line, n.Column, name)
		}
	}
	first := services.Content[0]
	dash := d.dashIndent(first)
	if dash < 0 {
		return nil, 0, fmt.Errorf("%d:%d: cannot tell how the services list is indented: add the service by hand", first.Line, first.Column)
	}
	var text []string
	if len(services.Content) > 1 && d.blankBefore(services.Content[1].Line) {
		text = append(text, "")
	}
	text = append(text, indented(dash, first.Column-1)...)
	at := d.end(services, dash)
	return d.insertAfter(at, text), at + len(text) - len(entry) + 1, nil
}

func serviceKeys(indent, store, description string) []string {
	var out []string
	if description != "" {
		out = append(out, indent+"description: "+quoteIfNeeded(description))
	}
	if store != "" {
		out = append(out, indent+"store: "+store)
	}
	return out
}

// AddCommand adds a command to a service. input is the inside of the
// command's input mapping in flow style ("order_id: string, note: string"),
// possibly empty.
func AddCommand(src []byte, service, command, input string) ([]byte, error) {
	d, err := newEditDoc(src)
	if err != nil {
		return nil, err
	}
	_, services := d.rootKey("services")
	var svc *yaml.Node
	var names []string
	if services != nil && services.Kind == yaml.SequenceNode {
		for _, s := range services.Content {
			if n := mapValue(s, "name"); n != nil {
				names = append(names, n.Value)
				if n.Value == service {
					svc = s
				}
			}
		}
	}
	if svc == nil {
		msg := fmt.Sprintf("there is no service named %q", service)
		if len(names) > 0 {
			msg += " (services: " + strings.Join(names, ", ") + ")"
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if svc.Kind != yaml.MappingNode || svc.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%d:%d: service %s is not a block mapping: add the command by hand", svc.Line, svc.Column, service)
	}
	entry := command + ": {input: {" + input + "}}"
	cmdKey, commands := keyValue(svc, "commands")
	if commands == nil {
		indent := strings.Repeat(" ", svc.Column-1)
		return d.insertAfter(d.end(svc, svc.Column-1), []string{indent + "commands:", indent + "  " + entry}), nil
	}
	if commands.Kind != yaml.MappingNode || commands.Style&yaml.FlowStyle != 0 || len(commands.Content) == 0 {
		return nil, fmt.Errorf("%d:%d: commands of %s is not a block mapping: add the command by hand", cmdKey.Line, cmdKey.Column, service)
	}
	if k, _ := keyValue(commands, command); k != nil {
		return nil, fmt.Errorf("%d:%d: service %s already has a command %s", k.Line, k.Column, service, command)
	}
	indent := commands.Content[0].Column - 1
	return d.insertAfter(d.end(commands, indent), []string{strings.Repeat(" ", indent) + entry}), nil
}

type editDoc struct {
	lines []string // without their "\n"
	root  *yaml.Node
	crlf  bool
}

func newEditDoc(src []byte) (*editDoc, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("the blueprint is not valid YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the blueprint is not a YAML mapping")
	}
	text := string(src)
	d := &editDoc{root: doc.Content[0], crlf: strings.Contains(text, "\r\n")}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	d.lines = strings.Split(text, "\n")
	return d, nil
}

func (d *editDoc) rootKey(name string) (*yaml.Node, *yaml.Node) { return keyValue(d.root, name) }

func keyValue(m *yaml.Node, name string) (*yaml.Node, *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func mapValue(m *yaml.Node, name string) *yaml.Node {
	_, v := keyValue(m, name)
	return v
}

// dashIndent returns the column (0-based) of the "- " that starts the
// sequence item n, or -1.
func (d *editDoc) dashIndent(n *yaml.Node) int {
	line := d.lines[n.Line-1]
	if n.Column-1 > len(line) {
		return -1
	}
	i := strings.LastIndex(line[:n.Column-1], "-")
	if i < 0 || strings.TrimSpace(line[:i]) != "" {
		return -1
	}
	return i
}

// end returns the last line (1-based) of node n, whose entries are indented
// more than indent columns: the line of its last descendant, plus the lines
// that continue it (more indented, not blank: a closing brace, a comment on
// the entry, a block scalar).
func (d *editDoc) end(n *yaml.Node, indent int) int {
	last := lastLine(n)
	for last < len(d.lines) {
		next := d.lines[last]
		if strings.TrimSpace(next) == "" || len(next)-len(strings.TrimLeft(next, " ")) <= indent {
			break
		}
		last++
	}
	return last
}

func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

func (d *editDoc) blankBefore(line int) bool {
	return line >= 2 && strings.TrimSpace(d.lines[line-2]) == ""
}

// lastContentLine is the last line that is neither blank nor a comment.
func (d *editDoc) lastContentLine() int {
	for i := len(d.lines); i > 0; i-- {
		if t := strings.TrimSpace(d.lines[i-1]); t != "" && !strings.HasPrefix(t, "#") {
			return i
		}
	}
	return len(d.lines)
}

// insertAfter returns the document with text inserted after line (1-based).
func (d *editDoc) insertAfter(line int, text []string) []byte {
	all := append(append(append([]string{}, d.lines[:line]...), text...), d.lines[line:]...)
	nl := "\n"
	if d.crlf {
		nl = "\r\n"
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(all, nl))
	b.WriteString(nl)
	return b.Bytes()
}

func quoteIfNeeded(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+s), &n); err == nil && len(n.Content) == 1 {
		if v := mapValue(n.Content[0], "k"); v != nil && v.Kind == yaml.ScalarNode && v.Value == s && v.Tag == "!!str" {
			return s
		}
	}
	out, _ := yaml.Marshal(s)
	return strings.TrimSuffix(string(out), "\n")
}
