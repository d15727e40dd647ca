package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// scrape returns what tel's /metrics serves.
func scrape(t *testing.T, tel *telemetry.Telemetry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func TestSagaAndProjectionGauges(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	if err := tel.ObserveSagas(func(_ context.Context, observe func(saga, status string, n int64)) error {
		observe("checkout", "running", 4)
		observe("checkout", "failed", 1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var stall error = io.ErrUnexpectedEOF
	if err := tel.ObserveProjection("order_summaries", func() error { return stall }); err != nil {
		t.Fatal(err)
	}
	tel.ProjectionFailed(t.Context(), "order_summaries")

	body := scrape(t, tel)
	for _, want := range []string{
		`saga_instances{saga="checkout",status="running"} 4`,
		`saga_instances{saga="checkout",status="failed"} 1`,
		`projection_stalled{projection="order_summaries"} 1`,
		`projection_failures_total{projection="order_summaries"} 1`,
	} {
		if !containsMetric(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	stall = nil
	if body := scrape(t, tel); !containsMetric(body, `projection_stalled{projection="order_summaries"} 0`) {
		t.Errorf("a projection that caught up still reads stalled:\n%s", body)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// saga_held reads the runner's count on every collection.
func TestSagaHeldGauge(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	held := int64(3)
	if err := tel.ObserveSagaHeld(func() int64 { return held }); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, tel); !strings.Contains(body, "\nsaga_held 3\n") {
		t.Errorf("/metrics lacks saga_held 3:\n%s", body)
	}
	held = 0
	if body := scrape(t, tel); !strings.Contains(body, "\nsaga_held 0\n") {
		t.Errorf("/metrics lacks saga_held 0:\n%s", body)
	}
}

// containsMetric reports whether body has a sample of want's metric with
// want's labels (others, such as the scope's, may come between) and value.
func containsMetric(body, want string) bool {
	name, rest, _ := strings.Cut(want, "{")
	labels, value, _ := strings.Cut(rest, "} ")
	for line := range strings.SplitSeq(body, "\n") {
		if !strings.HasPrefix(line, name+"{") || !strings.HasSuffix(line, "} "+value) {
			continue
		}
		ok := true
		for l := range strings.SplitSeq(labels, ",") {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestTransportSendsTheTrace(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Tracing: true, SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()

	ctx, span := tel.Start(t.Context(), "caller")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/hook?token=secret", nil)
	resp, err := (&http.Client{Transport: tel.Transport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	if !strings.Contains(got, span.SpanContext().TraceID().String()) {
		t.Errorf("traceparent %q does not continue the caller's trace %s", got, span.SpanContext().TraceID())
	}
	var client *tracetest.SpanStub
	for _, s := range exporter.GetSpans() {
		if s.SpanKind == trace.SpanKindClient {
			client = &s
		}
	}
	if client == nil {
		t.Fatalf("no client span: %v", exporter.GetSpans())
	}
	if client.Status.Code.String() != "Error" {
		t.Errorf("a 502 answer leaves the client span %s, want Error", client.Status.Code)
	}
	if _, err := (&http.Client{Transport: tel.Transport(nil)}).Get("http://127.0.0.1:1/"); err == nil {
		t.Error("a call to a closed port succeeded")
	}
}

func TestInjectExtract(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Tracing: true, SpanExporter: tracetest.NewInMemoryExporter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	ctx, span := tel.Start(t.Context(), "publish")
	defer span.End()
	carrier := propagation.MapCarrier{}
	telemetry.Inject(ctx, carrier)
	if carrier["traceparent"] == "" {
		t.Fatalf("Inject wrote no traceparent: %v", carrier)
	}
	back := trace.SpanContextFromContext(telemetry.Extract(context.Background(), carrier))
	if back.TraceID() != span.SpanContext().TraceID() || back.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("Extract = %v, want the injected span %v", back, span.SpanContext())
	}
	if tel.TracerProvider() == nil || tel.MeterProvider() == nil {
		t.Error("nil providers")
	}
}

// worker_active says which replica runs each worker that runs on one
// replica at a time.
func TestWorkerRoles(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	relayActive := true
	if err := tel.ObserveRoles(func(observe func(worker string, active bool)) {
		observe("relay", relayActive)
		observe("prune", false)
	}); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, tel)
	for _, want := range []string{`worker_active{worker="relay"} 1`, `worker_active{worker="prune"} 0`} {
		if !containsMetric(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	relayActive = false
	if body := scrape(t, tel); !containsMetric(body, `worker_active{worker="relay"} 0`) {
		t.Errorf("a relay standing by reads active:\n%s", body)
	}
}
