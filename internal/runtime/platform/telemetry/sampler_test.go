package telemetry

import (
	"strings"
	"testing"

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
