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
	"slices"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/generators/service"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/writer"
)

// ReadHistory reads what earlier generations of the repository in dir
// decided: the wire lock (.microforge/wire.json), the schema history
// (.microforge/schema.json) and the versions of the migration files in
// every service's migration folders. A repository generated before
// microforge kept a wire lock adopts the numbers its .proto files hold; one
// generated before it kept a schema history adopts the migrations its last
// generation wrote (see adoptSchema). It returns nil when dir holds none of
// these (a first generation).
func ReadHistory(ctx context.Context, dir string) (*model.History, error) {
	wire, err := readWire(ctx, dir)
	if err != nil {
		return nil, err
	}
	onDisk, err := migrationFiles(dir)
	if err != nil {
		return nil, err
	}
	schema, err := readSchema(dir)
	if err == nil && schema == nil {
		schema, err = adoptSchema(dir)
	}
	if err != nil {
		return nil, err
	}
	if wire == nil && schema == nil && len(onDisk) == 0 {
		return nil, nil
	}
	return &model.History{Wire: wire, Schema: schema, MigrationFiles: onDisk}, nil
}

// readWire reads the wire lock, or adopts the numbers of the protos.
func readWire(ctx context.Context, dir string) (*model.WireLock, error) {
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
		return &lock, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return adoptProtos(ctx, dir)
}

// readSchema reads and checks the schema history; nil when there is none.
func readSchema(dir string) (*model.SchemaLock, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(service.SchemaPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	restore := "restore it from version control: it records the migrations your databases have applied"
	var lock model.SchemaLock
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("read %s: %w (%s)", service.SchemaPath, err, restore)
	}
	if lock.Version != model.SchemaLockVersion {
		return nil, fmt.Errorf("%s has format version %d; this microforge reads version %d", service.SchemaPath, lock.Version, model.SchemaLockVersion)
	}
	if err := lock.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w (%s)", service.SchemaPath, err, restore)
	}
	if lock.Services == nil {
		lock.Services = map[string]*model.ServiceRecord{}
	}
	return &lock, nil
}

// migrationFileRE matches a goose migration file name, capturing its
// version: "00003_custom.sql".
var migrationFileRE = regexp.MustCompile(`^([0-9]+)_.*\.sql$`)

// migrationFiles returns the versions of the migration files under
// internal/<service>/migrations/<dialect>/, by service, ascending and
// without duplicates: generated or written by the user, new migrations are
// numbered after them.
func migrationFiles(dir string) (map[string][]int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "internal", "*", "migrations", "*", "*.sql"))
	if err != nil {
		return nil, err
	}
	out := map[string][]int{}
	for _, p := range paths {
		m := migrationFileRE.FindStringSubmatch(filepath.Base(p))
		if m == nil {
			continue
		}
		v, err := strconv.Atoi(m[1])
		if err != nil {
			continue // beyond any version microforge would reach
		}
		svc := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(p))))
		if !slices.Contains(out[svc], v) {
			out[svc] = append(out[svc], v)
		}
	}
	for _, vs := range out {
		slices.Sort(vs)
	}
	return out, nil
}

// adoptSchema reconstructs the schema history of a repository generated
// before microforge kept one, from the blueprint its last generation wrote
// (the base copy of microforge.yaml): its migrations were 00001 for the
// platform tables and one per entity in blueprint order, which is what a
// first generation of that blueprint decides. Regenerating the repository
// then changes none of them. nil when there is no such blueprint.
func adoptSchema(dir string) (*model.SchemaLock, error) {
	base := path.Join(writer.BaseDir, docs.BlueprintPath) + ".base"
	src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(base)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sys, err := blueprint.Parse(base, src)
	if err != nil {
		return nil, fmt.Errorf("adopt the migrations of the last generation (%s has no %s): read the blueprint it generated from: %w", dir, service.SchemaPath, err)
	}
	// A generated migration the reconstruction does not know of means the
	// history was lost rather than never kept: guessing would drop it.
	generated, err := generatedPaths(dir)
	if err != nil {
		return nil, err
	}
	for _, svc := range sys.Services {
		known := map[string]bool{}
		for _, m := range svc.Migrations {
			for _, d := range service.Dialects(svc) {
				known[service.MigrationsDir(svc, d)+"/"+m.File()] = true
			}
		}
		for _, p := range generated {
			if strings.HasPrefix(p, "internal/"+svc.Name+"/migrations/") && strings.HasSuffix(p, ".sql") && !known[p] {
				return nil, fmt.Errorf("%s is missing, and the migrations microforge generated (%s) are not those of a repository generated before it kept one: restore %s from version control", service.SchemaPath, p, service.SchemaPath)
			}
		}
	}
	return sys.Schema, nil
}

// generatedPaths lists the files the manifest records as generated.
func generatedPaths(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(writer.ManifestPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Files map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil // the writer reports a damaged manifest
	}
	out := make([]string, 0, len(m.Files))
	for p := range m.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
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
