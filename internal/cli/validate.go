package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/generate"
)

type validateFlags struct {
	file string
}

func newValidateCmd(e *env) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate [-f microforge.yaml]",
		Short: "Check a blueprint and report every problem",
		Long: `validate reads a blueprint and reports every problem it finds as
file:line:col: message, with a hint where one helps. It exits 1 when there is
any problem and writes nothing. In a repository microforge generated, it also
checks the blueprint against what the repository already holds: a field that
changes type, or a change that loses stored data, is a problem unless
allow_breaking acknowledges it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			history, err := generate.ReadHistory(e.ctx, filepath.Dir(f.file))
			if err != nil {
				return err
			}
			sys, err := blueprint.LoadWith(f.file, blueprint.Options{History: history})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: ok (%s, %s)\n", f.file, plural(len(sys.Services), "service"), plural(len(sys.Sagas), "saga"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	return cmd
}

// plural writes "1 service", "3 services".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
