// Package protoc compiles .proto sources in-process and runs protoc plugins
// over them the way protoc or buf would, so that microforge ships the Go code
// generated from its protos without protoc or buf being installed.
//
// Compiling uses github.com/bufbuild/protocompile. The plugins are the official
// protoc-gen-go and protoc-gen-connect-go, built once from source with
// `go install` into a per-user cache (see GoInstall) and then run as
// subprocesses, one invocation per plugin with every file to generate.
package protoc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate" // registers buf/validate/validate.proto
	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	_ "google.golang.org/genproto/googleapis/api/annotations" // registers google/api/annotations.proto and http.proto
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Source is one .proto file to compile.
type Source struct {
	Path    string // import path, slash-separated: "shop/orders/v1/orders.proto"
	Content []byte
}

// Compile compiles the sources, which may import each other, the standard
// google/protobuf/*.proto files, the googleapis files google/api/*.proto
// (annotations.proto, http.proto: the google.api.http option) and
// buf/validate/validate.proto (protovalidate's rules), keeping comments (standard source info) so
// that they reach generated code. It returns the compiled files in the order
// of sources. Warnings, such as an unused import, fail the compile too: buf
// lint would reject them.
func Compile(ctx context.Context, sources []Source) (linker.Files, error) {
	byPath := make(map[string]string, len(sources))
	paths := make([]string, 0, len(sources))
	for _, s := range sources {
		if _, dup := byPath[s.Path]; dup {
			return nil, fmt.Errorf("compile protos: %s given twice", s.Path)
		}
		byPath[s.Path] = string(s.Content)
		paths = append(paths, s.Path)
	}
	var (
		mu       sync.Mutex
		problems []error
	)
	collect := func(err error) {
		mu.Lock()
		problems = append(problems, err)
		mu.Unlock()
	}
	c := protocompile.Compiler{
		Resolver: protocompile.CompositeResolver{
			protocompile.WithStandardImports(&protocompile.SourceResolver{
				Accessor: protocompile.SourceAccessorFromMap(byPath),
			}),
			protocompile.ResolverFunc(registered),
		},
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter: reporter.NewReporter(
			func(err reporter.ErrorWithPos) error { collect(err); return nil },
			func(err reporter.ErrorWithPos) { collect(fmt.Errorf("%w (warning)", err)) },
		),
	}
	compiled, err := c.Compile(ctx, paths...)
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if err != nil {
		return nil, err
	}
	return compiled, nil
}

// registered resolves google/api/*.proto from the descriptors the Go package
// google.golang.org/genproto/googleapis/api/annotations registers, so that
// generated protos can use the google.api.http option without microforge
// carrying googleapis sources; and buf/validate/validate.proto (the
// protovalidate rules) from the one the protovalidate Go module registers,
// the module generated services validate with. buf resolves the same files
// from the buf.build/googleapis/googleapis and buf.build/bufbuild/protovalidate
// dependencies the generated buf.yaml declares.
func registered(path string) (protocompile.SearchResult, error) {
	if !strings.HasPrefix(path, "google/api/") && path != "buf/validate/validate.proto" {
		return protocompile.SearchResult{}, protoregistry.NotFound
	}
	fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
	if err != nil {
		return protocompile.SearchResult{}, err
	}
	return protocompile.SearchResult{Desc: fd}, nil
}
