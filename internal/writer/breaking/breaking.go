// Package breaking finds changes between two versions of a set of protobuf
// files that break the API's existing clients. It implements the core of
// buf's FILE category of breaking-change rules (the category microforge's
// generated buf.yaml selects) over descriptors compiled in-process with
// protocompile, using buf's rule names so `buf breaking` users recognise them.
// buf itself is not linked in: its module graph is far heavier than
// microforge, and these rules need only the descriptors.
package breaking

import (
	"context"
	"fmt"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/microforge/microforge/internal/protoc"
)

// Problem is one breaking change.
type Problem struct {
	Path    string `json:"path"`    // the .proto file, as compiled
	Rule    string `json:"rule"`    // buf's rule ID, e.g. FIELD_NO_DELETE
	Message string `json:"message"` // what changed
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s (%s)", p.Path, p.Message, p.Rule) }

// Check compiles both versions and compares every file of the previous one
// with its successor.
func Check(ctx context.Context, previous, next []protoc.Source) ([]Problem, error) {
	if len(previous) == 0 {
		return nil, nil
	}
	oldFiles, err := protoc.Compile(ctx, previous)
	if err != nil {
		return nil, fmt.Errorf("compile the last generated protos: %w", err)
	}
	newFiles, err := protoc.Compile(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("compile the new protos: %w", err)
	}
	byPath := map[string]protoreflect.FileDescriptor{}
	for _, f := range newFiles {
		byPath[f.Path()] = f
	}
	var c checker
	for _, of := range oldFiles {
		nf, ok := byPath[of.Path()]
		if !ok {
			c.add(of.Path(), "FILE_NO_DELETE", "file %s was deleted", of.Path())
			continue
		}
		c.file(of, nf)
	}
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Path < c.problems[j].Path })
	return c.problems, nil
}

type checker struct {
	path     string
	problems []Problem
}

func (c *checker) add(path, rule, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) file(of, nf protoreflect.FileDescriptor) {
	c.path = of.Path()
	if of.Package() != nf.Package() {
		c.add(c.path, "FILE_SAME_PACKAGE", "package changed from %q to %q", of.Package(), nf.Package())
		return // every name changed with it
	}
	c.messages(of.Messages(), nf.Messages())
	c.enums(of.Enums(), nf.Enums())
	for i := 0; i < of.Services().Len(); i++ {
		os := of.Services().Get(i)
		ns := nf.Services().ByName(os.Name())
		if ns == nil {
			c.add(c.path, "SERVICE_NO_DELETE", "service %s was deleted", os.FullName())
			continue
		}
		for j := 0; j < os.Methods().Len(); j++ {
			om := os.Methods().Get(j)
			nm := ns.Methods().ByName(om.Name())
			if nm == nil {
				c.add(c.path, "RPC_NO_DELETE", "rpc %s was deleted from service %s", om.Name(), os.FullName())
				continue
			}
			if om.Input().FullName() != nm.Input().FullName() {
				c.add(c.path, "RPC_SAME_REQUEST_TYPE", "rpc %s request type changed from %s to %s", om.FullName(), om.Input().FullName(), nm.Input().FullName())
			}
			if om.Output().FullName() != nm.Output().FullName() {
				c.add(c.path, "RPC_SAME_RESPONSE_TYPE", "rpc %s response type changed from %s to %s", om.FullName(), om.Output().FullName(), nm.Output().FullName())
			}
			if om.IsStreamingClient() != nm.IsStreamingClient() {
				c.add(c.path, "RPC_SAME_CLIENT_STREAMING", "rpc %s changed client streaming", om.FullName())
			}
			if om.IsStreamingServer() != nm.IsStreamingServer() {
				c.add(c.path, "RPC_SAME_SERVER_STREAMING", "rpc %s changed server streaming", om.FullName())
			}
		}
	}
}

func (c *checker) messages(olds, news protoreflect.MessageDescriptors) {
	for i := 0; i < olds.Len(); i++ {
		om := olds.Get(i)
		if om.IsMapEntry() {
			continue
		}
		nm := news.ByName(om.Name())
		if nm == nil {
			c.add(c.path, "MESSAGE_NO_DELETE", "message %s was deleted", om.FullName())
			continue
		}
		c.fields(om, nm)
		c.messages(om.Messages(), nm.Messages())
		c.enums(om.Enums(), nm.Enums())
	}
}

func (c *checker) fields(om, nm protoreflect.MessageDescriptor) {
	for i := 0; i < om.Fields().Len(); i++ {
		of := om.Fields().Get(i)
		nf := nm.Fields().ByNumber(of.Number())
		if nf == nil {
			c.add(c.path, "FIELD_NO_DELETE", "field %d (%s) of message %s was deleted", of.Number(), of.Name(), om.FullName())
			continue
		}
		if of.Name() != nf.Name() {
			c.add(c.path, "FIELD_SAME_NAME", "field %d of message %s changed name from %s to %s", of.Number(), om.FullName(), of.Name(), nf.Name())
		}
		if ot, nt := typeName(of), typeName(nf); ot != nt {
			c.add(c.path, "FIELD_SAME_TYPE", "field %d (%s) of message %s changed type from %s to %s", of.Number(), nf.Name(), om.FullName(), ot, nt)
		}
		if cardinality(of) != cardinality(nf) {
			c.add(c.path, "FIELD_SAME_CARDINALITY", "field %d (%s) of message %s changed cardinality from %s to %s", of.Number(), nf.Name(), om.FullName(), cardinality(of), cardinality(nf))
		}
		if oneofName(of) != oneofName(nf) {
			c.add(c.path, "FIELD_SAME_ONEOF", "field %d (%s) of message %s moved from oneof %q to %q", of.Number(), nf.Name(), om.FullName(), oneofName(of), oneofName(nf))
		}
	}
}

func (c *checker) enums(olds, news protoreflect.EnumDescriptors) {
	for i := 0; i < olds.Len(); i++ {
		oe := olds.Get(i)
		ne := news.ByName(oe.Name())
		if ne == nil {
			c.add(c.path, "ENUM_NO_DELETE", "enum %s was deleted", oe.FullName())
			continue
		}
		for j := 0; j < oe.Values().Len(); j++ {
			ov := oe.Values().Get(j)
			nv := ne.Values().ByNumber(ov.Number())
			if nv == nil {
				c.add(c.path, "ENUM_VALUE_NO_DELETE", "enum value %d (%s) of enum %s was deleted", ov.Number(), ov.Name(), oe.FullName())
				continue
			}
			if ov.Name() != nv.Name() {
				c.add(c.path, "ENUM_VALUE_SAME_NAME", "enum value %d of enum %s changed name from %s to %s", ov.Number(), oe.FullName(), ov.Name(), nv.Name())
			}
		}
	}
}

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

func cardinality(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.IsList():
		return "repeated"
	case f.HasPresence() && f.Message() == nil:
		return "optional"
	}
	return "singular"
}

func oneofName(f protoreflect.FieldDescriptor) string {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return string(o.Name())
	}
	return ""
}
