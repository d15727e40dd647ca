package generate

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// TestCompiledModelIsNotChanged: model.Compile decides every derived fact
// once, and the generators and their views only read the compiled model.
// Generating each shipped and test blueprint must leave its model exactly
// as Compile left it, down to every field reachable from the System.
func TestCompiledModelIsNotChanged(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "blueprints", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range shipped {
		paths = append(paths, filepath.Join("..", "..", "blueprints", name+".yaml"))
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".yaml"), func(t *testing.T) {
			sys, err := blueprint.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			before := dumpModel(sys)
			if _, err := Files(sys, opts()); err != nil {
				t.Fatal(err)
			}
			if after := dumpModel(sys); !slices.Equal(before, after) {
				for i := range min(len(before), len(after)) {
					if before[i] != after[i] {
						t.Fatalf("generation changed the compiled model:\n  before: %s\n  after:  %s", before[i], after[i])
					}
				}
				t.Fatalf("generation changed the compiled model: %d lines of its dump before, %d after", len(before), len(after))
			}
		})
	}
}

// TestDumpModelSeesChanges: the dump TestCompiledModelIsNotChanged compares
// sees a change deep in the model, so that test can fail.
func TestDumpModelSeesChanges(t *testing.T) {
	sys := load(t, "shop")
	before := dumpModel(sys)
	sys.Service("orders").Commands[0].Input.Fields[0].GoName += "X"
	if slices.Equal(before, dumpModel(sys)) {
		t.Fatal("renaming a field's Go name left the dump as it was")
	}
}

// dumpModel writes every value reachable from sys, a line per scalar with
// its path; a pointer met again is written as the path where it was first
// met, so the model's cycles end and a pointer moved to another object
// shows.
func dumpModel(sys *model.System) []string {
	d := &dumper{seen: map[uintptr]string{}}
	d.walk("sys", reflect.ValueOf(sys))
	return d.lines
}

type dumper struct {
	seen  map[uintptr]string
	lines []string
}

func (d *dumper) walk(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			d.lines = append(d.lines, path+" = nil")
			return
		}
		if first, ok := d.seen[v.Pointer()]; ok {
			d.lines = append(d.lines, path+" = &"+first)
			return
		}
		d.seen[v.Pointer()] = path
		d.walk(path, v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			d.lines = append(d.lines, path+" = nil")
			return
		}
		d.walk(path+".("+v.Elem().Type().String()+")", v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			d.walk(path+"."+v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			d.lines = append(d.lines, path+" = nil")
			return
		}
		d.lines = append(d.lines, fmt.Sprintf("%s len %d", path, v.Len()))
		if v.Type().Elem().Kind() == reflect.Uint8 {
			d.lines = append(d.lines, fmt.Sprintf("%s = %q", path, v.Bytes()))
			return
		}
		for i := range v.Len() {
			d.walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		d.lines = append(d.lines, fmt.Sprintf("%s len %d", path, len(keys)))
		for _, k := range keys {
			d.walk(fmt.Sprintf("%s[%v]", path, k), v.MapIndex(k))
		}
	case reflect.Func, reflect.Chan:
		d.lines = append(d.lines, fmt.Sprintf("%s nil %v", path, v.IsNil()))
	case reflect.String:
		d.lines = append(d.lines, fmt.Sprintf("%s = %q", path, v.String()))
	case reflect.Bool:
		d.lines = append(d.lines, fmt.Sprintf("%s = %v", path, v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.lines = append(d.lines, fmt.Sprintf("%s = %d", path, v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		d.lines = append(d.lines, fmt.Sprintf("%s = %d", path, v.Uint()))
	case reflect.Float32, reflect.Float64:
		d.lines = append(d.lines, fmt.Sprintf("%s = %v", path, v.Float()))
	default:
		d.lines = append(d.lines, fmt.Sprintf("%s kind %s", path, v.Kind()))
	}
}
