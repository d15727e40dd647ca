package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/graph"
)

type graphFlags struct {
	file   string
	format string
}

func newGraphCmd(e *env) *cobra.Command {
	var f graphFlags
	cmd := &cobra.Command{
		Use:   "graph [-f microforge.yaml] [--format mermaid|dot|text]",
		Short: "Draw the system: services, calls, events, routes and sagas",
		Long: `graph prints the architecture the blueprint describes: services (with
their store and port), synchronous calls, events from emitters to consumers,
gateway routes with their auth, and sagas with their steps. Mermaid renders
on GitHub; DOT renders with Graphviz (dot -Tsvg); text reads in a terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.format != "mermaid" && f.format != "dot" && f.format != "text" {
				return usageError{fmt.Errorf("--format must be mermaid, dot or text, not %q", f.format)}
			}
			sys, err := blueprint.Load(f.file)
			if err != nil {
				return err
			}
			g := graph.Build(sys)
			switch f.format {
			case "dot":
				fmt.Fprint(e.stdout, g.DOT(sys.Name))
			case "text":
				fmt.Fprint(e.stdout, g.Text())
			default:
				fmt.Fprint(e.stdout, g.Mermaid())
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	cmd.Flags().StringVar(&f.format, "format", "mermaid", "output format: mermaid, dot or text")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"mermaid", "dot", "text"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
