package protoc

import (
	"fmt"

	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/options"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// NewRequest builds the request protoc would send a plugin asked to generate
// every one of files with the parameter: ProtoFile holds the files and all
// their imports (google/protobuf/timestamp.proto included) in dependency
// order, with source-retention options stripped and source info (comments)
// kept only for the files to generate, as protoc does; SourceFileDescriptors
// holds the files to generate with every option.
//
// CompilerVersion is deliberately left unset, as buf leaves it: no protoc
// ran, and protoc-gen-go prints the field in every .pb.go header ("protoc
// (unknown)" when unset), so any value would make microforge's output differ
// from `buf generate`'s on every file.
func NewRequest(files linker.Files, parameter string) (*pluginpb.CodeGeneratorRequest, error) {
	req := &pluginpb.CodeGeneratorRequest{}
	if parameter != "" {
		req.Parameter = proto.String(parameter)
	}
	generate := make(map[string]bool, len(files))
	for _, f := range files {
		generate[f.Path()] = true
		req.FileToGenerate = append(req.FileToGenerate, f.Path())
		req.SourceFileDescriptors = append(req.SourceFileDescriptors, descriptorProto(f))
	}
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor) error
	visit = func(fd protoreflect.FileDescriptor) error {
		if seen[fd.Path()] {
			return nil
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			if err := visit(imports.Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		fdp, err := options.StripSourceRetentionOptionsFromFile(descriptorProto(fd))
		if err != nil {
			return fmt.Errorf("strip source-retention options of %s: %w", fd.Path(), err)
		}
		if !generate[fd.Path()] && fdp.SourceCodeInfo != nil {
			fdp = proto.Clone(fdp).(*descriptorpb.FileDescriptorProto)
			fdp.SourceCodeInfo = nil
		}
		req.ProtoFile = append(req.ProtoFile, fdp)
		return nil
	}
	for _, f := range files {
		if err := visit(f); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// descriptorProto returns the descriptor proto of a file: the compiler's own
// for compiled files (it carries source info), a conversion otherwise.
func descriptorProto(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	if w, ok := fd.(interface {
		Unwrap() protoreflect.FileDescriptor
	}); ok {
		fd = w.Unwrap()
	}
	if r, ok := fd.(linker.Result); ok {
		return r.FileDescriptorProto()
	}
	return protodesc.ToFileDescriptorProto(fd)
}
