package deploy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/opencontainers/go-digest"

	"github.com/microforge/microforge/generators/deploy"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// shipped are the blueprints in blueprints/.
var shipped = []string{"shop", "minimal", "travel"}

func load(t testing.TB, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// generate returns the deploy generator's files for a shipped blueprint,
// by path.
func generate(t testing.TB, name string) map[string][]byte {
	t.Helper()
	fs, err := deploy.Generate(load(t, name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range fs {
		if f.Generator != deploy.Name {
			t.Errorf("%s: generator %q", f.Path, f.Generator)
		}
		if err := files.CheckPath(f.Path); err != nil {
			t.Error(err)
		}
		out[f.Path] = f.Content
	}
	return out
}

// writeTree writes files below a fresh temporary directory.
func writeTree(t testing.TB, fs map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range fs {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// offlineImages answers BuildKit's base image look-ups without a registry:
// every image is a linux image of this machine's architecture. The checks
// need the image's platform and config, not its layers.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := fmt.Sprintf(`{"architecture": %q, "os": "linux", "config": {}}`, runtime.GOARCH)
	return ref, digest.FromString(ref), []byte(cfg), nil
}

// lintDockerfile runs BuildKit's Dockerfile checks (the ones `docker build
// --check` runs) and returns every finding and a parse or build error.
func lintDockerfile(src []byte) []string {
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", src)
	sm.Definition = &llb.Definition{} // only recorded in the results
	opt := dockerfile2llb.ConvertOpt{SourceMap: sm, MetaResolver: offlineImages{}}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), src, opt)
	if err != nil {
		return []string{"lint: " + err.Error()}
	}
	var out []string
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, fmt.Sprintf("line %d: %s: %s", line, w.RuleName, w.Detail))
	}
	if res.Error != nil {
		out = append(out, "error: "+res.Error.Message)
	}
	return out
}

func TestDockerfilesPassBuildKitChecks(t *testing.T) {
	for _, name := range shipped {
		sys := load(t, name)
		fs := generate(t, name)
		type deployable struct {
			CmdDir string
			Port   int
		}
		var all []deployable
		if sys.Gateway != nil {
			all = append(all, deployable{"cmd/gateway", sys.Gateway.Port})
		}
		for _, svc := range sys.Services {
			all = append(all, deployable{svc.CmdDir, svc.Port})
		}
		for _, svc := range all {
			p := svc.CmdDir + "/Dockerfile"
			src, ok := fs[p]
			if !ok {
				t.Errorf("%s: no %s", name, p)
				continue
			}
			for _, f := range lintDockerfile(src) {
				t.Errorf("%s %s: %s", name, p, f)
			}
			for _, want := range []string{"ARG GO_VERSION=" + model.GoVersion, "CGO_ENABLED=0", "--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build", "distroless", "USER 65532:65532", "EXPOSE " + fmt.Sprint(svc.Port)} {
				if !bytes.Contains(src, []byte(want)) {
					t.Errorf("%s %s: missing %q", name, p, want)
				}
			}
		}
		if _, ok := fs[".dockerignore"]; !ok {
			t.Errorf("%s: no .dockerignore", name)
		}
	}
}

// TestDockerfileLintCatchesDefects plants defects BuildKit's checks know.
func TestDockerfileLintCatchesDefects(t *testing.T) {
	src := generate(t, "shop")["cmd/orders/Dockerfile"]
	for _, tc := range []struct{ old, new, rule string }{
		{"FROM ${RUNTIME_IMAGE} AS runtime", "FROM ${RUNTIME_IMAGE} as runtime", "FromAsCasing"},
		{`ENTRYPOINT ["/usr/local/bin/orders"]`, "ENTRYPOINT /usr/local/bin/orders", "JSONArgsRecommended"},
		{"WORKDIR /src", "WORKDIR src", "WorkdirRelativePath"},
		{"ENV PORT=8081 \\", "ENV PORT 8081\nENV \\", "LegacyKeyValueFormat"},
	} {
		bad := bytes.Replace(src, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, src) {
			t.Fatalf("planting %s: %q not found", tc.rule, tc.old)
		}
		found := lintDockerfile(bad)
		if !strings.Contains(strings.Join(found, "\n"), tc.rule) {
			t.Errorf("planted %s, BuildKit reported %q", tc.rule, found)
		}
	}
}

// loadCompose loads compose.yaml with the compose-spec loader, which
// validates it against the Compose schema and resolves the project.
func loadCompose(t testing.TB, fs map[string][]byte) (*types.Project, error) {
	t.Helper()
	dir := writeTree(t, fs)
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: fs["compose.yaml"]}},
		Environment: types.Mapping{},
	})
}

func TestComposeLoads(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			sys := load(t, name)
			fs := generate(t, name)
			project, err := loadCompose(t, fs)
			if err != nil {
				t.Fatalf("compose.yaml: %v\n%s", err, fs["compose.yaml"])
			}
			want := map[string]bool{"nats": true}
			if sys.Gateway != nil {
				want["gateway"] = true
			}
			for _, svc := range sys.Services {
				want[strings.ReplaceAll(svc.Name, "_", "-")] = true
				switch svc.Store {
				case model.StorePostgres:
					want["postgres"] = true
				case model.StoreMySQL:
					want["mariadb"] = true
				}
			}
			// The telemetry stack: spans through a collector to Jaeger,
			// metrics scraped by Prometheus.
			if sys.Observability.Tracing != "" {
				want["otel-collector"], want["jaeger"] = true, true
			}
			if sys.Observability.Metrics != "" {
				want["prometheus"] = true
			}
			got := map[string]bool{}
			for n := range project.Services {
				got[n] = true
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("services %v, want %v", got, want)
			}
			for _, svc := range sys.Services {
				s := project.Services[strings.ReplaceAll(svc.Name, "_", "-")]
				if s.Build == nil || s.Build.Dockerfile != svc.CmdDir+"/Dockerfile" {
					t.Errorf("%s: build %+v", svc.Name, s.Build)
				}
				if !s.ReadOnly || len(s.CapDrop) != 1 || s.CapDrop[0] != "ALL" {
					t.Errorf("%s: not read-only without capabilities", svc.Name)
				}
				if p := s.Environment["PORT"]; p == nil || *p != fmt.Sprint(svc.Port) {
					t.Errorf("%s: PORT %v", svc.Name, p)
				}
				if svc.Store != model.StoreSQLite {
					if u := s.Environment["DATABASE_URL"]; u == nil || !strings.HasPrefix(*u, string(map[model.Store]string{model.StorePostgres: "postgres://", model.StoreMySQL: "mysql://"}[svc.Store])) {
						t.Errorf("%s: DATABASE_URL %v", svc.Name, u)
					}
				}
				for _, callee := range svc.Calls {
					if s.Environment[callee.EnvPrefix+"_URL"] == nil {
						t.Errorf("%s: no %s_URL", svc.Name, callee.EnvPrefix)
					}
				}
				if e := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; (sys.Observability.Tracing != "") != (e != nil && *e == "http://otel-collector:4318") {
					t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT %v with tracing %q", svc.Name, e, sys.Observability.Tracing)
				}
				// The key comes from the .env file cmd/keys writes, never from compose.yaml.
				if k := s.Environment["SERVICE_PRIVATE_KEY"]; k == nil || *k != "" {
					t.Errorf("%s: SERVICE_PRIVATE_KEY %v, want it interpolated from an empty environment", svc.Name, k)
				}
			}
			if gw := sys.Gateway; gw != nil {
				g := project.Services["gateway"]
				if g.Build == nil || g.Build.Dockerfile != "cmd/gateway/Dockerfile" || !g.ReadOnly {
					t.Errorf("gateway: build %+v, read-only %v", g.Build, g.ReadOnly)
				}
				if p := g.Environment["PORT"]; p == nil || *p != fmt.Sprint(gw.Port) {
					t.Errorf("gateway: PORT %v", p)
				}
				for _, r := range gw.Routes {
					if g.Environment[r.Service.EnvPrefix+"_URL"] == nil {
						t.Errorf("gateway: no %s_URL", r.Service.EnvPrefix)
					}
				}
			}
		})
	}
}

func TestComposeLoaderCatchesDefects(t *testing.T) {
	fs := generate(t, "shop")
	good := fs["compose.yaml"]
	for _, tc := range []struct{ old, new, want string }{
		{"    environment:\n      PORT", "    enviroment:\n      PORT", "enviroment"},
		{"condition: service_healthy", "condition: service_ready", "depends_on.postgres.condition"},
	} {
		bad := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("planting %q: not found", tc.new)
		}
		fs["compose.yaml"] = bad
		_, err := loadCompose(t, fs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("planted %q: loader said %v", tc.new, err)
		}
	}
}

// TestEdges pins the call graph of shop that the network policies open.
func TestEdges(t *testing.T) {
	got := load(t, "shop").Edges
	want := []model.Edge{
		{From: "gateway", To: "inventory", Why: "route"},
		{From: "gateway", To: "orders", Why: "route"},
		{From: "gateway", To: "payments", Why: "route"},
		{From: "orders", To: "inventory", Why: "calls"},
		{From: "orders", To: "payments", Why: "saga checkout"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges\n got %v\nwant %v", got, want)
	}
	// A choreographed saga adds no synchronous edge.
	if e := load(t, "travel").Edges; !reflect.DeepEqual(e, []model.Edge{{From: "gateway", To: "bookings", Why: "route"}}) {
		t.Errorf("travel edges %v", e)
	}
}

func TestWithoutKubernetesNoManifests(t *testing.T) {
	for p := range generate(t, "minimal") {
		if strings.HasPrefix(p, "deploy/") {
			t.Errorf("minimal has no kubernetes section but got %s", p)
		}
	}
}

// TestEveryTemplateUsed: no template under templates/deploy is left behind.
func TestEveryTemplateUsed(t *testing.T) {
	names, err := templates.Names("deploy")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, n := range deploy.TemplateNames() {
		used["deploy/"+n] = true
	}
	for _, n := range names {
		if !used[n] {
			t.Errorf("template %s is never rendered", n)
		}
		delete(used, n)
	}
	for n := range used {
		t.Errorf("template %s is rendered but does not exist", n)
	}
}

// TestEdgesMatchCallers: the network allows exactly the callers the
// services' identity checks allow (the model's Service.Callers), so the two
// layers of zero trust agree.
func TestEdgesMatchCallers(t *testing.T) {
	for _, name := range shipped {
		sys := load(t, name)
		got := map[string][]string{}
		for _, e := range sys.Edges {
			got[e.To] = append(got[e.To], e.From)
		}
		for _, svc := range sys.Services {
			want := append([]string(nil), svc.Callers...)
			sort.Strings(want)
			have := got[svc.Name]
			sort.Strings(have)
			if strings.Join(have, ",") != strings.Join(want, ",") {
				t.Errorf("%s: network callers of %s %v, identity callers %v", name, svc.Name, have, want)
			}
		}
	}
}
