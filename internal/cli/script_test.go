package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the expected output in testdata/script/*.txtar")

// TestMain lets the test binary run itself as the microforge command inside
// scripts (testscript runs "microforge" in a subprocess).
func TestMain(m *testing.M) {
	testscript.Main(removingBuiltBins{m}, map[string]func(){
		"microforge": func() {
			os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// removingBuiltBins runs the tests, then removes the commands the
// evolution scenarios built (buildBins).
type removingBuiltBins struct{ m *testing.M }

func (r removingBuiltBins) Run() int {
	defer removeBuiltBins()
	return r.m.Run()
}

// TestScripts runs the CLI scenarios in testdata/script. Each scenario gets
// the shipped blueprints under $WORK/blueprints.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(root, "testdata", "script"),
		UpdateScripts: *updateScripts,
		Setup: func(env *testscript.Env) error {
			for _, kv := range []string{"HOME", "GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY", "XDG_CACHE_HOME", "MICROFORGE_CACHE_DIR", "PATH"} {
				if v, ok := os.LookupEnv(kv); ok {
					env.Setenv(kv, v)
				}
			}
			if _, ok := os.LookupEnv("HOME"); !ok {
				env.Setenv("HOME", env.WorkDir)
			}
			src := filepath.Join(root, "blueprints")
			dst := filepath.Join(env.WorkDir, "blueprints")
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			entries, err := os.ReadDir(src)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if e.IsDir() {
					continue
				}
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
