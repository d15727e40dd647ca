// Package generate runs every generator over a model and collects their files
// into one set. It is the "plan" stage of the pipeline: nothing here writes.
package generate

import (
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/microforge/microforge/generators/ci"
	"github.com/microforge/microforge/generators/deploy"
	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/generators/gateway"
	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/generators/service"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/templates"
)

// Options of a generation.
type Options struct {
	// GoCode turns on the Go code protoc-gen-go and protoc-gen-connect-go
	// generate from the protos (below the system's gen/ root).
	GoCode bool
	// Plugins runs the protoc plugins when GoCode is on; nil means a
	// protoc.GoInstall on the per-user plugin cache.
	Plugins protoc.Runner
	// BlueprintInPlace is true when the blueprint being generated from is
	// the repository's own copy (BlueprintPath in the output directory): it
	// is then carried over byte for byte.
	BlueprintInPlace bool
}

// BlueprintPath is where a generated repository keeps its blueprint: the
// file `microforge generate` reads when run inside it.
const BlueprintPath = docs.BlueprintPath

// RepositoryBlueprint returns the repository's copy of blueprint src as a
// generation writes it to BlueprintPath (byte for byte in place, else with
// its yaml-language-server line pointing at the repository's schema), and
// whether the copy means what src means. When it does, a generation in
// place from the copy produces exactly what the generation from src did:
// the copy alone identifies the blueprint side of both.
func RepositoryBlueprint(src []byte, inPlace bool) (copy []byte, sameMeaning bool) {
	if inPlace {
		return src, true
	}
	return docs.WithSchemaLine(src), docs.SchemaLineInHeader(src)
}

// Preload starts parsing the templates in the background, so that it
// overlaps what comes before Files (reading the blueprint and the
// repository's history).
func Preload() { go templates.Preload() }

// Plugins are the protoc plugins a generation with GoCode runs.
func Plugins() []protoc.Plugin {
	return []protoc.Plugin{protoc.GoPlugin, protoc.ConnectGoPlugin}
}

// Files runs all generators concurrently and returns their files. It fails
// without partial output if any generator fails.
func Files(sys *model.System, opts Options) (*files.Set, error) {
	gens := []struct {
		name string
		run  func() ([]files.File, error)
	}{
		{proto.Name, func() ([]files.File, error) {
			return proto.Generate(sys, proto.Options{Go: opts.GoCode, Runner: opts.Plugins})
		}},
		{"service", func() ([]files.File, error) { return service.Generate(sys) }},
		{gateway.Name, func() ([]files.File, error) { return gateway.Generate(sys) }},
		{docs.Name, func() ([]files.File, error) {
			return docs.Generate(sys, docs.Options{BlueprintInPlace: opts.BlueprintInPlace})
		}},
		{deploy.Name, func() ([]files.File, error) { return deploy.Generate(sys) }},
		{ci.Name, func() ([]files.File, error) { return ci.Generate(sys) }},
	}
	results := make([][]files.File, len(gens))
	var g errgroup.Group
	for i, gen := range gens {
		g.Go(func() error {
			fs, err := gen.run()
			if err != nil {
				return fmt.Errorf("%s generator: %w", gen.name, err)
			}
			for j := range fs {
				if fs[j].Generator == "" {
					fs[j].Generator = gen.name
				}
			}
			results[i] = fs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	set := &files.Set{}
	for _, fs := range results {
		if err := set.Add(fs...); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// Migration is a migration this generation adds, in one dialect: what plan
// shows before anything is written.
type Migration struct {
	Service string `json:"service"`
	Dialect string `json:"dialect"`
	Path    string `json:"path"`
	SQL     string `json:"sql"`
}

// NewMigrations returns the migrations the generation of sys adds, in
// every dialect of their service.
func NewMigrations(sys *model.System) ([]Migration, error) {
	ms, err := service.NewMigrations(sys)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, len(ms))
	for i, m := range ms {
		out[i] = Migration{Service: m.Service.Name, Dialect: m.Dialect, Path: m.Path, SQL: string(m.SQL)}
	}
	return out, nil
}
