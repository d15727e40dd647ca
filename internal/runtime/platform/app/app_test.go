package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/config"
	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// migrations create the table of things, the entities of these tests.
var migrations = fstest.MapFS{
	"migrations/sqlite/00001_things.sql": {Data: []byte("-- +goose Up\nCREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n\n-- +goose Down\nDROP TABLE things;\n")},
}

type thing struct{ id, name string }

var thingTable = database.Table{Name: "things", Columns: []string{"id", "name"}}

func things() *Entities[*thing] {
	return &Entities[*thing]{
		Table:  thingTable,
		Noun:   "thing",
		ID:     func(t *thing) string { return t.id },
		Values: func(t *thing) ([]any, error) { return []any{t.id, t.name}, nil },
		Scan: func(row Row) (*thing, error) {
			t := new(thing)
			return t, row.Scan(&t.id, &t.name)
		},
	}
}

func openDB(t *testing.T) *database.DB {
	t.Helper()
	db, err := database.Open(t.Context(), "", t.TempDir(), "app")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context(), migrations, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestEntities(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	e := things()
	a, b := &thing{"a", "apple"}, &thing{"b", "banana"}
	for _, v := range []*thing{b, a} {
		if err := e.Insert(ctx, db, db.Dialect, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Insert(ctx, db, db.Dialect, a); err == nil || !strings.Contains(err.Error(), `insert thing "a"`) {
		t.Errorf("inserting a twice: %v, want an error naming it", err)
	}
	a.name = "apricot"
	if err := e.Update(ctx, db, db.Dialect, a); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Get(ctx, db, db.Dialect, "a"); err != nil || *got != *a {
		t.Errorf("Get(a) = %v, %v; want %v", got, err, a)
	}
	all, err := e.Select(ctx, db, db.Dialect, nil)
	if err != nil || len(all) != 2 || all[0].id != "a" || all[1].id != "b" {
		t.Errorf("Select() = %v, %v; want a and b in id order", all, err)
	}
	found, err := e.Select(ctx, db, db.Dialect, []string{"name"}, "banana")
	if err != nil || len(found) != 1 || found[0].id != "b" {
		t.Errorf("Select(name = banana) = %v, %v; want b", found, err)
	}
	if err := e.Delete(ctx, db, db.Dialect, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx, db, db.Dialect, "a"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `thing "a"`) {
		t.Errorf("Get after Delete: %v, want ErrNotFound naming the thing", err)
	}
	if err := e.Update(ctx, db, db.Dialect, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update after Delete: %v, want ErrNotFound", err)
	}
	if err := e.Delete(ctx, db, db.Dialect, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete after Delete: %v, want ErrNotFound", err)
	}
}

// A Scope that fails stops every statement before it runs.
func TestEntitiesScope(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	e := things()
	errNoTenant := errors.New("no tenant")
	e.Scope = func(context.Context, ...any) ([]any, error) { return nil, errNoTenant }
	v := &thing{"a", "apple"}
	checks := map[string]error{
		"Insert": e.Insert(ctx, db, db.Dialect, v),
		"Update": e.Update(ctx, db, db.Dialect, v),
		"Delete": e.Delete(ctx, db, db.Dialect, "a"),
	}
	_, checks["Get"] = e.Get(ctx, db, db.Dialect, "a")
	_, checks["Select"] = e.Select(ctx, db, db.Dialect, nil)
	for name, err := range checks {
		if !errors.Is(err, errNoTenant) {
			t.Errorf("%s: %v, want the scope's error", name, err)
		}
	}
	if all, err := things().Select(ctx, db, db.Dialect, nil); err != nil || len(all) != 0 {
		t.Errorf("rows after the refused insert: %v, %v", all, err)
	}
}

func TestFail(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		err  error
		want connect.Code
	}{
		{connect.NewError(connect.CodeAlreadyExists, errors.New("taken")), connect.CodeAlreadyExists},
		{fmt.Errorf("order %q: %w", "1", ErrNotFound), connect.CodeNotFound},
		{fmt.Errorf("append: %w", outbox.ErrConcurrentChange), connect.CodeAborted},
		{context.Canceled, connect.CodeCanceled},
		{context.DeadlineExceeded, connect.CodeDeadlineExceeded},
		{errors.New("disk on fire"), connect.CodeInternal},
	} {
		err := Fail(ctx, logging.Discard(), "Op", tc.err)
		if connect.CodeOf(err) != tc.want {
			t.Errorf("Fail(%v) = %v, want code %v", tc.err, err, tc.want)
		}
	}
	if err := Fail(ctx, logging.Discard(), "Op", errors.New("secret detail")); strings.Contains(err.Error(), "secret") {
		t.Errorf("an internal error leaks its detail: %v", err)
	}
	if err := InvalidArgument("name", "is empty"); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "name is empty") {
		t.Errorf("InvalidArgument = %v", err)
	}
	if a, b := NewID(), NewID(); a == b || a > b {
		t.Errorf("NewID: %q then %q, want distinct ids in creation order", a, b)
	}
}

// Without an idempotency key a command simply runs.
func TestRunOnceWithoutKey(t *testing.T) {
	calls := 0
	call := func(context.Context, string) (*wrapperspb.StringValue, error) {
		calls++
		return wrapperspb.String("done"), nil
	}
	for range 2 {
		if _, err := RunOnce(t.Context(), Once{}, "M", "req", call, nil); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("ran %d times, want 2", calls)
	}
}

func TestConfigRead(t *testing.T) {
	keys, err := identity.GenerateKeys("svc", "peer")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"SVC_PORT":                 "9001",
		"DATA_DIR":                 "/tmp/d",
		"PRUNE_INTERVAL":           "1m",
		"NATS_URL":                 "nats://127.0.0.1:4222,nats://127.0.0.1:4223",
		"SVC_NATS_STREAM_REPLICAS": "3",
		"SERVICE_PRIVATE_KEY":      identity.EncodePrivateKey(keys["svc"].Private),
		"PEER_PUBLIC_KEY":          identity.EncodePublicKey(keys["peer"].Public["peer"]),
	}
	cfg := DefaultConfig(8000)
	if cfg.Addr != ":8000" || cfg.DataDir != "data" || cfg.EventMaxAttempts != 5 || cfg.NATSStreamReplicas != 1 {
		t.Errorf("DefaultConfig(8000) = %+v", cfg)
	}
	env := config.FromMap("SVC", vars)
	if err := cfg.Read(env, "svc", 8000, []string{"peer"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9001" || cfg.DataDir != "/tmp/d" || cfg.PruneInterval != time.Minute || cfg.Identity.Name != "svc" ||
		cfg.NATSURL != "nats://127.0.0.1:4222,nats://127.0.0.1:4223" || cfg.NATSStreamReplicas != 3 {
		t.Errorf("read %+v", cfg)
	}
}

// A server refuses to start without its identity or as another service,
// and serves health without a token but nothing else.
func TestServer(t *testing.T) {
	ctx := t.Context()
	keys, err := identity.GenerateKeys("svc")
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Name: "svc", EnvPrefix: "SVC", Migrations: migrations, Schema: []database.Table{thingTable}}
	cfg := DefaultConfig(0)
	cfg.DataDir = t.TempDir()
	cfg.Logger = logging.Discard()
	built := false
	build := func(ctx context.Context, db *database.DB, tel *telemetry.Telemetry) (Parts, error) {
		built = true
		return Parts{
			Ready: func(ctx context.Context) error { return db.PingContext(ctx) },
			Mount: func(mux *http.ServeMux, _ ...connect.HandlerOption) {
				mux.HandleFunc("/svc.v1.Svc/Hello", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
			},
		}, nil
	}
	if _, err := New(ctx, cfg, spec, build); err == nil {
		t.Fatal("started without an identity")
	}
	cfg.Identity = keys["svc"]
	for _, replicas := range []int{-1, 6} {
		bad := cfg
		bad.NATSStreamReplicas = replicas
		if _, err := New(ctx, bad, spec, build); err == nil || !strings.Contains(err.Error(), "NATS_STREAM_REPLICAS") {
			t.Errorf("started with %d stream replicas: %v", replicas, err)
		}
	}
	if built {
		t.Fatal("built the parts with a stream replica count JetStream refuses")
	}
	if _, err := New(ctx, cfg, Spec{Name: "other", Migrations: migrations}, build); err == nil || !strings.Contains(err.Error(), `want "other"`) {
		t.Fatalf("started as another service: %v", err)
	}
	if _, err := New(ctx, cfg, spec, func(context.Context, *database.DB, *telemetry.Telemetry) (Parts, error) {
		return Parts{}, errors.New("no parts")
	}); err == nil || !strings.Contains(err.Error(), "no parts") {
		t.Fatalf("a failing build: %v", err)
	}
	srv, err := New(ctx, cfg, spec, build)
	if err != nil {
		t.Fatal(err)
	}
	if !built {
		t.Fatal("the parts were not built")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(serveCtx, ln) }()
	base := "http://" + ln.Addr().String()
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusOK, "/svc.v1.Svc/Hello": http.StatusUnauthorized} {
		resp, err := http.Post(base+path, "application/json", strings.NewReader("{}"))
		if path != "/svc.v1.Svc/Hello" {
			resp, err = http.Get(base + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A service compresses a response for a caller that accepts gzip only from
// CompressMinBytes on: smaller ones cost more CPU to compress than they
// save.
func TestSmallResponsesGoUncompressed(t *testing.T) {
	keys, err := identity.GenerateKeys("svc")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(0)
	cfg.DataDir, cfg.Logger, cfg.Identity = t.TempDir(), logging.Discard(), keys["svc"]
	var opts []connect.HandlerOption
	srv, err := New(t.Context(), cfg, Spec{Name: "svc", EnvPrefix: "SVC", Migrations: migrations}, func(ctx context.Context, db *database.DB, tel *telemetry.Telemetry) (Parts, error) {
		return Parts{Mount: func(_ *http.ServeMux, o ...connect.HandlerOption) { opts = o }}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	echo := connect.NewUnaryHandler("/svc.v1.Svc/Echo", func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
		return connect.NewResponse(req.Msg), nil
	}, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: echo}
	go hs.Serve(ln)
	defer hs.Close()
	for size, want := range map[int]string{100: "", 2 * CompressMinBytes: "gzip"} {
		req, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/svc.v1.Svc/Echo", strings.NewReader(`"`+strings.Repeat("x", size)+`"`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Encoding"); got != want {
			t.Errorf("a response of %d bytes: Content-Encoding %q, want %q", size, got, want)
		}
	}
}
