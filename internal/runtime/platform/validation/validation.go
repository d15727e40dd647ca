// Package validation enforces the constraints the blueprint states on
// fields: they are protovalidate rules in the .proto files, checked on
// every request a service serves before its handler runs.
package validation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
)

// Check validates msg against the rules of its fields, and of the messages
// they hold. It returns nil when msg follows every rule and otherwise an
// InvalidArgument error naming each broken rule with its field, such as
// "items[0].quantity: value must be greater than or equal to 1", with the
// violations as a buf.validate.Violations error detail for clients that
// read them.
func Check(msg proto.Message) error {
	err := protovalidate.Validate(msg)
	if err == nil {
		return nil
	}
	var invalid *protovalidate.ValidationError
	if !errors.As(err, &invalid) {
		// A rule that does not compile or evaluate is the service's bug,
		// not the caller's mistake.
		return connect.NewError(connect.CodeInternal, fmt.Errorf("validate %s: %w", msg.ProtoReflect().Descriptor().FullName(), err))
	}
	problems := make([]string, len(invalid.Violations))
	for i, v := range invalid.Violations {
		problems[i] = v.String()
	}
	refused := connect.NewError(connect.CodeInvalidArgument, errors.New(strings.Join(problems, "; ")))
	if detail, err := connect.NewErrorDetail(invalid.ToProto()); err == nil {
		refused.AddDetail(detail)
	}
	return refused
}

// Interceptor returns the interceptor that checks every request a handler
// receives with Check, before the handler runs.
func Interceptor() connect.Interceptor { return interceptor{} }

type interceptor struct{}

func (interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if msg, ok := req.Any().(proto.Message); ok && !req.Spec().IsClient {
			if err := Check(msg); err != nil {
				return nil, err
			}
		}
		return next(ctx, req)
	}
}

func (interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next // the services have no streaming procedures
}

// Truncate returns s cut to at most n characters (Unicode code points, as
// max_len counts them), so that text the service did not choose, such as
// the error that failed a saga, fits a field's max_len.
func Truncate(s string, n int) string {
	if n < 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
