package blueprint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/blueprints"
)

const schemaURL = "microforge.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(blueprints.Schema))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// yamlToJSON converts a YAML document to the JSON value an editor's schema
// validation sees.
func yamlToJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestShippedBlueprintsMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	names, err := filepath.Glob("../../blueprints/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range names {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := blueprints.FS.ReadFile(filepath.Base(path))
			if err != nil {
				t.Fatalf("not embedded: %v", err)
			}
			if err := sch.Validate(yamlToJSON(t, src)); err != nil {
				t.Errorf("schema rejects %s: %v", path, err)
			}
		})
	}
}

// The test blueprints are valid under the schema too.
func TestTestBlueprintsMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	names, err := filepath.Glob("../../testdata/blueprints/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no test blueprints: %v", err)
	}
	for _, path := range names {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSON(t, src)); err != nil {
			t.Errorf("schema rejects %s: %v", path, err)
		}
	}
}

// structuralCases are invalid-corpus cases whose every problem the schema can
// express (unknown keys, wrong kinds, values outside an enumeration or
// range): the schema must reject them too.
var structuralCases = []string{
	"04-version-unsupported",
	"05-unknown-top-level-key",
	"06-unknown-service-keys",
	"08-wrong-kinds",
	"09-services-empty",
	"36-unknown-choices",
	"44-nested-wrong-kinds",
	"45-gateway-settings",
	"47-unknown-nested-keys",
	"54-api-version-zero",
	"55-api-versions-order",
	"62-effects-written-wrong",
	"68-owner-written-wrong",
}

func TestSchemaRejectsStructuralProblems(t *testing.T) {
	sch := compileSchema(t)
	cases := map[string]invalidCase{}
	for _, c := range loadInvalidCases(t) {
		cases[strings.TrimSuffix(filepath.Base(c.path), ".txtar")] = c
	}
	for _, name := range structuralCases {
		c, ok := cases[name]
		if !ok {
			t.Errorf("no invalid case %s", name)
			continue
		}
		if err := sch.Validate(yamlToJSON(t, c.src)); err == nil {
			t.Errorf("%s: the schema accepts it, the decoder does not", name)
		}
	}
}

// TestSchemaKeysMatchDecoder walks the wire structs and the schema together
// and checks that every mapping has the same keys in both.
func TestSchemaKeysMatchDecoder(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(blueprints.Schema, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		for s != nil {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			s, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		return s
	}
	visited := 0
	var walk func(path string, typ reflect.Type, s map[string]any)
	walk = func(path string, typ reflect.Type, s map[string]any) {
		s = resolve(s)
		if s == nil {
			t.Errorf("%s: no schema", path)
			return
		}
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ == reflect.TypeFor[fieldWire]() { // a type alone, or the mapping form
			alts, _ := s["oneOf"].([]any)
			for _, a := range alts {
				if alt := resolve(a.(map[string]any)); alt["type"] == "object" {
					walk(path, reflect.TypeFor[fieldOptionsWire](), alt)
					return
				}
			}
			t.Errorf("%s: no mapping form in the schema", path)
			return
		}
		if typ == reflect.TypeFor[entityWire]() { // fields, and the owner rule under owner
			props, _ := s["properties"].(map[string]any)
			owner, _ := props[ownerKey].(map[string]any)
			alts, _ := owner["oneOf"].([]any)
			for _, a := range alts {
				if alt := resolve(a.(map[string]any)); alt["type"] == "object" && alt["required"] != nil && slices.Contains(alt["required"].([]any), any("field")) {
					walk(path+"."+ownerKey, reflect.TypeFor[ownerWire](), alt)
				}
			}
			if len(alts) == 0 {
				t.Errorf("%s: no owner rule in the schema", path)
			}
			extra, _ := s["additionalProperties"].(map[string]any)
			walk(path+".*", reflect.TypeFor[fieldWire](), extra)
			return
		}
		if f, ok := typ.FieldByName("Items"); ok && typ.NumField() <= 4 { // list[T]
			items, _ := s["items"].(map[string]any)
			walk(path+"[]", f.Type.Elem(), items)
			return
		}
		if f, ok := typ.FieldByName("Entries"); ok { // ordered[T]
			val, _ := f.Type.Elem().FieldByName("Value")
			extra, _ := s["additionalProperties"].(map[string]any)
			walk(path+".*", val.Type, extra)
			return
		}
		keys, _ := wireKeys(typ)
		if len(keys) == 0 {
			return // a scalar
		}
		visited++
		if s["additionalProperties"] != false {
			t.Errorf("%s: schema allows additional properties", path)
		}
		props, _ := s["properties"].(map[string]any)
		var schemaKeys []string
		for k := range props {
			schemaKeys = append(schemaKeys, k)
		}
		sort.Strings(schemaKeys)
		sorted := slices.Sorted(slices.Values(keys))
		if !slices.Equal(sorted, schemaKeys) {
			t.Errorf("%s: decoder keys %v, schema keys %v", path, sorted, schemaKeys)
		}
		for _, k := range keys {
			f, _ := typ.FieldByName(fieldFor(typ, k))
			p, _ := props[k].(map[string]any)
			if p != nil && resolve(p)["description"] == nil && p["description"] == nil {
				t.Errorf("%s.%s: no description in the schema", path, k)
			}
			walk(path+"."+k, f.Type, p)
		}
	}
	walk("blueprint", reflect.TypeOf(fileWire{}), root)
	if visited < 15 {
		t.Errorf("walked %d mappings, want every wire struct", visited)
	}
}

func fieldFor(typ reflect.Type, key string) string {
	_, index := wireKeys(typ)
	return typ.Field(index[key]).Name
}
