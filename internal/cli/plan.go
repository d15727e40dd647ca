package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/writer"
	"github.com/microforge/microforge/internal/writer/breaking"
)

type planFlags struct {
	generateFlags
	diff  bool
	json  bool
	check bool
}

func newPlanCmd(e *env) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan [-f microforge.yaml] [-o DIR] [--diff] [--json] [--check]",
		Short: "Show what generate would do, without writing anything",
		Long: `plan renders the repository like generate and prints, for every file that
would change, what generate would do: create, update, merge, conflict,
replace (an edited file microforge owns), delete or keep. It also lists
breaking API changes against the last generated protos. It never writes.

--diff prints a unified diff of each change, --json the plan as JSON, and
--check exits with code 4 when the repository differs from what the
blueprint generates (a drift gate for CI; your edits to files you own are not
drift, conflicts are).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(e, f)
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "repository to compare with (default: the blueprint's folder)")
	cmd.Flags().StringVar(&f.onConflict, "on-conflict", "markers", "plan as generate would with this policy: markers|keep-mine|take-new|fail")
	cmd.Flags().BoolVar(&f.allowBreaking, "allow-breaking", false, "plan as generate --allow-breaking would")
	cmd.Flags().BoolVar(&f.diff, "diff", false, "show unified diffs of what would change")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the plan as JSON")
	cmd.Flags().BoolVar(&f.check, "check", false, "exit with code 4 when the repository differs from what the blueprint generates")
	return cmd
}

// planJSON is the machine-readable plan; unchanged files are only counted.
type planJSON struct {
	Dir      string             `json:"dir"`
	Drift    bool               `json:"drift"`
	Counts   map[string]int     `json:"counts"`
	Changes  []writer.Change    `json:"changes"`
	Breaking []breaking.Problem `json:"breaking"`
	// Refused are the breaking changes nothing acknowledges: generate
	// would write nothing.
	Refused []breaking.Problem `json:"refused"`
	// Numbers are the wire number decisions against the last generation.
	Numbers []model.WireChange `json:"numbers"`
	// Migrations are the database migrations the generation adds.
	Migrations []generate.Migration `json:"migrations"`
	// BreakingError says why the breaking-change check could not run.
	BreakingError string `json:"breaking_error,omitempty"`
}

func runPlan(e *env, f planFlags) error {
	policy, err := f.conflictPolicy()
	if err != nil {
		return err
	}
	prog := newProgress(e.stderr)
	g, err := planGeneration(e, f.generateFlags, policy, nil, false, prog)
	prog.Stop()
	if err != nil {
		if errors.Is(err, writer.ErrNotRepository) && f.check {
			return codedError{ExitDrift, err}
		}
		return err
	}
	p := g.plan
	migrations, err := generate.NewMigrations(g.sys)
	if err != nil {
		return err
	}
	changed := []writer.Change{}
	for _, c := range p.Changes {
		if c.Action != writer.Unchanged {
			changed = append(changed, c)
		}
	}
	if f.json {
		out := planJSON{Dir: filepath.ToSlash(g.out), Drift: p.Drift(), Counts: map[string]int{}, Changes: changed,
			Breaking: nonNil(g.breaking), Refused: nonNil(g.refused), Numbers: nonNil(g.sys.WireChanges), Migrations: nonNil(migrations)}
		if g.breakingErr != nil {
			out.BreakingError = g.breakingErr.Error()
		}
		for _, c := range p.Changes {
			out.Counts[string(c.Action)]++
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		if len(g.refused) == 0 {
			reportBreaking(e.stderr, g)
		}
		if len(g.sys.WireChanges) > 0 {
			fmt.Fprintln(e.stdout, "numbers on the wire (kept in .microforge/wire.json):")
			for _, c := range g.sys.WireChanges {
				fmt.Fprintf(e.stdout, "  %s\n", c)
			}
		}
		for _, m := range migrations {
			fmt.Fprintf(e.stdout, "new migration %s:\n", m.Path)
			for _, line := range strings.Split(strings.TrimRight(m.SQL, "\n"), "\n") {
				fmt.Fprintf(e.stdout, "  | %s\n", line)
			}
		}
		for _, c := range changed {
			if c.Note != "" {
				fmt.Fprintf(e.stdout, "%-9s %s: %s\n", c.Action, c.Path, c.Note)
			} else {
				fmt.Fprintf(e.stdout, "%-9s %s\n", c.Action, c.Path)
			}
			if f.diff {
				fmt.Fprint(e.stdout, c.Diff())
			}
		}
		fmt.Fprintf(e.stdout, "plan for %s: %s\n", g.out, summary(p))
	}
	if len(g.refused) > 0 {
		return refusal(g)
	}
	if f.check && p.Drift() {
		return codedError{ExitDrift, errors.New("the repository differs from what the blueprint generates; run microforge generate")}
	}
	return nil
}

// nonNil makes an empty list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
