package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/wizard"
	"github.com/microforge/microforge/internal/writer"
)

type newFlags struct {
	name, module, starter, blueprint string
	yes, force, accessible           bool
}

func newNewCmd(e *env) *cobra.Command {
	var f newFlags
	cmd := &cobra.Command{
		Use:   "new [DIR]",
		Short: "Create a system: answer questions (or pass flags), get a blueprint and its repository",
		Long: `new asks, in the terminal, for the system's name, Go module, a starter
(empty, shop or minimal), its services, gateway routes and auth, sagas,
deployment and CI — every answer checked as you type by the same rules as
'microforge validate'. It shows a summary and the architecture, and after you
confirm writes DIR/microforge.yaml and generates the repository into DIR
(default: the current directory). Ctrl-C or Esc quits without writing anything.

Without a terminal, say what to create with flags:
  microforge new DIR --starter shop --module example.com/x --yes
  microforge new DIR --blueprint FILE

DIR must be empty or a microforge repository, unless --force. In a terminal,
on a microforge repository (and without --starter, --yes or --blueprint), new
edits its blueprint like 'microforge edit': every answer offered as it is.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if _, ok := os.LookupEnv("ACCESSIBLE"); ok {
				f.accessible = true
			}
			return runNew(e, f, dir)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "the system's name (default: from DIR)")
	fl.StringVar(&f.module, "module", "", "the Go module path (default: example.com/NAME)")
	fl.StringVar(&f.starter, "starter", "", "start from: empty, shop or minimal")
	fl.StringVar(&f.blueprint, "blueprint", "", "create the system this blueprint describes, asking nothing")
	fl.BoolVarP(&f.yes, "yes", "y", false, "ask nothing: take the flags given and the defaults for the rest")
	fl.BoolVar(&f.force, "force", false, "write into a directory holding files microforge did not generate (they are backed up)")
	fl.BoolVar(&f.accessible, "accessible", false, "plain prompts for screen readers (also when ACCESSIBLE is set)")
	_ = cmd.RegisterFlagCompletionFunc("starter", cobra.FixedCompletions(wizard.Starters, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// nonInteractiveHelp names the flags that make new run without a terminal.
const nonInteractiveHelp = "microforge new asks its questions in a terminal, and standard input is not one; say what to create with flags instead:\n" +
	"  microforge new DIR --starter empty|shop|minimal --module example.com/x --yes\n" +
	"  microforge new DIR --blueprint FILE"

func runNew(e *env, f newFlags, dir string) error {
	if f.starter != "" && !slices.Contains(wizard.Starters, f.starter) {
		return usageError{fmt.Errorf("--starter must be empty, shop or minimal, not %q", f.starter)}
	}
	if f.blueprint != "" && (f.starter != "" || f.name != "" || f.module != "") {
		return usageError{errors.New("--blueprint describes the whole system: leave out --starter, --name and --module")}
	}
	if err := checkNewDir(dir, f.force); err != nil {
		return err
	}
	if bp := filepath.Join(dir, "microforge.yaml"); f.blueprint == "" && !f.yes && f.starter == "" && isRepository(dir) && isTerminal(e.stdin) {
		// A microforge repository already: edit its blueprint.
		if _, err := os.Stat(bp); err == nil {
			return runEdit(e, generateFlags{file: bp, out: dir, force: f.force, onConflict: "markers"}, f.accessible)
		}
	}
	var text []byte
	switch {
	case f.blueprint != "":
		src, err := os.ReadFile(f.blueprint)
		if err != nil {
			return fmt.Errorf("read blueprint: %w", err)
		}
		if _, err := blueprint.Parse(f.blueprint, src); err != nil {
			return err
		}
		text = src
	case f.yes:
		a, err := flagAnswers(f, dir)
		if err != nil {
			return err
		}
		if _, text, err = wizard.Parse(a); err != nil {
			return err
		}
	default:
		if !isTerminal(e.stdin) {
			return usageError{errors.New(nonInteractiveHelp)}
		}
		var err error
		text, err = wizard.Run(e.ctx, wizard.Options{
			In: e.stdin, Out: e.stdout, Accessible: f.accessible, Dir: dir,
			Name: f.name, Module: f.module, Starter: f.starter,
		})
		if errors.Is(err, wizard.ErrAborted) {
			return errors.New("cancelled; nothing was written")
		}
		if err != nil {
			return err
		}
	}
	return writeNew(e, f, dir, text)
}

// flagAnswers are the answers of new --yes: the starter (default: empty,
// which is one default service) with the name and module given.
func flagAnswers(f newFlags, dir string) (*wizard.Answers, error) {
	name := f.name
	if name == "" {
		name = wizard.DefaultName(dir)
	}
	module := f.module
	if module == "" {
		module = wizard.DefaultModule(name)
	}
	if f.starter == "" || f.starter == "empty" {
		a := wizard.Defaults(name)
		a.Module = module
		return a, nil
	}
	base, err := wizard.StarterText(f.starter)
	if err != nil {
		return nil, err
	}
	return &wizard.Answers{Name: name, Module: module, Base: base}, nil
}

// checkNewDir refuses a directory holding files when it is not a microforge
// repository, unless forced.
func checkNewDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || force {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if isRepository(dir) {
		return nil // regenerating a microforge repository is fine
	}
	return fmt.Errorf("%s already holds files and is not a microforge repository: choose a new or empty directory, or pass --force to write into it (files microforge replaces are backed up under %s)", dir, writer.BackupDir)
}

// writeNew generates the repository of blueprint text into dir, by the same
// path as generate: the blueprint lands as dir/microforge.yaml.
func writeNew(e *env, f newFlags, dir string, text []byte) error {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "microforge-new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bp := filepath.Join(tmp, "microforge.yaml")
	if err := os.WriteFile(bp, text, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "generating %s ...\n", dir)
	err = runGenerate(e, generateFlags{file: bp, out: dir, force: f.force, yes: true, onConflict: "markers"})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "created %s in %s\n", dir, time.Since(start).Round(100*time.Millisecond))
	fmt.Fprintf(e.stdout, "Then, in %s:\n  microforge graph --format text   # the architecture\n  microforge add service NAME       # grow it, or edit microforge.yaml and run microforge generate\n", dir)
	return nil
}

// isRepository reports whether dir holds a repository microforge generated.
func isRepository(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, writer.ManifestPath))
	return err == nil
}
