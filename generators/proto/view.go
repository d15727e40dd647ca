package proto

import (
	"fmt"
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
)

// protoFile is one .proto file to render with its template.
type protoFile struct {
	template string
	view     *fileView
}

// fileView is what a .proto template prints: every name, reference and
// comment is decided here.
type fileView struct {
	Path      string // relative to System.ProtoRoot: "shop/orders/v1/orders.proto"
	Package   string // "shop.orders.v1"
	GoPackage string // go_package option value: "<import path>;<package name>"
	Imports   []string
	Service   *serviceView // only in the service's main file
	Decls     []declView   // messages and enums in declaration order
}

type serviceView struct {
	Name    string
	Doc     []string
	Methods []methodView
}

type methodView struct {
	Name        string
	Request     string
	Response    string
	Doc         []string
	BlankBefore bool      // separate it from the previous method: one of the two has comments
	HTTP        *httpView // google.api.http binding of a method the gateway routes; nil otherwise
}

// httpView is a method's google.api.http rule: the REST path the gateway
// transcodes to the method.
type httpView struct {
	Verb string // "post" or "get"
	Path string // "/v1/orders/place_order"
	Body bool   // the request is the JSON body (POST); otherwise query parameters
}

// annotationsImport is the file declaring the google.api.http option.
const annotationsImport = "google/api/annotations.proto"

// declView is a message or an enum.
type declView struct {
	Message *messageView
	Enum    *enumView
}

type messageView struct {
	Name     string
	Doc      []string
	Fields   []fieldView
	Reserved *reservedView // fields removed since the first generation; nil for none
}

// reservedView is a reserved statement's two lists: numbers and names that
// removed fields or enum values had, never to be reused.
type reservedView struct {
	Numbers string // "4, 6"
	Names   string // "\"note\", \"memo\""
}

func reservedOf(rs []model.Reserved, name func(string) string) *reservedView {
	if len(rs) == 0 {
		return nil
	}
	var nums, names []string
	for _, r := range rs {
		nums = append(nums, fmt.Sprint(r.Number))
		if r.Name != "" {
			names = append(names, fmt.Sprintf("%q", name(r.Name)))
		}
	}
	return &reservedView{Numbers: strings.Join(nums, ", "), Names: strings.Join(names, ", ")}
}

type fieldView struct {
	Type   string // "repeated shop.orders.v1.LineItem"
	Name   string
	Number int
	Rules  []string // protovalidate options, "(buf.validate.field).int32.gte = 1"
}

type enumView struct {
	Name     string
	Doc      []string
	Values   []enumValueView
	Reserved *reservedView
}

type enumValueView struct {
	Name   string
	Number int
}

// bufView is what buf.yaml and buf.gen.yaml print.
type bufView struct {
	ProtoRoot   string
	GenRoot     string
	Go, Connect protoc.Plugin
	// GoogleAPIs: the protos import google/api/annotations.proto, which
	// buf resolves from the buf.build/googleapis/googleapis module.
	GoogleAPIs bool
	// Protovalidate: the protos import buf/validate/validate.proto (fields
	// have constraints), from the buf.build/bufbuild/protovalidate module.
	Protovalidate bool
}

// Templates of the three kinds of .proto file, named after the paths they
// produce below the generator's folder.
const (
	serviceTemplate = "proto/proto/[proto_dir]/[service].proto"
	typesTemplate   = "proto/proto/[proto_dir]/types.proto"
	eventsTemplate  = "proto/proto/[proto_dir]/events.proto"
)

// protoFiles returns the service's .proto files, per served version: the
// service, then types and events when it has any. Every version declares
// the same definitions in its own package.
func protoFiles(svc *model.Service) []protoFile {
	var out []protoFile
	for _, ver := range svc.Versions {
		main := protoFile{serviceTemplate, fileOf(svc, ver, ver.ProtoFile)}
		main.view.Service = serviceOf(svc, ver)
		for _, m := range main.view.Service.Methods {
			if m.HTTP != nil {
				main.view.Imports = append([]string{annotationsImport}, main.view.Imports...)
				sort.Strings(main.view.Imports)
				break
			}
		}
		out = append(out, main)
		if ver.TypesFile != "" {
			out = append(out, protoFile{typesTemplate, fileOf(svc, ver, ver.TypesFile)})
		}
		if ver.EventsFile != "" {
			out = append(out, protoFile{eventsTemplate, fileOf(svc, ver, ver.EventsFile)})
		}
	}
	return out
}

// scope is where a field type is printed: a file of one version of a
// service. The model names the service's messages after its current
// version; in an older version they are that version's.
type scope struct {
	svc  *model.Service
	ver  *model.APIVersion
	file string
}

// fileOf returns where a message or enum of svc is declared in ver.
func (s scope) fileOf(latest string) string {
	switch latest {
	case s.svc.ProtoFile:
		return s.ver.ProtoFile
	case s.svc.TypesFile:
		return s.ver.TypesFile
	case s.svc.EventsFile:
		return s.ver.EventsFile
	}
	return latest
}

// fileOf gathers the messages of the service declared in file of version
// ver, each followed by the enums its fields declare, and the imports their
// fields need.
func fileOf(svc *model.Service, ver *model.APIVersion, file string) *fileView {
	v := &fileView{
		Path:      file,
		Package:   ver.ProtoPackage,
		GoPackage: ver.GoPackage + ";" + ver.GoPackageName,
	}
	sc := scope{svc: svc, ver: ver, file: file}
	method := map[*model.Message]string{}
	for _, c := range svc.Commands {
		method[c.Input], method[c.Output] = c.Name, c.Name
	}
	for _, q := range svc.Queries {
		method[q.Input], method[q.Output] = q.Name, q.Name
	}
	imports := map[string]bool{}
	for _, m := range svc.Messages() {
		if sc.fileOf(m.File) != file {
			continue
		}
		mv := &messageView{Name: m.Name, Doc: messageDoc(m, method[m])}
		for _, f := range m.Fields {
			typ, imp := sc.fieldType(f.Type)
			if imp != "" {
				imports[imp] = true
			}
			rules := fieldRules(f)
			if len(rules) > 0 {
				imports[validateImport] = true
			}
			mv.Fields = append(mv.Fields, fieldView{Type: typ, Name: f.Name, Number: f.Number, Rules: rules})
		}
		mv.Reserved = reservedOf(m.Reserved, func(n string) string { return n })
		v.Decls = append(v.Decls, declView{Message: mv})
		for _, e := range svc.Enums {
			if e.Owner == m {
				v.Decls = append(v.Decls, declView{Enum: enumOf(e)})
			}
		}
	}
	for imp := range imports {
		v.Imports = append(v.Imports, imp)
	}
	sort.Strings(v.Imports)
	return v
}

// serviceOf is the service of version ver; the methods the gateway routes
// get REST paths under the version's prefix.
func serviceOf(svc *model.Service, ver *model.APIVersion) *serviceView {
	v := &serviceView{Name: svc.ProtoService, Doc: lines(svc.Description)}
	add := func(name string, in, out *model.Message, doc []string, http *httpView) {
		m := methodView{Name: name, Request: in.Name, Response: out.Name, Doc: doc, HTTP: http}
		if n := len(v.Methods); n > 0 {
			m.BlankBefore = len(doc) > 0 || len(v.Methods[n-1].Doc) > 0
		}
		v.Methods = append(v.Methods, m)
	}
	for _, c := range svc.Commands {
		doc := lines(c.Description)
		if len(c.Emits) > 0 {
			names := make([]string, len(c.Emits))
			for i, ev := range c.Emits {
				names[i] = ev.Name
			}
			doc = append(doc, "Emits "+strings.Join(names, ", ")+".")
		}
		var http *httpView
		if c.HTTPPath != "" {
			http = &httpView{Verb: "post", Path: ver.HTTPPrefix + "/" + c.Snake, Body: true}
		}
		add(c.Name, c.Input, c.Output, doc, http)
	}
	for _, q := range svc.Queries {
		var http *httpView
		if q.HTTPPath != "" {
			http = &httpView{Verb: "get", Path: ver.HTTPPrefix + "/" + q.Snake}
		}
		add(q.Name, q.Input, q.Output, lines(q.Description), http)
	}
	return v
}

// messageDoc documents a message; method is the command or query whose input
// or output it is.
func messageDoc(m *model.Message, method string) []string {
	switch m.Kind {
	case model.EntityMessage:
		return []string{fmt.Sprintf("%s is an entity of the %s service, identified by %s.", m.Name, m.Service.Name, m.Entity.ID.Name)}
	case model.EventMessage:
		return []string{fmt.Sprintf("%s is published on subject %s.", m.Name, m.Subject)}
	case model.RequestMessage:
		return []string{fmt.Sprintf("%s is the input of %s.", m.Name, method)}
	case model.ResponseMessage:
		return []string{fmt.Sprintf("%s is the output of %s.", m.Name, method)}
	}
	return nil
}

func enumOf(e *model.Enum) *enumView {
	v := &enumView{
		Name:   e.Name,
		Doc:    []string{fmt.Sprintf("%s holds the values of %s.%s.", e.Name, e.Owner.Name, e.Field.Name)},
		Values: []enumValueView{{Name: e.UnspecifiedProtoName, Number: 0}},
	}
	for _, val := range e.Values {
		v.Values = append(v.Values, enumValueView{Name: val.ProtoName, Number: val.Number})
	}
	prefix := model.UpperSnake(e.Name) + "_"
	v.Reserved = reservedOf(e.Reserved, func(n string) string { return prefix + strings.ToUpper(n) })
	return v
}

// fieldType returns the proto type of a field declared in the scope's file
// and the file it must import for it, if any. Names of the scope's package
// stay short; names from any other package are fully qualified with a
// leading dot, so that no package whose name starts alike (a service named
// as its system: package notes.notes.v1) captures them. The service's own
// types are those of the scope's version; other services' types are those
// of their current version.
func (s scope) fieldType(t *model.Type) (typ, imp string) {
	switch t.Kind {
	case model.ListType:
		typ, imp = s.fieldType(t.Elem)
		return "repeated " + typ, imp
	case model.EnumType:
		pkg, file := t.Enum.Service.ProtoPackage, t.Enum.File
		if t.Enum.Service == s.svc {
			pkg, file = s.ver.ProtoPackage, s.fileOf(file)
		}
		return s.qualify(pkg, t.Enum.Name, file)
	case model.MessageType:
		full, file := t.Message.FullName, t.Message.File
		if t.Message.Service == s.svc {
			full, file = s.ver.ProtoPackage+"."+t.Message.Name, s.fileOf(file)
		}
		return s.qualify(strings.TrimSuffix(full, "."+t.Message.Name), t.Message.Name, file)
	}
	if t.Scalar == model.Timestamp {
		return "google.protobuf.Timestamp", "google/protobuf/timestamp.proto"
	}
	return string(t.Scalar), ""
}

// qualify names the type name of package pkg declared in file, as the
// scope's file refers to it, and the import it needs ("" for none).
func (s scope) qualify(pkg, name, file string) (typ, imp string) {
	switch {
	case file == s.file:
		return name, ""
	case pkg == s.ver.ProtoPackage:
		return name, file
	}
	return "." + pkg + "." + name, file
}

// lines splits a description into comment lines, dropping trailing spaces
// and blank lines at either end.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		out = append(out, strings.TrimRight(l, " \t\r"))
	}
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

// checkPackageCycles rejects services whose types use each other, directly
// or through others: their protobuf packages, and so their Go packages,
// would import each other, which neither buf lint nor Go allows.
func checkPackageCycles(sys *model.System) error {
	uses := map[*model.Service][]*model.Service{}
	for _, svc := range sys.Services {
		seen := map[*model.Service]bool{}
		for _, m := range svc.Messages() {
			for _, f := range m.Fields {
				t := f.Type
				if t.Kind == model.ListType {
					t = t.Elem
				}
				if t.Kind == model.MessageType && t.Message.Service != svc && !seen[t.Message.Service] {
					seen[t.Message.Service] = true
					uses[svc] = append(uses[svc], t.Message.Service)
				}
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*model.Service]int{}
	var stack []*model.Service
	var visit func(s *model.Service) []*model.Service
	visit = func(s *model.Service) []*model.Service {
		state[s] = visiting
		stack = append(stack, s)
		for _, u := range uses[s] {
			switch state[u] {
			case visiting:
				for i, x := range stack {
					if x == u {
						return append(append([]*model.Service{}, stack[i:]...), u)
					}
				}
			case unvisited:
				if cycle := visit(u); cycle != nil {
					return cycle
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[s] = done
		return nil
	}
	for _, svc := range sys.Services {
		if state[svc] != unvisited {
			continue
		}
		if cycle := visit(svc); cycle != nil {
			names := make([]string, len(cycle))
			for i, s := range cycle {
				names[i] = s.Name
			}
			return fmt.Errorf("services %s use each other's types: their protobuf packages would import each other; declare the shared types in one of them",
				strings.Join(names, " → "))
		}
	}
	return nil
}
