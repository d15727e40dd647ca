package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

const procedure = "/test.v1.TestService/Ping"

// serve serves a Connect procedure instrumented by tel, with /metrics.
func serve(t *testing.T, tel *telemetry.Telemetry, handle func(context.Context)) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure, func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		handle(ctx)
		return connect.NewResponse(&emptypb.Empty{}), nil
	}, tel.HandlerOptions()...))
	tel.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCallsAreTracedAndCounted(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Tracing: true, Metrics: true, SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var inHandler trace.SpanContext
	url := serve(t, tel, func(ctx context.Context) { inHandler = trace.SpanContextFromContext(ctx) })

	client := connect.NewClient[emptypb.Empty, emptypb.Empty](http.DefaultClient, url+procedure, tel.ClientOptions()...)
	if _, err := client.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{})); err != nil {
		t.Fatal(err)
	}

	spans := exporter.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want a server and a client span: %v", len(spans), spans)
	}
	server, client0 := spans[0], spans[1]
	if server.SpanKind != trace.SpanKindServer || client0.SpanKind != trace.SpanKindClient {
		t.Fatalf("span kinds %s, %s", server.SpanKind, client0.SpanKind)
	}
	if server.Parent.SpanID() != client0.SpanContext.SpanID() || server.SpanContext.TraceID() != client0.SpanContext.TraceID() {
		t.Errorf("the server span does not continue the client's trace")
	}
	if inHandler.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("the handler's context does not carry the server span")
	}
	if tp := telemetry.TraceParent(trace.ContextWithSpanContext(t.Context(), inHandler)); !strings.Contains(tp, inHandler.TraceID().String()) {
		t.Errorf("TraceParent = %q, want the trace %s", tp, inHandler.TraceID())
	}
	for _, kv := range server.Resource.Attributes() {
		if kv.Key == "service.name" && kv.Value.AsString() != "test" {
			t.Errorf("service.name %q, want test", kv.Value.AsString())
		}
	}

	pending := int64(3)
	if err := tel.ObserveOutbox(func(context.Context) (int64, time.Time, error) {
		return pending, time.Now().Add(-time.Minute), nil
	}); err != nil {
		t.Fatal(err)
	}
	tel.EventHandled(t.Context(), "test_consumer", "retry")
	tel.EventHandled(t.Context(), "test_consumer", "dead_letter")
	tel.SagaTransition(t.Context(), "test", "call", "done", "running")

	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`rpc_server_requests_total{rpc_code="ok",rpc_procedure="` + procedure + `"`,
		`rpc_server_call_duration_seconds_bucket{`,
		`rpc_client_call_duration_seconds_bucket{`,
		"\noutbox_pending 3\n",
		"\noutbox_oldest_age_seconds 6",
		`events_consumer_retries_total{consumer="test_consumer"`,
		`events_consumer_dead_letters_total{consumer="test_consumer"`,
		`saga_transitions_total{action="call",outcome="done",saga="test",status="running"`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// Middleware starts a new trace per request, linked to the caller's, and
// counts requests by route and status.
func TestMiddlewareStartsTraces(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "edge", Tracing: true, Metrics: true, SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	var inHandler trace.SpanContext
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		inHandler = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusCreated)
	})
	tel.Mount(mux)
	srv := httptest.NewServer(tel.Middleware(mux))
	t.Cleanup(srv.Close)

	const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/things/42", nil)
	req.Header.Set("traceparent", caller)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	spans := exporter.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "HTTP POST /v1/things/{id}" || s.SpanKind != trace.SpanKindServer || s.Parent.IsValid() {
		t.Errorf("span %q (%s, parent %v), want a new root named after the route", s.Name, s.SpanKind, s.Parent)
	}
	if len(s.Links) != 1 || s.Links[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("links %v, want the caller's span", s.Links)
	}
	if inHandler.SpanID() != s.SpanContext.SpanID() {
		t.Error("the handler's context does not carry the request's span")
	}
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `http_server_requests_total{http_request_method="POST",http_response_status_code="201",http_route="POST /v1/things/{id}"`; !bytes.Contains(body, []byte(want)) {
		t.Errorf("/metrics lacks %s:\n%s", want, body)
	}
}

// A nil *Telemetry (the blueprint observes nothing) does nothing, and
// contexts keep the caller's trace context.
func TestNilReportsNothing(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test"})
	if err != nil || tel != nil {
		t.Fatalf("New without tracing or metrics = %v, %v; want nil", tel, err)
	}
	if tel.HandlerOptions() != nil || tel.ClientOptions() != nil || tel.MetricsHandler() != nil {
		t.Error("a nil Telemetry instruments handlers")
	}
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ctx, span := tel.Start(telemetry.WithTraceParent(t.Context(), parent), "work")
	span.End()
	if got := telemetry.TraceParent(ctx); got != parent {
		t.Errorf("TraceParent = %q, want %q", got, parent)
	}
	if got := telemetry.TraceParent(telemetry.WithTraceParent(t.Context(), "00-garbage")); got != "" {
		t.Errorf("TraceParent of an invalid traceparent = %q", got)
	}
	tel.EventHandled(ctx, "c", "retry")
	tel.SagaTransition(ctx, "s", "call", "done", "running")
	if err := tel.ObserveSagaBacklog(nil); err != nil {
		t.Error(err)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}

// Logs written in a span carry its trace_id and span_id.
func TestLogsCarryTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	logger, err := logging.New(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := telemetry.WithTraceParent(t.Context(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	logger.With("service", "test").InfoContext(ctx, "hello")
	logger.Info("no span")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var traced, plain map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &traced); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &plain); err != nil {
		t.Fatal(err)
	}
	if traced["trace_id"] != "0af7651916cd43dd8448eb211c80319c" || traced["span_id"] != "b7ad6b7169203331" {
		t.Errorf("log record %v lacks the trace ids", traced)
	}
	if _, ok := plain["trace_id"]; ok {
		t.Errorf("log record without a span has a trace id: %v", plain)
	}
}

// BenchmarkCall measures one Connect call, client and server in-process,
// without telemetry, with metrics only, and with tracing and metrics
// (spans to a no-op exporter):
//
//	go test ./internal/platform/telemetry -run '^$' -bench Call -count 10
func BenchmarkCall(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  telemetry.Config
	}{
		{"off", telemetry.Config{Service: "bench"}},
		{"metrics", telemetry.Config{Service: "bench", Metrics: true}},
		{"tracing+metrics", telemetry.Config{Service: "bench", Tracing: true, Metrics: true, SpanExporter: tracetest.NewNoopExporter()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tel, err := telemetry.New(b.Context(), bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle(procedure, connect.NewUnaryHandler(procedure, func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
				return connect.NewResponse(&emptypb.Empty{}), nil
			}, tel.HandlerOptions()...))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			client := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+procedure, tel.ClientOptions()...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.CallUnary(b.Context(), connect.NewRequest(&emptypb.Empty{})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The saga backlog is reported by saga; a saga whose backlog drained
// reports 0 instead of vanishing.
func TestSagaBacklog(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	backlog := map[string]int64{"checkout": 7, "refund": 2}
	if err := tel.ObserveSagaBacklog(func(_ context.Context, observe func(string, int64, time.Time)) error {
		for saga, n := range backlog {
			observe(saga, n, time.Now().Add(-90*time.Second))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		rec := httptest.NewRecorder()
		tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	body := scrape()
	for _, want := range []string{`saga_backlog{saga="checkout"} 7`, `saga_backlog{saga="refund"} 2`, `saga_oldest_age_seconds{saga="checkout"} 9`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	delete(backlog, "refund")
	body = scrape()
	for _, want := range []string{`saga_backlog{saga="checkout"} 7`, `saga_backlog{saga="refund"} 0`, `saga_oldest_age_seconds{saga="refund"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("after the refund backlog drained, /metrics lacks %s:\n%s", want, body)
		}
	}
}
