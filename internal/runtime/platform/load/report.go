package load

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is what a run measured.
type Report struct {
	Elapsed time.Duration // from the first request until the last answer
	Flows   []*FlowReport
	Sagas   []*SagaReport
	// SettledAfter is how long after the load's last answer every saga it
	// started and checked was seen terminal; negative when some never were.
	// Reading them all takes a while of its own: a look at tens of
	// thousands of sagas takes seconds.
	SettledAfter time.Duration
	// NewestAfter is how long after the load's last answer the last saga
	// each flow started was seen terminal, watched alone, every 20ms, as
	// soon as the load ended; negative when one never was. Sagas end
	// roughly in the order they started, so it is about when the system
	// finished its backlog; SettledAfter confirms that every saga ended.
	NewestAfter time.Duration
}

// FlowReport is what the requests of one flow measured.
type FlowReport struct {
	Name     string
	Requests int64 // answered or failed
	OK       int64 // answered 200, or a status the flow accepts
	// Answers counts the accepted statuses other than 200, by status.
	Answers map[int]int64
	// Errors counts the other outcomes by kind: "HTTP 503",
	// "connection refused".
	Errors  map[string]int64
	Latency *Histogram // of every request, answered or not
}

// ErrorCount returns the number of requests that failed.
func (f *FlowReport) ErrorCount() int64 {
	var n int64
	for _, c := range f.Errors {
		n += c
	}
	return n
}

// SagaReport is how the sagas a flow started ended.
type SagaReport struct {
	Name    string // "checkout"
	Flow    string // the flow starting it, "orders.PlaceOrder"
	Started int64  // accepted calls of the flow
	// Terminal counts the instances seen in a terminal state, by status.
	Terminal map[string]int
	// Running counts the instances not seen terminal by the end of the
	// settle time, by what their last read showed ("ORDER_STATUS_PENDING",
	// "HTTP 404").
	Running map[string]int
	// NoID counts accepted calls whose answer lacks the instance's id.
	NoID int64
	// Unchecked says why the end of the instances was not checked; "" when
	// it was.
	Unchecked string
}

// Unsettled returns the number of started instances not seen terminal.
func (s *SagaReport) Unsettled() int64 {
	if s.Unchecked != "" {
		return 0
	}
	n := s.NoID
	for _, c := range s.Running {
		n += int64(c)
	}
	return n
}

// report builds the Report of the run.
func (r *runner) report() *Report {
	rep := &Report{Elapsed: r.end.Sub(r.start), SettledAfter: -1, NewestAfter: -1}
	if !r.settled.IsZero() {
		rep.SettledAfter = r.settled.Sub(r.end)
	}
	if !r.newest.IsZero() {
		rep.NewestAfter = r.newest.Sub(r.end)
	}
	for _, f := range r.flows {
		f.mu.Lock()
		fr := &FlowReport{Name: f.Name, Requests: f.requests, OK: f.ok, Answers: maps.Clone(f.answers), Errors: maps.Clone(f.errs), Latency: &Histogram{}}
		fr.Latency.Merge(&f.latency)
		rep.Flows = append(rep.Flows, fr)
		if f.Saga != nil {
			sr := &SagaReport{Name: f.Saga.Name, Flow: f.Name, Started: int64(len(f.started)) + f.noID, NoID: f.noID, Unchecked: f.Saga.Unchecked,
				Terminal: map[string]int{}, Running: map[string]int{}}
			if sr.Unchecked == "" {
				for _, in := range f.started {
					if in.terminal {
						sr.Terminal[in.last]++
					} else {
						sr.Running[in.last]++
					}
				}
			}
			rep.Sagas = append(rep.Sagas, sr)
		}
		f.mu.Unlock()
	}
	return rep
}

// Settled reports whether every saga the run started and could check
// reached a terminal state.
func (rep *Report) Settled() bool {
	for _, s := range rep.Sagas {
		if s.Unsettled() > 0 {
			return false
		}
	}
	return true
}

// Answered returns the number of requests answered with 200 or a status
// their flow accepts.
func (rep *Report) Answered() int64 {
	var n int64
	for _, f := range rep.Flows {
		n += f.OK
	}
	return n
}

// Write prints the report: a table of the flows, the errors and accepted
// refusals of each, and how the sagas ended.
func (rep *Report) Write(w io.Writer) {
	secs := rep.Elapsed.Seconds()
	fmt.Fprintf(w, "\n%d requests in %s", rep.total(), rep.Elapsed.Round(time.Millisecond))
	if secs > 0 {
		fmt.Fprintf(w, ", %.0f req/s", float64(rep.total())/secs)
	}
	fmt.Fprintln(w)
	width := len("procedure")
	for _, f := range rep.Flows {
		width = max(width, len(f.Name))
	}
	fmt.Fprintf(w, "%-*s %9s %9s %9s %7s %9s %9s %9s\n", width, "procedure", "requests", "ok", "ok/s", "errors", "p50", "p99", "max")
	for _, f := range rep.Flows {
		okRate := 0.0
		if secs > 0 {
			okRate = float64(f.OK) / secs
		}
		fmt.Fprintf(w, "%-*s %9d %9d %9.1f %7d %9s %9s %9s\n", width, f.Name, f.Requests, f.OK, okRate, f.ErrorCount(),
			ms(f.Latency.Percentile(50)), ms(f.Latency.Percentile(99)), ms(f.Latency.Max()))
	}
	for _, f := range rep.Flows {
		if len(f.Answers) > 0 {
			var parts []string
			for _, st := range slices.Sorted(maps.Keys(f.Answers)) {
				parts = append(parts, fmt.Sprintf("%d HTTP %d", f.Answers[st], st))
			}
			fmt.Fprintf(w, "%s: expected answers to sample inputs: %s\n", f.Name, strings.Join(parts, ", "))
		}
		if len(f.Errors) > 0 {
			fmt.Fprintf(w, "%s: errors: %s\n", f.Name, counts(f.Errors))
		}
		if f.Errors["HTTP 401"] > 0 {
			fmt.Fprintf(w, "%s: tokens refused: does the gateway trust the development key of -data?\n", f.Name)
		}
		if f.Errors["HTTP 429"] > 0 {
			fmt.Fprintf(w, "%s: rate-limited: the gateway limits each token subject (more -subjects help) and, on routes without auth, each client IP\n", f.Name)
		}
		if f.Errors[Backpressure] > 0 {
			fmt.Fprintf(w, "%s: backpressure: the orchestrator refused new sagas while more than its SAGA_MAX_BACKLOG were unfinished; each worker waited the Retry-After it was given\n", f.Name)
		}
	}
	for _, s := range rep.Sagas {
		switch {
		case s.Unchecked != "":
			fmt.Fprintf(w, "saga %s: %d started by %s, their end not checked: %s\n", s.Name, s.Started, s.Flow, s.Unchecked)
		case s.Started == 0:
			fmt.Fprintf(w, "saga %s: none started by %s\n", s.Name, s.Flow)
		case s.Unsettled() == 0:
			fmt.Fprintf(w, "saga %s: all %d started by %s reached a terminal state (%s)", s.Name, s.Started, s.Flow, counts(s.Terminal))
			if rep.NewestAfter >= 0 {
				fmt.Fprintf(w, ", the last one started %s after the load", rep.NewestAfter.Round(10*time.Millisecond))
			}
			if rep.SettledAfter >= 0 {
				fmt.Fprintf(w, ", every one seen so %s after it", rep.SettledAfter.Round(10*time.Millisecond))
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "saga %s: %d of %d started by %s did not reach a terminal state", s.Name, s.Unsettled(), s.Started, s.Flow)
			var what []string
			if len(s.Running) > 0 {
				what = append(what, "last seen: "+counts(s.Running))
			}
			if s.NoID > 0 {
				what = append(what, strconv.FormatInt(s.NoID, 10)+" answers without an id")
			}
			if len(s.Terminal) > 0 {
				what = append(what, "terminal: "+counts(s.Terminal))
			}
			fmt.Fprintf(w, " (%s)\n", strings.Join(what, "; "))
		}
	}
}

func (rep *Report) total() int64 {
	var n int64
	for _, f := range rep.Flows {
		n += f.Requests
	}
	return n
}

// counts prints a count per key, largest first: "12 HTTP 503, 3 timeout".
func counts[N int | int64](m map[string]N) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// ms prints a latency in milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}
