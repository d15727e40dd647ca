package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/writer"
)

// syntheticBlueprint describes n services in a chain: each has an entity,
// three commands, two queries and three events, calls the next service and
// consumes the previous one's first event. (A copy of internal/generate's,
// which lives in that package's tests.)
func syntheticBlueprint(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: synth\nmodule: example.com/synth\ndescription: %d generated services.\nservices:\n", n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  - name: svc%[1]d
    store: %[2]s
    types:
      Detail%[1]d: {label: string, weight: double}
    entities:
      Thing%[1]d: {owner: string, count: int64, details: list<Detail%[1]d>, state: enum(open, closed)}
    commands:
      CreateThing%[1]d: {input: {owner: string, details: list<Detail%[1]d>}, emits: [ThingCreated%[1]d]}
      CloseThing%[1]d: {input: {thing%[1]d_id: string}, emits: [ThingClosed%[1]d]}
      CountThing%[1]d: {input: {thing%[1]d_id: string, count: int64}, emits: [ThingCounted%[1]d]}
    queries:
      GetThing%[1]d: {input: {thing%[1]d_id: string}, output: Thing%[1]d}
      ListThing%[1]d: {input: {owner: string}, output: list<Thing%[1]d>}
    events:
      ThingCreated%[1]d: {thing%[1]d_id: string, owner: string}
      ThingClosed%[1]d: {thing%[1]d_id: string}
      ThingCounted%[1]d: {thing%[1]d_id: string, count: int64}
`, i, []string{"postgres", "mysql", "sqlite"}[i%3])
		if i+1 < n {
			fmt.Fprintf(&b, "    calls: [svc%d]\n", i+1)
		}
		if i > 0 {
			fmt.Fprintf(&b, "    consumes: [svc%d.ThingCreated%d]\n", i-1, i-1)
		}
	}
	return []byte(b.String())
}

// synthRepo generates the 100-service system into a new directory.
func synthRepo(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "synth")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "microforge.yaml"), syntheticBlueprint(100), 0o644); err != nil {
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
	set, err := generate.Files(sys, generate.Options{
		Proto: proto.Options{Go: true, Runner: &protoc.GoInstall{}},
		Docs:  docs.Options{BlueprintInPlace: true},
	})
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
