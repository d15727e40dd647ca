package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/generators/docs"
	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
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
	set, err := generate.Files(sys, generate.Options{Docs: docs.Options{BlueprintInPlace: inPlace}})
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
