// Package apptest holds the checks every service's tests share: of its
// store, its pruning and its refusal to run on a database that lacks what
// its code uses.
package apptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/app"
	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// WantCode fails the test unless err is a Connect error with code.
func WantCode(t testing.TB, err error, code connect.Code) {
	t.Helper()
	if err == nil || connect.CodeOf(err) != code {
		t.Fatalf("error = %v, want code %v", err, code)
	}
}

// RecordedEvents returns the type of every event in the outbox of q,
// oldest first.
func RecordedEvents(t testing.TB, ctx context.Context, q database.Querier, d database.Dialect) []string {
	t.Helper()
	events, err := outbox.List(ctx, q, d, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for _, e := range events {
		types = append(types, e.Type)
	}
	return types
}

// Entity is a stored entity: a message with an id.
type Entity interface {
	proto.Message
	GetId() string
}

// Store is what a store does with one kind of entity T.
type Store[T Entity] struct {
	Get    func(context.Context, string) (T, error)
	Update func(context.Context, T) error
	List   func(context.Context) ([]T, error)
	Delete func(context.Context, string) error
	// Finders find the stored entity by its own values, by name.
	Finders map[string]func(context.Context) ([]T, error)
}

// RoundTrip checks that want, stored already, reads back equal, updates,
// lists and is found by every finder alone, then is deleted for good.
func RoundTrip[T Entity](t *testing.T, ctx context.Context, want T, s Store[T]) {
	t.Helper()
	got, err := s.Get(ctx, want.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("stored %v, read back %v", want, got)
	}
	if err := s.Update(ctx, want); err != nil {
		t.Errorf("update: %v", err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 1 || !proto.Equal(all[0], want) {
		t.Errorf("list = %v, %v; want [%v]", all, err, want)
	}
	for name, find := range s.Finders {
		if found, err := find(ctx); err != nil || len(found) != 1 {
			t.Errorf("%s = %v, %v; want one", name, found, err)
		}
	}
	if err := s.Delete(ctx, want.GetId()); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := s.Get(ctx, want.GetId()); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, want); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("update after delete: %v, want ErrNotFound", err)
	}
}

// Prune checks that prune (a store's Prune) deletes the idempotency keys
// and processed-event records older than the cutoff and, unless the
// service is event-sourced, the outbox events published before it, never
// an unpublished one.
func Prune(t *testing.T, ctx context.Context, q database.Querier, d database.Dialect, eventSourced bool, prune func(ctx context.Context, outboxBefore, keysBefore time.Time) (int64, error)) {
	t.Helper()
	if err := idempotency.Save(ctx, q, d, "key-1", "Method", wrapperspb.String("response")); err != nil {
		t.Fatal(err)
	}
	want := int64(1)
	if !eventSourced {
		for _, id := range []string{"published", "unpublished"} {
			if err := outbox.Record(ctx, q, d, id, "subject", wrapperspb.String(id)); err != nil {
				t.Fatal(err)
			}
		}
		recorded, err := outbox.List(ctx, q, d, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := outbox.MarkPublished(ctx, q, d, recorded[0].Seq); err != nil {
			t.Fatal(err)
		}
		want = 2
	}
	now := time.Now()
	if n, err := prune(ctx, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruning what is younger than the retention deleted %d rows (%v), want 0", n, err)
	}
	n, err := prune(ctx, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("pruned %d rows, want %d: the idempotency key and any published event", n, want)
	}
	if !eventSourced {
		left, err := outbox.List(ctx, q, d, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0].AggregateID != "unpublished" {
			t.Errorf("outbox after pruning: %v, want the unpublished event only", left)
		}
	}
	if found, err := idempotency.Load(ctx, q, d, "key-1", "Method", new(wrapperspb.StringValue)); err != nil || found {
		t.Errorf("idempotency key after pruning: found %v, %v", found, err)
	}
}

// DropColumn makes db lack table.column, as a database does when the code
// uses a column that no migration the database ran adds (a field added to
// the blueprint, say).
func DropColumn(t testing.TB, db *database.DB, table, column string) {
	t.Helper()
	query := "ALTER TABLE " + db.Dialect.Quote(table) + " DROP COLUMN " + db.Dialect.Quote(column)
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatal(err)
	}
}

// WantMissing fails the test unless err is CheckSchema's error naming
// table.column as missing although every migration ran.
func WantMissing(t testing.TB, err error, table, column string) {
	t.Helper()
	var schemaErr *database.SchemaError
	if !errors.As(err, &schemaErr) || !slices.Equal(schemaErr.Missing, []string{table + "." + column}) {
		t.Fatalf("CheckSchema: %v, want %s.%s missing", err, table, column)
	}
	// Every migration ran: the column was never added by one.
	v := schemaErr.CodeVersion
	if want := fmt.Sprintf("%s.%s is missing: the database is at migration %d, the code expects %d", table, column, v, v); v == 0 || !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not say %q", err, want)
	}
}

// RefusesMissingColumn checks that the service name, started by start on
// the SQLite file in dataDir, refuses a database migrated by migrate that
// lacks table.column, naming the column and the migrations.
func RefusesMissingColumn(t *testing.T, ctx context.Context, name string, migrations fs.FS, table, column string, start func(ctx context.Context, dataDir string, keys *identity.Keys) (io.Closer, error)) {
	t.Helper()
	dir := t.TempDir()
	db, err := database.Open(ctx, "", dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, migrations, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	DropColumn(t, db, table, column)
	db.Close()

	keys, err := identity.GenerateKeys(name)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := start(ctx, dir, keys[name])
	if err == nil {
		srv.Close()
		t.Fatalf("the service started on a database lacking %s.%s", table, column)
	}
	if want := table + "." + column + " is missing: the database is at migration"; !strings.Contains(err.Error(), want) {
		t.Errorf("New: %v, want %q", err, want)
	}
}
