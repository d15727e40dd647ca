// Package load drives a system's gateway with the blueprint's flows: its
// routed commands with valid sample inputs, its routed queries and the
// commands that start its sagas, from many callers at once. While it runs
// it prints a progress line about once a second; at the end it reports
// throughput, p50/p99/max latency and errors per procedure, and checks that
// every saga it started reached a terminal state.
//
// cmd/load declares the system's flows and calls Main; Run is the engine.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Flow is one call the load makes through the gateway, with the Connect
// protocol (JSON).
type Flow struct {
	Name      string // "orders.PlaceOrder"
	Procedure string // "/shop.orders.v1.OrdersService/PlaceOrder"
	Body      string // a valid sample request, as JSON
	// Owner is the JSON field of the request that owner rules check names
	// the caller ("customerId"): every request sets it to its token's
	// subject. "" for none.
	Owner string
	// Role is the role of the caller's token, one the route accepts; ""
	// sends no token (a route with auth: none).
	Role string
	// Accept are HTTP statuses besides 200 that are answers, not errors: a
	// query of a sample id finds nothing (404), a command refuses to
	// change what does not exist.
	Accept []int
	// Saga is the saga each accepted call starts; nil for none.
	Saga *Saga
}

// Saga says how to tell that an instance of a saga a flow starts reached a
// terminal state: by reading its entity through the gateway until its
// status is one the saga ends in.
type Saga struct {
	Name string // "checkout"
	// ID is the path of the entity's id in the starting call's JSON answer,
	// {"order", "id"}.
	ID []string
	// Read is the procedure reading the entity by id, called with the
	// starting call's token, "/shop.orders.v1.OrdersService/GetOrder".
	Read string
	// ReadID is the JSON field of Read's request holding the id, "orderId".
	ReadID string
	// Status is the path of the status in Read's answer, {"order", "status"}.
	Status []string
	// Terminal are the statuses the saga leaves its entity in when it ends:
	// "ORDER_STATUS_CONFIRMED", "ORDER_STATUS_CANCELLED".
	Terminal []string
	// Unchecked says why the end of its instances cannot be observed
	// through the gateway; "" when it can (the fields above are set).
	Unchecked string
}

// TokenFunc returns a token for subject holding role, which the gateway
// accepts.
type TokenFunc func(subject, role string) (string, error)

// Config is what Run does.
type Config struct {
	Gateway     string // base URL, "http://127.0.0.1:8080"
	Flows       []Flow
	Duration    time.Duration // how long to send requests
	Concurrency int           // requests in flight at most; 1 by default
	// Rate is the target rate of requests per second over all workers; 0
	// sends each next request as soon as an answer arrives.
	Rate float64
	// Subjects is how many token subjects the requests take turns with, so
	// that a rate limit per subject does not cap the load; 100 by default.
	Subjects int
	// SubjectPrefix starts every subject's name, "load-" by default; the
	// subjects are <prefix>1, <prefix>2, ...
	SubjectPrefix string
	// Settle is how long after the load the sagas it started may take to
	// reach a terminal state.
	Settle time.Duration
	// Token mints the tokens; nil when no flow has a role.
	Token TokenFunc
	// Timeout bounds each request, 10s by default.
	Timeout time.Duration
	// Client sends the requests; nil for one keeping a connection per
	// worker, with Timeout.
	Client *http.Client
	// Out receives the progress lines; nil for none.
	Out io.Writer
	// Progress is the time between progress lines, 1s by default.
	Progress time.Duration
}

// Run sends the load cfg describes until cfg.Duration passed or ctx is done,
// then waits for the sagas it started to end, and reports. The error is
// about the configuration (a token that cannot be minted), never about the
// system's answers: those are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	r.drive(ctx)
	r.settle(ctx)
	return r.report(), nil
}

// runner is one run of the load.
type runner struct {
	cfg      Config
	flows    []*flowState
	subjects []string
	tokens   map[string]string // by subject and role, "sub\x00role"
	seq      atomic.Int64      // requests begun
	done     atomic.Int64      // requests answered, or failed
	inFlight atomic.Int64
	errors   atomic.Int64
	start    time.Time
	end      time.Time // when the last request of the load was answered
	// settled is when every started saga was seen terminal; zero if never.
	settled time.Time
	// newest is when the last saga each flow started was seen terminal;
	// zero if never.
	newest time.Time
}

// flowState is a flow and what its requests measured.
type flowState struct {
	Flow
	bodies [][]byte // the request of each subject

	mu       sync.Mutex
	latency  Histogram
	requests int64
	ok       int64            // answered 200 or an accepted status
	answers  map[int]int64    // accepted statuses other than 200
	errs     map[string]int64 // by kind: "HTTP 503", "connection refused"
	started  []*instance      // sagas started, in start order
	noID     int64            // accepted calls whose answer lacks the saga's id
}

// instance is a saga instance the load started, and what settling saw.
type instance struct {
	id, subject string
	last        string // status last read, or why none: "HTTP 404"
	terminal    bool
}

func newRunner(cfg Config) (*runner, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Subjects <= 0 {
		cfg.Subjects = 100
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = "load-"
	}
	if cfg.Progress <= 0 {
		cfg.Progress = time.Second
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout: cfg.Timeout,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConns:        2 * cfg.Concurrency,
				MaxIdleConnsPerHost: 2 * cfg.Concurrency,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	if len(cfg.Flows) == 0 {
		return nil, errors.New("no flows to run")
	}
	r := &runner{cfg: cfg, tokens: map[string]string{}}
	for i := range cfg.Subjects {
		r.subjects = append(r.subjects, cfg.SubjectPrefix+strconv.Itoa(i+1))
	}
	for _, f := range cfg.Flows {
		fs := &flowState{Flow: f, answers: map[int]int64{}, errs: map[string]int64{}}
		for _, sub := range r.subjects {
			body, err := requestBody(f.Body, f.Owner, sub)
			if err != nil {
				return nil, fmt.Errorf("flow %s: %w", f.Name, err)
			}
			fs.bodies = append(fs.bodies, body)
			if f.Role == "" {
				continue
			}
			if cfg.Token == nil {
				return nil, fmt.Errorf("flow %s needs a token with role %s, and there is no way to mint one", f.Name, f.Role)
			}
			key := sub + "\x00" + f.Role
			if _, ok := r.tokens[key]; !ok {
				token, err := cfg.Token(sub, f.Role)
				if err != nil {
					return nil, fmt.Errorf("mint a token for %s: %w", sub, err)
				}
				r.tokens[key] = token
			}
		}
		r.flows = append(r.flows, fs)
	}
	return r, nil
}

// requestBody is body with owner, if any, naming subject.
func requestBody(body, owner, subject string) ([]byte, error) {
	if owner == "" {
		return []byte(body), nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		return nil, fmt.Errorf("sample request: %w", err)
	}
	if obj == nil {
		obj = map[string]any{}
	}
	obj[owner] = subject
	return json.Marshal(obj)
}

// drive runs the workers until the duration passed or ctx is done,
// printing progress meanwhile.
func (r *runner) drive(ctx context.Context) {
	r.start = time.Now()
	// No request starts after the deadline, but those in flight run to
	// their answer (or Timeout): a call the system accepted in the last
	// moment started a saga like any other, and is counted and checked.
	// Only ctx (the user's interrupt) cuts them short.
	stop, cancel := context.WithDeadline(ctx, r.start.Add(r.cfg.Duration))
	defer cancel()
	var pace *pacer
	if r.cfg.Rate > 0 {
		pace = &pacer{start: r.start, interval: time.Duration(float64(time.Second) / r.cfg.Rate)}
	}
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for pace.wait(stop) == nil && stop.Err() == nil {
				answered, retryAfter := r.one(ctx)
				switch {
				case !answered:
					// No answer: the gateway is down or unreachable, and
					// trying again at once only burns the CPU.
					sleep(stop, noAnswerPause)
				case retryAfter > 0:
					// Refused with Retry-After (a rate limit or the
					// orchestrator's backpressure): a client that keeps
					// asking meanwhile only takes CPU from the work.
					sleep(stop, retryAfter)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(r.cfg.Progress)
	defer tick.Stop()
	last, lastAt := int64(0), r.start
	for {
		select {
		case <-done:
			r.end = time.Now()
			return
		case now := <-tick.C:
			n := r.done.Load()
			rate := float64(n-last) / now.Sub(lastAt).Seconds()
			last, lastAt = n, now
			fmt.Fprintf(r.cfg.Out, "%5.0fs  %8.0f req/s  %8d done  %6d errors  %4d in flight  %8d sagas started\n",
				now.Sub(r.start).Seconds(), rate, n, r.errors.Load(), r.inFlight.Load(), r.started())
		}
	}
}

// started returns how many sagas the load started so far.
func (r *runner) started() int {
	n := 0
	for _, f := range r.flows {
		f.mu.Lock()
		n += len(f.started)
		f.mu.Unlock()
	}
	return n
}

// noAnswerPause is how long a worker pauses after a request that got no
// answer.
const noAnswerPause = 50 * time.Millisecond

// maxRetryAfter bounds how long a worker honours a Retry-After.
const maxRetryAfter = 5 * time.Second

// BacklogHeader is the header an orchestrator's refusal carries (the
// saga package's BacklogHeader): a 429 with it is backpressure, one
// without it the gateway's rate limit.
const BacklogHeader = "Saga-Backlog"

// Backpressure is the error kind of requests refused by backpressure.
const Backpressure = "HTTP 429 backpressure"

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// one sends the next request: the flows take turns, and each flow's
// subjects take turns. It returns false when the request got no answer,
// and how long the answer asked to wait before trying again (Retry-After,
// at most maxRetryAfter).
func (r *runner) one(ctx context.Context) (bool, time.Duration) {
	i := r.seq.Add(1) - 1
	f := r.flows[i%int64(len(r.flows))]
	s := int(i/int64(len(r.flows))) % len(r.subjects)
	r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	began := time.Now()
	status, header, body, err := r.call(ctx, f.Procedure, f.bodies[s], r.subjects[s], f.Role)
	took := time.Since(began)
	if err != nil && ctx.Err() != nil {
		return true, 0 // cut short by the user's interrupt: not counted
	}
	kind := ""
	switch {
	case err != nil:
		kind = errorKind(err)
	case status == http.StatusTooManyRequests && header.Get(BacklogHeader) != "":
		kind = Backpressure
	case status != http.StatusOK && !slices.Contains(f.Accept, status):
		kind = "HTTP " + strconv.Itoa(status)
	}
	var wait time.Duration
	if status == http.StatusTooManyRequests {
		if secs, err := strconv.Atoi(header.Get("Retry-After")); err == nil && secs > 0 {
			wait = min(time.Duration(secs)*time.Second, maxRetryAfter)
		}
	}
	var id string
	var found bool
	if kind == "" && status == http.StatusOK && f.Saga != nil {
		id, found = lookup(body, f.Saga.ID)
	}
	r.done.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.latency.Record(took)
	if kind != "" {
		f.errs[kind]++
		r.errors.Add(1)
		return err == nil, wait
	}
	f.ok++
	if status != http.StatusOK {
		f.answers[status]++
		return true, wait
	}
	if f.Saga != nil {
		if found {
			f.started = append(f.started, &instance{id: id, subject: r.subjects[s]})
		} else {
			f.noID++
		}
	}
	return true, 0
}

// call posts body to procedure as subject holding role, and returns the
// answer's status, header and body.
func (r *runner) call(ctx context.Context, procedure string, body []byte, subject, role string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Gateway+procedure, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connect-Protocol-Version", "1")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+r.tokens[subject+"\x00"+role])
	}
	res, err := r.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return res.StatusCode, res.Header, b, nil
}

// errorKind names what went wrong with a request that got no answer.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "no answer"
}

// lookup returns the string at path in the JSON object body.
func lookup(body []byte, path []string) (string, bool) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", false
	}
	for _, name := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = obj[name]
	}
	s, ok := v.(string)
	return s, ok && s != ""
}

// pacer hands out the start times of requests at a fixed rate, counted
// from start, so the rate holds however the workers' requests interleave.
type pacer struct {
	start    time.Time
	interval time.Duration
	n        atomic.Int64
}

// wait blocks until the next request may start; nil p never blocks.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	at := p.start.Add(time.Duration(p.n.Add(1)-1) * p.interval)
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
