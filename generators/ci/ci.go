// Package ci generates the repository's pipeline: a GitHub Actions workflow
// for `ci: github`, a .gitlab-ci.yml for `ci: gitlab`. Both run the same
// checks: formatting, vet and lint, buf lint and breaking, generated code up
// to date, unit and end-to-end tests against the production databases, the
// Dockerfiles, compose.yaml and the Kubernetes manifests; on the default
// branch they build and push one image per service whose code changed and
// deploy to dev behind a manual gate.
//
// The pipeline is Scaffold: written once, then the team's.
package ci

import (
	"path"
	"strings"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// Name identifies this generator in plans and errors.
const Name = "ci"

// Paths of the generated pipelines.
const (
	GitHubPath = ".github/workflows/ci.yaml"
	GitLabPath = ".gitlab-ci.yml"
)

// DefaultBranch is the branch the pipelines treat as the mainline.
const DefaultBranch = "main"

// Versions of the tools the pipelines run with `go run`, pinned so that a
// pipeline gives the same answer tomorrow.
var tools = Tools{Kustomize: "v5.7.1", Kubeconform: "v0.8.0", Buf: "1.57.0", KubeImage: "alpine/k8s:1.34.1"}

// Tools are the pinned versions of the pipeline's tools.
type Tools struct {
	Kustomize, Kubeconform, Buf string
	KubeImage                   string // image with kubectl and kustomize (GitLab deploy)
}

// Generate returns the pipeline the blueprint's deploy.ci asks for, or
// nothing.
func Generate(sys *model.System) ([]files.File, error) {
	var tmpl, out string
	switch sys.Deploy.CI {
	case "github":
		tmpl, out = ".github/workflows/ci.yaml", GitHubPath
	case "gitlab":
		tmpl, out = ".gitlab-ci.yml", GitLabPath
	default:
		return nil, nil
	}
	b, err := templates.Render("ci/"+tmpl, newView(sys))
	if err != nil {
		return nil, err
	}
	return []files.File{{Path: out, Content: b, Policy: files.Scaffold, Generator: Name}}, nil
}

type view struct {
	System        string
	DefaultBranch string
	GoVersion     string
	Images        struct{ Postgres, MariaDB, NATS string }
	Postgres      bool
	MySQL         bool
	Services      []serviceView // every deployable: the gateway first, then the services
	GoogleAPIs    bool          // buf.yaml depends on googleapis: CI pins it when buf.lock is missing
	Registry      string        // host the images are pushed to
	Login         login
	Kube          *model.Kubernetes
	Overlays      []string
	DevOverlay    string
	Tools         Tools
}

// login names the credentials the GitHub workflow logs in to the registry
// with: the workflow's own token for ghcr.io, repository secrets elsewhere.
type login struct{ Username, Password string }

type serviceView struct {
	Name       string // DNS-safe, as in the manifests
	EnvPrefix  string // "ORDERS"
	Dockerfile string
	Image      string
	Paths      string   // what the image is built from: a change here rebuilds it
	Changes    []string // the same as GitLab rules:changes globs
}

// newServiceView describes a deployable whose binary is cmd/<name>, built
// from paths.
func newServiceView(name, envPrefix, image string, paths []string) serviceView {
	var changes []string
	for _, p := range paths {
		if !strings.HasPrefix(p, "go.") {
			p += "/**/*"
		}
		changes = append(changes, p)
	}
	return serviceView{
		Name:       strings.ReplaceAll(name, "_", "-"),
		EnvPrefix:  envPrefix,
		Dockerfile: path.Join("cmd", name, "Dockerfile"),
		Image:      image,
		Paths:      strings.Join(paths, " "),
		Changes:    changes,
	}
}

func newView(sys *model.System) *view {
	v := &view{
		System:        sys.Name,
		DefaultBranch: DefaultBranch,
		GoVersion:     model.GoVersion,
		Images:        struct{ Postgres, MariaDB, NATS string }{Postgres: model.PostgresImage, MariaDB: model.MariaDBImage, NATS: model.NATSImage},
		Kube:          sys.Deploy.Kubernetes,
		Tools:         tools,
		GoogleAPIs:    sys.Gateway != nil,
	}
	if sys.Gateway != nil {
		image := sys.GatewayImage
		paths := []string{"cmd/" + model.GatewayName, "internal/" + model.GatewayName, "internal/platform", sys.GenRoot, sys.ProtoRoot, "go.mod", "go.sum"}
		v.Services = append(v.Services, newServiceView(model.GatewayName, strings.ToUpper(model.GatewayName), image, paths))
	}
	if v.Kube != nil {
		v.Overlays = []string{model.KubeDev, model.KubeProd}
		v.DevOverlay = model.KubeDev
	}
	for _, svc := range sys.Services {
		switch svc.Store {
		case model.StorePostgres:
			v.Postgres = true
		case model.StoreMySQL:
			v.MySQL = true
		}
		image := svc.Image
		paths := []string{svc.CmdDir, svc.InternalDir, "internal/platform", sys.GenRoot, sys.ProtoRoot, "go.mod", "go.sum"}
		v.Services = append(v.Services, newServiceView(svc.Name, svc.EnvPrefix, image, paths))
	}
	if len(v.Services) > 0 {
		v.Registry, _, _ = strings.Cut(v.Services[0].Image, "/")
	}
	v.Login = login{"secrets.REGISTRY_USERNAME", "secrets.REGISTRY_PASSWORD"}
	if v.Registry == "ghcr.io" {
		v.Login = login{"github.actor", "secrets.GITHUB_TOKEN"}
	}
	return v
}
