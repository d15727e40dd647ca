package saga_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/microforge/microforge/internal/runtime/platform/saga"
)

// transitions flattens a saga's log to "step action outcome" lines.
func transitions(st *saga.State) []string {
	var out []string
	for _, e := range st.Log {
		out = append(out, e.Step+" "+e.Action+" "+e.Outcome)
	}
	return out
}

// The last step failing compensates every completed step with a
// compensation, newest first, skips those without, and runs on_failure
// last; the log records each transition in that order.
func TestCompensationOrder(t *testing.T) {
	r := &recorder{}
	undo1, undo2, undo3 := r.action("undo1", nil), r.action("undo2", nil), r.action("undo3", nil)
	onFailure := r.action("on_failure", nil)
	def := &saga.Definition{
		Name: "test",
		Steps: []saga.Step{
			{Name: "first", Call: r.action("first", nil), Compensate: &undo1},
			{Name: "second", Call: r.action("second", nil)},
			{Name: "third", Call: r.action("third", nil), Compensate: &undo3},
			{Name: "fourth", Call: r.action("fourth", func(int) error {
				return connect.NewError(connect.CodeInvalidArgument, errors.New("no such seat"))
			}), Compensate: &undo2},
		},
		OnFailure: &onFailure,
	}
	runner := newRunner(t, openDB(t), def)
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	st := waitForStatus(t, runner, "saga-1", saga.Failed)
	if want := []string{"first", "second", "third", "fourth", "undo3", "undo1", "on_failure"}; !slices.Equal(r.calls, want) {
		t.Errorf("calls = %v, want %v", r.calls, want)
	}
	want := []string{"first call done", "second call done", "third call done", "fourth call failed",
		"third compensate done", "first compensate done", "on_failure on_failure done"}
	if got := transitions(st); !slices.Equal(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
	if st.FailedStep != "fourth" || !strings.Contains(st.Error, "fourth: invalid_argument: no such seat") {
		t.Errorf("failed step %q, error %q", st.FailedStep, st.Error)
	}
	if got := st.Compensated(); !slices.Equal(got, []string{"third", "first"}) {
		t.Errorf("compensated %v", got)
	}
	// Every action had its own idempotency key.
	if r.keys["undo3"][0] == r.keys["third"][0] || !strings.HasPrefix(r.keys["undo3"][0], "saga-1:") {
		t.Errorf("keys %v", r.keys)
	}
}

// A call that keeps failing for a reason that may pass is tried
// MaxAttempts times, then the saga compensates; a compensation failing is
// retried until it succeeds.
func TestRetriesExhaustedThenCompensationRetried(t *testing.T) {
	r := &recorder{}
	undo1 := r.action("undo1", func(n int) error {
		if n < 3 {
			return connect.NewError(connect.CodeUnavailable, errors.New("inventory down"))
		}
		return nil
	})
	def := &saga.Definition{Name: "test", Steps: []saga.Step{
		{Name: "first", Call: r.action("first", nil), Compensate: &undo1},
		{Name: "second", Call: r.action("second", func(int) error { return errors.New("timeout") })},
	}}
	runner := newRunner(t, openDB(t), def)
	runner.MaxAttempts = 4
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	st := waitForStatus(t, runner, "saga-1", saga.Failed)
	if r.count("second") != 4 || r.count("undo1") != 3 {
		t.Errorf("second ran %d times, undo1 %d; want 4 and 3", r.count("second"), r.count("undo1"))
	}
	want := []string{"first call done",
		"second call retrying", "second call retrying", "second call retrying", "second call failed",
		"first compensate retrying", "first compensate retrying", "first compensate done"}
	if got := transitions(st); !slices.Equal(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
	if st.Log[1].Error != "timeout" {
		t.Errorf("a retry's log entry says %q", st.Log[1].Error)
	}
}

// Without compensations or on_failure a failed saga is simply failed.
func TestFailureWithNothingToUndo(t *testing.T) {
	r := &recorder{}
	def := &saga.Definition{Name: "test", Steps: []saga.Step{
		{Name: "only", Call: r.action("only", func(int) error { return connect.NewError(connect.CodeNotFound, errors.New("gone")) })},
	}}
	runner := newRunner(t, openDB(t), def)
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(scoped(t.Context()), "unknown", "saga-2", "aggregate-1", nil); err == nil {
		t.Error("a saga the runner does not know started")
	}
	defer run(runner)()
	st := waitForStatus(t, runner, "saga-1", saga.Failed)
	if !slices.Equal(r.calls, []string{"only"}) || len(st.Compensated()) != 0 {
		t.Errorf("calls %v, compensated %v", r.calls, st.Compensated())
	}
}

func TestPermanent(t *testing.T) {
	for _, code := range []connect.Code{connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeNotFound,
		connect.CodeAlreadyExists, connect.CodePermissionDenied, connect.CodeOutOfRange, connect.CodeUnimplemented, connect.CodeUnauthenticated} {
		if !saga.Permanent(connect.NewError(code, errors.New("x"))) {
			t.Errorf("%s is not permanent", code)
		}
	}
	for _, err := range []error{connect.NewError(connect.CodeUnavailable, errors.New("x")), connect.NewError(connect.CodeDeadlineExceeded, errors.New("x")), errors.New("plain")} {
		if saga.Permanent(err) {
			t.Errorf("%v is permanent", err)
		}
	}
}

// A choreographed saga is observed, never advanced: its state follows the
// participants' events, never moves back, and each transition is logged.
func TestObserve(t *testing.T) {
	runner := newRunner(t, openDB(t), &saga.Definition{Name: "orchestrated"})
	ctx := scoped(t.Context())
	if err := runner.Observe(ctx, saga.Observation{Saga: "trip"}); err != nil {
		t.Errorf("an event of no saga: %v", err)
	}
	observations := []saga.Observation{
		{Saga: "trip", ID: "trip-1", Subject: "booking-1", Trigger: []byte("trigger"), Status: saga.Running},
		{Saga: "trip", ID: "trip-1", Status: saga.Running, Entry: &saga.Entry{Step: "book_flight", Action: saga.ActionCall, Outcome: saga.OutcomeDone}},
		{Saga: "trip", ID: "trip-1", Status: saga.Compensating, FailedStep: "book_hotel", Error: "full",
			Entry: &saga.Entry{Step: "book_hotel", Action: saga.ActionCall, Outcome: saga.OutcomeFailed, Error: "full"}},
		// A late event of an earlier transition does not move the saga back.
		{Saga: "trip", ID: "trip-1", Status: saga.Running, Entry: &saga.Entry{Step: "book_car", Action: saga.ActionCall, Outcome: saga.OutcomeDone}},
	}
	for _, o := range observations {
		if err := runner.Observe(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	defer run(runner)()
	st, err := runner.Get(ctx, "trip-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != saga.Compensating || st.Subject != "booking-1" || st.FailedStep != "book_hotel" || st.Error != "full" || st.Saga != "trip" {
		t.Errorf("observed state %+v", st)
	}
	if want := []string{"book_flight call done", "book_hotel call failed", "book_car call done"}; !slices.Equal(transitions(st), want) {
		t.Errorf("log %q, want %q", transitions(st), want)
	}
	// A saga first seen through a participant's event, without its trigger.
	if err := runner.Observe(ctx, saga.Observation{Saga: "trip", ID: "trip-2", Status: saga.Completed}); err != nil {
		t.Fatal(err)
	}
	if st, err := runner.Get(ctx, "trip-2"); err != nil || st.Status != saga.Completed {
		t.Errorf("trip-2: %+v %v", st, err)
	}
}

// Mount serves the sagas as JSON.
func TestMount(t *testing.T) {
	r := &recorder{}
	runner := newRunner(t, openDB(t), definition(r, nil))
	if err := runner.Start(scoped(t.Context()), "test", "saga-1", "aggregate-1", nil); err != nil {
		t.Fatal(err)
	}
	defer run(runner)()
	waitForStatus(t, runner, "saga-1", saga.Completed)
	mux := http.NewServeMux()
	runner.Mount(mux)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil).WithContext(scoped(t.Context())))
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		return rec.Code, rec.Body.String()
	}
	code, body := get("/sagas/saga-1")
	var st saga.State
	if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil || st.Status != saga.Completed || len(st.Log) != 3 {
		t.Errorf("GET /sagas/saga-1: %d %s", code, body)
	}
	code, body = get("/sagas?subject=aggregate-1")
	var list []saga.State
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || len(list) != 1 || list[0].ID != "saga-1" {
		t.Errorf("GET /sagas: %d %s", code, body)
	}
	if code, body = get("/sagas?subject=other"); code != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("GET /sagas of another subject: %d %s", code, body)
	}
	if code, body = get("/sagas/nope"); code != http.StatusNotFound || !strings.Contains(body, "saga not found") {
		t.Errorf("GET an unknown saga: %d %s", code, body)
	}
}
