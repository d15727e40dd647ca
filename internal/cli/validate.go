package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
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
any problem and writes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := blueprint.Load(f.file)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: ok (%d services, %d sagas)\n", f.file, len(sys.Services), len(sys.Sagas))
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	return cmd
}
