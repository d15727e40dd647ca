// Package deploy generates what runs a system outside `go run`: a Dockerfile
// per deployable (each service and the gateway), .dockerignore, compose.yaml with the databases and the
// broker, and, when the blueprint has a kubernetes section, a kustomize base
// with dev and prod overlays.
//
// The kustomize base is Owned (rewritten on every generation); the
// Dockerfiles, compose.yaml and the overlays are Scaffold: the places where
// teams pin registries, tune resources and add their own patches.
package deploy

import (
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// Name identifies this generator in plans and errors.
const Name = "deploy"

// Roots of the generated Kubernetes manifests.
const (
	KubeBase = "deploy/kubernetes/base"
	KubeDev  = model.KubeDev
	KubeProd = model.KubeProd
)

// A template rendered once per system or, when its name holds [service],
// once per service.
type tmpl struct {
	name   string
	policy files.Policy
	when   func(*view) bool
}

func always(*view) bool         { return true }
func kube(v *view) bool         { return v.Kube != nil }
func kubePostgres(v *view) bool { return v.Kube != nil && len(v.Postgres) > 0 }
func kubeMySQL(v *view) bool    { return v.Kube != nil && len(v.MySQL) > 0 }
func kubeNATS(v *view) bool     { return v.Kube != nil && v.NATS }
func kubeStores(v *view) bool   { return kubePostgres(v) || kubeMySQL(v) || kubeNATS(v) }
func kubeOTel(v *view) bool     { return v.Kube != nil && v.Telemetry != nil }
func kubeNetPol(v *view) bool   { return kubeStores(v) || kubeOTel(v) }

var systemTemplates = []tmpl{
	{".dockerignore", files.Scaffold, always},
	{"compose.yaml", files.Scaffold, always},
	{KubeBase + "/kustomization.yaml", files.Owned, kube},
	{KubeBase + "/namespace.yaml", files.Owned, kube},
	{KubeBase + "/network-policies.yaml", files.Owned, kube},
	{KubeDev + "/kustomization.yaml", files.Scaffold, kube},
	{KubeDev + "/network-policies.yaml", files.Scaffold, kubeNetPol},
	{KubeDev + "/postgres.yaml", files.Scaffold, kubePostgres},
	{KubeDev + "/mariadb.yaml", files.Scaffold, kubeMySQL},
	{KubeDev + "/nats.yaml", files.Scaffold, kubeNATS},
	{KubeDev + "/otel-collector.yaml", files.Scaffold, kubeOTel},
	{KubeProd + "/kustomization.yaml", files.Scaffold, kube},
}

var serviceTemplates = []tmpl{
	{"cmd/[service]/Dockerfile", files.Scaffold, always},
	{KubeBase + "/[service]/kustomization.yaml", files.Owned, kube},
	{KubeBase + "/[service]/deployment.yaml", files.Owned, kube},
	{KubeBase + "/[service]/service.yaml", files.Owned, kube},
	{KubeBase + "/[service]/serviceaccount.yaml", files.Owned, kube},
	{KubeBase + "/[service]/configmap.yaml", files.Owned, kube},
	{KubeBase + "/[service]/pdb.yaml", files.Owned, kube},
	{KubeBase + "/[service]/network-policy.yaml", files.Owned, kube},
	{KubeBase + "/[service]/hpa.yaml", files.Owned, kube},
	{KubeBase + "/[service]/pvc.yaml", files.Owned, kube},
	{KubeBase + "/[service]/ingress.yaml", files.Owned, kube},
}

// Generate returns the container and Kubernetes files of a system.
func Generate(sys *model.System) ([]files.File, error) {
	v := newView(sys)
	var out []files.File
	render := func(name, path string, data any, policy files.Policy) error {
		b, err := templates.Render("deploy/"+name, data)
		if err != nil {
			return err
		}
		out = append(out, files.File{Path: path, Content: b, Policy: policy, Generator: Name})
		return nil
	}
	for _, t := range systemTemplates {
		if !t.when(v) {
			continue
		}
		if err := render(t.name, t.name, v, t.policy); err != nil {
			return nil, err
		}
	}
	for _, s := range v.Deployables {
		for _, t := range serviceTemplates {
			if !t.when(v) || !s.wants(t.name) {
				continue
			}
			data := serviceData{System: v, Service: s}
			path := strings.NewReplacer("cmd/[service]", s.CmdDir, "[service]", s.Name).Replace(t.name)
			if err := render(t.name, path, data, t.policy); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// serviceData is what the per-service templates see.
type serviceData struct {
	System  *view
	Service *serviceView
}

// wants reports whether a per-service template applies to the deployable:
// only those that autoscale get an HPA, only SQLite services a volume, only
// the gateway an Ingress.
func (s *serviceView) wants(name string) bool {
	switch {
	case strings.HasSuffix(name, "/ingress.yaml"):
		return s.IsGateway
	case strings.HasSuffix(name, "/hpa.yaml"):
		return s.HPA != nil
	case strings.HasSuffix(name, "/pvc.yaml"):
		return s.Singleton
	}
	return true
}

// TemplateNames returns the name of every template the generator renders,
// relative to templates/deploy.
func TemplateNames() []string {
	var out []string
	for _, t := range systemTemplates {
		out = append(out, t.name)
	}
	for _, t := range serviceTemplates {
		out = append(out, t.name)
	}
	return out
}
