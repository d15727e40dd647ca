package load

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// System is what cmd/load of a system declares.
type System struct {
	Name    string // "shop"
	Gateway string // URL of the local gateway, "http://127.0.0.1:8080"
	Flows   []Flow
	// Signer returns the function minting tokens the gateway of the local
	// system with data directory dataDir accepts.
	Signer func(dataDir string) (TokenFunc, error)
}

// Exit codes of Main.
const (
	ExitOK        = 0 // every saga started reached a terminal state
	ExitUnsettled = 1 // some did not, or no request was answered
	ExitUsage     = 2 // bad flags or setup
)

// Main runs cmd/load with the command line args (without the program
// name): flags -duration, -concurrency, -rate, -gateway, -data, -flows,
// -subjects, -settle and -timeout. Progress and the report go to stdout,
// problems with the flags to stderr. It returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, sys System) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 30*time.Second, "how long to send requests")
	concurrency := fs.Int("concurrency", 16, "requests in flight at most")
	rate := fs.Float64("rate", 0, "target requests per second over all workers; 0: as fast as the answers come")
	gateway := fs.String("gateway", sys.Gateway, "base URL of the gateway")
	dataDir := fs.String("data", "data", "data directory of cmd/local, holding the development key that signs the tokens")
	only := fs.String("flows", "", "comma-separated flows to run (procedure, Service.Procedure or saga name); empty: all of "+names(sys.Flows))
	subjects := fs.Int("subjects", 100, "distinct token subjects the requests take turns with")
	settle := fs.Duration("settle", 30*time.Second, "how long after the load the started sagas may take to reach a terminal state")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each request")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./cmd/load [flags]\n\nDrives the %s gateway with the blueprint's flows, reports throughput,\nlatency and errors per procedure, and checks that every saga it started ended.\n\n", sys.Name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 || *duration <= 0 || *concurrency <= 0 || *rate < 0 || *subjects <= 0 || *settle < 0 || *timeout <= 0 {
		fs.Usage()
		return ExitUsage
	}
	flows, err := choose(sys.Flows, *only)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return ExitUsage
	}
	cfg := Config{
		Gateway: strings.TrimSuffix(*gateway, "/"), Flows: flows,
		Duration: *duration, Concurrency: *concurrency, Rate: *rate, Subjects: *subjects, Settle: *settle,
		// Subjects of this run only, so that what earlier runs created
		// (their orders, say) does not weigh on this one's queries.
		SubjectPrefix: "load-" + strconv.FormatInt(time.Now().Unix()%100000, 36) + "-",
		Timeout:       *timeout,
		Out:           stdout,
	}
	for _, f := range flows {
		if f.Role != "" && sys.Signer != nil {
			if cfg.Token, err = sys.Signer(*dataDir); err != nil {
				fmt.Fprintln(stderr, "load:", err)
				return ExitUsage
			}
			break
		}
	}
	pace := "as fast as answers come"
	if *rate > 0 {
		pace = fmt.Sprintf("at %g req/s", *rate)
	}
	fmt.Fprintf(stdout, "load: %s for %s, %d in flight, %s, %d subjects: %s\n", cfg.Gateway, *duration, *concurrency, pace, *subjects, names(flows))
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return ExitUsage
	}
	rep.Write(stdout)
	switch {
	case rep.Answered() == 0:
		fmt.Fprintf(stdout, "FAIL: no request was answered: is the system running at %s?\n", cfg.Gateway)
		return ExitUnsettled
	case !rep.Settled():
		var n int64
		for _, s := range rep.Sagas {
			n += s.Unsettled()
		}
		fmt.Fprintf(stdout, "FAIL: %d sagas did not reach a terminal state within -settle %s\n", n, *settle)
		return ExitUnsettled
	}
	return ExitOK
}

// choose returns the flows that only names, comma-separated; all for "".
func choose(all []Flow, only string) ([]Flow, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	var out []Flow
	for _, want := range strings.Split(only, ",") {
		want = strings.TrimSpace(want)
		found := false
		for _, f := range all {
			_, method, _ := strings.Cut(f.Name, ".")
			if strings.EqualFold(want, f.Name) || strings.EqualFold(want, method) || (f.Saga != nil && strings.EqualFold(want, f.Saga.Name)) {
				out = append(out, f)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-flows: no flow %q; the flows are %s", want, names(all))
		}
	}
	return out, nil
}

// names lists the names of flows.
func names(flows []Flow) string {
	var out []string
	for _, f := range flows {
		out = append(out, f.Name)
	}
	return strings.Join(out, ", ")
}
