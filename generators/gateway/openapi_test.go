package gateway

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// gatewayBlueprints are the shipped blueprints and the test blueprints
// that have a gateway.
func gatewayBlueprints(t *testing.T) map[string]*model.System {
	t.Helper()
	var bps []string
	for _, dir := range []string{"../../blueprints", "../../testdata/blueprints"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		bps = append(bps, m...)
	}
	out := map[string]*model.System{}
	for _, bp := range bps {
		sys, err := blueprint.Load(bp)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Gateway != nil {
			out[strings.TrimSuffix(filepath.Base(bp), ".yaml")] = sys
		}
	}
	if len(out) < 3 {
		t.Fatalf("only %d blueprints with a gateway", len(out))
	}
	return out
}

// loadOpenAPI generates the system's documents and loads both with
// kin-openapi, checking that they are the same document.
func loadOpenAPI(t *testing.T, sys *model.System) *openapi3.T {
	t.Helper()
	got := paths(t, sys)
	yml, js := got[OpenAPIPath], got[OpenAPIJSONPath]
	if yml == "" || js == "" {
		t.Fatalf("no %s or %s", OpenAPIPath, OpenAPIJSONPath)
	}
	docs := make([]*openapi3.T, 2)
	for i, src := range []string{yml, js} {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData([]byte(src))
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if err := doc.Validate(loader.Context); err != nil {
			t.Fatalf("the document is not valid OpenAPI: %v\n%s", err, yml)
		}
		docs[i] = doc
	}
	a, _ := json.Marshal(docs[0])
	b, _ := json.Marshal(docs[1])
	if string(a) != string(b) {
		t.Errorf("%s and %s differ", OpenAPIPath, OpenAPIJSONPath)
	}
	return docs[1]
}

// The document of every blueprint with a gateway is valid OpenAPI 3.1 to
// a real validator, and covers every routed procedure of every served
// version at its REST path and its Connect path, with the route's auth.
func TestOpenAPIValid(t *testing.T) {
	for name, sys := range gatewayBlueprints(t) {
		t.Run(name, func(t *testing.T) {
			doc := loadOpenAPI(t, sys)
			if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
				t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
			}
			ops := 0
			for _, r := range newView(sys).Routes {
				verb, restPath, _ := strings.Cut(r.REST, " ")
				for _, at := range []struct{ verb, path string }{{verb, restPath}, {http.MethodPost, r.Procedure}} {
					item := doc.Paths.Value(at.path)
					if item == nil || item.GetOperation(at.verb) == nil {
						t.Errorf("no %s %s", at.verb, at.path)
						continue
					}
					ops++
					op := item.GetOperation(at.verb)
					if _, ok := op.Responses.Map()["200"]; !ok {
						t.Errorf("%s %s: no 200 response", at.verb, at.path)
					}
					if !r.Auth {
						if op.Security != nil && len(*op.Security) > 0 {
							t.Errorf("%s %s: security on a public route", at.verb, at.path)
						}
						continue
					}
					if op.Security == nil || len(*op.Security) != 1 {
						t.Errorf("%s %s: security %v, want the bearer scheme", at.verb, at.path, op.Security)
						continue
					}
					roles, ok := (*op.Security)[0][bearerScheme]
					if !ok || !slices.Equal(roles, r.Roles) && !(len(roles) == 0 && len(r.Roles) == 0) {
						t.Errorf("%s %s: security %v, want %s with roles %v", at.verb, at.path, (*op.Security)[0], bearerScheme, r.Roles)
					}
					if _, ok := op.Responses.Map()["401"]; !ok {
						t.Errorf("%s %s: no 401 response", at.verb, at.path)
					}
				}
			}
			if got := doc.Paths.Len(); got != ops {
				t.Errorf("%d paths, want %d (one REST and one Connect path per routed procedure)", got, ops)
			}
			if scheme := doc.Components.SecuritySchemes[bearerScheme]; newView(sys).AuthRoutes != (scheme != nil) {
				t.Errorf("bearer scheme %v, routes requiring auth %v", scheme, newView(sys).AuthRoutes)
			} else if scheme != nil && (scheme.Value.Type != "http" || scheme.Value.Scheme != "bearer") {
				t.Errorf("bearer scheme %+v", scheme.Value)
			}
			if len(doc.Servers) == 0 || !strings.HasSuffix(doc.Servers[0].URL, ":"+itoa(sys.Gateway.Port)) {
				t.Errorf("servers %v, want the gateway's port %d", doc.Servers, sys.Gateway.Port)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Schemas follow protobuf's JSON mapping and carry the constraints as JSON
// Schema keywords, which the validator enforces: values inside the bounds
// pass, values outside them fail.
func TestOpenAPISchemas(t *testing.T) {
	sys := gatewayBlueprints(t)["rules"]
	doc := loadOpenAPI(t, sys)
	schema := func(name string) *openapi3.Schema {
		t.Helper()
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Fatalf("no schema %s", name)
		}
		return s.Value
	}
	visit := func(s *openapi3.Schema, v string) error {
		var value any
		if err := json.Unmarshal([]byte(v), &value); err != nil {
			t.Fatal(err)
		}
		return s.VisitJSON(value, openapi3.EnableJSONSchema2020())
	}
	line := schema("rules.catalog.v1.Line")
	create := schema("rules.catalog.v1.CreateBasketRequest")
	basket := schema("rules.catalog.v1.Basket")
	okLine := `{"code": "ABC-1", "quantity": 3, "price": 0, "weight": 0.5}`
	okCreate := `{"owner": "a@example.com", "lines": [` + okLine + `,` + okLine + `], "tags": ["ab"], "reference": "123e4567-e89b-12d3-a456-426614174000", "site": "https://example.com/", "size": "CREATE_BASKET_REQUEST_SIZE_SMALL"}`
	for _, c := range []struct {
		schema *openapi3.Schema
		value  string
		ok     bool
	}{
		{line, okLine, true},
		{line, `{"code": "abc-1"}`, false},          // pattern
		{line, `{"code": "ABC-1234567890"}`, false}, // max_len
		{line, `{"quantity": 0}`, false},            // min
		{line, `{"quantity": 1001}`, false},         // max
		{line, `{"weight": 0}`, false},              // exclusive_min
		{line, `{"weight": 500}`, true},             // max is inclusive
		{line, `{"weight": 500.5}`, false},
		{line, `{"quantity": "3"}`, false}, // int32 is a JSON number
		{create, okCreate, true},
		{create, strings.Replace(okCreate, `"CREATE_BASKET_REQUEST_SIZE_SMALL"`, `"CREATE_BASKET_REQUEST_SIZE_UNSPECIFIED"`, 1), false}, // required enum
		{create, strings.Replace(okCreate, `"size": "CREATE_BASKET_REQUEST_SIZE_SMALL"`, `"tags": []`, 1), false},                       // required, missing
		{create, strings.Replace(okCreate, `"CREATE_BASKET_REQUEST_SIZE_SMALL"`, `"CREATE_BASKET_REQUEST_SIZE_HUGE"`, 1), false},
		{create, strings.Replace(okCreate, `[`+okLine+`,`+okLine+`]`, `[`+okLine+`]`, 1), false}, // min_items
		{create, strings.Replace(okCreate, `["ab"]`, `["a"]`, 1), false},                         // element min_len
		{create, strings.Replace(okCreate, `["ab"]`, `["ab", "cd", "ef", "gh"]`, 1), false},      // max_items
		// An answer: int64 as strings, every field, unset messages null.
		{basket, `{"id": "b-1", "owner": "", "lines": [], "tags": [], "total": 0}`, true},
		{basket, `{"id": "b-1", "lines": [null]}`, false},
	} {
		if err := visit(c.schema, c.value); (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok %v", c.value, err, c.ok)
		}
	}
	shop := loadOpenAPI(t, gatewayBlueprints(t)["shop"])
	order := shop.Components.Schemas["shop.orders.v1.Order"].Value
	for v, ok := range map[string]bool{
		`{"id": "o", "customerId": "c", "items": [{"sku": "s", "quantity": 1, "priceCents": "500"}], "totalCents": "1000", "status": "ORDER_STATUS_CONFIRMED"}`: true,
		`{"totalCents": 1000}`:            true, // int64 accepted as a number too
		`{"totalCents": "ten"}`:           false,
		`{"status": "ORDER_STATUS_LOST"}`: false,
	} {
		if err := visit(order, v); (err == nil) != ok {
			t.Errorf("Order %s: error %v, want ok %v", v, err, ok)
		}
	}
	get := shop.Components.Schemas["shop.orders.v1.GetOrderResponse"].Value
	if err := visit(get, `{"order": null}`); err != nil {
		t.Errorf("an unset message is null: %v", err)
	}
}
