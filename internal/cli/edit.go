package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/wizard"
)

func newEditCmd(e *env) *cobra.Command {
	var f generateFlags
	var accessible bool
	cmd := &cobra.Command{
		Use:   "edit [-f microforge.yaml]",
		Short: "Change the blueprint with the questions of new, every answer offered as it is, then regenerate",
		Long: `edit asks, in the terminal, every question of 'microforge new' — system,
services (types, entities, commands, queries, events, field rules, what
commands change), gateway, sagas, deployment — each answer offered as the
blueprint says it, checked as you type. After you confirm it writes the
blueprint back, changing only the lines of the answers you changed (comments,
layout and the keys the questions do not cover are kept), and regenerates
the repository like generate (same flags, same exit codes): your edits to
generated files are merged, never lost. Ctrl-C or Esc quits without writing.

'microforge new DIR' on an existing microforge repository does the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, ok := os.LookupEnv("ACCESSIBLE"); ok {
				accessible = true
			}
			return runEdit(e, f, accessible)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&accessible, "accessible", false, "plain prompts for screen readers (also when ACCESSIBLE is set)")
	return cmd
}

// runEdit asks the wizard's questions with the blueprint's answers, writes
// the edited blueprint back and regenerates.
func runEdit(e *env, f generateFlags, accessible bool) error {
	if !isTerminal(e.stdin) {
		return usageError{errors.New("microforge edit asks its questions in a terminal, and standard input is not one; edit " + f.file + " and run microforge generate instead")}
	}
	return runAdd(e, f, func(src []byte) ([]byte, error) {
		a, err := wizard.Load(f.file, src)
		if err != nil {
			return nil, fmt.Errorf("fix the blueprint first (microforge validate -f %s lists every problem): %w", f.file, err)
		}
		out, err := wizard.Edit(e.ctx, wizard.Options{In: e.stdin, Out: e.stdout, Accessible: accessible, File: f.file}, a)
		if errors.Is(err, wizard.ErrAborted) {
			return nil, errors.New("cancelled; nothing was changed")
		}
		return out, err
	})
}
