package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/testblueprint"
	"github.com/microforge/microforge/internal/writer"
)

// synthRepo generates the 100-service system into a new directory.
func synthRepo(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "synth")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "microforge.yaml"), testblueprint.Synthetic(100), 0o644); err != nil {
		b.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"generate", "-f", filepath.Join(dir, "microforge.yaml")}, strings.NewReader(""), &out, &errb); code != ExitOK {
		b.Fatalf("generate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	return dir
}

// BenchmarkNoOpRegeneration100 is `microforge generate` in an unchanged
// 100-service repository: the blueprint and microforge are the ones that
// generated it, so it checks every file against the manifest (writer's
// QuickPlan) and writes nothing.
func BenchmarkNoOpRegeneration100(b *testing.B) {
	dir := synthRepo(b)
	args := []string{"generate", "-f", filepath.Join(dir, "microforge.yaml")}
	for b.Loop() {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != ExitOK || !strings.Contains(out.String(), " 0 created, 0 updated, 0 merged,") {
			b.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
		}
	}
}

// BenchmarkNoOpPlan100 is `microforge plan` in the same repository: it
// always renders every file and plans in full (what generate does when the
// blueprint or microforge changed, and its shortcut cannot apply).
func BenchmarkNoOpPlan100(b *testing.B) {
	dir := synthRepo(b)
	args := []string{"plan", "-f", filepath.Join(dir, "microforge.yaml")}
	for b.Loop() {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != ExitOK || !strings.Contains(out.String(), " 0 created, 0 updated, 0 merged,") {
			b.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
		}
	}
}

// BenchmarkNoOpWrite100 is the writer's share of the above: plan the
// already rendered files against the disk and apply (nothing).
func BenchmarkNoOpWrite100(b *testing.B) {
	dir := synthRepo(b)
	sys, err := blueprint.Load(filepath.Join(dir, "microforge.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	set, err := generate.Files(sys, generate.Options{GoCode: true, BlueprintInPlace: true})
	if err != nil {
		b.Fatal(err)
	}
	fs := set.Files()
	for b.Loop() {
		p, err := writer.NewPlan(dir, fs, writer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Drift() {
			b.Fatal("drift in a no-op")
		}
		if err := p.Apply(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(fs)), "files")
}

// BenchmarkFullGeneration100 is `microforge generate -f synth.yaml -o DIR`
// into a new directory, in process (for profiles: go test -bench
// FullGeneration100 -cpuprofile). BenchmarkGenerate100 measures the
// binary.
func BenchmarkFullGeneration100(b *testing.B) {
	src := filepath.Join(b.TempDir(), "synth.yaml")
	if err := os.WriteFile(src, testblueprint.Synthetic(100), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "synth")
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), []string{"generate", "-f", src, "-o", out}, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
			b.Fatalf("generate: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	}
}
