// Package telemetry sets up what a service reports about itself:
// OpenTelemetry traces, exported over OTLP/HTTP, and Prometheus metrics,
// served on /metrics.
//
// A *Telemetry is made once per service by New and handed to the platform
// packages that report through it: Connect handlers and clients (rpc spans
// and metrics through otelconnect), the outbox relay and event consumers
// (spans carried in the events' traceparent headers, retries, dead
// letters), the saga runner (a span per action, transitions). Every method
// works on a nil *Telemetry and then does nothing, so code paths without
// telemetry stay cheap.
//
// Traces cross processes in W3C trace context (traceparent, tracestate) and
// baggage headers. Exporting follows the standard OTEL_* variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_SERVICE_NAME, ...): without an endpoint spans are still made, so logs
// carry trace ids and outgoing calls and events carry the trace, but none is
// exported.
//
// Sampling: unless OTEL_TRACES_SAMPLER says otherwise, a trace is recorded
// with probability DefaultSampleRatio where it starts (the gateway, a saga
// step, an outbox relay), and a service records its part of a trace when
// the caller did (parentbased_traceidratio), so that tracing costs little
// per request under load. OTEL_TRACES_SAMPLER=parentbased_always_on records
// every trace; OTEL_TRACES_SAMPLER_ARG sets another ratio. With a
// SpanExporter (tests, the dashboard of cmd/local) every trace is recorded
// unless OTEL_TRACES_SAMPLER is set or the exporter samples them
// (RootSampler: cmd/local's dashboard records at most -trace-rate new
// traces a second).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/otelconnect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName names the instrumentation scope of the spans and metrics this
// package makes.
const ScopeName = "github.com/microforge/microforge/internal/runtime/platform/telemetry"

// Propagator reads and writes the trace context and baggage of requests
// and events: W3C traceparent/tracestate and baggage headers.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// DefaultSampleRatio is the share of traces recorded when
// OTEL_TRACES_SAMPLER is not set and no SpanExporter is given.
const DefaultSampleRatio = 0.1

// Config selects what a service reports.
type Config struct {
	// Service is the service.name of every span and metric.
	Service string
	// Tracing makes spans (the blueprint's observability.tracing: otlp).
	Tracing bool
	// Metrics collects metrics for Handler (observability.metrics: prometheus).
	Metrics bool
	// SpanExporter, when set, receives every span as it ends, also when
	// Tracing is off: tests pass a tracetest.InMemoryExporter, cmd/local
	// the recorder of its dashboard. One that implements RootSampler
	// receives the traces its sampler chooses (the dashboard's: a few
	// every second under load). Spans still go over OTLP when Tracing
	// is on and an endpoint is configured. New does not take it over:
	// shutting the Telemetry down leaves it open.
	SpanExporter sdktrace.SpanExporter
}

// Telemetry is one service's tracer and meter.
type Telemetry struct {
	service        string
	tracer         trace.Tracer
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	registry       *prometheus.Registry // nil without metrics
	rpc            *otelconnect.Interceptor
	edgeRPC        *otelconnect.Interceptor
	shutdown       []func(context.Context) error

	requests           metric.Int64Counter
	httpReqs           metric.Int64Counter
	deliveries         metric.Int64Counter
	retries            metric.Int64Counter
	deadLetters        metric.Int64Counter
	transitions        metric.Int64Counter
	projectionFailures metric.Int64Counter
}

// New sets up the telemetry of cfg.Service. With neither Tracing, Metrics
// nor a SpanExporter it returns nil, which reports nothing. Call Shutdown
// when done to flush the spans not exported yet.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	tracing := cfg.Tracing || cfg.SpanExporter != nil
	if !tracing && !cfg.Metrics {
		return nil, nil
	}
	otel.SetTextMapPropagator(Propagator)
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", cfg.Service)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	t := &Telemetry{
		service:        cfg.Service,
		tracerProvider: tracenoop.NewTracerProvider(),
		meterProvider:  metricnoop.NewMeterProvider(),
	}
	if tracing {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if sampler := defaultSampler(cfg); sampler != nil {
			opts = append(opts, sdktrace.WithSampler(sampler))
		}
		if cfg.SpanExporter != nil {
			opts = append(opts, sdktrace.WithSyncer(keepOpen{cfg.SpanExporter}))
		}
		if cfg.Tracing && otlpConfigured() {
			exporter, err := otlptracehttp.New(ctx)
			if err != nil {
				return nil, fmt.Errorf("OTLP trace exporter: %w", err)
			}
			opts = append(opts, sdktrace.WithBatcher(exporter))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		t.tracerProvider = tp
		t.shutdown = append(t.shutdown, tp.Shutdown)
	}
	t.tracer = t.tracerProvider.Tracer(ScopeName)
	if cfg.Metrics {
		t.registry = prometheus.NewRegistry()
		t.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		exporter, err := otelprometheus.New(otelprometheus.WithRegisterer(t.registry), otelprometheus.WithoutScopeInfo())
		if err != nil {
			return nil, fmt.Errorf("Prometheus exporter: %w", err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))
		t.meterProvider = mp
		t.shutdown = append(t.shutdown, mp.Shutdown)
	}
	if err := t.instruments(); err != nil {
		return nil, err
	}
	interceptor := func(opts ...otelconnect.Option) (*otelconnect.Interceptor, error) {
		return otelconnect.NewInterceptor(append([]otelconnect.Option{
			otelconnect.WithTracerProvider(t.tracerProvider),
			otelconnect.WithMeterProvider(t.meterProvider),
			otelconnect.WithPropagator(Propagator),
		}, opts...)...)
	}
	// Services sit behind the gateway: they continue the caller's trace.
	if t.rpc, err = interceptor(otelconnect.WithTrustRemote()); err != nil {
		return nil, fmt.Errorf("otelconnect: %w", err)
	}
	// The edge starts its own trace and links the caller's.
	if t.edgeRPC, err = interceptor(); err != nil {
		return nil, fmt.Errorf("otelconnect: %w", err)
	}
	return t, nil
}

// defaultSampler is the sampler of a service whose environment names none
// (OTEL_TRACES_SAMPLER, which the SDK reads): DefaultSampleRatio of new
// traces, and those whose caller records them; with a SpanExporter, the
// new traces its RootSampler chooses and those whose caller records them;
// nil, leaving the SDK's choice, when the environment names one or a
// SpanExporter wants every span.
func defaultSampler(cfg Config) sdktrace.Sampler {
	if os.Getenv("OTEL_TRACES_SAMPLER") != "" {
		return nil
	}
	if cfg.SpanExporter != nil {
		if rs, ok := cfg.SpanExporter.(RootSampler); ok {
			if root := rs.RootSampler(); root != nil {
				return sdktrace.ParentBased(root)
			}
		}
		return nil
	}
	return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(DefaultSampleRatio))
}

// otlpConfigured reports whether the environment names an OTLP endpoint
// for traces.
func otlpConfigured() bool {
	if strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

func (t *Telemetry) instruments() error {
	m := t.meterProvider.Meter(ScopeName)
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	t.requests = counter("rpc.server.requests", "RPCs served, by procedure and code.")
	t.httpReqs = counter("http.server.requests", "HTTP requests served through Middleware, by method, route and status code.")
	t.deliveries = counter("events.consumer.deliveries", "Event deliveries handled, by consumer and outcome (ok, retry, dead_letter).")
	t.retries = counter("events.consumer.retries", "Event deliveries that failed and will be retried, by consumer.")
	t.deadLetters = counter("events.consumer.dead_letters", "Events moved to a dead-letter subject, by consumer.")
	t.transitions = counter("saga.transitions", "Saga actions run, by saga, action, outcome and resulting status.")
	t.projectionFailures = counter("projection.failures", "Failed attempts of a projection to apply the events after its checkpoint, by projection.")
	return errors.Join(errs...)
}

// Shutdown flushes pending spans and stops exporting.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// TracerProvider returns the service's tracer provider; a no-op one when
// tracing is off.
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t == nil {
		return tracenoop.NewTracerProvider()
	}
	return t.tracerProvider
}

// MeterProvider returns the service's meter provider; a no-op one when
// metrics are off.
func (t *Telemetry) MeterProvider() metric.MeterProvider {
	if t == nil {
		return metricnoop.NewMeterProvider()
	}
	return t.meterProvider
}

// Start starts a span of the service. Without tracing the span records
// nothing but ctx keeps the caller's trace context.
func (t *Telemetry) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if t == nil {
		return tracenoop.NewTracerProvider().Tracer(ScopeName).Start(ctx, name, opts...)
	}
	return t.tracer.Start(ctx, name, opts...)
}

// HandlerOptions instrument a service's Connect handler: a server span per
// RPC continuing the caller's trace, rpc.server.* metrics, and the
// rpc_server_requests_total counter.
func (t *Telemetry) HandlerOptions() []connect.HandlerOption {
	if t == nil {
		return nil
	}
	return []connect.HandlerOption{connect.WithInterceptors(t.rpc, requestCounter{t})}
}

// EdgeHandlerOptions instrument handlers that take requests from outside
// the system, as the gateway does: each RPC starts a new trace linked to
// the caller's, so clients cannot join or steer the system's traces.
func (t *Telemetry) EdgeHandlerOptions() []connect.HandlerOption {
	if t == nil {
		return nil
	}
	return []connect.HandlerOption{connect.WithInterceptors(t.edgeRPC, requestCounter{t})}
}

// ClientOptions instrument a Connect client: a client span per call, whose
// trace context the request carries, and rpc.client.* metrics.
func (t *Telemetry) ClientOptions() []connect.ClientOption {
	if t == nil {
		return nil
	}
	return []connect.ClientOption{connect.WithInterceptors(t.rpc)}
}

// Transport returns base sending the trace context of each request's
// context in its headers, for plain HTTP calls (a proxy, a webhook) that
// do not go through a Connect client with ClientOptions.
func (t *Telemetry) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{t: t, base: base}
}

type roundTripper struct {
	t    *Telemetry
	base http.RoundTripper
}

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() && !sc.IsSampled() {
		// A trace not recorded (see DefaultSampleRatio): a client span
		// would not be either; pass the trace on as it is.
		r = r.Clone(r.Context())
		Propagator.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
		return rt.base.RoundTrip(r)
	}
	ctx, span := rt.t.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.full", r.URL.Redacted())))
	defer span.End()
	r = r.Clone(ctx)
	Propagator.Inject(ctx, propagation.HeaderCarrier(r.Header))
	resp, err := rt.base.RoundTrip(r)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp, nil
}

// Middleware traces and counts every HTTP request next serves, for a
// server that takes requests from outside the system and forwards them (a
// gateway): each request starts a new trace linked to the caller's, and
// http_server_requests_total counts it by method, route (the ServeMux
// pattern that matched) and status code. Calls next makes with the
// request's context continue the new trace.
func (t *Telemetry) Middleware(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remote := Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithNewRoot(),
			trace.WithLinks(trace.LinkFromContext(remote)),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		rec := RecordStatus(w)
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route != "" {
			span.SetName("HTTP " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", rec.Status))
		if rec.Status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.Status))
		}
		t.httpReqs.Add(ctx, 1, metric.WithAttributes(attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route), attribute.Int("http.response.status_code", rec.Status)))
	})
}

// MetricsHandler serves the service's metrics in the Prometheus text format;
// nil when metrics are off.
func (t *Telemetry) MetricsHandler() http.Handler {
	if t == nil || t.registry == nil {
		return nil
	}
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// Mount serves GET /metrics on mux when metrics are on.
func (t *Telemetry) Mount(mux *http.ServeMux) {
	if h := t.MetricsHandler(); h != nil {
		mux.Handle("GET /metrics", h)
	}
}

// requestCounter counts RPCs by procedure and code.
type requestCounter struct{ t *Telemetry }

func (c requestCounter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		resp, err := next(ctx, req)
		if !req.Spec().IsClient {
			c.t.countRequest(ctx, req.Spec().Procedure, err)
		}
		return resp, err
	}
}

func (c requestCounter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (c requestCounter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		err := next(ctx, conn)
		c.t.countRequest(ctx, conn.Spec().Procedure, err)
		return err
	}
}

func (t *Telemetry) countRequest(ctx context.Context, procedure string, err error) {
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
	}
	t.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("rpc.procedure", procedure), attribute.String("rpc.code", code)))
}

// keepOpen passes spans to an exporter the caller owns and shuts down.
type keepOpen struct{ sdktrace.SpanExporter }

func (keepOpen) Shutdown(context.Context) error { return nil }

// ObserveOutbox reports the outbox of the service on every collection:
// outbox_pending (events recorded but not published yet) and
// outbox_oldest_age_seconds (how long the oldest of them has waited; the
// relay's lag). lag reads both from the database.
func (t *Telemetry) ObserveOutbox(lag func(context.Context) (pending int64, oldest time.Time, err error)) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	pending, err := m.Int64ObservableGauge("outbox.pending", metric.WithDescription("Events recorded in the outbox and not published yet."))
	if err != nil {
		return err
	}
	age, err := m.Float64ObservableGauge("outbox.oldest_age", metric.WithUnit("s"), metric.WithDescription("Age of the oldest unpublished outbox event, 0 when none."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, oldest, err := lag(ctx)
		if err != nil {
			return err
		}
		seconds := 0.0
		if n > 0 && !oldest.IsZero() {
			seconds = max(time.Since(oldest).Seconds(), 0)
		}
		o.ObserveInt64(pending, n)
		o.ObserveFloat64(age, seconds)
		return nil
	}, pending, age)
	return err
}

// ObserveSagas reports saga_instances, the sagas the service orchestrates by
// saga and status, on every collection. count calls observe once per saga
// and status.
func (t *Telemetry) ObserveSagas(count func(ctx context.Context, observe func(saga, status string, n int64)) error) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	instances, err := m.Int64ObservableGauge("saga.instances", metric.WithDescription("Sagas by saga and status."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return count(ctx, func(saga, status string, n int64) {
			o.ObserveInt64(instances, n, metric.WithAttributes(attribute.String("saga", saga), attribute.String("status", status)))
		})
	}, instances)
	return err
}

// ObserveSagaBacklog reports, on every collection, saga_backlog (the
// unfinished sagas, running or compensating, by saga) and
// saga_oldest_age_seconds (how long ago the oldest of them started, by
// saga). backlog calls observe once per saga with unfinished ones; a saga
// that had some and has none left reports 0.
func (t *Telemetry) ObserveSagaBacklog(backlog func(ctx context.Context, observe func(saga string, n int64, oldest time.Time)) error) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	pending, err := m.Int64ObservableGauge("saga.backlog", metric.WithDescription("Unfinished sagas (running or compensating) by saga."))
	if err != nil {
		return err
	}
	age, err := m.Float64ObservableGauge("saga.oldest_age", metric.WithUnit("s"), metric.WithDescription("Age of the oldest unfinished saga by saga, 0 when none."))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	seen := map[string]bool{} // sagas observed with a backlog once
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		mu.Lock()
		defer mu.Unlock()
		now := map[string]bool{}
		err := backlog(ctx, func(saga string, n int64, oldest time.Time) {
			seconds := 0.0
			if n > 0 && !oldest.IsZero() {
				seconds = max(time.Since(oldest).Seconds(), 0)
			}
			attrs := metric.WithAttributes(attribute.String("saga", saga))
			o.ObserveInt64(pending, n, attrs)
			o.ObserveFloat64(age, seconds, attrs)
			now[saga], seen[saga] = true, true
		})
		if err != nil {
			return err
		}
		for saga := range seen {
			if !now[saga] {
				attrs := metric.WithAttributes(attribute.String("saga", saga))
				o.ObserveInt64(pending, 0, attrs)
				o.ObserveFloat64(age, 0, attrs)
			}
		}
		return nil
	}, pending, age)
	return err
}

// ObserveSagaHeld reports saga_held on every collection: the sagas this
// replica's runner is advancing, each under its lease (see saga.Runner).
// Summed over the replicas, it shows how they share the work.
func (t *Telemetry) ObserveSagaHeld(held func() int64) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	gauge, err := m.Int64ObservableGauge("saga.held", metric.WithDescription("Sagas this replica is advancing, each under its lease."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, held())
		return nil
	}, gauge)
	return err
}

// ObserveProjection reports projection_stalled{projection=name} on every
// collection: 1 while stalled returns an error (the projection cannot
// apply an event, so its read model stays behind), 0 otherwise.
func (t *Telemetry) ObserveProjection(name string, stalled func() error) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	gauge, err := m.Int64ObservableGauge("projection.stalled", metric.WithDescription("1 while the projection cannot apply an event and its read model stays behind, 0 otherwise."))
	if err != nil {
		return err
	}
	attrs := metric.WithAttributes(attribute.String("projection", name))
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var v int64
		if stalled() != nil {
			v = 1
		}
		o.ObserveInt64(gauge, v, attrs)
		return nil
	}, gauge)
	return err
}

// ObserveRoles reports worker_active{worker=...} on every collection for
// the background workers that run on one replica at a time: 1 on the
// replica running the worker, 0 on those standing by. roles calls observe
// once per worker.
func (t *Telemetry) ObserveRoles(roles func(observe func(worker string, active bool))) error {
	if t == nil || t.registry == nil {
		return nil
	}
	m := t.meterProvider.Meter(ScopeName)
	gauge, err := m.Int64ObservableGauge("worker.active", metric.WithDescription("1 on the replica running the worker, 0 on the replicas standing by."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		roles(func(worker string, active bool) {
			var v int64
			if active {
				v = 1
			}
			o.ObserveInt64(gauge, v, metric.WithAttributes(attribute.String("worker", worker)))
		})
		return nil
	}, gauge)
	return err
}

// ProjectionFailed counts one failed attempt of projection name to apply
// the events after its checkpoint.
func (t *Telemetry) ProjectionFailed(ctx context.Context, name string) {
	if t == nil {
		return
	}
	t.projectionFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("projection", name)))
}

// EventHandled counts one delivery to consumer with its outcome: "ok",
// "retry" or "dead_letter".
func (t *Telemetry) EventHandled(ctx context.Context, consumer, outcome string) {
	if t == nil {
		return
	}
	attrs := metric.WithAttributes(attribute.String("consumer", consumer))
	t.deliveries.Add(ctx, 1, metric.WithAttributes(attribute.String("consumer", consumer), attribute.String("outcome", outcome)))
	switch outcome {
	case "retry":
		t.retries.Add(ctx, 1, attrs)
	case "dead_letter":
		t.deadLetters.Add(ctx, 1, attrs)
	}
}

// SagaTransition counts one action a saga ran.
func (t *Telemetry) SagaTransition(ctx context.Context, saga, action, outcome, status string) {
	if t == nil {
		return
	}
	t.transitions.Add(ctx, 1, metric.WithAttributes(attribute.String("saga", saga), attribute.String("action", action),
		attribute.String("outcome", outcome), attribute.String("status", status)))
}

// TraceParent returns the W3C traceparent of the span ctx carries, "" when
// it carries none.
func TraceParent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier["traceparent"]
}

// WithTraceParent returns ctx continuing the trace of a W3C traceparent
// ("00-<trace id>-<span id>-<flags>"), ctx itself when traceParent is not
// valid.
func WithTraceParent(ctx context.Context, traceParent string) context.Context {
	if traceParent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceParent})
}

// Extract returns ctx continuing the trace context and baggage carrier
// holds (HTTP or NATS headers).
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return Propagator.Extract(ctx, carrier)
}

// Inject writes the trace context and baggage of ctx into carrier.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	Propagator.Inject(ctx, carrier)
}
