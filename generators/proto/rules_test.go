package proto

import (
	"context"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/protoc"
)

const rulesBlueprint = `version: 1
name: rules
module: example.com/rules
services:
  - name: shop
    types:
      Item:
        sku: {type: string, min_len: 1, max_len: 64, pattern: "^[A-Z]+\\d*$"}
        quantity: {type: int32, min: 1, max: 1000}
        price: {type: double, exclusive_min: 0, exclusive_max: 1e6}
        tags: {type: list<string>, max_items: 5, max_len: 20}
        blob: {type: bytes, max_len: 16}
    commands:
      Buy:
        input:
          email: {type: string, format: email}
          site: {type: string, format: uri}
          ref: {type: string, format: uuid}
          items: {type: list<Item>, min_items: 1, max_items: 10}
          kind: {type: "enum(a, b)", required: true}
          total: {type: int64, min: -9223372036854775808, exclusive_max: 9223372036854775807}
          channel: {type: string, default: web, max_len: 10}
`

// The constraints reach the compiled protos as protovalidate rules, with
// the values the blueprint states, on the field of each type that carries
// them; a field with a default is checked only when set.
func TestRulesCompile(t *testing.T) {
	sys, err := blueprint.Parse("microforge.yaml", []byte(rulesBlueprint))
	if err != nil {
		t.Fatal(err)
	}
	var sources []protoc.Source
	for _, f := range generate(t, sys, Options{}) {
		if p, ok := strings.CutPrefix(f.Path, sys.ProtoRoot+"/"); ok && strings.HasSuffix(p, ".proto") {
			sources = append(sources, protoc.Source{Path: p, Content: f.Content})
		}
	}
	compiled, err := protoc.Compile(context.Background(), sources)
	if err != nil {
		t.Fatal(err)
	}
	rules := func(message, field string) *validate.FieldRules {
		t.Helper()
		for _, file := range compiled {
			if d := file.FindDescriptorByName(protoreflect.FullName("rules.shop.v1." + message)); d != nil {
				fd := d.(protoreflect.MessageDescriptor).Fields().ByName(protoreflect.Name(field))
				opts, _ := fd.Options().(*descriptorpb.FieldOptions)
				// The compiled options hold the extension as unknown
				// fields until resolved against the Go type.
				raw, err := proto.Marshal(opts)
				if err != nil {
					t.Fatal(err)
				}
				var resolved descriptorpb.FieldOptions
				if err := proto.Unmarshal(raw, &resolved); err != nil {
					t.Fatal(err)
				}
				r, _ := proto.GetExtension(&resolved, validate.E_Field).(*validate.FieldRules)
				return r
			}
		}
		t.Fatalf("no message %s", message)
		return nil
	}
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: rule missing or wrong", what)
		}
	}
	sku := rules("Item", "sku").GetString()
	check("sku", sku.GetMinLen() == 1 && sku.GetMaxLen() == 64 && sku.GetPattern() == `^[A-Z]+\d*$`)
	q := rules("Item", "quantity").GetInt32()
	check("quantity", q.GetGte() == 1 && q.GetLte() == 1000)
	p := rules("Item", "price").GetDouble()
	check("price", p.GetGt() == 0 && p.GetLt() == 1e6)
	tags := rules("Item", "tags").GetRepeated()
	check("tags", tags.GetMaxItems() == 5 && tags.GetItems().GetString().GetMaxLen() == 20)
	check("blob", rules("Item", "blob").GetBytes().GetMaxLen() == 16)
	check("email", rules("BuyRequest", "email").GetString().GetEmail())
	check("site", rules("BuyRequest", "site").GetString().GetUri())
	check("ref", rules("BuyRequest", "ref").GetString().GetUuid())
	items := rules("BuyRequest", "items").GetRepeated()
	check("items", items.GetMinItems() == 1 && items.GetMaxItems() == 10)
	check("kind", rules("BuyRequest", "kind").GetRequired())
	total := rules("BuyRequest", "total").GetInt64()
	check("total", total.GetGte() == -9223372036854775808 && total.GetLt() == 9223372036854775807)
	channel := rules("BuyRequest", "channel")
	check("channel", channel.GetIgnore() == validate.Ignore_IGNORE_IF_ZERO_VALUE && channel.GetString().GetMaxLen() == 10)
	if r := rules("Item", "sku"); r.GetIgnore() != validate.Ignore_IGNORE_UNSPECIFIED {
		t.Errorf("sku ignore = %v, want unset", r.GetIgnore())
	}
}
