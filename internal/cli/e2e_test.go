package cli

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// snapshot records every file's bytes and modification time below dir.
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fileState{string(b), fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type fileState struct {
	content string
	mtime   time.Time
}

// TestEndToEnd is what a new user does: generate every shipped blueprint
// with the CLI, regenerate (nothing may change, not even a modification
// time), then build, vet and test the generated repository with Go only.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("generates, builds and tests whole repositories")
	}
	blueprints, err := filepath.Glob(filepath.Join("..", "..", "blueprints", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Plus those in testdata/blueprints: edge cases and features not worth
	// shipping as examples.
	more, err := filepath.Glob(filepath.Join("..", "..", "testdata", "blueprints", "*.yaml"))
	if err != nil || len(more) == 0 {
		t.Fatalf("no test blueprints: %v", err)
	}
	blueprints = append(blueprints, more...)
	for _, bp := range blueprints {
		name := strings.TrimSuffix(filepath.Base(bp), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if keep := os.Getenv("MICROFORGE_KEEP"); keep != "" {
				dir = filepath.Join(keep, name)
				os.RemoveAll(dir)
			}
			code, stdout, stderr := run(t, "generate", "-f", bp, "-o", dir)
			if code != ExitOK {
				t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
			}
			before := snapshot(t, dir)

			// Generate again, from the shipped blueprint and from the
			// repository's own copy (both take the shortcut), and plan in
			// place in full: nothing is written.
			inPlace := filepath.Join(dir, "microforge.yaml")
			for _, args := range [][]string{{"generate", "-f", bp, "-o", dir}, {"generate", "-f", inPlace}, {"plan", "--check", "-f", inPlace}} {
				code, stdout, stderr = run(t, args...)
				if code != ExitOK || !strings.Contains(stdout, " 0 created, 0 updated,") || stderr != "" {
					t.Fatalf("regenerate %v: exit %d\n%s%s", args, code, stdout, stderr)
				}
				after := snapshot(t, dir)
				if len(after) != len(before) {
					t.Fatalf("regeneration changed the number of files: %d -> %d", len(before), len(after))
				}
				for p, s := range before {
					if after[p] != s {
						t.Errorf("regeneration touched %s", p)
					}
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			// The embedded go.mod/go.sum are exactly what tidy wants, so the
			// repository builds offline once modules are downloaded.
			goIn(t, ctx, dir, "mod", "tidy", "-diff")
			goIn(t, ctx, dir, "build", "./...")
			goIn(t, ctx, dir, "vet", "./...")
			// The gateway holds no data: its image links no database driver.
			if _, err := os.Stat(filepath.Join(dir, "cmd", "gateway")); err == nil {
				for _, dep := range strings.Fields(goIn(t, ctx, dir, "list", "-deps", "./cmd/gateway")) {
					if strings.HasSuffix(dep, "/internal/platform/database") || strings.HasPrefix(dep, "modernc.org/sqlite") || strings.HasPrefix(dep, "github.com/jackc/pgx") {
						t.Errorf("cmd/gateway depends on %s", dep)
					}
				}
			}
			out := goIn(t, ctx, dir, "test", "-count=1", "./...")
			t.Logf("go test in the generated %s repository:\n%s", name, out)
		})
	}
}

// TestServicesOnPostgres runs the generated unit tests of every service that
// declares PostgreSQL against a real PostgreSQL server: the same code, the
// production dialect and migrations.
func TestServicesOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and builds generated repositories")
	}
	url := startPostgres(t)
	for _, name := range []string{"shop", "travel"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			bp := filepath.Join("..", "..", "blueprints", name+".yaml")
			if code, stdout, stderr := run(t, "generate", "-f", bp, "-o", dir); code != ExitOK {
				t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
			}
			sys, err := blueprint.Load(bp)
			if err != nil {
				t.Fatal(err)
			}
			var pkgs []string
			for _, svc := range sys.Services {
				if svc.Store == model.StorePostgres {
					pkgs = append(pkgs, "./"+svc.InternalDir)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			t.Setenv("TEST_POSTGRES_URL", url)
			out := goIn(t, ctx, dir, append([]string{"test", "-count=1", "-v"}, pkgs...)...)
			if !strings.Contains(out, "--- PASS") || strings.Contains(out, "--- SKIP") {
				t.Fatalf("expected the service tests to run against PostgreSQL:\n%s", out)
			}
		})
	}
}

func goIn(t *testing.T, ctx context.Context, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}
