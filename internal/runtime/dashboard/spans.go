package dashboard

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/telemetry"
)

// Recorder keeps the spans of the most recent traces in memory: an
// OpenTelemetry span exporter that cmd/local hands to every service
// (local.Options.SpanExporter), so the dashboard shows requests and traces
// without a collector. Traces of health checks are dropped. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	max    int                              // traces kept
	traces map[trace.TraceID]*recordedTrace // by trace id
	order  []trace.TraceID                  // oldest first
	root   sdktrace.Sampler                 // LimitTraces's; nil: every trace
}

// recordedTrace is the spans of one trace received so far.
type recordedTrace struct {
	spans   []Span
	ignored bool // a health check's: its spans are dropped
}

// maxSpansPerTrace bounds the memory of one runaway trace.
const maxSpansPerTrace = 2000

var _ sdktrace.SpanExporter = (*Recorder)(nil)

// NewRecorder returns a recorder keeping the spans of the last maxTraces
// traces (200 when maxTraces <= 0).
func NewRecorder(maxTraces int) *Recorder {
	if maxTraces <= 0 {
		maxTraces = 200
	}
	return &Recorder{max: maxTraces, traces: map[trace.TraceID]*recordedTrace{}}
}

// Span is a finished span as the dashboard shows it.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string // "" for a trace's root
	Service  string // service.name of its resource
	Name     string
	Kind     string // "server", "client", "producer", "consumer", "internal"
	Start    time.Time
	End      time.Time
	Error    bool
	Status   string // the status description of a failed span
	Attrs    []Attr
}

// Attr is one attribute of a span.
type Attr struct{ Key, Value string }

// Duration is how long the span took.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Attr returns the value of the attribute key, "" when the span has none.
func (s Span) Attr(key string) string {
	for _, a := range s.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// LimitTraces makes the services given the recorder record at most
// perSecond new traces a second, each whole (telemetry.RateLimited);
// perSecond <= 0 records every trace. The recorder keeps the last few
// hundred traces: under load, recording every one would cost each request
// its spans for nothing. Call it before handing the recorder to the
// services.
func (r *Recorder) LimitTraces(perSecond float64) {
	r.root = nil
	if perSecond > 0 {
		r.root = telemetry.RateLimited(perSecond)
	}
}

// RootSampler implements telemetry.RootSampler: the services' sampler of
// new traces.
func (r *Recorder) RootSampler() sdktrace.Sampler { return r.root }

// ExportSpans records spans; it implements sdktrace.SpanExporter.
func (r *Recorder) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range spans {
		r.add(spanOf(s))
	}
	return nil
}

// Shutdown implements sdktrace.SpanExporter; the spans stay readable.
func (r *Recorder) Shutdown(context.Context) error { return nil }

func (r *Recorder) add(s Span) {
	id, err := trace.TraceIDFromHex(s.TraceID)
	if err != nil {
		return
	}
	t := r.traces[id]
	if t == nil {
		t = &recordedTrace{}
		r.traces[id] = t
		r.order = append(r.order, id)
		for len(r.order) > r.max {
			delete(r.traces, r.order[0])
			r.order = r.order[1:]
		}
	}
	if healthCheck(s) {
		t.ignored, t.spans = true, nil
	}
	if t.ignored || len(t.spans) >= maxSpansPerTrace {
		return
	}
	t.spans = append(t.spans, s)
}

// healthCheck reports whether s serves a health or readiness probe (the
// dashboard polls them): its trace is not worth showing.
func healthCheck(s Span) bool {
	route := s.Attr("http.route")
	if route == "" {
		route = s.Attr("url.path")
	}
	return s.Kind == "server" && (strings.HasSuffix(route, "/healthz") || strings.HasSuffix(route, "/readyz"))
}

func spanOf(s sdktrace.ReadOnlySpan) Span {
	out := Span{
		TraceID: s.SpanContext().TraceID().String(),
		SpanID:  s.SpanContext().SpanID().String(),
		Name:    s.Name(),
		Kind:    s.SpanKind().String(),
		Start:   s.StartTime(),
		End:     s.EndTime(),
		Error:   s.Status().Code == codes.Error,
		Status:  s.Status().Description,
	}
	if p := s.Parent(); p.IsValid() && p.TraceID() == s.SpanContext().TraceID() {
		out.ParentID = p.SpanID().String()
	}
	if res := s.Resource(); res != nil {
		for _, kv := range res.Attributes() {
			if kv.Key == "service.name" {
				out.Service = kv.Value.Emit()
			}
		}
	}
	for _, kv := range s.Attributes() {
		out.Attrs = append(out.Attrs, Attr{Key: string(kv.Key), Value: kv.Value.Emit()})
	}
	return out
}

// Request is one request a service or the gateway served.
type Request struct {
	Time      time.Time
	Service   string
	Procedure string // "shop.orders.v1.OrdersService/PlaceOrder", or the gateway's route "POST /v1/orders/place_order"
	Status    string // the RPC code ("OK", "NOT_FOUND") or the HTTP status code
	Error     bool
	Latency   time.Duration
	TraceID   string
}

// Requests returns the last n requests of the recorded traces (under load,
// a sample: LimitTraces), newest first: their server spans.
func (r *Recorder) Requests(n int) []Request {
	var out []Request
	for _, s := range r.spans() {
		if s.Kind != "server" {
			continue
		}
		req := Request{Time: s.Start, Service: s.Service, Procedure: s.Name, Latency: s.Duration(), TraceID: s.TraceID, Error: s.Error}
		switch {
		case s.Attr("rpc.method") != "":
			req.Procedure = s.Attr("rpc.method")
		case s.Attr("http.route") != "":
			req.Procedure = s.Attr("http.route")
		}
		switch {
		case s.Attr("rpc.response.status_code") != "":
			req.Status = s.Attr("rpc.response.status_code")
		case s.Attr("rpc.grpc.status_code") != "":
			req.Status = s.Attr("rpc.grpc.status_code")
		case s.Attr("http.response.status_code") != "":
			req.Status = s.Attr("http.response.status_code")
		}
		req.Error = req.Error || (req.Status != "" && req.Status != "OK" && !strings.HasPrefix(req.Status, "2") && !strings.HasPrefix(req.Status, "3"))
		out = append(out, req)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// spans returns every recorded span.
func (r *Recorder) spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Span
	for _, id := range r.order {
		out = append(out, r.traces[id].spans...)
	}
	return out
}

// TraceSummary is one trace in the list of recent traces.
type TraceSummary struct {
	ID       string
	Root     string // name of its root span, or of its first span while the root is running
	Service  string
	Start    time.Time
	Duration time.Duration
	Spans    int
	Services []string
	Errors   int
}

// Traces returns the last n traces, newest first.
func (r *Recorder) Traces(n int) []TraceSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []TraceSummary
	for i := len(r.order) - 1; i >= 0 && len(out) < n; i-- {
		t := r.traces[r.order[i]]
		if t.ignored || len(t.spans) == 0 {
			continue
		}
		out = append(out, summarize(r.order[i].String(), t.spans))
	}
	return out
}

func summarize(id string, spans []Span) TraceSummary {
	sum := TraceSummary{ID: id, Spans: len(spans)}
	start, end := spans[0].Start, spans[0].End
	root := spans[0]
	for _, s := range spans {
		if s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
		if s.ParentID == "" || (root.ParentID != "" && s.Start.Before(root.Start)) {
			root = s
		}
		if s.Error {
			sum.Errors++
		}
		if !slices.Contains(sum.Services, s.Service) {
			sum.Services = append(sum.Services, s.Service)
		}
	}
	sort.Strings(sum.Services)
	sum.Root, sum.Service, sum.Start, sum.Duration = root.Name, root.Service, start, end.Sub(start)
	return sum
}

// Trace returns the spans of the trace with the hex id, ordered as a tree:
// each span after its parent, children by start time; false when no span
// of it is recorded.
func (r *Recorder) Trace(id string) ([]TreeSpan, bool) {
	tid, err := trace.TraceIDFromHex(id)
	if err != nil {
		return nil, false
	}
	r.mu.Lock()
	t := r.traces[tid]
	var spans []Span
	if t != nil {
		spans = slices.Clone(t.spans)
	}
	r.mu.Unlock()
	if len(spans) == 0 {
		return nil, false
	}
	return tree(spans), true
}

// TreeSpan is a span at its depth in its trace.
type TreeSpan struct {
	Span
	Depth int
}

func tree(spans []Span) []TreeSpan {
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	known := map[string]bool{}
	for _, s := range spans {
		known[s.SpanID] = true
	}
	children := map[string][]Span{}
	var roots []Span
	for _, s := range spans {
		if s.ParentID == "" || !known[s.ParentID] {
			roots = append(roots, s) // a root, or a span whose parent is not recorded (yet)
			continue
		}
		children[s.ParentID] = append(children[s.ParentID], s)
	}
	var out []TreeSpan
	var walk func(s Span, depth int)
	walk = func(s Span, depth int) {
		out = append(out, TreeSpan{Span: s, Depth: depth})
		for _, c := range children[s.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, s := range roots {
		walk(s, 0)
	}
	return out
}

// TraceOf returns the id of the most recent trace with a span whose
// attribute key has value, "" when none is recorded: the trace of a saga
// (saga.id) or of an event (messaging.message.id).
func (r *Recorder) TraceOf(key, value string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.order) - 1; i >= 0; i-- {
		for _, s := range r.traces[r.order[i]].spans {
			if s.Attr(key) == value {
				return s.TraceID
			}
		}
	}
	return ""
}
