package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	if h.Percentile(99) != 0 || h.Max() != 0 {
		t.Fatal("an empty histogram has latencies")
	}
	// 1ms .. 1000ms, shuffled by a stride coprime with 1000.
	for i := range 1000 {
		h.Record(time.Duration((i*337)%1000+1) * time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Millisecond}, {99, 990 * time.Millisecond}, {100, time.Second}, {0.1, time.Millisecond}} {
		got := h.Percentile(c.p)
		if got < c.want || float64(got) > float64(c.want)*1.016 {
			t.Errorf("p%g = %v, want %v (to within 1.6%% above)", c.p, got, c.want)
		}
	}
	if h.Max() != time.Second || h.Count() != 1000 {
		t.Errorf("max %v count %d, want 1s 1000", h.Max(), h.Count())
	}
	// Small latencies are exact to the microsecond; merging adds up.
	var small Histogram
	for _, us := range []int{3, 3, 7, 40} {
		small.Record(time.Duration(us) * time.Microsecond)
	}
	if got := small.Percentile(50); got != 3*time.Microsecond {
		t.Errorf("p50 of 3,3,7,40µs = %v", got)
	}
	h.Merge(&small)
	if h.Count() != 1004 || h.Percentile(0.2) != 7*time.Microsecond {
		t.Errorf("merged: count %d p0.2 %v", h.Count(), h.Percentile(0.2))
	}
}

func TestBucketsCoverEveryLatency(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 1<<20; us++ {
		i := bucketOf(us)
		if i < prev || i > prev+1 {
			t.Fatalf("bucket of %dµs is %d after %d", us, i, prev)
		}
		if up := upperBound(i); us > up || (i > 0 && us <= upperBound(i-1)) {
			t.Fatalf("%dµs in bucket %d of upper bound %d", us, i, up)
		}
		prev = i
	}
}

// shop is a fake gateway: PlaceOrder creates an order whose saga ends
// confirmAfter after it was placed (never when confirmAfter is negative),
// GetOrder reads it, Flaky fails every third call with 503, Missing
// answers 404.
type shop struct {
	t            *testing.T
	confirmAfter time.Duration
	placeDelay   time.Duration // how long PlaceOrder takes to answer

	mu       sync.Mutex
	placed   map[string]time.Time
	subjects map[string]int // orders by customer
	calls    atomic.Int64
	reads    atomic.Int64 // of GetOrder
	flaky    atomic.Int64
}

func newShop(t *testing.T, confirmAfter time.Duration) (*shop, *httptest.Server) {
	s := &shop{t: t, confirmAfter: confirmAfter, placed: map[string]time.Time{}, subjects: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not a Connect JSON request", http.StatusBadRequest)
		return
	}
	// Tokens are "tok:<subject>:<role>", see token.
	sub, role, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer tok:"), ":")
	switch r.URL.Path {
	case "/shop.Orders/PlaceOrder":
		if role != "customer" || body["customerId"] != sub {
			http.Error(w, fmt.Sprintf("customer %v, token %s %s", body["customerId"], sub, role), http.StatusForbidden)
			return
		}
		time.Sleep(s.placeDelay)
		s.mu.Lock()
		id := fmt.Sprintf("o-%d", len(s.placed)+1)
		s.placed[id] = time.Now()
		s.subjects[sub]++
		s.mu.Unlock()
		writeJSON(w, map[string]any{"order": map[string]any{"id": id, "customerId": sub, "status": "PENDING"}})
	case "/shop.Orders/GetOrder":
		s.reads.Add(1)
		s.mu.Lock()
		at, ok := s.placed[body["orderId"].(string)]
		s.mu.Unlock()
		switch {
		case !ok:
			http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
		case s.confirmAfter >= 0 && time.Since(at) >= s.confirmAfter:
			writeJSON(w, map[string]any{"order": map[string]any{"id": body["orderId"], "status": "CONFIRMED"}})
		default:
			writeJSON(w, map[string]any{"order": map[string]any{"id": body["orderId"], "status": "PENDING"}})
		}
	case "/shop.Orders/Flaky":
		if s.flaky.Add(1)%3 == 0 {
			http.Error(w, `{"code":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{})
	case "/shop.Orders/Missing":
		http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
	case "/shop.Orders/Busy": // an orchestrator's backpressure
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Saga-Backlog", "1001")
		http.Error(w, `{"code":"resource_exhausted"}`, http.StatusTooManyRequests)
	case "/shop.Orders/Limited": // the gateway's rate limit
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"code":"resource_exhausted"}`, http.StatusTooManyRequests)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func token(subject, role string) (string, error) { return "tok:" + subject + ":" + role, nil }

var (
	checkout = &Saga{Name: "checkout", ID: []string{"order", "id"}, Read: "/shop.Orders/GetOrder", ReadID: "orderId",
		Status: []string{"order", "status"}, Terminal: []string{"CONFIRMED", "CANCELLED"}}
	placeOrder = Flow{Name: "orders.PlaceOrder", Procedure: "/shop.Orders/PlaceOrder", Role: "customer", Owner: "customerId",
		Body: `{"customerId":"x","items":[{"sku":"sku-1","quantity":1}]}`, Saga: checkout}
	flaky   = Flow{Name: "orders.Flaky", Procedure: "/shop.Orders/Flaky", Body: `{}`}
	missing = Flow{Name: "orders.Missing", Procedure: "/shop.Orders/Missing", Body: `{}`, Accept: []int{http.StatusNotFound}}
)

func TestSettledSagasAndOwners(t *testing.T) {
	s, srv := newShop(t, 300*time.Millisecond)
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Config{
		Gateway: srv.URL, Flows: []Flow{placeOrder}, Duration: 1200 * time.Millisecond, Concurrency: 4, Rate: 50,
		Subjects: 5, Settle: 5 * time.Second, Token: token, Out: &progress, Progress: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	f, sg := rep.Flows[0], rep.Sagas[0]
	if f.OK == 0 || f.ErrorCount() != 0 || sg.Started != f.OK {
		t.Fatalf("PlaceOrder: %d ok, errors %v, %d sagas started", f.OK, f.Errors, sg.Started)
	}
	if !rep.Settled() || sg.Terminal["CONFIRMED"] != int(f.OK) || len(sg.Running) != 0 {
		t.Errorf("settled %v: terminal %v, running %v", rep.Settled(), sg.Terminal, sg.Running)
	}
	// The last order was placed moments before the end of the load and
	// confirms 300ms after it was placed.
	if rep.SettledAfter < 100*time.Millisecond || rep.SettledAfter > 2*time.Second {
		t.Errorf("settled %v after the load, want about 300ms", rep.SettledAfter)
	}
	// The newest order is watched alone, every 20ms: seen confirmed within
	// a poll or two of the 300ms, and never after every order was.
	if rep.NewestAfter < 100*time.Millisecond || rep.NewestAfter > rep.SettledAfter {
		t.Errorf("the newest saga seen terminal %v after the load, every one %v: want about 300ms, and not after every one", rep.NewestAfter, rep.SettledAfter)
	}
	// Every subject placed orders in its own name.
	if len(s.subjects) != 5 {
		t.Errorf("orders by customer: %v, want 5 customers", s.subjects)
	}
	if lines := strings.Count(progress.String(), "req/s"); lines < 2 {
		t.Errorf("%d progress lines in 1.2s, want 2:\n%s", lines, progress.String())
	}
	var out bytes.Buffer
	rep.Write(&out)
	if !strings.Contains(out.String(), "saga checkout: all ") || !strings.Contains(out.String(), "CONFIRMED") {
		t.Errorf("report:\n%s", out.String())
	}
}

// A call in flight when the load ends runs to its answer: the system may
// have accepted it, and its saga is counted and checked like any other.
func TestCallsInFlightAtTheEndCount(t *testing.T) {
	s, srv := newShop(t, 0)
	s.placeDelay = 400 * time.Millisecond
	rep, err := Run(context.Background(), Config{
		Gateway: srv.URL, Flows: []Flow{placeOrder}, Duration: 100 * time.Millisecond, Concurrency: 3,
		Settle: 5 * time.Second, Token: token,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	placed := len(s.placed)
	s.mu.Unlock()
	f, sg := rep.Flows[0], rep.Sagas[0]
	if placed != 3 || f.OK != 3 || sg.Started != 3 || !rep.Settled() {
		t.Errorf("%d orders placed; the report counts %d ok, %d sagas started (settled %v); want 3 each", placed, f.OK, sg.Started, rep.Settled())
	}
}

func TestUnsettledSagas(t *testing.T) {
	s, srv := newShop(t, -1)
	rep, err := Run(context.Background(), Config{
		Gateway: srv.URL, Flows: []Flow{placeOrder}, Duration: 300 * time.Millisecond, Concurrency: 2, Rate: 40,
		Settle: 400 * time.Millisecond, Token: token,
	})
	if err != nil {
		t.Fatal(err)
	}
	sg := rep.Sagas[0]
	if rep.Settled() || sg.Started == 0 || sg.Unsettled() != sg.Started || sg.Running["PENDING"] != int(sg.Started) || rep.SettledAfter >= 0 || rep.NewestAfter >= 0 {
		t.Fatalf("settled %v after %v: %d started, %d unsettled, running %v", rep.Settled(), rep.SettledAfter, sg.Started, sg.Unsettled(), sg.Running)
	}
	// While they run, the newest is read alone every 20ms (watchNewest);
	// the last look, when the time is up, reads every one.
	if extra := s.reads.Load() - sg.Started; extra < 1 || extra > 400/20+2 {
		t.Errorf("%d reads of %d sagas that never end in 400ms, want the newest's every 20ms and a last one of each", s.reads.Load(), sg.Started)
	}
	var out bytes.Buffer
	rep.Write(&out)
	want := fmt.Sprintf("saga checkout: %d of %d started by orders.PlaceOrder did not reach a terminal state (last seen: %d PENDING)", sg.Started, sg.Started, sg.Started)
	if !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}

	// A zero settle time still looks once: sagas that ended pass.
	_, quick := newShop(t, 0)
	rep, err = Run(context.Background(), Config{Gateway: quick.URL, Flows: []Flow{placeOrder}, Duration: 500 * time.Millisecond, Rate: 20, Token: token})
	if err != nil || !rep.Settled() || rep.Sagas[0].Started == 0 {
		t.Errorf("zero settle time, sagas ended at once: %v settled %v, %d started", err, rep.Settled(), rep.Sagas[0].Started)
	}

	// Not checking what cannot be observed passes, and says so.
	unchecked := placeOrder
	unchecked.Saga = &Saga{Name: "checkout", Unchecked: "no routed query reads Order"}
	rep, err = Run(context.Background(), Config{Gateway: srv.URL, Flows: []Flow{unchecked}, Duration: 500 * time.Millisecond, Rate: 20, Token: token})
	out.Reset()
	rep.Write(&out)
	if err != nil || !rep.Settled() || !strings.Contains(out.String(), "their end not checked: no routed query reads Order") {
		t.Errorf("unchecked saga: %v settled %v\n%s", err, rep.Settled(), out.String())
	}
}

func TestErrorsPerFlow(t *testing.T) {
	_, srv := newShop(t, 0)
	rep, err := Run(context.Background(), Config{Gateway: srv.URL, Flows: []Flow{flaky, missing}, Duration: 500 * time.Millisecond, Concurrency: 3, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	fl, mi := rep.Flows[0], rep.Flows[1]
	// Every third Flaky call fails, the others succeed (give or take the
	// calls in flight when the load ended, which are not counted).
	if e := fl.Errors["HTTP 503"]; fl.Requests < 30 || e < fl.Requests/3-3 || e > fl.Requests/3+3 || fl.OK+fl.ErrorCount() != fl.Requests || len(fl.Errors) != 1 {
		t.Errorf("Flaky: %d requests, %d ok, errors %v", fl.Requests, fl.OK, fl.Errors)
	}
	// Missing's 404 is an answer it accepts, not an error.
	if mi.Requests == 0 || mi.ErrorCount() != 0 || mi.OK != mi.Requests || mi.Answers[404] != mi.Requests {
		t.Errorf("Missing: %d requests, %d ok, answers %v, errors %v", mi.Requests, mi.OK, mi.Answers, mi.Errors)
	}
	if fl.Latency.Count() != fl.Requests || fl.Latency.Percentile(99) <= 0 || fl.Latency.Percentile(50) > fl.Latency.Max() {
		t.Errorf("Flaky latency: %d recorded, p50 %v p99 %v max %v", fl.Latency.Count(), fl.Latency.Percentile(50), fl.Latency.Percentile(99), fl.Latency.Max())
	}
	var out bytes.Buffer
	rep.Write(&out)
	for _, want := range []string{"orders.Flaky: errors: ", " HTTP 503", "orders.Missing: expected answers to sample inputs: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// Without a server, every request fails.
	srv.Close()
	rep, err = Run(context.Background(), Config{Gateway: srv.URL, Flows: []Flow{flaky}, Duration: 200 * time.Millisecond, Rate: 20})
	if err != nil || rep.Answered() != 0 || rep.Flows[0].Errors["connection refused"] == 0 {
		t.Errorf("no server: %v, %d answered, errors %v", err, rep.Answered(), rep.Flows[0].Errors)
	}
}

func TestRatePacing(t *testing.T) {
	s, srv := newShop(t, 0)
	start := time.Now()
	rep, err := Run(context.Background(), Config{Gateway: srv.URL, Flows: []Flow{flaky, missing}, Duration: 2 * time.Second, Concurrency: 8, Rate: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 100 req/s for 2s: 200 requests, the first at once.
	if n := s.calls.Load(); n < 180 || n > 202 {
		t.Errorf("%d requests at 100 req/s in 2s, want about 200", n)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 2s run took %v", took)
	}
	if rep.Elapsed < 1900*time.Millisecond {
		t.Errorf("elapsed %v", rep.Elapsed)
	}
}

func TestMainFlags(t *testing.T) {
	_, srv := newShop(t, -1)
	sys := System{Name: "shop", Gateway: srv.URL, Flows: []Flow{placeOrder, flaky, missing},
		Signer: func(dataDir string) (TokenFunc, error) {
			if dataDir != "somewhere" {
				return nil, fmt.Errorf("data dir %q", dataDir)
			}
			return token, nil
		}}
	run := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := Main(context.Background(), args, &out, &errs, sys)
		return code, out.String() + errs.String()
	}
	if code, out := run("-flows", "nosuch"); code != ExitUsage || !strings.Contains(out, `no flow "nosuch"; the flows are orders.PlaceOrder, orders.Flaky, orders.Missing`) {
		t.Errorf("unknown flow: exit %d\n%s", code, out)
	}
	if code, out := run("-concurrency", "0"); code != ExitUsage {
		t.Errorf("-concurrency 0: exit %d\n%s", code, out)
	}
	// The saga's name selects the flow starting it; its sagas never end.
	code, out := run("-flows", "checkout", "-data", "somewhere", "-duration", "300ms", "-rate", "20", "-settle", "200ms")
	if code != ExitUnsettled || !strings.Contains(out, "FAIL: ") || !strings.Contains(out, "sagas did not reach a terminal state within -settle 200ms") || strings.Contains(out, "orders.Flaky") {
		t.Errorf("unsettled: exit %d\n%s", code, out)
	}
	code, out = run("-flows", "Flaky,orders.missing", "-duration", "300ms", "-concurrency", "2")
	if code != ExitOK || !strings.Contains(out, "orders.Flaky") || !strings.Contains(out, "orders.Missing") || strings.Contains(out, "PlaceOrder") {
		t.Errorf("flows without sagas: exit %d\n%s", code, out)
	}
	// Nothing answering is a failure too.
	srv.Close()
	if code, out := run("-flows", "Flaky", "-duration", "200ms"); code != ExitUnsettled || !strings.Contains(out, "no request was answered") {
		t.Errorf("no gateway: exit %d\n%s", code, out)
	}
}

// A 429 with Retry-After makes the worker wait that long before its next
// request, and one carrying the orchestrator's Saga-Backlog counts as
// backpressure, not as the gateway's rate limit.
func TestRefusalsAreHonoured(t *testing.T) {
	s, srv := newShop(t, 0)
	busy := Flow{Name: "orders.Busy", Procedure: "/shop.Orders/Busy", Body: `{}`}
	limited := Flow{Name: "orders.Limited", Procedure: "/shop.Orders/Limited", Body: `{}`}
	rep, err := Run(context.Background(), Config{Gateway: srv.URL, Flows: []Flow{busy, limited}, Duration: 1500 * time.Millisecond, Concurrency: 4, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	// 4 workers, each waiting 1s after every refusal: 2 rounds in 1.5s.
	if n := s.calls.Load(); n < 4 || n > 8 {
		t.Errorf("%d calls in 1.5s from 4 workers told to retry after 1s, want 4 to 8", n)
	}
	b, l := rep.Flows[0], rep.Flows[1]
	if b.Errors[Backpressure] != b.Requests || b.Requests == 0 || len(b.Errors) != 1 {
		t.Errorf("Busy: %d requests, errors %v; want all backpressure", b.Requests, b.Errors)
	}
	if l.Errors["HTTP 429"] != l.Requests || l.Requests == 0 || len(l.Errors) != 1 {
		t.Errorf("Limited: %d requests, errors %v; want all HTTP 429", l.Requests, l.Errors)
	}
	var out bytes.Buffer
	rep.Write(&out)
	for _, want := range []string{"orders.Busy: backpressure: ", "orders.Limited: rate-limited: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
