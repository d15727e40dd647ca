package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
)

// ReadHistory reads what earlier generations of the repository in dir
// decided: the wire lock (.microforge/wire.json). A repository generated
// before microforge kept a lock adopts the numbers its .proto files hold, so
// that its first regeneration moves none. It returns nil when dir holds
// neither (a first generation).
func ReadHistory(ctx context.Context, dir string) (*model.History, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(proto.WirePath)))
	switch {
	case err == nil:
		var lock model.WireLock
		if err := json.Unmarshal(b, &lock); err != nil {
			return nil, fmt.Errorf("read %s: %w (restore it from version control: it holds the numbers your stored data and clients rely on)", proto.WirePath, err)
		}
		if lock.Version != model.WireLockVersion {
			return nil, fmt.Errorf("%s has format version %d; this microforge reads version %d", proto.WirePath, lock.Version, model.WireLockVersion)
		}
		return &model.History{Wire: &lock}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	lock, err := adoptProtos(ctx, dir)
	if err != nil || lock == nil {
		return nil, err
	}
	return &model.History{Wire: lock}, nil
}

// packageRE matches the proto packages microforge generates,
// "<system>.<service>.v<N>".
var packageRE = regexp.MustCompile(`^[a-z][a-z0-9_]*\.([a-z][a-z0-9_]*)\.v([0-9]+)$`)

// adoptProtos builds a wire lock from the .proto files under dir/proto: for
// every service, the numbers of its newest API version (all versions share
// them). nil when there are none.
func adoptProtos(ctx context.Context, dir string) (*model.WireLock, error) {
	root := filepath.Join(dir, "proto")
	var sources []protoc.Source
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".proto" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sources = append(sources, protoc.Source{Path: filepath.ToSlash(rel), Content: b})
		return nil
	})
	if err != nil || len(sources) == 0 {
		return nil, err
	}
	sort.Slice(sources, func(i, j int) bool { return sources[i].Path < sources[j].Path })
	compiled, err := protoc.Compile(ctx, sources)
	if err != nil {
		return nil, fmt.Errorf("read the numbers of the existing protos (to keep them): %w", err)
	}
	newest := map[string]int{} // service -> newest version
	for _, f := range compiled {
		if m := packageRE.FindStringSubmatch(string(f.Package())); m != nil {
			n, _ := strconv.Atoi(m[2])
			newest[m[1]] = max(newest[m[1]], n)
		}
	}
	lock := &model.WireLock{Version: model.WireLockVersion, Messages: map[string]*model.MessageLock{}, Enums: map[string]*model.EnumLock{}}
	for _, f := range compiled {
		m := packageRE.FindStringSubmatch(string(f.Package()))
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(m[2]); n != newest[m[1]] {
			continue
		}
		svc := m[1]
		for i := 0; i < f.Messages().Len(); i++ {
			md := f.Messages().Get(i)
			ml := &model.MessageLock{Fields: map[string]*model.FieldLock{}}
			for j := 0; j < md.Fields().Len(); j++ {
				fd := md.Fields().Get(j)
				ml.Fields[string(fd.Name())] = &model.FieldLock{Number: int(fd.Number()), Type: wireType(fd)}
			}
			ml.Reserved = reserved(md.ReservedRanges(), md.ReservedNames(), func(s string) string { return s })
			lock.Messages[svc+"."+string(md.Name())] = ml
		}
		for i := 0; i < f.Enums().Len(); i++ {
			ed := f.Enums().Get(i)
			prefix := model.UpperSnake(string(ed.Name())) + "_"
			value := func(s string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }
			el := &model.EnumLock{Values: map[string]int{}}
			for j := 0; j < ed.Values().Len(); j++ {
				v := ed.Values().Get(j)
				if v.Number() != 0 {
					el.Values[value(string(v.Name()))] = int(v.Number())
				}
			}
			el.Reserved = reserved(ed.ReservedRanges(), ed.ReservedNames(), value)
			lock.Enums[svc+"."+string(ed.Name())] = el
		}
	}
	return lock, nil
}

// rangeList is what message and enum reserved ranges have in common.
type rangeList interface {
	Len() int
}

// reserved pairs reserved numbers with reserved names in order, as
// microforge writes them.
func reserved(ranges rangeList, names protoreflect.Names, name func(string) string) []model.Reserved {
	var nums []int
	switch r := ranges.(type) {
	case protoreflect.FieldRanges:
		for i := 0; i < r.Len(); i++ {
			for n := r.Get(i)[0]; n < r.Get(i)[1]; n++ {
				nums = append(nums, int(n))
			}
		}
	case protoreflect.EnumRanges:
		for i := 0; i < r.Len(); i++ {
			for n := r.Get(i)[0]; n <= r.Get(i)[1]; n++ {
				nums = append(nums, int(n))
			}
		}
	}
	var out []model.Reserved
	for i, n := range nums {
		r := model.Reserved{Number: n}
		if i < names.Len() {
			r.Name = name(string(names.Get(i)))
		}
		out = append(out, r)
	}
	return out
}

// wireType spells a field's type as model.WireType does.
func wireType(fd protoreflect.FieldDescriptor) string {
	var t string
	switch {
	case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Timestamp":
		t = string(model.Timestamp)
	case fd.Message() != nil:
		t = localName(fd.Message().FullName())
	case fd.Enum() != nil:
		t = "enum " + localName(fd.Enum().FullName())
	default:
		t = fd.Kind().String()
	}
	if fd.IsList() {
		return "list<" + t + ">"
	}
	return t
}

// localName turns "shop.orders.v1.LineItem" into "orders.LineItem".
func localName(full protoreflect.FullName) string {
	parts := strings.Split(string(full), ".")
	if len(parts) >= 4 && packageRE.MatchString(strings.Join(parts[:3], ".")) {
		return parts[1] + "." + path.Base(strings.Join(parts[3:], "/"))
	}
	return string(full)
}
