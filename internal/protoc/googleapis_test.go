package protoc

import (
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// google/api/annotations.proto resolves without googleapis sources, and the
// google.api.http option it declares reaches the compiled descriptors and
// the plugin request.
func TestCompileGoogleAPIHTTP(t *testing.T) {
	src := `syntax = "proto3";
package acme.v1;
import "google/api/annotations.proto";
option go_package = "example.com/acme/v1;acmev1";
message GetThingRequest { string id = 1; }
message GetThingResponse {}
service ThingService {
  rpc GetThing(GetThingRequest) returns (GetThingResponse) {
    option (google.api.http) = { get: "/v1/things/get_thing" };
  }
}
`
	files, err := Compile(t.Context(), []Source{{Path: "acme/v1/thing.proto", Content: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	method := files[0].Services().Get(0).Methods().Get(0)
	raw, err := proto.Marshal(method.Options())
	if err != nil {
		t.Fatal(err)
	}
	opts := &descriptorpb.MethodOptions{}
	if err := proto.Unmarshal(raw, opts); err != nil {
		t.Fatal(err)
	}
	rule, ok := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule.GetGet() != "/v1/things/get_thing" {
		t.Errorf("google.api.http = %v", rule)
	}
	req, err := NewRequest(files, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range req.ProtoFile {
		names = append(names, f.GetName())
	}
	for _, want := range []string{"google/api/http.proto", "google/api/annotations.proto", "acme/v1/thing.proto"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("plugin request lacks %s: %v", want, names)
		}
	}
}
