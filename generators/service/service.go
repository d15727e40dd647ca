// Package service generates the Go code of a system's services: one module
// with a shared platform (configuration, logging, databases, migrations,
// outbox, HTTP serving), per service its handlers, store, migrations, tests
// and binary, and a binary that runs every service in one process.
//
// Files microforge keeps regenerating are Owned; the methods implementing
// each RPC, their tests, the migrations, go.mod/go.sum and the end-to-end
// test are Scaffold: written once with a working default, then the user's.
package service

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// Name is the generator's name, recorded on every file it returns.
const Name = "service"

// systemTemplates are rendered once with the systemView, except the
// end-to-end test, which gets its own view.
var systemTemplates = []struct {
	name   string
	policy files.Policy
}{
	{"go.mod", files.Scaffold},
	{"go.sum", files.Scaffold},
	{"internal/platform/tenant/system.go", files.Owned},
	{"internal/platform/events/system.go", files.Owned},
	{"internal/local/local.go", files.Owned},
	{"internal/local/replicas.go", files.Owned},
	{"internal/local/dashboard.go", files.Owned},
	{"internal/local/dashboard_test.go", files.Owned},
	{"internal/local/e2e_test.go", files.Scaffold},
	{"internal/local/telemetry_test.go", files.Owned},
	{"cmd/local/main.go", files.Owned},
	{"cmd/keys/main.go", files.Owned},
	{"cmd/keys/main_test.go", files.Owned},
	{"internal/local/identity_test.go", files.Owned},
	{"internal/local/tenancy_test.go", files.Owned},
}

// serviceTemplates are rendered once per service with its serviceView.
var serviceTemplates = []string{
	"internal/[service]/service.go",
	"internal/[service]/store.go",
	"internal/[service]/run.go",
	"internal/[service]/service_test.go",
	"internal/[service]/schema_test.go",
	"cmd/[service]/main.go",
}

// Per-method and per-migration templates, rendered as Scaffold files.
const (
	commandTemplate     = "internal/[service]/[command].go"
	commandTestTemplate = "internal/[service]/[command]_test.go"
	queryTemplate       = "internal/[service]/[query].go"
	queryTestTemplate   = "internal/[service]/[query]_test.go"
	consumersTemplate   = "internal/[service]/consumers.go"
	sagasTemplate       = "internal/[service]/sagas.go"
	sagasTestTemplate   = "internal/[service]/sagas_test.go"

	constraintsTestTemplate = "internal/[service]/constraints_test.go"
	ownershipTemplate       = "internal/[service]/ownership.go"
	ownershipTestTemplate   = "internal/[service]/ownership_test.go"

	compensationsTestTemplate = "internal/[service]/compensations_test.go"
	tenancyTestTemplate       = "internal/[service]/tenancy_test.go"
	projectionsTemplate       = "internal/[service]/projections.go"
	projectionsTestTemplate   = "internal/[service]/projections_test.go"
	handlerTemplate           = "internal/[service]/[consumer].go"
	handlerTestTemplate       = "internal/[service]/[consumer]_test.go"
	migrationTemplate         = "internal/[service]/migrations/[dialect]/[version]_[table].sql"
	olderAPITemplate          = "internal/[service]/api_[version].go"
	olderAPITestTemplate      = "internal/[service]/api_[version]_test.go"
	upcastTemplate            = "internal/[service]/upcast_[event].go"
	upcastTestTemplate        = "internal/[service]/upcast_[event]_test.go"
)

// templateNames returns the names of every template the generator renders,
// relative to templates/service.
func templateNames() []string {
	var out []string
	for _, t := range systemTemplates {
		out = append(out, t.name)
	}
	out = append(out, serviceTemplates...)
	return append(out, commandTemplate, commandTestTemplate, queryTemplate, queryTestTemplate, migrationTemplate,
		consumersTemplate, sagasTemplate, sagasTestTemplate, compensationsTestTemplate, projectionsTemplate, projectionsTestTemplate, handlerTemplate, handlerTestTemplate,
		olderAPITemplate, olderAPITestTemplate, upcastTemplate, upcastTestTemplate, constraintsTestTemplate,
		ownershipTemplate, ownershipTestTemplate, tenancyTestTemplate)
}

// methodData is the data of the per-method templates.
type methodData struct {
	Service  *serviceView
	Command  *commandView
	Query    *queryView
	Consumer *consumerView
}

// Generate returns the Go files of every service of the system, sorted by
// path.
func Generate(sys *model.System) ([]files.File, error) {
	sv, err := newSystemView(sys)
	if err != nil {
		return nil, err
	}
	g := &generation{}
	for _, t := range systemTemplates {
		if strings.HasPrefix(t.name, "internal/platform/tenant/") && sv.Tenancy == nil {
			continue // the tenancy settings only ship to systems with tenancy
		}
		var data any = sv
		switch t.name {
		case "internal/local/e2e_test.go":
			data = newE2EView(sv)
		case "internal/local/telemetry_test.go":
			tv := newTelemetryTestView(sv)
			if tv == nil {
				continue // nothing to observe
			}
			data = tv
		case "internal/local/identity_test.go":
			data = newIdentityView(sv)
		case "internal/local/dashboard.go":
			data = newDashboardView(sv)
		case "internal/local/tenancy_test.go":
			tv := newTenancyTestView(sv)
			if tv == nil {
				continue // without tenancy
			}
			data = tv
		}
		g.render(t.name, t.name, data, t.policy)
	}
	for _, s := range sv.Services {
		expand := strings.NewReplacer("[service]", s.Name)
		for _, name := range serviceTemplates {
			g.render(name, expand.Replace(name), s, files.Owned)
		}
		bases := newFileBases()
		for _, o := range s.Older {
			base := fmt.Sprintf("api_v%d", o.Number)
			bases[base], bases[base+"_test"] = true, true
			g.render(olderAPITemplate, expand.Replace("internal/[service]/"+base+".go"), o, files.Owned)
			if len(o.Queries) > 0 || o.Cross != nil {
				g.render(olderAPITestTemplate, expand.Replace("internal/[service]/"+base+"_test.go"), o, files.Owned)
			}
		}
		for _, c := range s.Commands {
			base := bases.claim(c.Snake)
			g.render(commandTemplate, expand.Replace("internal/[service]/"+base+".go"), methodData{Service: s, Command: c}, files.Scaffold)
			g.render(commandTestTemplate, expand.Replace("internal/[service]/"+base+"_test.go"), methodData{Service: s, Command: c}, files.Scaffold)
		}
		for _, q := range s.Queries {
			base := bases.claim(q.Snake)
			g.render(queryTemplate, expand.Replace("internal/[service]/"+base+".go"), methodData{Service: s, Query: q}, files.Scaffold)
			g.render(queryTestTemplate, expand.Replace("internal/[service]/"+base+"_test.go"), methodData{Service: s, Query: q}, files.Scaffold)
		}
		if s.Handlers {
			g.render(consumersTemplate, expand.Replace(consumersTemplate), s, files.Owned)
		}
		if s.EventSourced {
			g.render(projectionsTemplate, expand.Replace(projectionsTemplate), s, files.Owned)
		}
		if s.ProjectionTest != nil {
			g.render(projectionsTestTemplate, expand.Replace(projectionsTestTemplate), s, files.Owned)
		}
		if len(s.Compensations) > 0 {
			g.render(compensationsTestTemplate, expand.Replace(compensationsTestTemplate), s, files.Owned)
		}
		if s.ConstraintsTest != nil {
			g.render(constraintsTestTemplate, expand.Replace(constraintsTestTemplate), s.ConstraintsTest, files.Owned)
		}
		if sv.Tenancy != nil {
			g.render(tenancyTestTemplate, expand.Replace(tenancyTestTemplate), s, files.Owned)
		}
		if len(s.Owners) > 0 {
			g.render(ownershipTemplate, expand.Replace(ownershipTemplate), s, files.Owned)
			g.render(ownershipTestTemplate, expand.Replace(ownershipTestTemplate), s.OwnershipTest, files.Owned)
		}
		if len(s.Sagas) > 0 {
			g.render(sagasTemplate, expand.Replace(sagasTemplate), s, files.Owned)
			g.render(sagasTestTemplate, expand.Replace(sagasTestTemplate), s, files.Owned)
		}
		for _, u := range s.Upcasts {
			base := bases.claim("upcast_" + model.Snake(u.Event))
			g.render(upcastTemplate, expand.Replace("internal/[service]/"+base+".go"), u, files.Scaffold)
			g.render(upcastTestTemplate, expand.Replace("internal/[service]/"+base+"_test.go"), u, files.Scaffold)
		}
		for _, c := range s.Consumers {
			base := bases.claim(c.Snake)
			g.render(handlerTemplate, expand.Replace("internal/[service]/"+base+".go"), methodData{Service: s, Consumer: c}, files.Scaffold)
			g.render(handlerTestTemplate, expand.Replace("internal/[service]/"+base+"_test.go"), methodData{Service: s, Consumer: c}, files.Scaffold)
		}
		// Every migration the history records renders again byte for byte;
		// the writer never rewrites one with other content.
		for _, dialect := range s.Dialects {
			for _, m := range s.model.Migrations {
				data, err := newMigrationData(s.model, dialect, m)
				if err != nil {
					return nil, err
				}
				g.renderFrozen(migrationTemplate, migrationPath(s.model, dialect, m), data)
			}
		}
	}
	out, err := g.files()
	if err != nil {
		return nil, err
	}
	rendered := make(map[string]bool, len(out))
	for _, f := range out {
		rendered[f.Path] = true
	}
	rt, err := runtimeFiles(sv, rendered)
	if err != nil {
		return nil, err
	}
	out = append(out, rt...)
	if sys.Schema != nil {
		f, err := schemaFile(sys)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// generation collects the files to render, then renders and formats them on
// every CPU: gofmt of the generated Go is most of a large system's
// generation time. Output order and the error reported do not depend on
// scheduling.
type generation struct {
	jobs []renderJob
}

type renderJob struct {
	template, path string
	data           any
	policy         files.Policy
	frozen         bool
}

func (g *generation) render(template, path string, data any, policy files.Policy) {
	g.jobs = append(g.jobs, renderJob{template: template, path: path, data: data, policy: policy})
}

// renderFrozen renders a file the user owns that is never rewritten with
// other content once generated: a migration.
func (g *generation) renderFrozen(template, path string, data any) {
	g.jobs = append(g.jobs, renderJob{template: template, path: path, data: data, policy: files.Scaffold, frozen: true})
}

// files renders every job and returns the files in job order, or the error
// of the first failing job.
func (g *generation) files() ([]files.File, error) {
	out := make([]files.File, len(g.jobs))
	errs := make([]error, len(g.jobs))
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for i, j := range g.jobs {
		eg.Go(func() error {
			src, err := templates.Render("service/"+j.template, j.data)
			if err == nil {
				out[i], err = files.New(j.path, src, j.policy)
				out[i].Generator = Name
				out[i].Frozen = j.frozen
			}
			errs[i] = err
			return nil
		})
	}
	_ = eg.Wait() // errors are kept per job so the first in order is reported
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fileBases hands out the base names of a service package's per-method
// files so that none collides with a generated file or becomes a test or
// build-constrained file by its suffix ("_test", "_linux", "_amd64").
type fileBases map[string]bool

func newFileBases() fileBases {
	return fileBases{"service": true, "store": true, "run": true, "consumers": true, "sagas": true, "sagas_test": true, "compensations_test": true, "projections": true, "projections_test": true, "schema": true, "schema_test": true, "ownership": true, "ownership_test": true, "tenancy_test": true}
}

func (b fileBases) claim(snake string) string {
	base := snake
	parts := strings.Split(base, "_")
	if last := parts[len(parts)-1]; len(parts) > 1 && constrainingSuffix[last] {
		base += "_rpc"
	}
	for b[base] {
		base += "_rpc"
	}
	b[base] = true
	return base
}

// constrainingSuffix are the file name suffixes the go command treats
// specially.
var constrainingSuffix = map[string]bool{
	"test": true, "aix": true, "android": true, "darwin": true, "dragonfly": true,
	"freebsd": true, "illumos": true, "ios": true, "js": true, "linux": true,
	"netbsd": true, "openbsd": true, "plan9": true, "solaris": true, "wasip1": true,
	"windows": true, "386": true, "amd64": true, "arm": true, "arm64": true,
	"loong64": true, "mips": true, "mipsle": true, "mips64": true, "mips64le": true,
	"ppc64": true, "ppc64le": true, "riscv64": true, "s390x": true, "wasm": true,
	"hurd": true, "zos": true, "nacl": true,
}
