package telemetry

import (
	"fmt"
	"math"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
)

// RootSampler is implemented by a SpanExporter that wants only some new
// traces (Config.SpanExporter): its sampler decides where a trace starts,
// and each service records its part of a trace when the caller did. The
// dashboard of cmd/local keeps the last few hundred traces, so recording
// every trace under load would cost each request its spans for nothing.
type RootSampler interface {
	// RootSampler returns the sampler of new traces, nil for every trace.
	RootSampler() sdktrace.Sampler
}

// RateLimited returns a sampler that records at most perSecond new traces
// a second, with bursts of as many: each trace whole, as it is decided
// where the trace starts. Share one among the services of a process to
// bound them together.
func RateLimited(perSecond float64) sdktrace.Sampler {
	return rateLimited{limiter: rate.NewLimiter(rate.Limit(perSecond), max(1, int(math.Ceil(perSecond)))), perSecond: perSecond}
}

type rateLimited struct {
	limiter   *rate.Limiter
	perSecond float64
}

func (s rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	decision := sdktrace.Drop
	if s.limiter.Allow() {
		decision = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: decision, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}

func (s rateLimited) Description() string {
	return fmt.Sprintf("RateLimited{%g/s}", s.perSecond)
}
