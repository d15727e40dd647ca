// Package gateway generates a system's API gateway: the cmd/gateway binary
// and its internal/gateway package, which route the blueprint's routes to the
// services (Connect, gRPC, gRPC-Web and REST JSON through google.api.http
// transcoding), authenticate callers with JWTs, rate-limit them and forward
// their verified identity; cmd/load, which drives the gateway with the
// blueprint's flows and checks the sagas it starts end; and, when the
// blueprint has an auth section, cmd/token, which mints development tokens
// the local gateway trusts.
//
// Nothing is generated for a system without a gateway.
package gateway

import (
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	mfruntime "github.com/microforge/microforge/internal/runtime"
	"github.com/microforge/microforge/templates"
)

// Name is the generator's name, recorded on every file it returns.
const Name = "gateway"

// gatewayTemplates are rendered once with the view; auth marks those only a
// system with an auth section gets.
var gatewayTemplates = []struct {
	name   string
	policy files.Policy
	auth   bool
	// versions: only systems whose routed services serve older versions
	// get it.
	versions bool
	// crash: only systems where cmd/load starts sagas it sees end get it.
	crash bool
}{
	{"cmd/gateway/main.go", files.Owned, false, false, false},
	{"cmd/load/crash_test.go", files.Owned, false, false, true},
	{"cmd/load/main.go", files.Owned, false, false, false},
	{"cmd/token/main.go", files.Owned, true, false, false},
	{"internal/gateway/auth_test.go", files.Owned, false, false, false},
	{"internal/gateway/catalog.go", files.Owned, false, false, false},
	{"internal/gateway/bench_test.go", files.Owned, false, false, false},
	{"internal/gateway/config.go", files.Owned, false, false, false},
	{"internal/gateway/devkey.go", files.Owned, false, false, false},
	{"internal/gateway/e2e_test.go", files.Owned, false, false, false},
	{"internal/gateway/export_test.go", files.Owned, false, false, false},
	{"internal/gateway/gateway.go", files.Owned, false, false, false},
	{"internal/gateway/gateway_test.go", files.Owned, false, false, false},
	{"internal/gateway/openapi_test.go", files.Owned, false, false, false},
	{"internal/gateway/routes.go", files.Owned, false, false, false},
	{"internal/gateway/versions_test.go", files.Owned, false, true, false},
}

// templateNames returns the names of every template the generator renders,
// relative to templates/gateway.
func templateNames() []string {
	out := make([]string, len(gatewayTemplates))
	for i, t := range gatewayTemplates {
		out[i] = t.name
	}
	return out
}

// Generate returns the gateway's files, none when the system has no gateway.
func Generate(sys *model.System) ([]files.File, error) {
	if sys.Gateway == nil {
		return nil, nil
	}
	v := newView(sys)
	var out []files.File
	for _, t := range gatewayTemplates {
		if (t.auth && v.Auth == nil) || (t.versions && len(v.Versioned) == 0) || (t.crash && len(v.CrashFlows) == 0) {
			continue
		}
		src, err := templates.Render("gateway/"+t.name, v)
		if err != nil {
			return nil, err
		}
		f, err := files.New(t.name, src, t.policy)
		if err != nil {
			return nil, err
		}
		f.Generator = Name
		out = append(out, f)
	}
	// What every gateway does is the runtime package gatewaycore, of the
	// system's variant; what cmd/load does, package load.
	for _, dir := range []string{"platform/gatewaycore", "platform/load"} {
		pkg, err := mfruntime.Package(dir, sys.Module, map[string]bool{"tenancy": sys.Tenancy != nil}, Name)
		if err != nil {
			return nil, err
		}
		out = append(out, pkg...)
	}
	docs, err := openAPIFiles(sys)
	if err != nil {
		return nil, err
	}
	return append(out, docs...), nil
}
