package protoc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/microforge/microforge/internal/memo"
)

// CacheDirEnv names the environment variable that overrides the cache root.
const CacheDirEnv = memo.RootEnv

// CacheDir returns microforge's per-user cache root: $MICROFORGE_CACHE_DIR if
// set, else the "microforge" folder of the user's cache directory.
func CacheDir() (string, error) { return memo.Root() }

// GoInstall is the Runner that runs plugins built from source: the first use
// of a plugin builds it with `go install <package>@<version>` into
// <cache>/plugins/<module>@<version>/, later uses (in any process) reuse that
// binary. A build goes to a private temporary GOBIN inside the cache and is
// renamed into place, so concurrent processes never see half a binary and at
// worst build twice.
type GoInstall struct {
	// CacheDir is the cache root; "" means CacheDir().
	CacheDir string
	// Go is the go command; "" means "go" found on PATH.
	Go string

	mu     sync.Mutex
	builds map[string]*build // by binary path, so one process builds once
}

type build struct {
	done chan struct{}
	err  error
}

var _ Runner = (*GoInstall)(nil)

// Run runs the plugin with the request on its standard input, building it
// first if needed.
func (g *GoInstall) Run(ctx context.Context, p Plugin, req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
	bin, err := g.Install(ctx, p)
	if err != nil {
		return nil, err
	}
	in, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request for %s: %w", p.Name, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("run %s: %w%s", p, err, indent(stderr.String()))
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	if err := proto.Unmarshal(stdout.Bytes(), resp); err != nil {
		return nil, fmt.Errorf("read response of %s: %w", p, err)
	}
	return resp, nil
}

// Prepare builds every plugin that is not cached yet, concurrently.
func (g *GoInstall) Prepare(ctx context.Context, plugins ...Plugin) error {
	errs := make([]error, len(plugins))
	var wg sync.WaitGroup
	for i, p := range plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = g.Install(ctx, p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Path returns where the plugin's binary is cached, built or not.
func (g *GoInstall) Path(p Plugin) (string, error) {
	root := g.CacheDir
	if root == "" {
		var err error
		if root, err = CacheDir(); err != nil {
			return "", err
		}
	}
	name := p.Name
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(root, "plugins", filepath.FromSlash(p.Module)+"@"+p.Version, name), nil
}

// Install returns the path of the plugin's binary, building it if it is not
// cached. Concurrent calls for one plugin share one build.
func (g *GoInstall) Install(ctx context.Context, p Plugin) (string, error) {
	bin, err := g.Path(p)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	g.mu.Lock()
	if g.builds == nil {
		g.builds = map[string]*build{}
	}
	b, running := g.builds[bin]
	if !running {
		b = &build{done: make(chan struct{})}
		g.builds[bin] = b
	}
	g.mu.Unlock()
	if !running {
		b.err = g.goInstall(ctx, p, bin)
		g.mu.Lock()
		delete(g.builds, bin) // done: later calls find the binary, or retry after an error
		g.mu.Unlock()
		close(b.done)
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if b.err != nil {
		return "", b.err
	}
	return bin, nil
}

func (g *GoInstall) goInstall(ctx context.Context, p Plugin, bin string) error {
	goCmd := g.Go
	if goCmd == "" {
		var err error
		if goCmd, err = exec.LookPath("go"); err != nil {
			return fmt.Errorf("building %s needs the go command, which generated repositories need anyway; install Go from https://go.dev/dl and put it on PATH: %w", p.Name, err)
		}
	}
	dir := filepath.Dir(bin)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create plugin cache: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return fmt.Errorf("create plugin cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goCmd, "install", p.String())
	cmd.Dir = tmp // outside any module or workspace
	cmd.Env = append(os.Environ(),
		"GOBIN="+tmp,
		"GOWORK=off",
		// The plugin runs here: a GOOS or GOARCH set for cross-compiling
		// must not leak into its build.
		"GOOS="+runtime.GOOS,
		"GOARCH="+runtime.GOARCH,
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: go install %s: %w%s", p.Name, p, err, indent(string(out)))
	}
	built := filepath.Join(tmp, filepath.Base(bin))
	if err := os.Rename(built, bin); err != nil {
		// Another process may have renamed its build into place first
		// (Windows refuses to replace a file in use).
		if _, statErr := os.Stat(bin); statErr == nil {
			return nil
		}
		return fmt.Errorf("cache %s: %w", p.Name, err)
	}
	return nil
}

func indent(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "\n\t" + strings.ReplaceAll(s, "\n", "\n\t")
}
