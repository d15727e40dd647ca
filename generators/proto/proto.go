// Package proto generates a system's protobuf API: one package of .proto
// files per service (service, types, events), the buf configuration that lints
// and regenerates them, and optionally the Go code protoc-gen-go and
// protoc-gen-connect-go generate from them, exactly where `buf generate`
// would write it.
package proto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/templates"
)

// Name is the generator's name, recorded on every file it returns.
const Name = "proto"

// Options of the proto generator.
type Options struct {
	// Go turns on Go code generation: the protoc-gen-go and
	// protoc-gen-connect-go output for every .proto file, below System.GenRoot.
	Go bool
	// Runner runs the plugins when Go is on; nil means a protoc.GoInstall on
	// the per-user plugin cache.
	Runner protoc.Runner
}

// WirePath is where a repository keeps its wire lock (model.WireLock): every
// field and enum value number it ever used. Commit it: it is what keeps
// numbers stable across generations.
const WirePath = ".microforge/wire.json"

// Generate returns the protobuf files of the system. See GenerateContext.
func Generate(sys *model.System, opts Options) ([]files.File, error) {
	return GenerateContext(context.Background(), sys, opts)
}

// GenerateContext returns, for every service, its .proto files below
// System.ProtoRoot; buf.yaml and buf.gen.yaml; and, when opts.Go is on, the
// generated Go code below System.GenRoot. The .proto files are compiled as a
// check: one that does not compile is an internal error.
func GenerateContext(ctx context.Context, sys *model.System, opts Options) ([]files.File, error) {
	if err := checkPackageCycles(sys); err != nil {
		return nil, err
	}
	var out []files.File
	add := func(p string, content []byte, policy files.Policy) error {
		f, err := files.New(p, content, policy)
		if err != nil {
			return err
		}
		f.Generator = Name
		out = append(out, f)
		return nil
	}

	var sources []protoc.Source
	for _, svc := range sys.Services {
		for _, pf := range protoFiles(svc) {
			src, err := templates.Render(pf.template, pf.view)
			if err != nil {
				return nil, err
			}
			sources = append(sources, protoc.Source{Path: pf.view.Path, Content: src})
			if err := add(path.Join(sys.ProtoRoot, pf.view.Path), src, files.Owned); err != nil {
				return nil, err
			}
		}
	}

	cfg := bufView{ProtoRoot: sys.ProtoRoot, GenRoot: sys.GenRoot, Go: protoc.GoPlugin, Connect: protoc.ConnectGoPlugin, GoogleAPIs: sys.Gateway != nil, Protovalidate: constrained(sys)}
	for _, c := range []struct {
		name   string
		policy files.Policy
	}{
		// buf.yaml is the team's to tune (lint exceptions, dependencies);
		// buf.gen.yaml mirrors what microforge runs, so microforge owns it.
		{"buf.yaml", files.Scaffold},
		{"buf.gen.yaml", files.Owned},
	} {
		src, err := templates.Render("proto/"+c.name, cfg)
		if err != nil {
			return nil, err
		}
		if err := add(c.name, src, c.policy); err != nil {
			return nil, err
		}
	}

	if sys.Wire != nil {
		var lock bytes.Buffer
		enc := json.NewEncoder(&lock)
		enc.SetEscapeHTML(false) // list<T> stays readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(sys.Wire); err != nil {
			return nil, fmt.Errorf("internal error: encode the wire lock: %w", err)
		}
		if err := add(WirePath, lock.Bytes(), files.Owned); err != nil {
			return nil, err
		}
	}

	if !opts.Go {
		if _, err := protoc.Compile(ctx, sources); err != nil {
			return nil, fmt.Errorf("internal error: generated protos do not compile:\n%w", err)
		}
		return out, nil
	}
	runner := opts.Runner
	if runner == nil {
		runner = &protoc.GoInstall{}
	}
	gen, err := protoc.CompileAndGenerate(ctx, runner, sources, protoc.GoPlugin, protoc.ConnectGoPlugin)
	if errors.As(err, new(protoc.CompileError)) {
		return nil, fmt.Errorf("internal error: generated protos do not compile:\n%w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("generate Go code from protos: %w", err)
	}
	for _, g := range gen {
		if !strings.HasSuffix(g.Name, ".go") {
			return nil, fmt.Errorf("internal error: %s generated %s, which is not Go", g.Plugin, g.Name)
		}
		// The plugins gofmt their output: no need to format it again.
		out = append(out, files.File{
			Path:      path.Join(sys.GenRoot, g.Name),
			Content:   g.Content,
			Policy:    files.Owned,
			Generator: Name,
		})
	}
	return out, nil
}
