package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/microforge/microforge/generators/deploy"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// kubernetesModule ships the OpenAPI document the manifests are validated
// against; its version is the Kubernetes release the schemas describe.
const kubernetesModule = "k8s.io/kubernetes@v1.37.2"

// kubeBlueprints are the shipped blueprints with a kubernetes section.
var kubeBlueprints = []string{"shop", "travel"}

var overlays = []string{deploy.KubeDev, deploy.KubeProd}

// build runs `kustomize build` in-process on an overlay of generated files.
func build(t testing.TB, fs map[string][]byte, overlay string) ([]byte, error) {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	for p, b := range fs {
		if err := mem.WriteFile("/"+p, b); err != nil {
			t.Fatal(err)
		}
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(mem, "/"+overlay)
	if err != nil {
		return nil, err
	}
	return rm.AsYaml()
}

// documents splits a kustomize output stream.
func documents(stream []byte) [][]byte {
	var out [][]byte
	for _, d := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			out = append(out, d)
		}
	}
	return out
}

var strictDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// decodeStrict decodes every document into its k8s.io/api type, failing on
// unknown or duplicate fields and on kinds the scheme does not know.
func decodeStrict(stream []byte) ([]runtime.Object, error) {
	var objs []runtime.Object
	for _, d := range documents(stream) {
		obj, gvk, err := strictDecoder.Decode(d, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", firstLines(d), err)
		}
		if gvk == nil {
			return nil, fmt.Errorf("%s: no kind", firstLines(d))
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func firstLines(doc []byte) string {
	lines := strings.SplitN(string(doc), "\n", 4)
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return strings.Join(lines, " | ")
}

func TestKustomizeBuildsStrictlyValidObjects(t *testing.T) {
	for _, name := range kubeBlueprints {
		fs := generate(t, name)
		for _, overlay := range overlays {
			t.Run(name+"/"+filepath.Base(overlay), func(t *testing.T) {
				out, err := build(t, fs, overlay)
				if err != nil {
					t.Fatalf("kustomize build: %v", err)
				}
				objs, err := decodeStrict(out)
				if err != nil {
					t.Fatal(err)
				}
				kinds := map[string]int{}
				for _, o := range objs {
					kinds[o.GetObjectKind().GroupVersionKind().Kind]++
				}
				sys := load(t, name)
				n := len(sys.Services)
				for _, k := range []string{"Deployment", "Service", "ServiceAccount", "ConfigMap", "PodDisruptionBudget"} {
					if kinds[k] < n {
						t.Errorf("%d %s objects for %d services", kinds[k], k, n)
					}
				}
				if kinds["Namespace"] != 1 || kinds["NetworkPolicy"] < n+2 {
					t.Errorf("kinds %v", kinds)
				}
				if sys.Gateway != nil {
					// The gateway is a deployable like the services, plus the Ingress.
					for _, k := range []string{"Deployment", "Service", "ServiceAccount", "ConfigMap", "PodDisruptionBudget"} {
						if kinds[k] < n+1 {
							t.Errorf("%d %s objects for %d services and the gateway", kinds[k], k, n)
						}
					}
					if kinds["Ingress"] != 1 || kinds["NetworkPolicy"] < n+3 {
						t.Errorf("kinds %v: want one Ingress and the gateway's NetworkPolicy", kinds)
					}
				} else if kinds["Ingress"] != 0 {
					t.Errorf("an Ingress without a gateway: %v", kinds)
				}
				stores := kinds["StatefulSet"]
				if filepath.Base(overlay) == "prod" && (stores != 0 || kinds["Secret"] != 0) {
					t.Errorf("prod must bring no data store and no Secret: %v", kinds)
				}
				if filepath.Base(overlay) == "dev" && stores == 0 {
					t.Errorf("dev brings no data store: %v", kinds)
				}
			})
		}
	}
}

// TestStrictDecodingCatchesDefects: a misspelled field fails.
func TestStrictDecodingCatchesDefects(t *testing.T) {
	fs := generate(t, "shop")
	p := deploy.KubeBase + "/orders/deployment.yaml"
	fs[p] = plant(t, fs[p], "          readinessProbe:", "          readinessProbes:")
	out, err := build(t, fs, deploy.KubeDev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeStrict(out); err == nil || !strings.Contains(err.Error(), "readinessProbes") {
		t.Errorf("strict decoding let a misspelled field through: %v", err)
	}
}

func TestKustomizeCatchesDefects(t *testing.T) {
	fs := generate(t, "shop")
	p := deploy.KubeBase + "/kustomization.yaml"
	fs[p] = plant(t, fs[p], "  - orders\n", "  - order\n")
	if _, err := build(t, fs, deploy.KubeProd); err == nil {
		t.Error("kustomize built a base listing a missing folder")
	}
}

func plant(t testing.TB, src []byte, old, new string) []byte {
	t.Helper()
	out := bytes.Replace(src, []byte(old), []byte(new), 1)
	if bytes.Equal(out, src) {
		t.Fatalf("planting %q: %q not found", new, old)
	}
	return out
}

// schemas returns a kubeconform schema location holding one strict,
// standalone JSON Schema per kind of the Kubernetes OpenAPI document that
// the k8s.io/kubernetes module ships, made the way openapi2jsonschema makes
// kubeconform's published schemas: additionalProperties false on every
// object, int-or-string and quantities as either type.
var schemas = sync.OnceValues(func() (string, error) {
	dir, err := moduleDir(kubernetesModule)
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(filepath.Join(dir, "api", "openapi-spec", "swagger.json"))
	if err != nil {
		return "", err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		return "", err
	}
	defs := doc.Definitions
	for name, d := range defs {
		switch {
		case d["format"] == "int-or-string":
			defs[name] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
		case strings.HasSuffix(name, ".api.resource.Quantity"):
			defs[name] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
		default:
			strictify(d)
		}
	}
	out, err := os.MkdirTemp("", "microforge-k8s-schemas-")
	if err != nil {
		return "", err
	}
	schemaDir = out
	for name, d := range defs {
		gvks, _ := d["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk := g.(map[string]any)
			group, version, kind := gvk["group"].(string), gvk["version"].(string), gvk["kind"].(string)
			suffix := "-" + version
			if group != "" {
				suffix = "-" + strings.Split(group, ".")[0] + "-" + version
			}
			closure := map[string]any{}
			collectRefs(defs, name, closure)
			schema := map[string]any{
				"$schema":     "http://json-schema.org/draft-07/schema#",
				"definitions": closure,
				"allOf":       []any{map[string]any{"$ref": "#/definitions/" + name}},
			}
			b, err := json.Marshal(schema)
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(out, strings.ToLower(kind)+suffix+".json"), b, 0o644); err != nil {
				return "", err
			}
		}
	}
	return filepath.Join(out, "{{ .ResourceKind }}{{ .KindSuffix }}.json"), nil
})

// schemaDir is the folder schemas wrote, removed by TestMain.
var schemaDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if schemaDir != "" {
		os.RemoveAll(schemaDir)
	}
	os.Exit(code)
}

// strictify forbids properties a schema does not declare, recursively.
func strictify(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["properties"]; ok {
			if _, set := v["additionalProperties"]; !set {
				v["additionalProperties"] = false
			}
		}
		for _, c := range v {
			strictify(c)
		}
	case []any:
		for _, c := range v {
			strictify(c)
		}
	}
}

// collectRefs adds the definition name and every definition it refers to.
func collectRefs(defs map[string]map[string]any, name string, into map[string]any) {
	if _, done := into[name]; done {
		return
	}
	d := defs[name]
	into[name] = d
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				collectRefs(defs, strings.TrimPrefix(ref, "#/definitions/"), into)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(d)
}

// moduleDir downloads a module through the Go module proxy (or finds it in
// the module cache) and returns its directory.
func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v\n%s%s", mod, err, out, stderr.Bytes())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", err
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Dir, nil
}

// kubeconform validates a stream against the schemas, strictly, and
// returns every finding.
func kubeconform(t testing.TB, stream []byte) []string {
	t.Helper()
	loc, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
	v, err := validator.New([]string{loc}, validator.Opts{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range v.Validate("manifests.yaml", io.NopCloser(bytes.NewReader(stream))) {
		switch r.Status {
		case validator.Valid:
		case validator.Empty:
		default:
			sig, _ := r.Resource.Signature()
			msg := fmt.Sprintf("%v %s/%s", r.Status, sigKind(sig), sigName(sig))
			if r.Err != nil {
				msg += ": " + r.Err.Error()
			}
			for _, e := range r.ValidationErrors {
				msg += fmt.Sprintf("\n  %s: %s", e.Path, e.Msg)
			}
			out = append(out, msg)
		}
	}
	return out
}

func sigKind(s *resource.Signature) string {
	if s == nil {
		return "?"
	}
	return s.Kind
}

func sigName(s *resource.Signature) string {
	if s == nil {
		return "?"
	}
	return s.Name
}

func TestKubeconform(t *testing.T) {
	for _, name := range kubeBlueprints {
		fs := generate(t, name)
		for _, overlay := range overlays {
			t.Run(name+"/"+filepath.Base(overlay), func(t *testing.T) {
				out, err := build(t, fs, overlay)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range kubeconform(t, out) {
					t.Error(f)
				}
			})
		}
	}
}

func TestKubeconformCatchesDefects(t *testing.T) {
	fs := generate(t, "shop")
	for _, tc := range []struct{ file, old, new string }{
		{deploy.KubeBase + "/orders/deployment.yaml", "          readinessProbe:", "          readinessProbes:"},
		{deploy.KubeBase + "/payments/service.yaml", "      port: 8082", "      port: \"eighty\""},
		{deploy.KubeBase + "/inventory/hpa.yaml", "  maxReplicas:", "  maxReplica:"},
	} {
		bad := map[string][]byte{}
		for p, b := range fs {
			bad[p] = b
		}
		bad[tc.file] = plant(t, fs[tc.file], tc.old, tc.new)
		out, err := build(t, bad, deploy.KubeProd)
		if err != nil {
			t.Fatal(err)
		}
		found := kubeconform(t, out)
		if len(found) == 0 {
			t.Errorf("planted %q in %s: kubeconform found nothing", tc.new, tc.file)
		}
		t.Logf("planted %q: %s", tc.new, strings.Join(found, "; "))
	}
}

// podSecurity evaluates every pod template against the Pod Security
// Standards "restricted" profile with the admission controller's own checks.
func podSecurity(t testing.TB, objs []runtime.Object) []string {
	t.Helper()
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	pods := 0
	for _, o := range objs {
		var meta *metav1.ObjectMeta
		var spec *corev1.PodSpec
		var name string
		switch o := o.(type) {
		case *appsv1.Deployment:
			meta, spec, name = &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "Deployment/"+o.Name
		case *appsv1.StatefulSet:
			meta, spec, name = &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "StatefulSet/"+o.Name
		default:
			continue
		}
		pods++
		lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
		for _, r := range eval.EvaluatePod(lv, meta, spec) {
			if !r.Allowed {
				out = append(out, fmt.Sprintf("%s: %s (%s)", name, r.ForbiddenReason, r.ForbiddenDetail))
			}
		}
	}
	if pods == 0 {
		out = append(out, "no workload to check")
	}
	return out
}

func TestPodSecurityRestricted(t *testing.T) {
	for _, name := range kubeBlueprints {
		fs := generate(t, name)
		for _, overlay := range overlays {
			t.Run(name+"/"+filepath.Base(overlay), func(t *testing.T) {
				out, err := build(t, fs, overlay)
				if err != nil {
					t.Fatal(err)
				}
				objs, err := decodeStrict(out)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range podSecurity(t, objs) {
					t.Error(f)
				}
			})
		}
	}
}

func TestPodSecurityCatchesDefects(t *testing.T) {
	fs := generate(t, "shop")
	for _, tc := range []struct{ file, old, new string }{
		{deploy.KubeBase + "/orders/deployment.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"},
		{deploy.KubeDev + "/postgres.yaml", "                - ALL", "                - NET_RAW"},
		{deploy.KubeDev + "/nats.yaml", "        runAsNonRoot: true\n        runAsUser: 1000", "        runAsNonRoot: true\n        runAsUser: 0"},
	} {
		bad := map[string][]byte{}
		for p, b := range fs {
			bad[p] = b
		}
		bad[tc.file] = plant(t, fs[tc.file], tc.old, tc.new)
		out, err := build(t, bad, deploy.KubeDev)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(out)
		if err != nil {
			t.Fatal(err)
		}
		found := podSecurity(t, objs)
		if len(found) == 0 {
			t.Errorf("planted %q in %s: the restricted profile allowed it", tc.new, tc.file)
		}
		t.Logf("planted %q: %s", tc.new, strings.Join(found, "; "))
	}
}

// TestNetworkPolicyEdgesShop reads the built dev manifests of shop and lists
// every connection the policies allow between pods; it must be exactly the
// blueprint's: the ingress controller to the gateway, the gateway to each
// routed service and to its token issuer's JWKS (HTTPS), orders to inventory (calls)
// and to payments (its checkout saga), each service to its database server,
// and the services with events to NATS. Egress to the databases and the
// broker is by port (they may live outside the cluster), and DNS is open to
// kube-dns only.
func TestNetworkPolicyEdgesShop(t *testing.T) {
	ingress, egress := allowedEdges(t, generate(t, "shop"))
	if strings.Join(ingress, "\n") != strings.Join(shopIngress, "\n") {
		t.Errorf("ingress allowed:\n%s\nwant:\n%s", strings.Join(ingress, "\n"), strings.Join(shopIngress, "\n"))
	}
	if strings.Join(egress, "\n") != strings.Join(shopEgress, "\n") {
		t.Errorf("egress allowed:\n%s\nwant:\n%s", strings.Join(egress, "\n"), strings.Join(shopEgress, "\n"))
	}
}

var (
	shopIngress = []string{
		"gateway -> inventory:8083",
		"gateway -> orders:8081",
		"gateway -> otel-collector:4318",
		"gateway -> payments:8082",
		"ingress-nginx/* -> gateway:8080",
		"inventory -> mariadb:3306",
		"inventory -> nats:4222",
		"inventory -> otel-collector:4318",
		"orders -> inventory:8083",
		"orders -> nats:4222",
		"orders -> otel-collector:4318",
		"orders -> payments:8082",
		"orders -> postgres:5432",
		"otel-collector -> gateway:9464",
		"otel-collector -> inventory:8083",
		"otel-collector -> orders:8081",
		"otel-collector -> payments:8082",
		"payments -> nats:4222",
		"payments -> otel-collector:4318",
		"payments -> postgres:5432",
	}
	shopEgress = []string{
		"* -> kube-system/kube-dns:TCP/53",
		"* -> kube-system/kube-dns:UDP/53",
		"gateway -> any:TCP/4318",
		"gateway -> any:TCP/443",
		"gateway -> inventory:TCP/8083",
		"gateway -> orders:TCP/8081",
		"gateway -> payments:TCP/8082",
		"inventory -> any:TCP/3306",
		"inventory -> any:TCP/4222",
		"inventory -> any:TCP/4318",
		"orders -> any:TCP/4222",
		"orders -> any:TCP/4318",
		"orders -> any:TCP/5432",
		"orders -> inventory:TCP/8083",
		"orders -> payments:TCP/8082",
		"otel-collector -> gateway:TCP/9464",
		"otel-collector -> inventory:TCP/8083",
		"otel-collector -> orders:TCP/8081",
		"otel-collector -> payments:TCP/8082",
		"payments -> any:TCP/4222",
		"payments -> any:TCP/4318",
		"payments -> any:TCP/5432",
	}
)

// TestNetworkPolicyEdgesCatchDefects: one edge too many is seen.
func TestNetworkPolicyEdgesCatchDefects(t *testing.T) {
	fs := generate(t, "shop")
	p := deploy.KubeBase + "/payments/network-policy.yaml"
	fs[p] = plant(t, fs[p], "    # gateway (route)\n    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: gateway",
		"    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: inventory\n      ports:\n        - protocol: TCP\n          port: 8082\n    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: gateway")
	ingress, _ := allowedEdges(t, fs)
	if !slices.Contains(ingress, "inventory -> payments:8082") || strings.Join(ingress, "\n") == strings.Join(shopIngress, "\n") {
		t.Errorf("a planted edge inventory -> payments went unseen: %v", ingress)
	}
}

// allowedEdges builds the dev overlay and lists every connection its
// NetworkPolicies allow, as "from -> to:port" (ingress) and
// "pod -> peer:protocol/port" (egress; "any" when the rule names only
// ports). It fails the test unless a default-deny-all policy denies
// everything else.
func allowedEdges(t *testing.T, fs map[string][]byte) (ingress, egress []string) {
	t.Helper()
	out, err := build(t, fs, deploy.KubeDev)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeStrict(out)
	if err != nil {
		t.Fatal(err)
	}
	denyAll := false
	for _, o := range objs {
		np, ok := o.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		target := np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"]
		if target == "" {
			if len(np.Spec.PodSelector.MatchLabels) != 0 || len(np.Spec.PodSelector.MatchExpressions) != 0 {
				t.Errorf("%s: unexpected selector", np.Name)
			}
			target = "*"
		}
		if np.Name == "default-deny-all" {
			denyAll = target == "*" && len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 && len(np.Spec.PolicyTypes) == 2
		}
		for _, r := range np.Spec.Ingress {
			for _, from := range r.From {
				for _, p := range r.Ports {
					ingress = append(ingress, fmt.Sprintf("%s -> %s:%s", peerName(t, from), target, p.Port))
				}
			}
		}
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				if len(r.To) == 0 {
					egress = append(egress, fmt.Sprintf("%s -> any:%s/%s", target, *p.Protocol, p.Port))
				}
				for _, to := range r.To {
					egress = append(egress, fmt.Sprintf("%s -> %s:%s/%s", target, peerName(t, to), *p.Protocol, p.Port))
				}
			}
		}
	}
	if !denyAll {
		t.Error("no default-deny-all policy for ingress and egress of every pod")
	}
	sort.Strings(ingress)
	sort.Strings(egress)
	return ingress, egress
}

func peerName(t *testing.T, p networkingv1.NetworkPolicyPeer) string {
	t.Helper()
	if p.IPBlock != nil {
		return "ip:" + p.IPBlock.CIDR
	}
	name := "*"
	if p.PodSelector != nil {
		if n, ok := p.PodSelector.MatchLabels["app.kubernetes.io/name"]; ok {
			name = n
		} else if n, ok := p.PodSelector.MatchLabels["k8s-app"]; ok {
			name = n
		}
	}
	if p.NamespaceSelector != nil {
		return p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] + "/" + name
	}
	return name
}

// references checks what schemas cannot: every name an object refers to
// exists in the same build. It returns the problems and the Secrets referred
// to but not built (which prod expects the platform to provide).
func references(objs []runtime.Object) (problems, missingSecrets []string) {
	have := map[string]bool{} // "Kind/name"
	var podLabels []map[string]string
	for _, o := range objs {
		m, err := meta(o)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		have[o.GetObjectKind().GroupVersionKind().Kind+"/"+m.GetName()] = true
		switch o := o.(type) {
		case *appsv1.Deployment:
			podLabels = append(podLabels, o.Spec.Template.Labels)
		case *appsv1.StatefulSet:
			podLabels = append(podLabels, o.Spec.Template.Labels)
			for _, c := range o.Spec.VolumeClaimTemplates {
				have["PersistentVolumeClaim/"+c.Name] = true
			}
		}
	}
	matches := func(sel map[string]string) bool {
		for _, l := range podLabels {
			ok := true
			for k, v := range sel {
				if l[k] != v {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	need := func(from, kind, name string) {
		if !have[kind+"/"+name] {
			problems = append(problems, fmt.Sprintf("%s refers to a missing %s %q", from, kind, name))
		}
	}
	secrets := map[string]bool{}
	checkPod := func(from string, spec *corev1.PodSpec) {
		if spec.ServiceAccountName != "" {
			need(from, "ServiceAccount", spec.ServiceAccountName)
		}
		for _, v := range spec.Volumes {
			switch {
			case v.ConfigMap != nil:
				need(from, "ConfigMap", v.ConfigMap.Name)
			case v.PersistentVolumeClaim != nil:
				need(from, "PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName)
			case v.Secret != nil:
				secrets[v.Secret.SecretName] = true
			}
		}
		for _, c := range spec.Containers {
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil {
					need(from, "ConfigMap", e.ConfigMapRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					secrets[e.ValueFrom.SecretKeyRef.Name] = true
				}
			}
		}
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			checkPod("Deployment/"+o.Name, &o.Spec.Template.Spec)
		case *appsv1.StatefulSet:
			checkPod("StatefulSet/"+o.Name, &o.Spec.Template.Spec)
			need("StatefulSet/"+o.Name, "Service", o.Spec.ServiceName)
		case *corev1.Service:
			if !matches(o.Spec.Selector) {
				problems = append(problems, fmt.Sprintf("Service/%s selects no pod", o.Name))
			}
		case *policyv1.PodDisruptionBudget:
			if !matches(o.Spec.Selector.MatchLabels) {
				problems = append(problems, fmt.Sprintf("PodDisruptionBudget/%s selects no pod", o.Name))
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			need("HorizontalPodAutoscaler/"+o.Name, o.Spec.ScaleTargetRef.Kind, o.Spec.ScaleTargetRef.Name)
		case *networkingv1.NetworkPolicy:
			sel := o.Spec.PodSelector.MatchLabels
			if len(sel) > 0 && !matches(sel) {
				problems = append(problems, fmt.Sprintf("NetworkPolicy/%s selects no pod", o.Name))
			}
		}
	}
	for s := range secrets {
		if !have["Secret/"+s] {
			missingSecrets = append(missingSecrets, s)
		}
	}
	sort.Strings(missingSecrets)
	return problems, missingSecrets
}

func meta(o runtime.Object) (metav1.Object, error) {
	m, ok := o.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", o)
	}
	return m, nil
}

// identitySecrets are the Secrets holding the service identity keys, which
// no overlay generates: one per deployable, and the public keys when some
// service verifies another deployable's tokens.
func identitySecrets(sys *model.System) []string {
	var out []string
	if sys.Gateway != nil {
		out = append(out, "gateway-identity")
	}
	for _, svc := range sys.Services {
		out = append(out, strings.ReplaceAll(svc.Name, "_", "-")+"-identity")
	}
	if len(out) > 1 {
		out = append(out, strings.ReplaceAll(sys.Name, "_", "-")+"-public-keys")
	}
	sort.Strings(out)
	return out
}

// TestReferences: in dev everything a workload needs is built (Secrets
// included) but the service identity keys, which its kustomization.yaml
// tells to create with cmd/keys; prod needs exactly the Secrets its
// kustomization.yaml lists.
func TestReferences(t *testing.T) {
	for _, name := range kubeBlueprints {
		sys := load(t, name)
		fs := generate(t, name)
		wantDev := identitySecrets(sys)
		wantProd := append([]string(nil), wantDev...)
		for _, svc := range sys.Services {
			if svc.Store != "sqlite" {
				wantProd = append(wantProd, strings.ReplaceAll(svc.Name, "_", "-")+"-database")
			}
		}
		wantProd = append(wantProd, strings.ReplaceAll(sys.Name, "_", "-")+"-nats")
		sort.Strings(wantProd)
		for _, overlay := range overlays {
			t.Run(name+"/"+filepath.Base(overlay), func(t *testing.T) {
				out, err := build(t, fs, overlay)
				if err != nil {
					t.Fatal(err)
				}
				objs, err := decodeStrict(out)
				if err != nil {
					t.Fatal(err)
				}
				problems, missing := references(objs)
				for _, p := range problems {
					t.Error(p)
				}
				switch filepath.Base(overlay) {
				case "dev":
					if strings.Join(missing, " ") != strings.Join(wantDev, " ") {
						t.Errorf("dev lacks the Secrets %v, want only the identity Secrets %v", missing, wantDev)
					}
					kustomization := fs[overlay+"/kustomization.yaml"]
					if !bytes.Contains(kustomization, []byte("go run ./cmd/keys | kubectl apply -f -")) {
						t.Error("dev's kustomization.yaml does not tell how to create the identity Secrets")
					}
					for _, s := range missing {
						if !bytes.Contains(kustomization, []byte(" "+s)) {
							t.Errorf("dev's kustomization.yaml does not name the Secret %s", s)
						}
					}
				case "prod":
					if strings.Join(missing, " ") != strings.Join(wantProd, " ") {
						t.Errorf("prod expects the Secrets %v, want %v", missing, wantProd)
					}
					for _, s := range missing {
						if !bytes.Contains(fs[overlay+"/kustomization.yaml"], []byte("#   "+s+":")) {
							t.Errorf("prod's kustomization.yaml does not tell to create the Secret %s", s)
						}
					}
				}
			})
		}
	}
}

func TestReferencesCatchDefects(t *testing.T) {
	fs := generate(t, "shop")
	for _, tc := range []struct{ file, old, new, want string }{
		{deploy.KubeBase + "/orders/deployment.yaml", "      serviceAccountName: orders", "      serviceAccountName: order", `missing ServiceAccount "order"`},
		{deploy.KubeBase + "/payments/service.yaml", "  selector:\n    app.kubernetes.io/name: payments", "  selector:\n    app.kubernetes.io/name: payment", "Service/payments selects no pod"},
		{deploy.KubeBase + "/inventory/hpa.yaml", "    name: inventory", "    name: inventroy", `missing Deployment "inventroy"`},
	} {
		bad := map[string][]byte{}
		for p, b := range fs {
			bad[p] = b
		}
		bad[tc.file] = plant(t, fs[tc.file], tc.old, tc.new)
		out, err := build(t, bad, deploy.KubeDev)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(out)
		if err != nil {
			t.Fatal(err)
		}
		problems, _ := references(objs)
		if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
			t.Errorf("planted %q: found %q", tc.new, problems)
		}
	}
}

// TestKubernetesWithoutDataStores: a system whose only service keeps its
// data in SQLite and publishes no event brings no data store to dev.
func TestKubernetesWithoutDataStores(t *testing.T) {
	sys, err := blueprint.Parse("microforge.yaml", []byte(`version: 1
name: counter_app
module: example.com/counter
services:
  - name: hit_counter
    store: sqlite
    entities:
      Counter: {name: string, hits: int64}
    queries:
      GetCounter: {input: {name: string}, output: Counter}
deploy:
  kubernetes: {replicas: 3, autoscaling: {min: 2, max: 4}}
`))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := deploy.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	fs := map[string][]byte{}
	for _, f := range gen {
		fs[f.Path] = f.Content
	}
	for _, p := range []string{deploy.KubeDev + "/network-policies.yaml", deploy.KubeDev + "/nats.yaml", deploy.KubeBase + "/hit-counter/hpa.yaml"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s generated", p)
		}
	}
	for _, overlay := range overlays {
		out, err := build(t, fs, overlay)
		if err != nil {
			t.Fatalf("%s: %v", overlay, err)
		}
		objs, err := decodeStrict(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(podSecurity(t, objs), kubeconform(t, out)...) {
			t.Errorf("%s: %s", overlay, f)
		}
		problems, missing := references(objs)
		for _, p := range problems {
			t.Errorf("%s: %s", overlay, p)
		}
		if strings.Join(missing, " ") != "hit-counter-identity" {
			t.Errorf("%s: missing Secrets %v, want only hit-counter-identity", overlay, missing)
		}
		for _, o := range objs {
			if d, ok := o.(*appsv1.Deployment); ok && (d.Name != "hit-counter" || *d.Spec.Replicas != 1) {
				t.Errorf("%s: Deployment %s with %d replicas, want hit-counter with 1 (SQLite)", overlay, d.Name, *d.Spec.Replicas)
			}
		}
	}
}

// TestIdentityKeysFromSecrets: every workload reads its own private key
// from its own Secret, and each service the public key of every other
// deployable from the public keys Secret; no key is in a manifest.
func TestIdentityKeysFromSecrets(t *testing.T) {
	for _, name := range kubeBlueprints {
		sys := load(t, name)
		out, err := build(t, generate(t, name), deploy.KubeProd)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(out)
		if err != nil {
			t.Fatal(err)
		}
		deployables := 0
		for _, o := range objs {
			d, ok := o.(*appsv1.Deployment)
			if !ok {
				continue
			}
			deployables++
			env := map[string]*corev1.SecretKeySelector{}
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if strings.HasSuffix(e.Name, "_KEY") {
					if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("%s/%s: %s is not read from a Secret", name, d.Name, e.Name)
						continue
					}
					env[e.Name] = e.ValueFrom.SecretKeyRef
				}
			}
			if k := env["SERVICE_PRIVATE_KEY"]; k == nil || k.Name != d.Name+"-identity" || k.Key != "private-key" {
				t.Errorf("%s/%s: SERVICE_PRIVATE_KEY from %+v", name, d.Name, k)
			}
			var want []string
			if d.Name != model.GatewayName {
				if sys.Gateway != nil {
					want = append(want, "GATEWAY_PUBLIC_KEY")
				}
				for _, svc := range sys.Services {
					if strings.ReplaceAll(svc.Name, "_", "-") != d.Name {
						want = append(want, svc.EnvPrefix+"_PUBLIC_KEY")
					}
				}
			}
			for _, w := range want {
				if k := env[w]; k == nil || k.Name != strings.ReplaceAll(sys.Name, "_", "-")+"-public-keys" {
					t.Errorf("%s/%s: %s from %+v", name, d.Name, w, k)
				}
			}
			if len(env) != len(want)+1 {
				t.Errorf("%s/%s: key variables %v, want SERVICE_PRIVATE_KEY and %v", name, d.Name, env, want)
			}
		}
		if n := len(sys.Services); sys.Gateway != nil && deployables != n+1 || sys.Gateway == nil && deployables != n {
			t.Errorf("%s: %d Deployments", name, deployables)
		}
	}
}

// Every service using NATS asks for as many copies of the event stream as
// the overlay's NATS holds: 1 on dev's single node, 3 on the production
// cluster; services without events are not told.
func TestStreamReplicasMatchTheNATSCluster(t *testing.T) {
	for _, name := range kubeBlueprints {
		fs := generate(t, name)
		sys := load(t, name)
		for _, overlay := range overlays {
			t.Run(name+"/"+filepath.Base(overlay), func(t *testing.T) {
				out, err := build(t, fs, overlay)
				if err != nil {
					t.Fatalf("kustomize build: %v", err)
				}
				objs, err := decodeStrict(out)
				if err != nil {
					t.Fatal(err)
				}
				want, natsNodes := "3", -1 // prod: an external cluster
				if filepath.Base(overlay) == "dev" {
					want, natsNodes = "1", 0
				}
				settings := map[string]map[string]string{}
				for _, o := range objs {
					switch o := o.(type) {
					case *corev1.ConfigMap:
						settings[o.Name] = o.Data
					case *appsv1.StatefulSet:
						if o.Name == "nats" {
							natsNodes = int(*o.Spec.Replicas)
						}
					}
				}
				if filepath.Base(overlay) == "dev" && fmt.Sprint(natsNodes) != want {
					t.Errorf("dev runs %d NATS nodes, its services ask for %s copies", natsNodes, want)
				}
				users := 0
				for _, svc := range sys.Services {
					got, ok := settings[svc.Name]["NATS_STREAM_REPLICAS"]
					switch uses := sys.UsesBroker(svc); {
					case uses && got != want:
						t.Errorf("%s: NATS_STREAM_REPLICAS=%q, want %q", svc.Name, got, want)
					case !uses && ok:
						t.Errorf("%s uses no events but sets NATS_STREAM_REPLICAS=%q", svc.Name, got)
					}
					if sys.UsesBroker(svc) {
						users++
					}
				}
				if users == 0 {
					t.Fatalf("%s: no service uses events; the test proves nothing", name)
				}
			})
		}
	}
}
