package outbox_test

import (
	"bytes"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/database/dbtest"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// openOutbox returns a database with the tables of the outbox, as a
// service's first migration creates them on SQLite.
func openOutbox(t *testing.T) *database.DB {
	t.Helper()
	db := dbtest.Open(t, "outbox", "sqlite")
	for _, ddl := range []string{
		`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, ` + tenantColumn + `id TEXT NOT NULL UNIQUE, aggregate_id TEXT NOT NULL,
			event_type TEXT NOT NULL, subject TEXT NOT NULL, payload BLOB NOT NULL, occurred_at TIMESTAMP NOT NULL,
			published_at TIMESTAMP NULL, trace_parent TEXT NULL, saga_context TEXT NULL, aggregate_version INTEGER NULL)`,
		`CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (` + tenantKey + `aggregate_id, aggregate_version)`,
		`CREATE TABLE snapshots (` + tenantColumn + `aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, state BLOB NOT NULL,
			taken_at TIMESTAMP NOT NULL, PRIMARY KEY (` + tenantKey + `aggregate_id))`,
		`CREATE TABLE projection_checkpoints (name TEXT NOT NULL PRIMARY KEY, last_seq INTEGER NOT NULL, updated_at TIMESTAMP NOT NULL)`,
		`CREATE TABLE leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)`,
	} {
		if _, err := db.ExecContext(t.Context(), ddl); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// Record keeps what a relay and consumers need: the event, its trace and
// its saga; the relay's marks and pruning follow it through.
func TestRecordListPublishPrune(t *testing.T) {
	db := openOutbox(t)
	ctx := telemetry.WithTraceParent(scoped(t.Context()), traceParent)
	saga := outbox.Saga{Name: "trip", ID: "trigger-1", Trigger: []byte("a b\x00c"), FailedStep: "book_hotel", Error: "no rooms left"}
	if err := outbox.Record(outbox.WithSaga(ctx, saga), db, db.Dialect, "order-1", "shop.orders.placed", wrapperspb.String("first")); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Record(ctx, db, db.Dialect, "order-2", "shop.orders.placed", &wrapperspb.StringValue{}); err != nil {
		t.Fatalf("an event with every field empty: %v", err)
	}
	events, err := outbox.List(ctx, db, db.Dialect, 0, 10)
	if err != nil || len(events) != 2 {
		t.Fatalf("List: %d events (%v), want 2", len(events), err)
	}
	e := events[0]
	var payload wrapperspb.StringValue
	if err := proto.Unmarshal(e.Payload, &payload); err != nil || payload.GetValue() != "first" {
		t.Errorf("payload %q (%v)", payload.GetValue(), err)
	}
	if e.Seq != 1 || e.ID == "" || e.AggregateID != "order-1" || e.Type != "google.protobuf.StringValue" || e.Subject != "shop.orders.placed" ||
		e.TraceParent != traceParent || time.Since(e.OccurredAt) > time.Minute || !e.PublishedAt.IsZero() || e.Version != 0 {
		t.Errorf("recorded %+v", e)
	}
	if e.Saga.Name != saga.Name || e.Saga.ID != saga.ID || !bytes.Equal(e.Saga.Trigger, saga.Trigger) || e.Saga.FailedStep != saga.FailedStep || e.Saga.Error != saga.Error {
		t.Errorf("saga %+v, want %+v", e.Saga, saga)
	}
	if events[1].Saga.Name != "" || events[0].ID == events[1].ID {
		t.Errorf("second event %+v", events[1])
	}
	if after, _ := outbox.List(ctx, db, db.Dialect, 1, 10); len(after) != 1 || after[0].Seq != 2 {
		t.Errorf("List after 1: %+v", after)
	}
	if head, err := outbox.Head(ctx, db, db.Dialect); head != 2 || err != nil {
		t.Errorf("Head = %d (%v)", head, err)
	}

	pending, oldest, err := outbox.Lag(ctx, db, db.Dialect)
	if err != nil || pending != 2 || !oldest.Equal(e.OccurredAt) {
		t.Errorf("Lag = %d, %v (%v), want 2 since the first event", pending, oldest, err)
	}
	if err := outbox.MarkPublished(ctx, db, db.Dialect, 1); err != nil {
		t.Fatal(err)
	}
	if un, _ := outbox.Unpublished(ctx, db, db.Dialect, 10); len(un) != 1 || un[0].Seq != 2 {
		t.Errorf("Unpublished after marking 1: %+v", un)
	}
	if n, err := outbox.Prune(ctx, db, db.Dialect, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("Prune before the publication deleted %d (%v)", n, err)
	}
	if n, err := outbox.Prune(ctx, db, db.Dialect, time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("Prune deleted %d (%v), want the published event", n, err)
	}
	if pending, _, _ := outbox.Lag(ctx, db, db.Dialect); pending != 1 {
		t.Errorf("Lag after pruning = %d, want the unpublished event", pending)
	}
}

func TestWithSagaIgnoresUnnamed(t *testing.T) {
	if _, ok := outbox.SagaFrom(outbox.WithSaga(t.Context(), outbox.Saga{ID: "x"})); ok {
		t.Error("a saga without a name was carried")
	}
	if s, ok := outbox.SagaFrom(outbox.WithSaga(t.Context(), outbox.Saga{Name: "trip"})); !ok || s.Name != "trip" {
		t.Errorf("SagaFrom = %+v, %v", s, ok)
	}
}

// An event-sourced aggregate's versions follow each other; a second writer
// at a taken version loses with ErrConcurrentChange.
func TestAppendAndStream(t *testing.T) {
	db := openOutbox(t)
	ctx := scoped(t.Context())
	for want := int64(1); want <= 3; want++ {
		v, err := outbox.Append(ctx, db, db.Dialect, "cart-1", "shop.carts.changed", wrapperspb.Int64(want))
		if err != nil || v != want {
			t.Fatalf("Append = %d (%v), want %d", v, err, want)
		}
	}
	if _, err := outbox.Append(ctx, db, db.Dialect, "cart-2", "shop.carts.changed", wrapperspb.Int64(1)); err != nil {
		t.Fatal(err)
	}
	err := outbox.AppendAt(ctx, db, db.Dialect, "cart-1", 2, "shop.carts.changed", wrapperspb.Int64(9))
	if !errors.Is(err, outbox.ErrConcurrentChange) {
		t.Errorf("AppendAt a taken version: %v, want ErrConcurrentChange", err)
	}
	stream, err := outbox.Stream(ctx, db, db.Dialect, "cart-1", 1)
	if err != nil || len(stream) != 2 || stream[0].Version != 2 || stream[1].Version != 3 {
		t.Fatalf("Stream after 1: %+v (%v), want versions 2 and 3", stream, err)
	}
}

func TestSnapshots(t *testing.T) {
	db := openOutbox(t)
	ctx := scoped(t.Context())
	var state wrapperspb.StringValue
	if v, err := outbox.LoadSnapshot(ctx, db, db.Dialect, "cart-1", &state); v != 0 || err != nil {
		t.Errorf("no snapshot: version %d (%v)", v, err)
	}
	for v, s := range []string{"", "two items"} {
		if err := outbox.SaveSnapshot(ctx, db, db.Dialect, "cart-1", int64(v+1), wrapperspb.String(s)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := outbox.LoadSnapshot(ctx, db, db.Dialect, "cart-1", &state)
	if v != 2 || err != nil || state.GetValue() != "two items" {
		t.Errorf("LoadSnapshot = %d %q (%v), want the newest", v, state.GetValue(), err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE snapshots SET state = X'FF'"); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.LoadSnapshot(ctx, db, db.Dialect, "cart-1", &state); err == nil {
		t.Error("a corrupt snapshot decoded")
	}
}

// Mark records the head the first time and returns it ever after.
func TestMark(t *testing.T) {
	db := openOutbox(t)
	ctx := scoped(t.Context())
	if err := outbox.Record(ctx, db, db.Dialect, "a", "s", wrapperspb.String("x")); err != nil {
		t.Fatal(err)
	}
	if pos, err := outbox.Mark(ctx, db, db.Dialect, "upcast:price"); pos != 1 || err != nil {
		t.Fatalf("first Mark = %d (%v), want the head", pos, err)
	}
	if err := outbox.Record(ctx, db, db.Dialect, "b", "s", wrapperspb.String("y")); err != nil {
		t.Fatal(err)
	}
	if pos, err := outbox.Mark(ctx, db, db.Dialect, "upcast:price"); pos != 1 || err != nil {
		t.Errorf("second Mark = %d (%v), want the first head", pos, err)
	}
}

// RecordEvent, AppendEvent and AppendEventAt return the event exactly as
// the outbox then lists it, but for its Seq: what starts a saga in the
// recording transaction sees what its consumer would.
func TestRecordedEventIsWhatIsListed(t *testing.T) {
	db := openOutbox(t)
	ctx := telemetry.WithTraceParent(scoped(t.Context()), traceParent)
	var recorded []outbox.Event
	record := func(e outbox.Event, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, e)
	}
	record(outbox.RecordEvent(outbox.WithSaga(ctx, outbox.Saga{Name: "trip", ID: "t-1", Trigger: []byte("x")}), db, db.Dialect, "order-1", "shop.orders.placed", wrapperspb.String("first")))
	record(outbox.AppendEvent(ctx, db, db.Dialect, "cart-1", "shop.carts.changed", wrapperspb.Int64(1)))
	record(outbox.AppendEventAt(ctx, db, db.Dialect, "cart-1", 2, "shop.carts.changed", &wrapperspb.Int64Value{}))
	if _, err := outbox.AppendEventAt(ctx, db, db.Dialect, "cart-1", 2, "shop.carts.changed", wrapperspb.Int64(3)); !errors.Is(err, outbox.ErrConcurrentChange) {
		t.Errorf("AppendEventAt a taken version: %v, want ErrConcurrentChange", err)
	}
	listed, err := outbox.List(ctx, db, db.Dialect, 0, 10)
	if err != nil || len(listed) != len(recorded) {
		t.Fatalf("List: %d events (%v), want %d", len(listed), err, len(recorded))
	}
	for i, e := range recorded {
		want := listed[i]
		want.Seq = 0
		if e.ID == "" || e.OccurredAt.IsZero() || e.Payload == nil {
			t.Errorf("recorded event %d lacks its id, time or payload: %+v", i, e)
		}
		e.OccurredAt, want.OccurredAt = e.OccurredAt.Round(time.Millisecond), want.OccurredAt.Round(time.Millisecond)
		// Empty bytes read back as nil or empty, depending on the driver.
		for _, b := range []*[]byte{&e.Payload, &want.Payload, &e.Saga.Trigger, &want.Saga.Trigger} {
			if len(*b) == 0 {
				*b = nil
			}
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("recorded event %d:\n%+v\nlisted as\n%+v", i, e, want)
		}
	}
	if recorded[2].Version != 2 || recorded[0].Version != 0 {
		t.Errorf("versions %d and %d, want 0 (not event-sourced) and 2", recorded[0].Version, recorded[2].Version)
	}
}

// Event ids are UUIDv7: recorded one after the other, they sort in that
// order, so the indexes keyed by them grow at their end.
func TestEventIDsSortByTime(t *testing.T) {
	db := openOutbox(t)
	ctx := scoped(t.Context())
	var ids []string
	for i := range 20 {
		e, err := outbox.RecordEvent(ctx, db, db.Dialect, "order-1", "shop.orders.placed", wrapperspb.Int64(int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if id, err := uuid.Parse(e.ID); err != nil || id.Version() != 7 {
			t.Fatalf("event id %q (%v): want a UUIDv7", e.ID, err)
		}
		ids = append(ids, e.ID)
		time.Sleep(time.Millisecond) // UUIDv7 orders by millisecond
	}
	if !slices.IsSorted(ids) {
		t.Errorf("event ids recorded in turn do not sort in that order: %v", ids)
	}
}

// A tracked position rises to the seq of the last event recorded once its
// transaction commits, and not for a transaction that rolls back.
func TestTrackedPosition(t *testing.T) {
	db := openOutbox(t)
	ctx, pos := outbox.TrackPosition(scoped(t.Context()))
	if outbox.TrackedPosition(ctx) != pos || outbox.TrackedPosition(t.Context()) != nil {
		t.Fatal("TrackedPosition does not return what TrackPosition tracks")
	}
	if err := outbox.Record(scoped(t.Context()), db, db.Dialect, "order-0", "shop.orders.placed", wrapperspb.String("untracked")); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for _, v := range []string{"first", "second"} {
			if err := outbox.Record(ctx, tx, db.Dialect, "order-1", "shop.orders.placed", wrapperspb.String(v)); err != nil {
				return err
			}
		}
		if pos.Seq() != 0 {
			t.Errorf("position %d before the commit, want 0", pos.Seq())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	events, err := outbox.List(ctx, db, db.Dialect, 0, 10)
	if err != nil || len(events) != 3 {
		t.Fatalf("List: %d events (%v), want 3", len(events), err)
	}
	if got, want := pos.Seq(), events[2].Seq; got != want || want <= events[0].Seq {
		t.Errorf("position %d, want %d: the last event the context recorded", got, want)
	}
	failed := errors.New("refused")
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if err := outbox.Record(ctx, tx, db.Dialect, "order-2", "shop.orders.placed", wrapperspb.String("rolled back")); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) || pos.Seq() != events[2].Seq {
		t.Errorf("after a rollback (%v): position %d, want %d still", err, pos.Seq(), events[2].Seq)
	}
	if err := outbox.Record(ctx, db, db.Dialect, "order-3", "shop.orders.placed", wrapperspb.String("no transaction")); err != nil {
		t.Fatal(err)
	}
	head, err := outbox.Head(ctx, db, db.Dialect)
	if err != nil || pos.Seq() != head {
		t.Errorf("outside a transaction: position %d, want the head %d (%v)", pos.Seq(), head, err)
	}
}
