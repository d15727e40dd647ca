package validation

import (
	"context"
	"errors"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// item returns a message "quantity" whose int32 field quantity must be at
// least 1, as a blueprint's min: 1 becomes in the .proto files.
func item(t *testing.T, quantity int32) *dynamicpb.Message {
	t.Helper()
	opts := &descriptorpb.FieldOptions{}
	proto.SetExtension(opts, validate.E_Field, &validate.FieldRules{
		Type: &validate.FieldRules_Int32{Int32: &validate.Int32Rules{GreaterThan: &validate.Int32Rules_Gte{Gte: 1}}},
	})
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("validation_test.proto"),
		Package:    proto.String("validationtest"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"buf/validate/validate.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Item"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name:     proto.String("quantity"),
				JsonName: proto.String("quantity"),
				Number:   proto.Int32(1),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				Options:  opts,
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	msg := dynamicpb.NewMessage(fd.Messages().Get(0))
	msg.Set(fd.Messages().Get(0).Fields().Get(0), protoreflectInt32(quantity))
	return msg
}

func TestCheck(t *testing.T) {
	if err := Check(item(t, 2)); err != nil {
		t.Fatalf("a valid message: %v", err)
	}
	err := Check(item(t, 0))
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument {
		t.Fatalf("Check = %v, want InvalidArgument", err)
	}
	if !strings.Contains(ce.Message(), "quantity") || !strings.Contains(ce.Message(), "greater than or equal to 1") {
		t.Errorf("the error does not name the field and its rule: %q", ce.Message())
	}
	if len(ce.Details()) != 1 {
		t.Fatalf("%d error details, want the violations", len(ce.Details()))
	}
	v, err := ce.Details()[0].Value()
	if err != nil {
		t.Fatal(err)
	}
	if vs, ok := v.(*validate.Violations); !ok || len(vs.GetViolations()) != 1 {
		t.Errorf("detail %T %v, want one violation", v, v)
	}
}

func TestInterceptor(t *testing.T) {
	called := false
	next := connect.UnaryFunc(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) {
		called = true
		return nil, nil
	})
	handler := Interceptor().WrapUnary(next)
	if _, err := handler(context.Background(), requestOf(item(t, 0), false)); connect.CodeOf(err) != connect.CodeInvalidArgument || called {
		t.Errorf("an invalid request: %v, handler called %v; want InvalidArgument before the handler", err, called)
	}
	if _, err := handler(context.Background(), requestOf(item(t, 5), false)); err != nil || !called {
		t.Errorf("a valid request: %v, handler called %v", err, called)
	}
	called = false
	if _, err := handler(context.Background(), requestOf(item(t, 0), true)); err != nil || !called {
		t.Errorf("a client's request is not checked here: %v, called %v", err, called)
	}
}

func protoreflectInt32(v int32) protoreflect.Value { return protoreflect.ValueOfInt32(v) }

// requestOf is a request carrying msg, on the client's or the handler's
// side.
func requestOf(msg *dynamicpb.Message, client bool) connect.AnyRequest {
	return &sidedRequest{Request: connect.NewRequest(msg), client: client}
}

type sidedRequest struct {
	*connect.Request[dynamicpb.Message]
	client bool
}

func (r *sidedRequest) Spec() connect.Spec {
	return connect.Spec{Procedure: "/validationtest.Items/Put", IsClient: r.client}
}
