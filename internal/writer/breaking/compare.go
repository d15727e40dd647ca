package breaking

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// version is one version of the files, indexed the way buf pairs elements
// across versions: messages, enums and services by full name, wherever they
// are declared (moving one to another file of its package breaks nothing on
// the wire).
type version struct {
	byPath   map[string]protoreflect.FileDescriptor
	messages map[protoreflect.FullName]protoreflect.MessageDescriptor
	enums    map[protoreflect.FullName]protoreflect.EnumDescriptor
	services map[protoreflect.FullName]protoreflect.ServiceDescriptor
}

func index(files []protoreflect.FileDescriptor) *version {
	v := &version{
		byPath:   map[string]protoreflect.FileDescriptor{},
		messages: map[protoreflect.FullName]protoreflect.MessageDescriptor{},
		enums:    map[protoreflect.FullName]protoreflect.EnumDescriptor{},
		services: map[protoreflect.FullName]protoreflect.ServiceDescriptor{},
	}
	for _, f := range files {
		v.byPath[f.Path()] = f
		for _, m := range allMessages(f) {
			v.messages[m.FullName()] = m
		}
		for _, e := range allEnums(f) {
			v.enums[e.FullName()] = e
		}
		for i := 0; i < f.Services().Len(); i++ {
			s := f.Services().Get(i)
			v.services[s.FullName()] = s
		}
	}
	return v
}

// container is a file or a message: what declares messages and enums.
type container interface {
	Messages() protoreflect.MessageDescriptors
	Enums() protoreflect.EnumDescriptors
}

// allMessages returns the messages declared in c and in its messages, depth
// first in declaration order, map entries included (buf compares them like
// any message: a map's value type changing is a field of its entry changing
// type).
func allMessages(c container) []protoreflect.MessageDescriptor {
	var all []protoreflect.MessageDescriptor
	for i := 0; i < c.Messages().Len(); i++ {
		m := c.Messages().Get(i)
		all = append(all, m)
		all = append(all, allMessages(m)...)
	}
	return all
}

// allEnums returns the enums declared in c and in its messages.
func allEnums(c container) []protoreflect.EnumDescriptor {
	var all []protoreflect.EnumDescriptor
	for i := 0; i < c.Enums().Len(); i++ {
		all = append(all, c.Enums().Get(i))
	}
	for i := 0; i < c.Messages().Len(); i++ {
		all = append(all, allEnums(c.Messages().Get(i))...)
	}
	return all
}

// nestedName is the name of d inside its file: its full name without the
// package, "Order" or "Order.Status".
func nestedName(d protoreflect.Descriptor) string {
	pkg := d.ParentFile().Package()
	if pkg == "" {
		return string(d.FullName())
	}
	return strings.TrimPrefix(string(d.FullName()), string(pkg)+".")
}

type checker struct {
	old, new *version
	problems []Problem
	elem     protoreflect.FullName // the element the next problems are about; "" for a whole file
}

func (c *checker) add(path, rule, format string, args ...any) {
	cats, ok := ruleCategories[rule]
	if !ok {
		panic("internal error: breaking rule " + rule + " has no categories")
	}
	c.problems = append(c.problems, Problem{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...), Categories: slices.Clone(cats), Element: string(c.elem)})
}

// compare runs every rule over the previous and the next files.
func compare(olds, news []protoreflect.FileDescriptor) []Problem {
	c := &checker{old: index(olds), new: index(news)}
	for _, of := range olds {
		nf := c.new.byPath[of.Path()]
		if nf == nil {
			c.add(of.Path(), "FILE_NO_DELETE", "file %s was deleted: code importing it no longer compiles", of.Path())
			continue
		}
		c.file(of, nf)
	}
	for _, of := range olds {
		for _, om := range allMessages(of) {
			if nm := c.new.messages[om.FullName()]; nm != nil {
				c.message(om, nm)
			}
		}
		for _, oe := range allEnums(of) {
			if ne := c.new.enums[oe.FullName()]; ne != nil {
				c.enum(oe, ne)
			}
		}
		for i := 0; i < of.Services().Len(); i++ {
			os := of.Services().Get(i)
			if ns := c.new.services[os.FullName()]; ns != nil {
				c.service(os, ns)
			}
		}
	}
	return c.problems
}

// fileOptions are the file options whose change breaks generated code, by
// rule.
var fileOptions = []struct {
	rule, name string
	value      func(*descriptorpb.FileOptions) string
}{
	{"FILE_SAME_CC_ENABLE_ARENAS", "cc_enable_arenas", func(o *descriptorpb.FileOptions) string { return fmt.Sprint(o.GetCcEnableArenas()) }},
	{"FILE_SAME_CC_GENERIC_SERVICES", "cc_generic_services", func(o *descriptorpb.FileOptions) string { return fmt.Sprint(o.GetCcGenericServices()) }},
	{"FILE_SAME_CSHARP_NAMESPACE", "csharp_namespace", (*descriptorpb.FileOptions).GetCsharpNamespace},
	{"FILE_SAME_GO_PACKAGE", "go_package", (*descriptorpb.FileOptions).GetGoPackage},
	{"FILE_SAME_JAVA_GENERIC_SERVICES", "java_generic_services", func(o *descriptorpb.FileOptions) string { return fmt.Sprint(o.GetJavaGenericServices()) }},
	{"FILE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files", func(o *descriptorpb.FileOptions) string { return fmt.Sprint(o.GetJavaMultipleFiles()) }},
	{"FILE_SAME_JAVA_OUTER_CLASSNAME", "java_outer_classname", (*descriptorpb.FileOptions).GetJavaOuterClassname},
	{"FILE_SAME_JAVA_PACKAGE", "java_package", (*descriptorpb.FileOptions).GetJavaPackage},
	{"FILE_SAME_OBJC_CLASS_PREFIX", "objc_class_prefix", (*descriptorpb.FileOptions).GetObjcClassPrefix},
	{"FILE_SAME_OPTIMIZE_FOR", "optimize_for", func(o *descriptorpb.FileOptions) string { return o.GetOptimizeFor().String() }},
	{"FILE_SAME_PHP_CLASS_PREFIX", "php_class_prefix", (*descriptorpb.FileOptions).GetPhpClassPrefix},
	{"FILE_SAME_PHP_METADATA_NAMESPACE", "php_metadata_namespace", (*descriptorpb.FileOptions).GetPhpMetadataNamespace},
	{"FILE_SAME_PHP_NAMESPACE", "php_namespace", (*descriptorpb.FileOptions).GetPhpNamespace},
	{"FILE_SAME_PY_GENERIC_SERVICES", "py_generic_services", func(o *descriptorpb.FileOptions) string { return fmt.Sprint(o.GetPyGenericServices()) }},
	{"FILE_SAME_RUBY_PACKAGE", "ruby_package", (*descriptorpb.FileOptions).GetRubyPackage},
	{"FILE_SAME_SWIFT_PREFIX", "swift_prefix", (*descriptorpb.FileOptions).GetSwiftPrefix},
}

// file compares a file with its successor at the same path: its package,
// syntax and options, and the declarations it holds.
func (c *checker) file(of, nf protoreflect.FileDescriptor) {
	path := nf.Path()
	c.elem = ""
	if of.Package() != nf.Package() {
		c.add(path, "FILE_SAME_PACKAGE", "package changed from %q to %q: every message, enum and service in it changed name, for generated code and on the wire; a new package is a new API version beside the old one", of.Package(), nf.Package())
	}
	if of.Syntax() != nf.Syntax() {
		c.add(path, "FILE_SAME_SYNTAX", "syntax changed from %s to %s", of.Syntax(), nf.Syntax())
	}
	oo, _ := of.Options().(*descriptorpb.FileOptions)
	no, _ := nf.Options().(*descriptorpb.FileOptions)
	for _, opt := range fileOptions {
		if ov, nv := opt.value(oo), opt.value(no); ov != nv {
			c.add(path, opt.rule, "option %s changed from %q to %q: code generated from it moves", opt.name, ov, nv)
		}
	}

	newMessages := map[string]bool{}
	for _, m := range allMessages(nf) {
		newMessages[nestedName(m)] = true
	}
	for _, m := range allMessages(of) {
		if !newMessages[nestedName(m)] {
			c.elem = m.FullName()
			c.add(path, "MESSAGE_NO_DELETE", "message %s was deleted: code using it no longer compiles; keep it (deprecated) while clients may use it", m.FullName())
		}
	}
	newEnums := map[string]bool{}
	for _, e := range allEnums(nf) {
		newEnums[nestedName(e)] = true
	}
	for _, e := range allEnums(of) {
		if !newEnums[nestedName(e)] {
			c.elem = e.FullName()
			c.add(path, "ENUM_NO_DELETE", "enum %s was deleted: code using it no longer compiles", e.FullName())
		}
	}
	for i := 0; i < of.Services().Len(); i++ {
		s := of.Services().Get(i)
		if nf.Services().ByName(s.Name()) == nil {
			c.elem = s.FullName()
			c.add(path, "SERVICE_NO_DELETE", "service %s was deleted: its clients get Unimplemented", s.FullName())
		}
	}
}

// message compares a message with its successor of the same full name.
func (c *checker) message(om, nm protoreflect.MessageDescriptor) {
	path := nm.ParentFile().Path()
	name := om.FullName()
	for i := 0; i < om.Fields().Len(); i++ {
		of := om.Fields().Get(i)
		nf := nm.Fields().ByNumber(of.Number())
		if nf != nil {
			c.field(path, of, nf)
			continue
		}
		reserve := fmt.Sprintf("reserved %d; reserved %q;", of.Number(), of.Name())
		c.elem = of.FullName()
		c.add(path, "FIELD_NO_DELETE", "field %d %q of message %s was deleted: code using it no longer compiles; where that is acceptable, reserve it (%s) so that its number and name are never reused", of.Number(), of.Name(), name, reserve)
		if !nm.ReservedRanges().Has(of.Number()) {
			c.add(path, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "field %d %q of message %s was deleted without reserving its number: a new field reusing %d would misread old messages; add `reserved %d;`", of.Number(), of.Name(), name, of.Number(), of.Number())
		}
		if !nm.ReservedNames().Has(of.Name()) {
			c.add(path, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "field %d %q of message %s was deleted without reserving its name: a new field named %q would misread old JSON; add `reserved %q;`", of.Number(), of.Name(), name, of.Name(), of.Name())
		}
	}
	for i := 0; i < om.Oneofs().Len(); i++ {
		o := om.Oneofs().Get(i)
		if !o.IsSynthetic() && nm.Oneofs().ByName(o.Name()) == nil {
			c.elem = name
			c.add(path, "ONEOF_NO_DELETE", "oneof %q of message %s was deleted", o.Name(), name)
		}
	}
	c.elem = name
	c.keptRanges(path, "RESERVED_MESSAGE_NO_DELETE", "reserved", "message", name, fieldSpans(om.ReservedRanges()), fieldSpans(nm.ReservedRanges()), maxFieldNumber)
	c.keptNames(path, "RESERVED_MESSAGE_NO_DELETE", "message", name, om.ReservedNames(), nm.ReservedNames())
	c.keptRanges(path, "EXTENSION_MESSAGE_NO_DELETE", "extension", "message", name, fieldSpans(om.ExtensionRanges()), fieldSpans(nm.ExtensionRanges()), maxFieldNumber)

	oo, _ := om.Options().(*descriptorpb.MessageOptions)
	no, _ := nm.Options().(*descriptorpb.MessageOptions)
	if !oo.GetNoStandardDescriptorAccessor() && no.GetNoStandardDescriptorAccessor() {
		c.add(path, "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", "message %s set option no_standard_descriptor_accessor", name)
	}
	for i := 0; i < om.Fields().Len(); i++ {
		f := om.Fields().Get(i)
		if f.Cardinality() == protoreflect.Required {
			if nf := nm.Fields().ByNumber(f.Number()); nf == nil || nf.Cardinality() != protoreflect.Required {
				c.add(path, "MESSAGE_SAME_REQUIRED_FIELDS", "message %s no longer requires field %d: older readers reject messages without it", name, f.Number())
			}
		}
	}
	for i := 0; i < nm.Fields().Len(); i++ {
		f := nm.Fields().Get(i)
		if f.Cardinality() == protoreflect.Required {
			if of := om.Fields().ByNumber(f.Number()); of == nil || of.Cardinality() != protoreflect.Required {
				c.add(path, "MESSAGE_SAME_REQUIRED_FIELDS", "message %s now requires field %d: newer readers reject messages from older writers", name, f.Number())
			}
		}
	}
}

// field compares a field with its successor of the same number.
func (c *checker) field(path string, of, nf protoreflect.FieldDescriptor) {
	msg := nf.ContainingMessage().FullName()
	desc := fmt.Sprintf("field %d %q of message %s", nf.Number(), nf.Name(), msg)
	c.elem = nf.FullName()
	newField := "add a field with a new number and deprecate (later reserve) this one"
	if of.Name() != nf.Name() {
		c.add(path, "FIELD_SAME_NAME", "field %d of message %s was renamed from %q to %q: code using the old name no longer compiles; keep the name, or %s", nf.Number(), msg, of.Name(), nf.Name(), newField)
	}
	if of.JSONName() != nf.JSONName() {
		c.add(path, "FIELD_SAME_JSON_NAME", "%s changed JSON name from %q to %q: JSON clients still use the old one", desc, of.JSONName(), nf.JSONName())
	}

	ot, nt := typeName(of), typeName(nf)
	// Two enum or message fields of different types: buf compares the types'
	// full names (a map's is its entry's, whose key and value fields are
	// compared on their own).
	otherType := typeID(of) != typeID(nf)
	if of.Kind() != nf.Kind() || otherType {
		c.add(path, "FIELD_SAME_TYPE", "%s changed type from %s to %s: %s", desc, ot, nt, newField)
	}
	if wireGroup(of.Kind()) != wireGroup(nf.Kind()) {
		switch {
		case of.Kind() == protoreflect.StringKind && nf.Kind() == protoreflect.BytesKind:
			// bytes reads every string.
		case of.Kind() == protoreflect.BytesKind && nf.Kind() == protoreflect.StringKind:
			c.add(path, "FIELD_WIRE_COMPATIBLE_TYPE", "%s changed type from bytes to string: bytes that are not UTF-8 no longer decode; %s", desc, newField)
		default:
			c.add(path, "FIELD_WIRE_COMPATIBLE_TYPE", "%s changed type from %s to %s, which the binary encoding does not read across; %s", desc, ot, nt, newField)
		}
	} else if otherType && !c.sameEnumOnTheWire(of, nf) {
		c.add(path, "FIELD_WIRE_COMPATIBLE_TYPE", "%s changed type from %s to %s; %s", desc, ot, nt, newField)
	}
	if wireJSONGroup(of.Kind()) != wireJSONGroup(nf.Kind()) {
		c.add(path, "FIELD_WIRE_JSON_COMPATIBLE_TYPE", "%s changed type from %s to %s, which %s; %s", desc, ot, nt, across(wireGroup(of.Kind()) == wireGroup(nf.Kind())), newField)
	} else if otherType && !c.sameEnumOnTheWire(of, nf) {
		c.add(path, "FIELD_WIRE_JSON_COMPATIBLE_TYPE", "%s changed type from %s to %s; %s", desc, ot, nt, newField)
	}

	// A map entry's key and value get their cardinality from the map.
	if !(of.ContainingMessage().IsMapEntry() && nf.ContainingMessage().IsMapEntry()) {
		oc, nc := cardinalityOf(of), cardinalityOf(nf)
		if oc != nc {
			c.add(path, "FIELD_SAME_CARDINALITY", "%s changed from %s to %s: %s", desc, oc, nc, newField)
		}
		if oc.wireGroup() != nc.wireGroup() {
			c.add(path, "FIELD_WIRE_COMPATIBLE_CARDINALITY", "%s changed from %s to %s, which the binary encoding does not read across; %s", desc, oc, nc, newField)
		}
		if oc.wireJSONGroup() != nc.wireJSONGroup() {
			c.add(path, "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", "%s changed from %s to %s, which %s; %s", desc, oc, nc, across(oc.wireGroup() == nc.wireGroup()), newField)
		}
	}

	if oo, no := oneofName(of), oneofName(nf); oo != no {
		c.add(path, "FIELD_SAME_ONEOF", "%s moved from %s to %s", desc, oneofDesc(oo), oneofDesc(no))
	}
	if is64Bit(of.Kind()) && is64Bit(nf.Kind()) {
		oj, nj := jsType(of), jsType(nf)
		if oj != nj {
			c.add(path, "FIELD_SAME_JSTYPE", "%s changed option jstype from %s to %s", desc, oj, nj)
		}
	}
}

// across names the encodings that do not read a changed field across, given
// whether the binary encoding does.
func across(binaryReads bool) string {
	if binaryReads {
		return "JSON does not read across (the binary encoding does)"
	}
	return "neither the binary encoding nor JSON reads across"
}

// sameEnumOnTheWire reports whether two fields of different message or enum
// types still read each other: never for messages; for enums when the new
// enum has the old one's short name and keeps all its values (an enum moved
// to another package, say).
func (c *checker) sameEnumOnTheWire(of, nf protoreflect.FieldDescriptor) bool {
	if of.Enum() == nil || nf.Enum() == nil {
		return false
	}
	oe, ne := c.old.enums[of.Enum().FullName()], c.new.enums[nf.Enum().FullName()]
	if oe == nil || ne == nil {
		oe, ne = of.Enum(), nf.Enum() // declared outside the compared files
	}
	if oe.Name() != ne.Name() {
		return false
	}
	for i := 0; i < oe.Values().Len(); i++ {
		ov := oe.Values().Get(i)
		nv := ne.Values().ByName(ov.Name())
		if nv == nil || nv.Number() != ov.Number() {
			return false
		}
	}
	return true
}

// enum compares an enum with its successor of the same full name.
func (c *checker) enum(oe, ne protoreflect.EnumDescriptor) {
	path := ne.ParentFile().Path()
	name := oe.FullName()
	c.elem = name
	if oe.IsClosed() != ne.IsClosed() {
		c.add(path, "ENUM_SAME_TYPE", "enum %s changed from %s to %s", name, openness(oe), openness(ne))
	}
	oldNames, newNames := valueNames(oe), valueNames(ne)
	for _, n := range sortedNumbers(oldNames) {
		names := oldNames[n]
		now, kept := newNames[n]
		c.elem = name.Append(protoreflect.Name(names[0]))
		if kept {
			// New names (aliases) may be added; every old name must stay.
			for _, v := range names {
				if !slices.Contains(now, v) {
					c.add(path, "ENUM_VALUE_SAME_NAME", "enum value %d of enum %s was renamed from %s to %s: JSON carries enum values by name; keep the old name, and add the new one as an alias (option allow_alias = true) if it must change", n, name, strings.Join(names, ", "), strings.Join(now, ", "))
					break
				}
			}
			continue
		}
		quoted := make([]string, len(names))
		for i, v := range names {
			quoted[i] = fmt.Sprintf("%q", v)
		}
		reserve := fmt.Sprintf("reserved %d; reserved %s;", n, strings.Join(quoted, ", "))
		c.add(path, "ENUM_VALUE_NO_DELETE", "enum value %d %s of enum %s was deleted: code using it no longer compiles; where that is acceptable, reserve it (%s) so that its number and name are never reused", n, strings.Join(names, ", "), name, reserve)
		if !ne.ReservedRanges().Has(n) {
			c.add(path, "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", "enum value %d %s of enum %s was deleted without reserving its number: add `reserved %d;`", n, strings.Join(names, ", "), name, n)
		}
		for _, v := range names {
			if !ne.ReservedNames().Has(protoreflect.Name(v)) {
				c.add(path, "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", "enum value %d %s of enum %s was deleted without reserving its name: add `reserved %s;`", n, strings.Join(names, ", "), name, strings.Join(quoted, ", "))
				break
			}
		}
	}
	c.elem = name
	c.keptRanges(path, "RESERVED_ENUM_NO_DELETE", "reserved", "enum", name, enumSpans(oe.ReservedRanges()), enumSpans(ne.ReservedRanges()), maxEnumNumber)
	c.keptNames(path, "RESERVED_ENUM_NO_DELETE", "enum", name, oe.ReservedNames(), ne.ReservedNames())
}

// service compares a service with its successor of the same full name.
func (c *checker) service(os, ns protoreflect.ServiceDescriptor) {
	path := ns.ParentFile().Path()
	for i := 0; i < os.Methods().Len(); i++ {
		om := os.Methods().Get(i)
		nm := ns.Methods().ByName(om.Name())
		c.elem = om.FullName()
		if nm == nil {
			c.add(path, "RPC_NO_DELETE", "rpc %s was deleted from service %s: its callers get Unimplemented; keep it (deprecated) while clients may call it", om.Name(), os.FullName())
			continue
		}
		rpc := fmt.Sprintf("rpc %s of service %s", om.Name(), os.FullName())
		if om.Input().FullName() != nm.Input().FullName() {
			c.add(path, "RPC_SAME_REQUEST_TYPE", "%s changed request type from %s to %s: add an rpc instead", rpc, om.Input().FullName(), nm.Input().FullName())
		}
		if om.Output().FullName() != nm.Output().FullName() {
			c.add(path, "RPC_SAME_RESPONSE_TYPE", "%s changed response type from %s to %s: add an rpc instead", rpc, om.Output().FullName(), nm.Output().FullName())
		}
		if om.IsStreamingClient() != nm.IsStreamingClient() {
			c.add(path, "RPC_SAME_CLIENT_STREAMING", "%s changed client streaming from %t to %t", rpc, om.IsStreamingClient(), nm.IsStreamingClient())
		}
		if om.IsStreamingServer() != nm.IsStreamingServer() {
			c.add(path, "RPC_SAME_SERVER_STREAMING", "%s changed server streaming from %t to %t", rpc, om.IsStreamingServer(), nm.IsStreamingServer())
		}
		oo, _ := om.Options().(*descriptorpb.MethodOptions)
		no, _ := nm.Options().(*descriptorpb.MethodOptions)
		if ol, nl := oo.GetIdempotencyLevel(), no.GetIdempotencyLevel(); ol != nl {
			c.add(path, "RPC_SAME_IDEMPOTENCY_LEVEL", "%s changed option idempotency_level from %s to %s: clients choose GET or POST from it", rpc, ol, nl)
		}
	}
}

// keptNames reports reserved names the successor no longer reserves.
func (c *checker) keptNames(path, rule, kind string, name protoreflect.FullName, olds, news protoreflect.Names) {
	for i := 0; i < olds.Len(); i++ {
		if n := olds.Get(i); !news.Has(n) {
			c.add(path, rule, "reserved name %q of %s %s was deleted: reservations are forever, so that no new declaration takes the name", n, kind, name)
		}
	}
}

// span is a range of field or enum numbers, both ends included.
type span struct{ lo, hi int64 }

const (
	maxFieldNumber = 536870911
	maxEnumNumber  = 2147483647
)

func fieldSpans(r protoreflect.FieldRanges) []span {
	s := make([]span, r.Len())
	for i := range s {
		b := r.Get(i)
		s[i] = span{int64(b[0]), int64(b[1]) - 1} // end exclusive
	}
	return s
}

func enumSpans(r protoreflect.EnumRanges) []span {
	s := make([]span, r.Len())
	for i := range s {
		b := r.Get(i)
		s[i] = span{int64(b[0]), int64(b[1])}
	}
	return s
}

// keptRanges reports every range of olds whose numbers news no longer
// covers (ranges may be split or merged: only the numbers count).
func (c *checker) keptRanges(path, rule, what, kind string, name protoreflect.FullName, olds, news []span, max int64) {
	sort.Slice(news, func(i, j int) bool { return news[i].lo < news[j].lo })
	for _, o := range olds {
		var lost []string
		lo := o.lo
		for _, n := range news {
			if n.hi < lo {
				continue
			}
			if n.lo > o.hi {
				break
			}
			if n.lo > lo {
				lost = append(lost, spanString(span{lo, n.lo - 1}, max))
			}
			lo = n.hi + 1
			if lo > o.hi {
				break
			}
		}
		if lo <= o.hi {
			lost = append(lost, spanString(span{lo, o.hi}, max))
		}
		if len(lost) > 0 {
			c.add(path, rule, "%s range %s of %s %s no longer covers %s: reservations are forever, so that no new declaration takes the numbers", what, spanString(o, max), kind, name, strings.Join(lost, ", "))
		}
	}
}

func spanString(s span, max int64) string {
	switch {
	case s.lo == s.hi:
		return fmt.Sprint(s.lo)
	case s.hi == max:
		return fmt.Sprintf("%d to max", s.lo)
	}
	return fmt.Sprintf("%d to %d", s.lo, s.hi)
}

// valueNames maps an enum's numbers to their names (several with
// allow_alias), in declaration order.
func valueNames(e protoreflect.EnumDescriptor) map[protoreflect.EnumNumber][]string {
	m := map[protoreflect.EnumNumber][]string{}
	for i := 0; i < e.Values().Len(); i++ {
		v := e.Values().Get(i)
		m[v.Number()] = append(m[v.Number()], string(v.Name()))
	}
	return m
}

func sortedNumbers(m map[protoreflect.EnumNumber][]string) []protoreflect.EnumNumber {
	ns := make([]protoreflect.EnumNumber, 0, len(m))
	for n := range m {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

func openness(e protoreflect.EnumDescriptor) string {
	if e.IsClosed() {
		return "closed"
	}
	return "open"
}

// typeID is the full name of the field's message or enum type, "" for a
// scalar.
func typeID(f protoreflect.FieldDescriptor) protoreflect.FullName {
	switch {
	case f.Message() != nil:
		return f.Message().FullName()
	case f.Enum() != nil:
		return f.Enum().FullName()
	}
	return ""
}

// typeName is the field's type as written in a .proto file: a scalar, or
// the message or enum's full name (map<K, V> for a map).
func typeName(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return fmt.Sprintf("map<%s, %s>", typeName(f.MapKey()), typeName(f.MapValue()))
	case f.Message() != nil:
		return string(f.Message().FullName())
	case f.Enum() != nil:
		return string(f.Enum().FullName())
	}
	return f.Kind().String()
}

// wireGroup groups the kinds whose binary encodings read each other
// (https://protobuf.dev/programming-guides/proto3/#updating): the varints,
// the zigzag varints, the 32-bit and the 64-bit fixed-width integers. Enums,
// messages, strings and bytes stand alone: whether an int32 holds a valid
// enum value, bytes a message or valid UTF-8 is not in the schema.
func wireGroup(k protoreflect.Kind) string {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.BoolKind:
		return "varint"
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return "zigzag"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	}
	return k.String()
}

// wireJSONGroup narrows wireGroup to the kinds that also share a JSON
// encoding: 64-bit integers are JSON strings, 32-bit ones numbers, bool is
// true/false (https://protobuf.dev/programming-guides/json/).
func wireJSONGroup(k protoreflect.Kind) string {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind:
		return "varint32"
	case protoreflect.Int64Kind, protoreflect.Uint64Kind:
		return "varint64"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	}
	return k.String()
}

// cardinality is how many values a field holds and whether its absence is
// visible.
type cardinality string

const (
	explicitPresence cardinality = "optional (explicit presence)"
	implicitPresence cardinality = "singular (implicit presence)"
	required         cardinality = "required"
	repeated         cardinality = "repeated"
	mapped           cardinality = "map"
)

func cardinalityOf(f protoreflect.FieldDescriptor) cardinality {
	switch {
	case f.IsMap():
		return mapped
	case f.IsList():
		return repeated
	case f.Cardinality() == protoreflect.Required:
		return required
	case f.HasPresence():
		return explicitPresence
	}
	return implicitPresence
}

// wireGroup groups the cardinalities whose binary encodings read each
// other: a singular value either way; a map is a repeated entry message.
func (c cardinality) wireGroup() cardinality {
	switch c {
	case explicitPresence, implicitPresence:
		return implicitPresence
	case mapped:
		return repeated
	}
	return c
}

// wireJSONGroup is wireGroup, less maps and lists, which are an object and
// an array in JSON.
func (c cardinality) wireJSONGroup() cardinality {
	if c == explicitPresence {
		return implicitPresence
	}
	return c
}

func oneofName(f protoreflect.FieldDescriptor) string {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return string(o.Name())
	}
	return ""
}

func oneofDesc(name string) string {
	if name == "" {
		return "outside any oneof"
	}
	return "oneof " + name
}

func is64Bit(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return true
	}
	return false
}

func jsType(f protoreflect.FieldDescriptor) descriptorpb.FieldOptions_JSType {
	o, _ := f.Options().(*descriptorpb.FieldOptions)
	return o.GetJstype()
}
