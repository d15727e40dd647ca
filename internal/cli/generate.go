package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/generate"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/internal/protoc"
	"github.com/microforge/microforge/internal/writer"
	"github.com/microforge/microforge/internal/writer/breaking"
)

// codedError carries an exit code other than ExitError.
type codedError struct {
	code int
	err  error
}

func (c codedError) Error() string { return c.err.Error() }
func (c codedError) Unwrap() error { return c.err }

// killAfterEnv names a test hook: when set to N, generate kills its own
// process (SIGKILL where there are signals) after N files landed, so tests
// can check that the next run recovers.
const killAfterEnv = "MICROFORGE_TEST_KILL_AFTER"

type generateFlags struct {
	file       string
	out        string
	force      bool
	yes        bool
	onConflict string
	// allowBreaking accepts every breaking change of this generation.
	allowBreaking bool
}

func (f *generateFlags) register(cmd *cobra.Command, withOut bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "microforge.yaml", "blueprint to read")
	if withOut {
		cmd.Flags().StringVarP(&f.out, "out", "o", "", "directory to write (default: the blueprint's folder)")
		cmd.Flags().BoolVar(&f.force, "force", false, "write into a directory microforge did not generate, backing up files it replaces")
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "write even where git has uncommitted changes, without asking")
	cmd.Flags().BoolVar(&f.allowBreaking, "allow-breaking", false, "accept every breaking change to the API and stored data (see allow_breaking: in the blueprint to accept one at a time)")
	cmd.Flags().StringVar(&f.onConflict, "on-conflict", "markers", "what to do where your edits and the new generation overlap: markers|keep-mine|take-new|fail")
}

func (f *generateFlags) conflictPolicy() (writer.OnConflict, error) {
	switch f.onConflict {
	case "markers", "":
		return writer.Markers, nil
	case string(writer.KeepMine), string(writer.TakeNew), string(writer.Fail):
		return writer.OnConflict(f.onConflict), nil
	}
	return "", usageError{fmt.Errorf("--on-conflict must be markers, keep-mine, take-new or fail, not %q", f.onConflict)}
}

func newGenerateCmd(e *env) *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate [-f microforge.yaml] [-o DIR]",
		Short: "Validate a blueprint and write (or regenerate) the repository it describes",
		Long: `generate validates the blueprint, renders the whole repository in memory and
only then writes it into DIR (default: the blueprint's folder). The blueprint is
copied to DIR/microforge.yaml.

In a repository microforge generated, it regenerates in place: unchanged files
are not touched; files you never edited are updated; your edits to files you
own are merged with the new generation (three-way, against the last generation
kept under .microforge/); overlapping edits get conflict markers and the
command exits with code 3; an edited file microforge owns (DO NOT EDIT) is
regenerated and your version saved under .microforge/backup/. See the
summary, or 'microforge plan' to look before writing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(e, f)
		},
	}
	f.register(cmd, true)
	return cmd
}

// generation is a planned regeneration of one repository.
type generation struct {
	out         string
	sys         *model.System
	plan        *writer.Plan
	breaking    []breaking.Problem
	breakingErr error // the check could not run; reported, not fatal
	// refused are the breaking changes neither the blueprint
	// (allow_breaking) nor --allow-breaking acknowledges: generate writes
	// nothing while there are any.
	refused []breaking.Problem
}

// planGeneration validates the blueprint, renders every file and plans
// writing them into the output directory. With finish, it first completes a
// generation that was interrupted there (plan leaves that to generate).
func planGeneration(e *env, f generateFlags, policy writer.OnConflict, hook func(int), finish bool, prog *progress) (*generation, error) {
	out := f.out
	if out == "" {
		out = filepath.Dir(f.file)
	}
	generate.Preload()
	prog.Step("reading the blueprint")
	history, err := generate.ReadHistory(e.ctx, out)
	if err != nil {
		return nil, err
	}
	sys, err := blueprint.LoadWith(f.file, blueprint.Options{History: history, AllowBreaking: f.allowBreaking})
	if err != nil {
		return nil, err
	}
	inPlace, err := samePath(f.file, filepath.Join(out, generate.BlueprintPath))
	if err != nil {
		return nil, err
	}
	runner := &protoc.GoInstall{}
	prog.Clear() // the first run's plugin build announces itself
	if err := preparePlugins(e, runner); err != nil {
		return nil, err
	}
	prog.Step("rendering files")
	set, err := generate.Files(sys, generate.Options{GoCode: true, Plugins: runner, BlueprintInPlace: inPlace})
	if err != nil {
		return nil, err
	}
	if finish {
		if n, err := writer.Recover(out); err != nil {
			return nil, fmt.Errorf("finish the interrupted generation in %s: %w", out, err)
		} else if n > 0 {
			fmt.Fprintf(e.stderr, "finished an interrupted generation (%d steps)\n", n)
		}
	}
	prog.Step("comparing with " + out)
	plan, err := writer.NewPlan(out, set.Files(), writer.Options{
		Tool: "microforge " + ToolVersion(), Force: f.force, OnConflict: policy, AfterStep: hook,
		Inputs: inputs(sys.Blueprint, inPlace),
	})
	if err != nil {
		return nil, err
	}
	g := &generation{out: out, sys: sys, plan: plan}
	prog.Step("checking the APIs for breaking changes")
	g.breaking, g.breakingErr = checkBreaking(e.ctx, out, set.Files())
	if !f.allowBreaking {
		for _, p := range g.breaking {
			if !acknowledged(sys, p) {
				g.refused = append(g.refused, p)
			}
		}
	}
	return g, nil
}

// acknowledged reports whether a breaking change may go ahead: the
// blueprint's allow_breaking names what changed (or its message, enum or
// rpc), or a whole file goes, which happens only when the blueprint drops a
// service or an API version it served: a deliberate act on the whole API.
func acknowledged(sys *model.System, p breaking.Problem) bool {
	if p.Element == "" && p.Rule == "FILE_NO_DELETE" {
		return true
	}
	for _, path := range blueprintPaths(p.Element) {
		if blueprint.Allows(sys, path) {
			return true
		}
	}
	return false
}

// blueprintPaths names a proto element as allow_breaking does:
// "shop.orders.v1.Order.note" is "orders.Order.note", an enum value
// "shop.orders.v1.OrderStatus.ORDER_STATUS_SHIPPED" is
// "orders.OrderStatus.shipped", an rpc "shop.orders.v1.OrdersService.PlaceOrder"
// and its request and response messages are "orders.PlaceOrder".
func blueprintPaths(element string) []string {
	parts := strings.Split(element, ".")
	if len(parts) < 4 {
		return nil
	}
	svc, rest := parts[1], parts[3:]
	out := []string{svc + "." + strings.Join(rest, ".")}
	switch {
	case len(rest) == 2 && strings.HasSuffix(rest[0], "Service"):
		out = append(out, svc+"."+rest[1]) // an rpc
	case len(rest) == 2 && strings.ToUpper(rest[1]) == rest[1]:
		value := strings.TrimPrefix(rest[1], model.UpperSnake(rest[0])+"_")
		out = append(out, svc+"."+rest[0]+"."+strings.ToLower(value))
	case len(rest) == 1:
		for _, suffix := range []string{"Request", "Response"} {
			if m, ok := strings.CutSuffix(rest[0], suffix); ok {
				out = append(out, svc+"."+m)
			}
		}
	}
	return out
}

// refusal is the error of a generation that would break what runs.
func refusal(g *generation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d breaking change(s) to the served API; nothing was written:\n", len(g.refused))
	for _, p := range g.refused {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	var paths []string
	seen := map[string]bool{}
	for _, p := range g.refused {
		if ps := blueprintPaths(p.Element); len(ps) > 0 && !seen[ps[len(ps)-1]] {
			seen[ps[len(ps)-1]] = true
			paths = append(paths, ps[len(ps)-1])
		}
	}
	b.WriteString("(microforge reserves the number and name of a removed field or enum value itself: the rules above name what old clients lose.)\n")
	b.WriteString("Safe alternatives: add a field with a new name (it gets a new number) and leave the old one, or serve a new API version (version: N+1) beside the old one.\n")
	if len(paths) > 0 {
		fmt.Fprintf(&b, "To break existing clients anyway, acknowledge each change in the blueprint:\n  allow_breaking: [%s]\nor pass --allow-breaking.", strings.Join(paths, ", "))
	} else {
		b.WriteString("To break existing clients anyway, pass --allow-breaking.")
	}
	return errors.New(b.String())
}

// protoRoot is the buf module holding the generated protos.
const protoRoot = "proto/"

// checkBreaking compares the protos the last generation wrote with the new
// ones.
func checkBreaking(ctx context.Context, out string, generated []files.File) ([]breaking.Problem, error) {
	isProto := func(p string) bool { return strings.HasPrefix(p, protoRoot) && path.Ext(p) == ".proto" }
	prev, err := writer.LastGenerated(out, isProto)
	if err != nil || len(prev) == 0 {
		return nil, err
	}
	var previous, next []protoc.Source
	for p, b := range prev {
		previous = append(previous, protoc.Source{Path: strings.TrimPrefix(p, protoRoot), Content: b})
	}
	sort.Slice(previous, func(i, j int) bool { return previous[i].Path < previous[j].Path })
	for _, f := range generated {
		if isProto(f.Path) {
			next = append(next, protoc.Source{Path: strings.TrimPrefix(f.Path, protoRoot), Content: f.Content})
		}
	}
	probs, err := breaking.CheckCategories(ctx, previous, next, breaking.File, breaking.WireJSON, breaking.Wire)
	for i := range probs {
		probs[i].Path = protoRoot + probs[i].Path
	}
	return probs, err
}

func runGenerate(e *env, f generateFlags) error {
	start := time.Now()
	policy, err := f.conflictPolicy()
	if err != nil {
		return err
	}
	if plan, ok, err := quickPlan(f); err != nil {
		return err
	} else if ok {
		printNotes(e.stderr, plan)
		fmt.Fprintf(e.stdout, "%s: %s (%s)\n", plan.Dir, summary(plan), time.Since(start).Round(time.Millisecond))
		return nil
	}
	prog := newProgress(e.stderr)
	defer prog.Stop()
	kill := killHook()
	hook := func(done int) {
		prog.Writing(done)
		if kill != nil {
			kill(done)
		}
	}
	g, err := planGeneration(e, f, policy, hook, true, prog)
	if err != nil {
		return err
	}
	if len(g.refused) > 0 {
		return refusal(g)
	}
	prog.Stop()
	reportBreaking(e.stderr, g)
	if err := confirmDirty(e, g, f.yes); err != nil {
		return err
	}
	plan := g.plan
	prog = newProgress(e.stderr)
	prog.Step("writing files")
	err = plan.Apply()
	prog.Stop()
	if err != nil {
		if errors.Is(err, writer.ErrConflicts) {
			listConflicts(e.stderr, plan, "nothing was written (--on-conflict=fail)")
			return codedError{ExitConflict, fmt.Errorf("%d file(s) with conflicts", len(plan.Conflicts()))}
		}
		return err
	}
	printNotes(e.stderr, plan)
	fmt.Fprintf(e.stdout, "%s: %s (%s)\n", g.out, summary(plan), time.Since(start).Round(time.Millisecond))
	if n := len(plan.Conflicts()); n > 0 {
		listConflicts(e.stderr, plan, "resolve the markers, then run microforge generate again")
		return codedError{ExitConflict, fmt.Errorf("%d file(s) with conflicts", n)}
	}
	if created(plan, "go.mod") { // a new repository: say how to use it
		fmt.Fprint(e.stdout, "\nNext:\n")
		if filepath.Clean(g.out) != "." {
			fmt.Fprintf(e.stdout, "  cd %s\n", g.out)
		}
		fmt.Fprint(e.stdout, "  go run ./cmd/local    # every service on this machine\n  go test ./...         # unit and end-to-end tests\n")
	}
	return nil
}

// printNotes tells the user about every change they should read about.
func printNotes(w io.Writer, p *writer.Plan) {
	for _, c := range p.Changes {
		if c.Note == "" || c.Action == writer.Unchanged || c.Action == writer.Conflict {
			continue
		}
		if c.Action == writer.Replace {
			fmt.Fprintf(w, "WARNING: you edited %s, which microforge owns\n", c.Path)
		}
		fmt.Fprintf(w, "%-9s %s: %s\n", c.Action, c.Path, c.Note)
	}
}

// quickPlan is the shortcut for a regeneration where nothing changed: the
// blueprint and the microforge build are the ones that produced the
// repository, and the repository still holds what they produced (see
// writer.QuickPlan). It renders nothing.
func quickPlan(f generateFlags) (*writer.Plan, bool, error) {
	src, err := os.ReadFile(f.file)
	if err != nil {
		return nil, false, nil // the full path reports it
	}
	out := f.out
	if out == "" {
		out = filepath.Dir(f.file)
	}
	inPlace, err := samePath(f.file, filepath.Join(out, generate.BlueprintPath))
	if err != nil {
		return nil, false, err
	}
	return writer.QuickPlan(out, writer.Options{Inputs: inputs(src, inPlace)})
}

var (
	toolOnce        sync.Once
	toolFingerprint string
)

// inputs fingerprints what a generation depends on: the blueprint, as the
// repository's copy of it, and this microforge build (so that a rebuilt
// microforge never takes the shortcut). Naming the blueprint by the copy
// makes the documented flow — `generate -f bp -o dir`, then `generate` in
// dir, which reads the copy — one set of inputs, so the in-place no-op
// takes the shortcut too. It is "" when the build cannot be identified.
func inputs(blueprint []byte, inPlace bool) string {
	toolOnce.Do(func() {
		// A released build (go install ...@vX) is named by its version and
		// checksum; anything else by the bytes of its executable.
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" && bi.Main.Sum != "" {
			toolFingerprint = bi.Main.Path + "@" + bi.Main.Version + " " + bi.Main.Sum
			return
		}
		exe, err := os.Executable()
		if err != nil {
			return
		}
		if id := goBuildID(exe); id != "" {
			toolFingerprint = "go build ID " + id
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err == nil {
			toolFingerprint = hex.EncodeToString(h.Sum(nil))
		}
	})
	if toolFingerprint == "" {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "microforge inputs 2\n%s\n", toolFingerprint)
	if copy, same := generate.RepositoryBlueprint(blueprint, inPlace); same {
		fmt.Fprintf(h, "copy\n")
		h.Write(copy)
	} else {
		// The copy would not mean what the blueprint means: never the
		// same inputs as a generation from the copy.
		fmt.Fprintf(h, "source %t\n", inPlace)
		h.Write(blueprint)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goBuildID returns the Go build ID an ELF executable carries in its
// .note.go.buildid note ("" when it has none): a hash of what the program
// was built from and of the binary itself, so it names this microforge
// build as surely as hashing the whole executable, for the price of
// reading a few hundred bytes instead of megabytes.
func goBuildID(exe string) string {
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	note, err := sec.Data()
	if err != nil || len(note) < 12 {
		return ""
	}
	// namesz, descsz, type, then the name and the description, each
	// padded to four bytes.
	bo := f.ByteOrder
	nameSize, descSize, kind := uint64(bo.Uint32(note)), uint64(bo.Uint32(note[4:])), bo.Uint32(note[8:])
	const goBuildIDTag = 4
	desc := 12 + (nameSize+3)&^3
	if kind != goBuildIDTag || desc+descSize > uint64(len(note)) || strings.TrimRight(string(note[12:12+nameSize]), "\x00") != "Go" {
		return ""
	}
	return string(note[desc : desc+descSize])
}

func summary(p *writer.Plan) string {
	return fmt.Sprintf("%d created, %d updated, %d merged, %d unchanged, %d deleted, %d kept, %d conflicts",
		p.Count(writer.Create), p.Count(writer.Update)+p.Count(writer.Replace), p.Count(writer.Merge),
		p.Count(writer.Unchanged), p.Count(writer.Delete), p.Count(writer.Keep), p.Count(writer.Conflict))
}

func listConflicts(w io.Writer, p *writer.Plan, what string) {
	cs := p.Conflicts()
	fmt.Fprintf(w, "conflicts in %d file(s); %s:\n", len(cs), what)
	for _, c := range cs {
		fmt.Fprintf(w, "  %s (%d region(s))\n", c.Path, c.Conflicts)
	}
}

func reportBreaking(w io.Writer, g *generation) {
	if g.breakingErr != nil {
		fmt.Fprintf(w, "warning: could not check the API for breaking changes: %v\n", g.breakingErr)
	}
	if len(g.breaking) == 0 {
		return
	}
	fmt.Fprintf(w, "warning: %d breaking API change(s) against the last generated protos (buf FILE, WIRE_JSON and WIRE rules), acknowledged; existing clients will break:\n", len(g.breaking))
	for _, p := range g.breaking {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// killHook returns the crash hook the test environment asks for, if any.
func killHook() func(int) {
	n, err := strconv.Atoi(os.Getenv(killAfterEnv))
	if err != nil || n <= 0 {
		return nil
	}
	return func(done int) {
		if done == n {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill()
			time.Sleep(time.Minute) // the kill may take a moment to land
		}
	}
}

// confirmDirty warns when git has uncommitted changes in files the plan
// would write, and asks before going on when stdin is a terminal. Without a
// terminal it goes on (after the warning): no edit is ever lost — they are
// merged or backed up — and scripts must not hang.
func confirmDirty(e *env, g *generation, yes bool) error {
	var touched []string
	for _, c := range g.plan.Changes {
		if c.Action.Writes() {
			touched = append(touched, c.Path)
		}
	}
	dirty := gitDirty(e.ctx, g.out, touched)
	if len(dirty) == 0 || yes {
		return nil
	}
	fmt.Fprintf(e.stderr, "git has uncommitted changes in %d file(s) this generation writes:\n  %s\n", len(dirty), strings.Join(dirty, "\n  "))
	if !isTerminal(e.stdin) {
		fmt.Fprintln(e.stderr, "going on (no terminal to ask; pass --yes to silence this)")
		return nil
	}
	fmt.Fprint(e.stderr, "Write anyway? [y/N] ")
	answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" {
		return nil
	}
	return errors.New("stopped; nothing was written (commit or stash your changes, or pass --yes)")
}

// gitDirty returns which of paths (relative to dir) git reports as modified
// or untracked; nothing when dir is not in a git work tree or git is missing.
func gitDirty(ctx context.Context, dir string, paths []string) []string {
	if len(paths) == 0 {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	prefix, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-prefix").Output()
	if err != nil {
		return nil
	}
	status, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".").Output()
	if err != nil {
		return nil
	}
	pre := strings.TrimSpace(string(prefix))
	changed := map[string]bool{}
	entries := strings.Split(string(status), "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		if e[0] == 'R' || e[0] == 'C' {
			i++ // the next entry is the rename's source
		}
		changed[strings.TrimPrefix(e[3:], pre)] = true
	}
	var out []string
	for _, p := range paths {
		if changed[p] {
			out = append(out, p)
		}
	}
	return out
}

// isTerminal reports whether r is a terminal (not a pipe, a file or
// /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// preparePlugins builds the protoc plugins on first use, saying so: it is the
// only slow step of a first generation.
func preparePlugins(e *env, runner *protoc.GoInstall) error {
	plugins := generate.Plugins()
	var missing []string
	for _, p := range plugins {
		bin, err := runner.Path(p)
		if err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	start := time.Now()
	fmt.Fprintf(e.stderr, "building %s (first run only, cached afterwards)...\n", strings.Join(missing, " and "))
	if err := runner.Prepare(e.ctx, plugins...); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// samePath reports whether a and b name the same file (b may not exist).
func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	return aa == bb, nil
}

// created reports whether the plan creates the file at path.
func created(plan *writer.Plan, path string) bool {
	for _, c := range plan.Changes {
		if c.Path == path {
			return c.Action == writer.Create
		}
	}
	return false
}
