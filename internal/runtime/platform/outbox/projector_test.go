package outbox_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// An event the projector cannot apply stalls the projection: CatchUp fails
// with an ApplyError naming the event, Stalled says so (readiness reports
// it), the failure is logged once however often it is retried, and the
// metrics show it. Once the event applies, all of it clears.
func TestProjectorReportsStall(t *testing.T) {
	ctx := scoped(t.Context())
	db := openOutbox(t)
	for _, id := range []string{"first", "poison", "third"} {
		if err := outbox.Record(ctx, db, db.Dialect, id, "subject", wrapperspb.String(id)); err != nil {
			t.Fatal(err)
		}
	}
	tel, err := telemetry.New(ctx, telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var logs bytes.Buffer
	var fixed atomic.Bool
	p := &outbox.Projector{
		DB:        db,
		Name:      "widgets",
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		Telemetry: tel,
		Apply: func(_ context.Context, _ *sql.Tx, e outbox.Event) error {
			if e.AggregateID == "poison" && !fixed.Load() {
				return errors.New("table widgets has no column named note")
			}
			return nil
		},
	}
	if err := tel.ObserveProjection(p.Name, p.Stalled); err != nil {
		t.Fatal(err)
	}

	const attempts = 3
	for range attempts {
		_, err := p.CatchUp(ctx)
		apply, ok := errors.AsType[*outbox.ApplyError](err)
		if !ok || apply.Event.AggregateID != "poison" || apply.Event.Seq != 2 {
			t.Fatalf("CatchUp: %v, want an ApplyError of the second event", err)
		}
	}
	stalled := p.Stalled()
	if stalled == nil {
		t.Fatal("Stalled is nil after failed attempts")
	}
	for _, want := range []string{"projection widgets cannot apply event 2", "aggregate poison", "no column named note", "3 attempts"} {
		if !strings.Contains(stalled.Error(), want) {
			t.Errorf("Stalled: %q does not say %q", stalled, want)
		}
	}
	if n := strings.Count(logs.String(), "projection stalled"); n != 1 {
		t.Errorf("%d stall logs after %d attempts, want 1:\n%s", n, attempts, logs.String())
	}
	for _, want := range []string{"level=ERROR", "seq=2", "aggregate_id=poison", "event_type=google.protobuf.StringValue"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the stall log does not say %s:\n%s", want, logs.String())
		}
	}
	metrics := scrape(t, tel)
	for _, want := range []string{`projection_stalled{projection="widgets"} 1`, `projection_failures_total{projection="widgets"} 3`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}

	fixed.Store(true)
	if n, err := p.CatchUp(ctx); err != nil || n != 3 {
		t.Fatalf("CatchUp after the fix applied %d events (%v), want all 3 (the failed attempts rolled back)", n, err)
	}
	if err := p.Stalled(); err != nil {
		t.Errorf("Stalled after the projection moved on: %v", err)
	}
	if !strings.Contains(logs.String(), "projection moves on again") {
		t.Errorf("no log of the projection moving on:\n%s", logs.String())
	}
	if metrics := scrape(t, tel); !strings.Contains(metrics, `projection_stalled{projection="widgets"} 0`) {
		t.Errorf("projection_stalled is not 0 after the projection moved on:\n%s", metrics)
	}
}

// scrape returns what /metrics serves.
func scrape(t *testing.T, tel *telemetry.Telemetry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// A projector applies events in order, once, across calls and replicas,
// and WaitFor sees its position.
func TestProjectorAppliesOnce(t *testing.T) {
	ctx := scoped(t.Context())
	db := openOutbox(t)
	for _, id := range []string{"a", "b", "c"} {
		if err := outbox.Record(ctx, db, db.Dialect, id, "subject", wrapperspb.String(id)); err != nil {
			t.Fatal(err)
		}
	}
	var applied []string
	apply := func(_ context.Context, _ *sql.Tx, e outbox.Event) error {
		applied = append(applied, e.AggregateID)
		return nil
	}
	first := &outbox.Projector{DB: db, Name: "letters", Apply: apply}
	second := &outbox.Projector{DB: db, Name: "letters", Apply: apply}
	if n, err := first.CatchUp(ctx); n != 3 || err != nil {
		t.Fatalf("CatchUp applied %d (%v)", n, err)
	}
	if n, err := second.CatchUp(ctx); n != 0 || err != nil {
		t.Errorf("a second replica applied %d again (%v)", n, err)
	}
	if strings.Join(applied, "") != "abc" {
		t.Errorf("applied %v, want a, b, c once each in order", applied)
	}
	if pos, err := second.Position(ctx); pos != 3 || err != nil {
		t.Errorf("Position = %d (%v)", pos, err)
	}
	if err := first.WaitFor(ctx, 3); err != nil {
		t.Error(err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := first.WaitFor(short, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor a position not reached: %v", err)
	}
	// Run picks up what is recorded later, until stopped.
	if err := outbox.Record(ctx, db, db.Dialect, "d", "subject", wrapperspb.String("d")); err != nil {
		t.Fatal(err)
	}
	running, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	first.Interval = 5 * time.Millisecond
	go func() { first.Run(running); close(done) }()
	if err := first.WaitFor(ctx, 4); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
}

// A seq missing from the outbox (a transaction still open) holds the
// projection back until GapTimeout; the events after it wait.
func TestProjectorWaitsAtGaps(t *testing.T) {
	ctx := scoped(t.Context())
	db := openOutbox(t)
	for _, id := range []string{"a", "b", "c"} {
		if err := outbox.Record(ctx, db, db.Dialect, id, "subject", wrapperspb.String(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM outbox WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	p := &outbox.Projector{DB: db, Name: "gaps", GapTimeout: 50 * time.Millisecond,
		Apply: func(context.Context, *sql.Tx, outbox.Event) error { return nil }}
	if n, err := p.CatchUp(ctx); n != 1 || err != nil {
		t.Fatalf("CatchUp applied %d (%v), want only the event before the gap", n, err)
	}
	if n, _ := p.CatchUp(ctx); n != 0 {
		t.Errorf("the gap passed at once: %d applied", n)
	}
	time.Sleep(60 * time.Millisecond)
	if n, err := p.CatchUp(ctx); n != 1 || err != nil {
		t.Errorf("after GapTimeout CatchUp applied %d (%v), want the event after the gap", n, err)
	}
}

func TestCheckpoints(t *testing.T) {
	ctx := t.Context()
	db := openOutbox(t)
	for _, name := range []string{"orders", "orders@abc", "orders@def", "ordersx"} {
		if err := outbox.Reset(ctx, db, db.Dialect, name, 7); err != nil {
			t.Fatal(err)
		}
	}
	shapes, err := outbox.Shapes(ctx, db, db.Dialect, "orders")
	if err != nil || strings.Join(shapes, ",") != "orders,orders@abc,orders@def" {
		t.Errorf("Shapes = %v (%v)", shapes, err)
	}
	if err := outbox.Forget(ctx, db, db.Dialect, "orders@abc"); err != nil {
		t.Fatal(err)
	}
	p := &outbox.Projector{DB: db, Name: "orders", Checkpoint: "orders@def"}
	if pos, err := p.Position(ctx); pos != 7 || err != nil {
		t.Errorf("Position of a reset checkpoint = %d (%v)", pos, err)
	}
	if shapes, _ := outbox.Shapes(ctx, db, db.Dialect, "orders"); len(shapes) != 2 {
		t.Errorf("Shapes after Forget = %v", shapes)
	}
}

func TestParsePosition(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "42": 42} {
		if got, err := outbox.ParsePosition(in); got != want || err != nil {
			t.Errorf("ParsePosition(%q) = %d (%v)", in, got, err)
		}
	}
	for _, in := range []string{"-1", "x", "1.5"} {
		if _, err := outbox.ParsePosition(in); err == nil {
			t.Errorf("ParsePosition(%q) succeeded", in)
		}
	}
}
