package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/explain"
	"github.com/microforge/microforge/internal/model"
)

type explainFlags struct {
	file string
}

func newExplainCmd(e *env) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain [SERVICE] [-f microforge.yaml]",
		Short: "Show the default behaviour decided for every command and query",
		Long: `explain prints, for every command and query of the service (of every
service without SERVICE), what its generated default does: the constraints
its request must meet (checked before the method runs; a request breaking
one is InvalidArgument), the entity it
creates or finds and how, what it copies from the input and sets, the
states it may start from, what it computes and limits, how it fills and
records its events, how they fold back into the entity, and who may call it.

What a command sets on its entity is decided in this order: sets: in the
blueprint; else the enum value its verb names (ConfirmOrder sets
confirmed); else the enum value the name of an event it emits ends with
(ParcelShipped sets shipped). from: lists the states it starts from.`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			sys, err := blueprint.Load(f.file)
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, svc := range sys.Services {
				names = append(names, svc.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sys, err := blueprint.Load(f.file)
			if err != nil {
				return err
			}
			services := sys.Services
			if len(args) == 1 {
				svc := sys.Service(args[0])
				if svc == nil {
					var names []string
					for _, s := range sys.Services {
						names = append(names, s.Name)
					}
					return usageError{fmt.Errorf("no service %q in %s (services: %s)", args[0], f.file, strings.Join(names, ", "))}
				}
				services = []*model.Service{svc}
			}
			for i, svc := range services {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				explain.Text(e.stdout, svc)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	return cmd
}
