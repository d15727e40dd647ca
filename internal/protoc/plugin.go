package protoc

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"sync"

	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/types/pluginpb"
)

// Versions of the plugins microforge runs. They are the versions of the
// runtime modules in microforge's own go.mod (a test keeps them equal), which
// are also the versions the generated repository requires.
const (
	ProtobufVersion = "v1.36.12" // google.golang.org/protobuf, home of protoc-gen-go
	ConnectVersion  = "v1.21.1"  // connectrpc.com/connect, home of protoc-gen-connect-go
)

// Plugin is a protoc plugin built from a Go main package at a fixed version.
type Plugin struct {
	Name      string // binary name, "protoc-gen-go"
	Package   string // main package, "google.golang.org/protobuf/cmd/protoc-gen-go"
	Module    string // module holding Package, "google.golang.org/protobuf"
	Version   string // module version, "v1.36.12"
	Parameter string // parameter sent to the plugin, "paths=source_relative"
}

// String returns the plugin's package@version.
func (p Plugin) String() string { return p.Package + "@" + p.Version }

// GoPlugin generates protobuf messages for Go, writing each file's code next
// to the .proto path it came from.
var GoPlugin = Plugin{
	Name:      "protoc-gen-go",
	Package:   "google.golang.org/protobuf/cmd/protoc-gen-go",
	Module:    "google.golang.org/protobuf",
	Version:   ProtobufVersion,
	Parameter: "paths=source_relative",
}

// ConnectGoPlugin generates Connect clients and handlers with plain
// request/response signatures ("simple"), in a <package>connect sub-package.
var ConnectGoPlugin = Plugin{
	Name:      "protoc-gen-connect-go",
	Package:   "connectrpc.com/connect/cmd/protoc-gen-connect-go",
	Module:    "connectrpc.com/connect",
	Version:   ConnectVersion,
	Parameter: "paths=source_relative,simple",
}

// Runner runs one protoc plugin over one request.
type Runner interface {
	Run(ctx context.Context, p Plugin, req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error)
}

// File is a file a plugin generated.
type File struct {
	Name    string // slash-separated, relative to the plugin's output directory
	Content []byte
	Plugin  string // plugin name, "protoc-gen-go"
}

// Generate runs each plugin once over all files, the plugins concurrently,
// and returns what they generated sorted by name. A plugin's reported error,
// an insertion point (unsupported) or two files of the same name fail it.
func Generate(ctx context.Context, r Runner, files linker.Files, plugins ...Plugin) ([]File, error) {
	base, err := NewRequest(files, "")
	if err != nil {
		return nil, err
	}
	outs := make([][]File, len(plugins))
	errs := make([]error, len(plugins))
	var wg sync.WaitGroup
	for i, p := range plugins {
		req := &pluginpb.CodeGeneratorRequest{
			FileToGenerate:        base.FileToGenerate,
			ProtoFile:             base.ProtoFile,
			SourceFileDescriptors: base.SourceFileDescriptors,
		}
		if p.Parameter != "" {
			req.Parameter = &p.Parameter
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = run(ctx, r, p, req)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []File
	byName := map[string]string{}
	for _, out := range outs {
		for _, f := range out {
			if prev, dup := byName[f.Name]; dup {
				return nil, fmt.Errorf("%s and %s both generated %s", prev, f.Plugin, f.Name)
			}
			byName[f.Name] = f.Plugin
			all = append(all, f)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}

func run(ctx context.Context, r Runner, p Plugin, req *pluginpb.CodeGeneratorRequest) ([]File, error) {
	resp, err := r.Run(ctx, p, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: %s", p.Name, resp.GetError())
	}
	out := make([]File, 0, len(resp.File))
	for _, f := range resp.File {
		name := f.GetName()
		switch {
		case f.GetInsertionPoint() != "":
			return nil, fmt.Errorf("%s: insertion point %q in %s is not supported", p.Name, f.GetInsertionPoint(), name)
		case name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || len(name) > 2 && name[:3] == "../":
			return nil, fmt.Errorf("%s: generated file name %q is not a clean relative path", p.Name, name)
		}
		out = append(out, File{Name: name, Content: []byte(f.GetContent()), Plugin: p.Name})
	}
	return out, nil
}
