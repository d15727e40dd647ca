package cli

import (
	"github.com/spf13/cobra"

	"github.com/microforge/microforge/blueprints"
)

func newSchemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the blueprint's JSON Schema",
		Long: `schema prints the JSON Schema of microforge.yaml (also shipped as
blueprints/microforge.schema.json). Point your editor at it for completion:
generated blueprints carry a "# yaml-language-server: $schema=" line.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := e.stdout.Write(blueprints.Schema)
			return err
		},
	}
}
