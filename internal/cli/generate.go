package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/writer"
)

type generateFlags struct {
	file  string
	out   string
	force bool
}

func newGenerateCmd(e *env) *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate [-f microforge.yaml] [-o DIR]",
		Short: "Validate a blueprint and write the repository it describes",
		Long: `generate validates the blueprint, renders the whole repository in memory and
only then writes it into DIR (default: the blueprint's folder). The blueprint is
copied to DIR/microforge.yaml. Files that did not change are not touched; files
you edited are kept (see the summary).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(e, f)
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "directory to write (default: the blueprint's folder)")
	cmd.Flags().BoolVar(&f.force, "force", false, "write into a directory microforge did not generate, backing up files it replaces")
	return cmd
}

func runGenerate(e *env, f generateFlags) error {
	start := time.Now()
	sys, err := blueprint.Load(f.file)
	if err != nil {
		return err
	}
	out := f.out
	if out == "" {
		out = filepath.Dir(f.file)
	}
	inPlace, err := samePath(f.file, filepath.Join(out, docs.BlueprintPath))
	if err != nil {
		return err
	}
	runner := &protoc.GoInstall{}
	if err := preparePlugins(e, runner); err != nil {
		return err
	}
	set, err := generate.Files(sys, generate.Options{
		Proto: proto.Options{Go: true, Runner: runner},
		Docs:  docs.Options{BlueprintInPlace: inPlace},
	})
	if err != nil {
		return err
	}
	plan, err := writer.NewPlan(out, set.Files(), writer.Options{Tool: "microforge " + ToolVersion(), Force: f.force})
	if err != nil {
		return err
	}
	if err := plan.Apply(); err != nil {
		return err
	}
	for _, c := range plan.Changes {
		if c.Note != "" && c.Action != writer.Unchanged {
			fmt.Fprintf(e.stderr, "%-9s %s: %s\n", c.Action, c.Path, c.Note)
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d created, %d updated, %d unchanged, %d deleted, %d kept (%s)\n",
		out, plan.Count(writer.Create), plan.Count(writer.Update)+plan.Count(writer.Replace),
		plan.Count(writer.Unchanged), plan.Count(writer.Delete), plan.Count(writer.Keep),
		time.Since(start).Round(time.Millisecond))
	if plan.Count(writer.Create) > 0 {
		fmt.Fprintf(e.stdout, "\nNext:\n  cd %s\n  go run ./cmd/local    # every service on this machine\n  go test ./...         # unit and end-to-end tests\n", out)
	}
	return nil
}

// preparePlugins builds the protoc plugins on first use, saying so: it is the
// only slow step of a first generation.
func preparePlugins(e *env, runner *protoc.GoInstall) error {
	plugins := []protoc.Plugin{protoc.GoPlugin, protoc.ConnectGoPlugin}
	var missing []string
	for _, p := range plugins {
		bin, err := runner.Path(p)
		if err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	start := time.Now()
	fmt.Fprintf(e.stderr, "building %s (first run only, cached afterwards)...\n", strings.Join(missing, " and "))
	if err := runner.Prepare(e.ctx, plugins...); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// samePath reports whether a and b name the same file (b may not exist).
func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	return aa == bb, nil
}
