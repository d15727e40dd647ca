// Package cli implements microforge's commands. Run is the whole program, so
// every command can be tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
)

// Exit codes; documented in README.md and stable.
const (
	ExitOK       = 0 // success
	ExitError    = 1 // invalid input or a failure
	ExitUsage    = 2 // unknown command, flag or argument
	ExitConflict = 3 // generated, but conflicts with your edits are left to resolve
	ExitDrift    = 4 // plan --check: the repository differs from what the blueprint generates
)

// usageError marks errors in how the command line was written.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// env is what every command may use.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Run executes microforge with args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	var diags blueprint.Diagnostics
	var coded codedError
	switch {
	case errors.As(err, &coded):
		fmt.Fprintf(stderr, "microforge: %v\n", coded.err)
		return coded.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "microforge: %v\nRun 'microforge --help' for usage.\n", ue.err)
		return ExitUsage
	case errors.As(err, &diags):
		fmt.Fprintln(stderr, diags.Error())
		if n := len(diags); n == 1 {
			fmt.Fprintln(stderr, "1 problem; nothing was written.")
		} else {
			fmt.Fprintf(stderr, "%d problems; nothing was written.\n", n)
		}
		return ExitError
	default:
		fmt.Fprintf(stderr, "microforge: %v\n", err)
		return ExitError
	}
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "microforge",
		Short: "Generate a working multi-service Go repository from a blueprint",
		Long: `microforge turns a blueprint (microforge.yaml) describing services, their
commands, queries and events, sagas, a gateway and auth into a complete Go
repository that builds, passes its tests and runs on one machine.

Exit codes: 0 success, 1 invalid input or failure, 2 usage error,
3 conflicts left to resolve, 4 plan --check found drift.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newNewCmd(e),
		newGenerateCmd(e),
		newEditCmd(e),
		newPlanCmd(e),
		newAddCmd(e),
		newValidateCmd(e),
		newSchemaCmd(e),
		newGraphCmd(e),
		newExplainCmd(e),
		newVersionCmd(e),
	)
	// Unknown subcommands and bad positional arguments are usage errors too.
	for _, c := range root.Commands() {
		if c.Args != nil {
			args := c.Args
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
	}
	root.Args = func(cmd *cobra.Command, a []string) error {
		if len(a) > 0 {
			return usageError{fmt.Errorf("unknown command %q", a[0])}
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return root
}
