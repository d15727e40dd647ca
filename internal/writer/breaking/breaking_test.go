package breaking

import (
	"context"
	"fmt"
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
		{"string note = 4;", "string remark = 4;", "FIELD_SAME_NAME"},
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
		if want := c.rule; (want == "" && len(rules) != 0) || (want != "" && fmt.Sprint(rules) != "["+want+"]") {
			t.Errorf("%q -> %q: got %v, want %s", c.old, c.new, probs, want)
		}
	}
	probs, err := Check(context.Background(), src(before), []protoc.Source{{Path: "other.proto", Content: []byte("syntax = \"proto3\";\n")}})
	if err != nil || len(probs) != 1 || probs[0].Rule != "FILE_NO_DELETE" {
		t.Errorf("deleted file: %v %v", probs, err)
	}
}
