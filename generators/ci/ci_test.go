package ci_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/microforge/microforge/generators/ci"
	"github.com/microforge/microforge/generators/deploy"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
)

var shipped = []string{"shop", "minimal", "travel"}

func load(t testing.TB, name string) *model.System {
	t.Helper()
	sys, err := blueprint.Load(filepath.Join("..", "..", "blueprints", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// repo returns the pipeline and the files it builds and checks (the
// Dockerfiles, compose.yaml and the manifests), by path.
func repo(t testing.TB, sys *model.System) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, gen := range []func(*model.System) ([]files.File, error){ci.Generate, deploy.Generate} {
		fs, err := gen(sys)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out[f.Path] = f.Content
		}
	}
	return out
}

// shellcheck is the shellcheck executable actionlint runs on every `run:`
// script, when this machine has one (Debian package "shellcheck").
var shellcheck = func() string {
	p, err := exec.LookPath("shellcheck")
	if err != nil {
		return ""
	}
	return p
}()

// actionlintFindings lints a workflow with actionlint: syntax, expressions
// and their types, contexts, action inputs, job dependencies, runner labels,
// and the shell scripts of `run:` steps with shellcheck where installed.
func actionlintFindings(t testing.TB, src []byte) []string {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{LogWriter: io.Discard, Shellcheck: shellcheck})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(ci.GitHubPath, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// repoPathRE finds the repository paths a pipeline names: Dockerfiles and
// kustomize overlays.
var repoPathRE = regexp.MustCompile(`\b(cmd/[a-z0-9_]+/Dockerfile|deploy/kubernetes/overlays/[a-z]+)\b`)

// missingPaths returns the paths a pipeline names that the repository lacks.
func missingPaths(src []byte, repo map[string][]byte) []string {
	var out []string
	for _, p := range repoPathRE.FindAllString(string(src), -1) {
		if _, ok := repo[p]; ok {
			continue
		}
		if _, ok := repo[p+"/kustomization.yaml"]; ok {
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestPipelines(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			sys := load(t, name)
			generated := repo(t, sys)
			gh, hasGH := generated[ci.GitHubPath]
			gl, hasGL := generated[ci.GitLabPath]
			if hasGH != (sys.Deploy.CI == "github") || hasGL != (sys.Deploy.CI == "gitlab") {
				t.Fatalf("ci: %q, but GitHub workflow %v, GitLab pipeline %v", sys.Deploy.CI, hasGH, hasGL)
			}
			src := gh
			if hasGH {
				for _, f := range actionlintFindings(t, gh) {
					t.Error(f)
				}
			}
			if hasGL {
				src = gl
				for _, f := range gitlabFindings(gl) {
					t.Error(f)
				}
				if shellcheck != "" {
					for _, f := range shellcheckGitLab(t, gl) {
						t.Error(f)
					}
				} else {
					t.Log("shellcheck is not installed: the GitLab job scripts were not checked")
				}
			}
			for _, p := range missingPaths(src, generated) {
				t.Errorf("the pipeline names %s, which is not generated", p)
			}
			// Every service's image is built, and every check runs.
			for _, svc := range sys.Services {
				if !bytes.Contains(src, []byte(svc.CmdDir+"/Dockerfile")) {
					t.Errorf("no image built for %s", svc.Name)
				}
			}
			for _, step := range []string{"gofmt -l", "go vet ./...", "golangci-lint", "lint", "breaking --against", "generate", "go test -race", "./internal/local/...", "--check", "docker compose config"} {
				if !bytes.Contains(src, []byte(step)) {
					t.Errorf("the pipeline does not run %q", step)
				}
			}
			if sys.Deploy.Kubernetes != nil {
				for _, step := range []string{"kubeconform", "environment", "rollout status"} {
					if !bytes.Contains(src, []byte(step)) {
						t.Errorf("the pipeline does not run %q", step)
					}
				}
			}
		})
	}
}

// TestActionlintCatchesDefects plants a bad expression, an unknown job
// dependency and a misspelled key.
func TestActionlintCatchesDefects(t *testing.T) {
	src := repo(t, load(t, "shop"))[ci.GitHubPath]
	for _, tc := range []struct{ old, new, want string }{
		{"${{ github.sha }}", "${{ github.shaa }}", "shaa"},
		{"needs: [images]", "needs: [image]", "image"},
		{"    runs-on: ubuntu-latest\n    steps:", "    runs-on: ubuntu-latest\n    step:", "step"},
		{"if: steps.changes.outputs.changed == 'true'", "if: steps.changes.outputs.changed == 'true' &&", "[expression]"},
	} {
		bad := bytes.Replace(src, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, src) {
			t.Fatalf("planting %q: %q not found", tc.new, tc.old)
		}
		found := actionlintFindings(t, bad)
		if len(found) == 0 || !strings.Contains(strings.Join(found, "\n"), tc.want) {
			t.Errorf("planted %q: actionlint said %q", tc.new, found)
		}
	}
}

// GitLab CI keywords (https://docs.gitlab.com/ci/yaml/).
var (
	globalKeywords = []string{"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"}
	jobKeywords    = []string{"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage", "dast_configuration", "dependencies", "environment", "extends", "hooks", "id_tokens", "identity", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets", "services", "stage", "tags", "timeout", "trigger", "variables", "when"}
	ruleKeywords   = []string{"if", "changes", "exists", "when", "allow_failure", "variables", "needs", "interruptible"}
	whenValues     = []string{"on_success", "on_failure", "always", "manual", "delayed", "never"}
)

// gitlabFindings checks a .gitlab-ci.yml the way GitLab's pipeline editor
// rejects one: it parses, every job keyword is known, `extends` and `needs`
// name existing entries, every job's stage is declared, every job has a
// script, and rules and `when` use known keywords and values.
func gitlabFindings(src []byte) []string {
	_, out := gitlabJobs(src)
	return out
}

// gitlabJobs returns every visible job of a .gitlab-ci.yml with its extends
// resolved, and the problems gitlabFindings reports.
func gitlabJobs(src []byte) (map[string]map[string]any, []string) {
	var doc map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		return nil, []string{"parse: " + err.Error()}
	}
	jobs := map[string]map[string]any{}
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	stages := []string{".pre", ".post"}
	if s, ok := doc["stages"].([]any); ok {
		for _, st := range s {
			stages = append(stages, fmt.Sprint(st))
		}
	} else {
		bad("no stages list")
	}
	entries := map[string]map[string]any{}
	var names []string
	for k, v := range doc {
		if slices.Contains(globalKeywords, k) {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			bad("%s: not a job", k)
			continue
		}
		entries[k] = m
		names = append(names, k)
	}
	sort.Strings(names)
	var resolve func(name string, seen []string) map[string]any
	resolve = func(name string, seen []string) map[string]any {
		job := entries[name]
		merged := map[string]any{}
		var parents []string
		switch e := job["extends"].(type) {
		case string:
			parents = []string{e}
		case []any:
			for _, p := range e {
				parents = append(parents, fmt.Sprint(p))
			}
		}
		for _, p := range parents {
			if _, ok := entries[p]; !ok {
				bad("%s: extends unknown %q", name, p)
				continue
			}
			if slices.Contains(seen, p) {
				bad("%s: extends cycle through %s", name, p)
				continue
			}
			deepMerge(merged, resolve(p, append(seen, name)))
		}
		deepMerge(merged, job)
		return merged
	}
	for _, name := range names {
		for k := range entries[name] {
			if !slices.Contains(jobKeywords, k) {
				bad("%s: unknown keyword %q", name, k)
			}
		}
		if strings.HasPrefix(name, ".") {
			continue
		}
		job := resolve(name, nil)
		jobs[name] = job
		stage := "test"
		if s, ok := job["stage"]; ok {
			stage = fmt.Sprint(s)
		}
		if !slices.Contains(stages, stage) {
			bad("%s: stage %q is not in stages %v", name, stage, stages)
		}
		if s, ok := job["script"].([]any); (!ok || len(s) == 0) && job["trigger"] == nil {
			bad("%s: no script", name)
		}
		if needs, ok := job["needs"].([]any); ok {
			for _, n := range needs {
				target := fmt.Sprint(n)
				if m, ok := n.(map[string]any); ok {
					target = fmt.Sprint(m["job"])
				}
				if _, ok := entries[target]; !ok || strings.HasPrefix(target, ".") {
					bad("%s: needs unknown job %q", name, target)
				}
			}
		}
		if w, ok := job["when"]; ok && !slices.Contains(whenValues, fmt.Sprint(w)) {
			bad("%s: when %q", name, w)
		}
		if rules, ok := job["rules"].([]any); ok {
			for _, r := range rules {
				rm, ok := r.(map[string]any)
				if !ok {
					bad("%s: a rule is not a mapping", name)
					continue
				}
				for k, v := range rm {
					if !slices.Contains(ruleKeywords, k) {
						bad("%s: unknown rule keyword %q", name, k)
					}
					if k == "when" && !slices.Contains(whenValues, fmt.Sprint(v)) {
						bad("%s: rule when %q", name, v)
					}
				}
			}
		}
	}
	return jobs, out
}

// shellcheckGitLab runs shellcheck on each job's before_script and script,
// as the POSIX shell GitLab's runner uses.
func shellcheckGitLab(t testing.TB, src []byte) []string {
	t.Helper()
	jobs, problems := gitlabJobs(src)
	if len(problems) > 0 {
		return problems
	}
	var out []string
	for name, job := range jobs {
		var lines []string
		for _, k := range []string{"before_script", "script"} {
			items, _ := job[k].([]any)
			for _, l := range items {
				lines = append(lines, fmt.Sprint(l))
			}
		}
		cmd := exec.Command(shellcheck, "--shell=sh", "--format=gcc", "-")
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
		b, err := cmd.CombinedOutput()
		if err != nil || len(b) > 0 {
			out = append(out, fmt.Sprintf("%s: shellcheck: %v\n%s", name, err, b))
		}
	}
	sort.Strings(out)
	return out
}

// deepMerge merges src into dst the way GitLab's extends does: mappings
// merge key by key, anything else is replaced.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if k == "extends" {
			continue
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merged := map[string]any{}
				deepMerge(merged, dm)
				deepMerge(merged, sm)
				dst[k] = merged
				continue
			}
		}
		dst[k] = v
	}
}

func TestGitLabCheckCatchesDefects(t *testing.T) {
	src := repo(t, load(t, "travel"))[ci.GitLabPath]
	for _, tc := range []struct{ old, new, want string }{
		{"  script:\n    - go test -race ./internal/local/...", "  scirpt:\n    - go test -race ./internal/local/...", `unknown keyword "scirpt"`},
		{"  stage: build", "  stage: buidl", `stage "buidl"`},
		{"needs: [resolve-images]", "needs: [resolve-image]", `needs unknown job "resolve-image"`},
		{"extends: .image", "extends: .images", `extends unknown ".images"`},
		{"      when: manual", "      when: manually", `rule when "manually"`},
		{"stages:\n  - lint", "stages: [lint\n  - oops", "parse"},
	} {
		bad := bytes.Replace(src, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, src) {
			t.Fatalf("planting %q: %q not found", tc.new, tc.old)
		}
		found := gitlabFindings(bad)
		if !strings.Contains(strings.Join(found, "\n"), tc.want) {
			t.Errorf("planted %q: found %q", tc.new, found)
		}
	}
}

func TestShellcheckCatchesDefects(t *testing.T) {
	if shellcheck == "" {
		if os.Getenv("MICROFORGE_REQUIRE_TOOLS") == "1" {
			t.Fatal("shellcheck is required (MICROFORGE_REQUIRE_TOOLS=1) but not installed")
		}
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	gen := repo(t, load(t, "shop"))
	gh := bytes.Replace(gen[ci.GitHubPath], []byte(`-- "${paths[@]}"`), []byte(`-- ${paths[@]}`), 1)
	if found := strings.Join(actionlintFindings(t, gh), "\n"); !strings.Contains(found, "SC2068") {
		t.Errorf("planted an unquoted array: actionlint said %q", found)
	}
	gl := bytes.Replace(repo(t, load(t, "travel"))[ci.GitLabPath], []byte(`--tag "$CI_REGISTRY_IMAGE/$SERVICE:$CI_COMMIT_SHA"`), []byte(`--tag $CI_REGISTRY_IMAGE/$SERVICE:$CI_COMMIT_SHA`), 1)
	if found := strings.Join(shellcheckGitLab(t, gl), "\n"); !strings.Contains(found, "SC2086") {
		t.Errorf("planted an unquoted variable: shellcheck said %q", found)
	}
}

func TestMissingPathsCatchesDefects(t *testing.T) {
	generated := repo(t, load(t, "shop"))
	src := bytes.Replace(generated[ci.GitHubPath], []byte("cmd/orders/Dockerfile"), []byte("cmd/order/Dockerfile"), 1)
	if got := missingPaths(src, generated); !slices.Contains(got, "cmd/order/Dockerfile") {
		t.Errorf("missing paths %v", got)
	}
}

func TestNoPipelineWithoutCI(t *testing.T) {
	sys := load(t, "shop")
	sys.Deploy.CI = ""
	fs, err := ci.Generate(sys)
	if err != nil || len(fs) != 0 {
		t.Errorf("no ci: in the blueprint, but got %d files (%v)", len(fs), err)
	}
}

// TestEveryDeployableIsBuilt: the pipelines build, check, push and roll out
// the gateway like every service, and pin buf's googleapis dependency when
// the protos need it.
func TestEveryDeployableIsBuilt(t *testing.T) {
	for _, name := range shipped {
		sys := load(t, name)
		for _, provider := range []string{"github", "gitlab"} {
			sys.Deploy.CI = provider
			fs, err := ci.Generate(sys)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("%s/%s: %d files", name, provider, len(fs))
			}
			src := string(fs[0].Content)
			deployables := []string{}
			if sys.Gateway != nil {
				deployables = append(deployables, model.GatewayName)
			}
			for _, svc := range sys.Services {
				deployables = append(deployables, svc.Name)
			}
			for _, d := range deployables {
				if !strings.Contains(src, "--file cmd/"+d+"/Dockerfile") {
					t.Errorf("%s/%s: cmd/%s/Dockerfile is not checked", name, provider, d)
				}
			}
			if sys.Gateway != nil {
				image := sys.GatewayImage
				if provider == "gitlab" {
					image = "GATEWAY_IMAGE"
				}
				if !strings.Contains(src, image) {
					t.Errorf("%s/%s: the gateway image %s is not built", name, provider, image)
				}
			}
			if got := strings.Contains(src, "dep update"); got != (sys.Gateway != nil) {
				t.Errorf("%s/%s: buf dep update in the pipeline %v, want %v", name, provider, got, sys.Gateway != nil)
			}
		}
	}
}
