package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/wizard"
)

func newAddCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add (service NAME | command SERVICE.NAME)",
		Short: "Add a service or a command to the blueprint, then regenerate",
		Long: `add edits the blueprint in place — inserting the new entry's lines and keeping
every comment, blank line and style as it was — checks the result, and then
regenerates the repository like generate (same flags, same exit codes).
Nothing is changed when the edited blueprint would not be valid.`,
		Args: func(cmd *cobra.Command, a []string) error {
			if len(a) > 0 {
				return usageError{fmt.Errorf("unknown thing to add %q: add service NAME, or add command SERVICE.NAME", a[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var sf, cf generateFlags
	var store, description, input string
	var accessible bool
	svc := &cobra.Command{
		Use:   "service [NAME]",
		Short: "Add a service (asked for in a terminal when NAME or flags are missing)",
		Long: `add service adds a service to the blueprint and regenerates. In a terminal,
when NAME, --store or --description is missing, it asks for the service with
the form of 'microforge new' (entities, commands, queries, events, calls,
consumes); otherwise it adds the service as the flags say.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			flagsMissing := name == "" || !cmd.Flags().Changed("store") && !cmd.Flags().Changed("description")
			if flagsMissing && isTerminal(e.stdin) {
				if _, ok := os.LookupEnv("ACCESSIBLE"); ok {
					accessible = true
				}
				return runAdd(e, sf, func(src []byte) ([]byte, error) {
					preset := wizard.Service{Name: name, Description: description}
					if cmd.Flags().Changed("store") {
						preset.Store = store
					}
					entry, err := wizard.AskService(e.ctx, wizard.Options{In: e.stdin, Out: e.stdout, Accessible: accessible}, src, preset)
					if errors.Is(err, wizard.ErrAborted) {
						return nil, errors.New("cancelled; nothing was changed")
					}
					if err != nil {
						return nil, err
					}
					out, _, err := blueprint.InsertService(src, entry)
					return out, err
				})
			}
			if name == "" {
				return usageError{errors.New("name the service: microforge add service NAME [--store S] [--description D] (in a terminal, microforge add service asks)")}
			}
			return runAdd(e, sf, func(src []byte) ([]byte, error) {
				return blueprint.AddService(src, name, store, description)
			})
		},
	}
	svc.Flags().BoolVar(&accessible, "accessible", false, "plain prompts for screen readers (also when ACCESSIBLE is set)")
	sf.register(svc, true)
	svc.Flags().StringVar(&store, "store", "sqlite", "the service's store: postgres|mysql|sqlite")
	svc.Flags().StringVar(&description, "description", "", "what the service does")
	command := &cobra.Command{
		Use:   "command SERVICE.NAME",
		Short: "Add a command to a service",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			service, name, ok := strings.Cut(args[0], ".")
			if !ok || service == "" || name == "" {
				return usageError{fmt.Errorf("name the command as SERVICE.NAME, e.g. orders.ArchiveOrder, not %q", args[0])}
			}
			return runAdd(e, cf, func(src []byte) ([]byte, error) {
				return blueprint.AddCommand(src, service, name, input)
			})
		},
	}
	cf.register(command, true)
	command.Flags().StringVar(&input, "input", "", `the command's input fields, e.g. "order_id: string, note: string"`)
	for _, c := range []*cobra.Command{svc, command} {
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	cmd.AddCommand(svc, command)
	return cmd
}

// runAdd applies edit to the blueprint, checks the result and writes it back,
// then regenerates.
func runAdd(e *env, f generateFlags, edit func([]byte) ([]byte, error)) error {
	src, err := os.ReadFile(f.file)
	if err != nil {
		return fmt.Errorf("read blueprint: %w", err)
	}
	edited, err := edit(src)
	if err != nil {
		return fmt.Errorf("%s: %w", f.file, err)
	}
	if _, err := blueprint.Parse(f.file, edited); err != nil {
		return err
	}
	if err := replaceFile(f.file, edited); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "updated %s\n", f.file)
	return runGenerate(e, f)
}

// replaceFile writes content over path atomically, keeping its mode.
func replaceFile(path string, content []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".microforge-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
