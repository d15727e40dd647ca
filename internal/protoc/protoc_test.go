package protoc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// TestVersionsMatchBuild keeps the plugin versions equal to the versions
// microforge itself builds with. Test binaries carry no dependency list in
// their build info, so this asks the go command for the selected versions.
func TestVersionsMatchBuild(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Version}}{{with .Replace}} {{.Version}}{{end}}",
		GoPlugin.Module, ConnectGoPlugin.Module)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		got[f[0]] = f[len(f)-1]
	}
	for _, p := range []Plugin{GoPlugin, ConnectGoPlugin} {
		if got[p.Module] != p.Version {
			t.Errorf("microforge builds with %s %s but runs %s at %s: update the constant", p.Module, got[p.Module], p.Name, p.Version)
		}
	}
}

var testSources = []Source{
	{Path: "acme/a/v1/a.proto", Content: []byte(`syntax = "proto3";

package acme.a.v1;

import "acme/a/v1/types.proto";
import "google/protobuf/timestamp.proto";

option go_package = "example.com/acme/gen/acme/a/v1;av1";

// AService does things.
service AService {
  // Get gets a thing.
  rpc Get(GetRequest) returns (GetResponse);
}

message GetRequest {
  google.protobuf.Timestamp at = 1;
}

message GetResponse {
  acme.a.v1.Thing thing = 1;
}
`)},
	{Path: "acme/a/v1/types.proto", Content: []byte(`syntax = "proto3";

package acme.a.v1;

option go_package = "example.com/acme/gen/acme/a/v1;av1";

// Thing is a thing.
message Thing {
  string id = 1;
}
`)},
}

func TestCompile(t *testing.T) {
	files, err := Compile(context.Background(), testSources)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path() != "acme/a/v1/a.proto" || files[1].Path() != "acme/a/v1/types.proto" {
		t.Fatalf("files not in source order: %v", files)
	}
	svc := files[0].Services().Get(0)
	if got := files[0].SourceLocations().ByDescriptor(svc).LeadingComments; got != " AService does things.\n" {
		t.Errorf("service comment = %q, want the source's", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown type", `syntax = "proto3";
package p.v1;
message M { Missing m = 1; }
`, "p/v1/p.proto:3:13"},
		{"unused import", `syntax = "proto3";
package p.v1;
import "google/protobuf/timestamp.proto";
message M {}
`, "not used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(context.Background(), []Source{{Path: "p/v1/p.proto", Content: []byte(tc.src)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func compileTest(t testing.TB) linker.Files {
	t.Helper()
	files, err := Compile(context.Background(), testSources)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestNewRequest(t *testing.T) {
	req, err := NewRequest(compileTest(t), "paths=source_relative")
	if err != nil {
		t.Fatal(err)
	}
	if got := req.GetParameter(); got != "paths=source_relative" {
		t.Errorf("parameter = %q", got)
	}
	if got := strings.Join(req.FileToGenerate, " "); got != "acme/a/v1/a.proto acme/a/v1/types.proto" {
		t.Errorf("files to generate = %s", got)
	}
	var order []string
	for _, f := range req.ProtoFile {
		order = append(order, f.GetName())
		generated := f.GetName() != "google/protobuf/timestamp.proto"
		if (f.SourceCodeInfo != nil) != generated {
			t.Errorf("%s: source info present = %v, want %v (only files to generate carry it)", f.GetName(), f.SourceCodeInfo != nil, generated)
		}
	}
	// Dependencies first, each file once.
	if got, want := strings.Join(order, " "), "acme/a/v1/types.proto google/protobuf/timestamp.proto acme/a/v1/a.proto"; got != want {
		t.Errorf("proto files in order %s, want %s", got, want)
	}
	if len(req.SourceFileDescriptors) != 2 || req.SourceFileDescriptors[0].GetName() != "acme/a/v1/a.proto" {
		t.Errorf("source file descriptors: %v", req.SourceFileDescriptors)
	}
	if req.CompilerVersion != nil {
		t.Errorf("compiler version set: generated code would differ from buf's")
	}
}

// fakeRunner answers from a function and records the requests.
type fakeRunner struct {
	mu   sync.Mutex
	reqs map[string]*pluginpb.CodeGeneratorRequest
	resp func(p Plugin, req *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse
}

func (f *fakeRunner) Run(_ context.Context, p Plugin, req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reqs == nil {
		f.reqs = map[string]*pluginpb.CodeGeneratorRequest{}
	}
	if f.reqs[p.Name] != nil {
		return nil, errors.New("plugin run twice")
	}
	f.reqs[p.Name] = req
	return f.resp(p, req), nil
}

func oneFilePerProto(suffix string) func(Plugin, *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse {
	return func(p Plugin, req *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse {
		resp := &pluginpb.CodeGeneratorResponse{}
		for _, f := range req.FileToGenerate {
			name := strings.TrimSuffix(f, ".proto") + suffix[strings.Index(suffix, "."):]
			if p.Name == ConnectGoPlugin.Name {
				name = strings.TrimSuffix(f, ".proto") + ".connect.go"
			}
			resp.File = append(resp.File, &pluginpb.CodeGeneratorResponse_File{Name: proto.String(name), Content: proto.String("package x\n")})
		}
		return resp
	}
}

func TestGenerateRunsEachPluginOnce(t *testing.T) {
	r := &fakeRunner{resp: oneFilePerProto(".pb.go")}
	out, err := Generate(context.Background(), r, compileTest(t), GoPlugin, ConnectGoPlugin)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range out {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "acme/a/v1/a.connect.go acme/a/v1/a.pb.go acme/a/v1/types.connect.go acme/a/v1/types.pb.go"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	if got := r.reqs[ConnectGoPlugin.Name].GetParameter(); got != "paths=source_relative,simple" {
		t.Errorf("connect parameter = %q", got)
	}
	if got := r.reqs[GoPlugin.Name].GetParameter(); got != "paths=source_relative" {
		t.Errorf("go parameter = %q", got)
	}
}

func TestGenerateFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp *pluginpb.CodeGeneratorResponse
		want string
	}{
		{"plugin error", &pluginpb.CodeGeneratorResponse{Error: proto.String("bad option")}, "protoc-gen-go: bad option"},
		{"insertion point", &pluginpb.CodeGeneratorResponse{File: []*pluginpb.CodeGeneratorResponse_File{
			{Name: proto.String("a.go"), InsertionPoint: proto.String("imports")},
		}}, "insertion point"},
		{"escaping path", &pluginpb.CodeGeneratorResponse{File: []*pluginpb.CodeGeneratorResponse_File{
			{Name: proto.String("../a.go")},
		}}, "not a clean relative path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeRunner{resp: func(Plugin, *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse { return tc.resp }}
			_, err := Generate(context.Background(), r, compileTest(t), GoPlugin)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("same file twice", func(t *testing.T) {
		r := &fakeRunner{resp: oneFilePerProto(".pb.go")}
		_, err := Generate(context.Background(), r, compileTest(t), GoPlugin, Plugin{Name: "protoc-gen-other"})
		if err == nil || !strings.Contains(err.Error(), "both generated") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCacheDir(t *testing.T) {
	t.Setenv(CacheDirEnv, "/somewhere")
	dir, err := CacheDir()
	if err != nil || dir != "/somewhere" {
		t.Fatalf("CacheDir() = %q, %v", dir, err)
	}
	bin, err := (&GoInstall{}).Path(GoPlugin)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join("/somewhere", "plugins", "google.golang.org", "protobuf@"+ProtobufVersion, "protoc-gen-go")
	if strings.TrimSuffix(bin, ".exe") != want {
		t.Errorf("plugin path %s, want %s", bin, want)
	}
}

func TestMissingGo(t *testing.T) {
	t.Setenv("PATH", "")
	g := &GoInstall{CacheDir: t.TempDir()}
	_, err := g.Install(context.Background(), GoPlugin)
	if err == nil || !strings.Contains(err.Error(), "needs the go command") {
		t.Fatalf("err = %v, want a clear message about the go command", err)
	}
}

// TestGoInstallCold builds both plugins into an empty cache from several
// goroutines and two runners at once (as parallel processes would), then
// runs them for real.
func TestGoInstallCold(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugins with go install")
	}
	dir := t.TempDir()
	runners := []*GoInstall{{CacheDir: dir}, {CacheDir: dir}}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- runners[i%2].Prepare(context.Background(), GoPlugin, ConnectGoPlugin)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("cold build of both plugins: %v", time.Since(start))
	for _, p := range []Plugin{GoPlugin, ConnectGoPlugin} {
		bin, _ := runners[0].Path(p)
		entries, err := os.ReadDir(filepath.Dir(bin))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%s: cache folder holds %d entries, want only the binary (temporary GOBINs left behind?)", p.Name, len(entries))
		}
	}

	start = time.Now()
	out, err := Generate(context.Background(), runners[1], compileTest(t), GoPlugin, ConnectGoPlugin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm run of both plugins: %v", time.Since(start))
	var names []string
	for _, f := range out {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "acme/a/v1/a.pb.go acme/a/v1/av1connect/a.connect.go acme/a/v1/types.pb.go"; got != want {
		t.Errorf("generated %s, want %s", got, want)
	}
	if !strings.Contains(string(out[1].Content), "// Get gets a thing.") || !strings.Contains(string(out[2].Content), "// Thing is a thing.") {
		t.Errorf("comments did not reach the generated code")
	}
}

func TestEncodeFilesRoundTrip(t *testing.T) {
	in := []File{{Name: "a/b.pb.go", Content: []byte("package b\n"), Plugin: "protoc-gen-go"}, {Name: "e", Content: []byte{}, Plugin: ""}}
	out, err := decodeFiles(encodeFiles(in))
	if err != nil || len(out) != len(in) {
		t.Fatalf("%v, %v", out, err)
	}
	for i := range in {
		if out[i].Name != in[i].Name || string(out[i].Content) != string(in[i].Content) || out[i].Plugin != in[i].Plugin {
			t.Errorf("%d: %+v, want %+v", i, out[i], in[i])
		}
	}
	if _, err := decodeFiles(encodeFiles(in)[:5]); err == nil {
		t.Error("a truncated encoding decoded")
	}
}
