package telemetry

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Without OTEL_TRACES_SAMPLER a service records DefaultSampleRatio of new
// traces and follows its caller; the variable, or a SpanExporter that
// wants every span, leave the SDK's choice.
func TestDefaultSampler(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	got := defaultSampler(Config{Service: "orders", Tracing: true})
	if got == nil || !strings.Contains(got.Description(), "ParentBased{root:TraceIDRatioBased{0.1}") {
		t.Errorf("default sampler %v, want parent-based, ratio 0.1", got)
	}
	if got := defaultSampler(Config{Service: "orders", Tracing: true, SpanExporter: tracetest.NewInMemoryExporter()}); got != nil {
		t.Errorf("with a SpanExporter: %v, want the SDK's (every span)", got.Description())
	}
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	if got := defaultSampler(Config{Service: "orders", Tracing: true}); got != nil {
		t.Errorf("with OTEL_TRACES_SAMPLER set: %v, want the SDK's", got.Description())
	}
}

// Calls made in a trace that is not recorded carry it on, without a
// client span; in a recorded trace they get one.
func TestTransportPassesUnsampledTraces(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tel, err := New(t.Context(), Config{Service: "gateway", SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	rt := tel.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.Header.Get("Traceparent"))
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	}))
	const unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
	for _, parent := range []string{unsampled, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"} {
		req, err := http.NewRequestWithContext(WithTraceParent(t.Context(), parent), http.MethodGet, "http://upstream/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got[0] != unsampled {
		t.Errorf("unsampled trace sent as %q, want %q", got[0], unsampled)
	}
	if !strings.HasPrefix(got[1], "00-0af7651916cd43dd8448eb211c80319c-") || strings.Contains(got[1], "b7ad6b7169203331") || !strings.HasSuffix(got[1], "-01") {
		t.Errorf("recorded trace sent as %q, want a client span of the same trace", got[1])
	}
	if spans := exporter.GetSpans(); len(spans) != 1 {
		t.Errorf("%d spans recorded, want the recorded trace's client span only", len(spans))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sampledExporter is an in-memory exporter choosing its new traces.
type sampledExporter struct {
	*tracetest.InMemoryExporter
	root sdktrace.Sampler
}

func (e sampledExporter) RootSampler() sdktrace.Sampler { return e.root }

// A SpanExporter with a RootSampler receives the new traces it chooses,
// each whole: at most a burst of RateLimited's rate at once, and the
// spans of those traces only.
func TestRateLimitedTraces(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	exporter := sampledExporter{tracetest.NewInMemoryExporter(), RateLimited(5)}
	if got := defaultSampler(Config{Service: "gateway", SpanExporter: exporter}); got == nil || got.Description() != "ParentBased{root:RateLimited{5/s},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}" {
		t.Fatalf("sampler %v, want parent-based, rate-limited at 5/s", got)
	}
	tel, err := New(t.Context(), Config{Service: "gateway", SpanExporter: exporter})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	const traces = 50
	sampled := 0
	for range traces {
		ctx, root := tel.Start(t.Context(), "request")
		if root.SpanContext().IsSampled() {
			sampled++
		}
		_, child := tel.Start(ctx, "call")
		if child.SpanContext().IsSampled() != root.SpanContext().IsSampled() {
			t.Fatal("a child span was not decided as its trace")
		}
		child.End()
		root.End()
	}
	// A burst of 5, and perhaps one more token if the loop took 200ms.
	if sampled < 5 || sampled > 7 {
		t.Errorf("%d of %d traces sampled at once, want the burst of 5", sampled, traces)
	}
	if spans := exporter.GetSpans(); len(spans) != 2*sampled {
		t.Errorf("%d spans exported, want the 2 of each of the %d sampled traces", len(spans), sampled)
	}
}
