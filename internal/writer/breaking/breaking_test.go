package breaking

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/protoc"
)

const before = `syntax = "proto3";
package shop.orders.v1;
service OrdersService {
  rpc PlaceOrder(PlaceOrderRequest) returns (PlaceOrderResponse);
  rpc GetOrder(GetOrderRequest) returns (PlaceOrderResponse);
}
message PlaceOrderRequest {
  string customer_id = 1;
  int64 total_cents = 2;
  repeated string skus = 3;
  string note = 4;
}
message PlaceOrderResponse { string id = 1; }
message GetOrderRequest { string id = 1; }
enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_PENDING = 1;
  STATUS_DONE = 2;
}
`

func src(s string) []protoc.Source {
	return []protoc.Source{{Path: "shop/orders/v1/orders.proto", Content: []byte(s)}}
}

func TestCompatibleAdditionsPass(t *testing.T) {
	after := strings.Replace(before, "string note = 4;", "string note = 4;\n  bool gift = 5;", 1)
	after = strings.Replace(after, "STATUS_DONE = 2;", "STATUS_DONE = 2;\n  STATUS_LOST = 3;", 1)
	probs, err := Check(context.Background(), src(before), src(after))
	if err != nil || len(probs) != 0 {
		t.Fatalf("%v %v", probs, err)
	}
}

func TestBreakingChangesAreFlagged(t *testing.T) {
	for _, c := range []struct{ old, new, rule string }{
		{"  string note = 4;\n", "", "FIELD_NO_DELETE"},
		{"string note = 4;", "string remark = 4;", "FIELD_SAME_JSON_NAME FIELD_SAME_NAME"},
		{"string note = 4;", "string remark = 4 [json_name = \"note\"];", "FIELD_SAME_NAME"},
		{"  string note = 4;\n", "  reserved 4;\n  reserved \"note\";\n", "FIELD_NO_DELETE"},
		{"int64 total_cents = 2;", "int32 total_cents = 2;", "FIELD_SAME_TYPE"},
		{"repeated string skus = 3;", "string skus = 3;", "FIELD_SAME_CARDINALITY"},
		{"  rpc GetOrder(GetOrderRequest) returns (PlaceOrderResponse);\n", "", "RPC_NO_DELETE"},
		{"rpc GetOrder(GetOrderRequest)", "rpc GetOrder(PlaceOrderRequest)", "RPC_SAME_REQUEST_TYPE"},
		{"  STATUS_DONE = 2;\n", "", "ENUM_VALUE_NO_DELETE"},
		{"STATUS_DONE = 2;", "STATUS_FINISHED = 2;", "ENUM_VALUE_SAME_NAME"},
		{"message GetOrderRequest { string id = 1; }", "message GetOrderRequest { string id = 1; }\nmessage Gone {}", ""},
		{"package shop.orders.v1;", "package shop.orders.v2;", "FILE_SAME_PACKAGE"},
	} {
		after := strings.Replace(before, c.old, c.new, 1)
		probs, err := Check(context.Background(), src(before), src(after))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		var rules []string
		for _, p := range probs {
			rules = append(rules, p.Rule)
		}
		sort.Strings(rules)
		if want := c.rule; (want == "" && len(rules) != 0) || (want != "" && fmt.Sprint(rules) != "["+want+"]") {
			t.Errorf("%q -> %q: got %v, want %s", c.old, c.new, probs, want)
		}
	}
	probs, err := Check(context.Background(), src(before), []protoc.Source{{Path: "other.proto", Content: []byte("syntax = \"proto3\";\n")}})
	if err != nil || len(probs) != 1 || probs[0].Rule != "FILE_NO_DELETE" {
		t.Errorf("deleted file: %v %v", probs, err)
	}
}

func TestCategoriesSelectRules(t *testing.T) {
	removed := strings.Replace(before, "  string note = 4;\n", "", 1)
	for _, c := range []struct {
		categories []string
		want       string
	}{
		{[]string{File}, "[FIELD_NO_DELETE]"},
		{[]string{WireJSON}, "[FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED FIELD_NO_DELETE_UNLESS_NAME_RESERVED]"},
		{[]string{Wire}, "[FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED]"},
		{[]string{File, Wire}, "[FIELD_NO_DELETE FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED]"},
	} {
		probs, err := CheckCategories(context.Background(), src(before), src(removed), c.categories...)
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, p := range probs {
			rules = append(rules, p.Rule)
			if !slices.ContainsFunc(c.categories, p.In) {
				t.Errorf("%v: %s has categories %v", c.categories, p.Rule, p.Categories)
			}
		}
		if fmt.Sprint(rules) != c.want {
			t.Errorf("%v: got %v, want %s", c.categories, rules, c.want)
		}
	}
	if _, err := CheckCategories(context.Background(), src(before), src(before), "PACKAGE"); err == nil {
		t.Error("an unknown category was accepted")
	}
}

func TestEveryRuleHasCategories(t *testing.T) {
	for rule, cats := range ruleCategories {
		if len(cats) == 0 || !slices.Equal(Categories(rule), cats) {
			t.Errorf("%s: categories %v", rule, cats)
		}
		for _, c := range cats {
			if !slices.Contains(Rules(c), rule) {
				t.Errorf("Rules(%s) misses %s", c, rule)
			}
		}
	}
	if Categories("NO_SUCH_RULE") != nil {
		t.Error("an unknown rule has categories")
	}
}

func TestReservedRangesMayBeSplitOrMerged(t *testing.T) {
	msg := func(reserved string) []protoc.Source {
		return src("syntax = \"proto3\";\npackage p;\nmessage M {\n  string a = 1;\n  " + reserved + "\n}\n")
	}
	for _, c := range []struct{ old, new, lost string }{
		{"reserved 2 to 10;", "reserved 2 to 4, 5 to 10;", ""},
		{"reserved 2, 3, 4;", "reserved 2 to 4;", ""},
		{"reserved 2 to 10;", "reserved 2 to 4, 8, 10;", "5 to 7, 9"},
		{"reserved 2 to max;", "reserved 2 to 100;", "101 to max"},
		{"reserved 5 to 6;", "reserved 2 to 4, 7;", "5 to 6"},
	} {
		probs, err := Check(context.Background(), msg(c.old), msg(c.new))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.lost == "" && len(probs) != 0:
			t.Errorf("%s -> %s: %v", c.old, c.new, probs)
		case c.lost != "" && (len(probs) != 1 || probs[0].Rule != "RESERVED_MESSAGE_NO_DELETE" || !strings.Contains(probs[0].Message, "no longer covers "+c.lost+":")):
			t.Errorf("%s -> %s: %v, want %s lost", c.old, c.new, probs, c.lost)
		}
	}
}
