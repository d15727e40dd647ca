package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/events/embedded"
)

// tracer returns a tracer of service whose spans go to rec.
func tracer(rec *Recorder, service string) trace.Tracer {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	return tp.Tracer("test")
}

func TestRecorder(t *testing.T) {
	rec := NewRecorder(3)
	gw, orders := tracer(rec, "gateway"), tracer(rec, "orders")

	ctx, root := gw.Start(context.Background(), "HTTP POST /v1/orders/place_order", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.route", "POST /v1/orders/place_order"), attribute.Int("http.response.status_code", 200)))
	_, rpc := orders.Start(ctx, "shop.orders.v1.OrdersService/PlaceOrder", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("rpc.method", "shop.orders.v1.OrdersService/PlaceOrder"), attribute.String("rpc.response.status_code", "INVALID_ARGUMENT")))
	time.Sleep(time.Millisecond)
	rpc.End()
	_, step := orders.Start(ctx, "saga checkout call reserve_stock", trace.WithAttributes(attribute.String("saga.id", "saga-1")))
	step.End()
	root.End()
	traceID := root.SpanContext().TraceID().String()

	// A readiness probe's trace: its child ends first, then the probe.
	probeCtx, probe := gw.Start(context.Background(), "HTTP GET /readyz", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.route", "GET /readyz")))
	_, call := gw.Start(probeCtx, "HTTP GET", trace.WithSpanKind(trace.SpanKindClient))
	call.End()
	probe.End()

	reqs := rec.Requests(10)
	if len(reqs) != 2 {
		t.Fatalf("requests %+v, want the gateway's and orders'", reqs)
	}
	byService := map[string]Request{}
	for _, r := range reqs {
		byService[r.Service] = r
		if r.TraceID != traceID {
			t.Errorf("request %+v: trace %s, want %s", r, r.TraceID, traceID)
		}
	}
	if r := byService["orders"]; r.Procedure != "shop.orders.v1.OrdersService/PlaceOrder" || r.Status != "INVALID_ARGUMENT" || !r.Error || r.Latency < time.Millisecond {
		t.Errorf("orders' request %+v", r)
	}
	if r := byService["gateway"]; r.Procedure != "POST /v1/orders/place_order" || r.Status != "200" || r.Error {
		t.Errorf("gateway's request %+v", r)
	}

	traces := rec.Traces(10)
	if len(traces) != 1 || traces[0].ID != traceID || traces[0].Spans != 3 || traces[0].Root != "HTTP POST /v1/orders/place_order" {
		t.Fatalf("traces %+v, want only the order's, with 3 spans (the probe's is dropped)", traces)
	}
	spans, ok := rec.Trace(traceID)
	if !ok || len(spans) != 3 || spans[0].Depth != 0 || spans[1].Depth != 1 || spans[2].Depth != 1 {
		t.Fatalf("trace tree %+v", spans)
	}
	if got := rec.TraceOf("saga.id", "saga-1"); got != traceID {
		t.Errorf("TraceOf(saga.id) = %q, want %q", got, traceID)
	}

	// Only the last 3 traces are kept.
	for range 4 {
		_, s := gw.Start(context.Background(), "HTTP GET /v1/orders/get_order", trace.WithSpanKind(trace.SpanKindServer))
		s.End()
	}
	if got := rec.Traces(10); len(got) != 3 {
		t.Errorf("%d traces kept, want 3", len(got))
	}
	if _, ok := rec.Trace(traceID); ok {
		t.Error("the oldest trace is still kept")
	}
}

// fakeService serves what a service serves the dashboard: its probes and
// its sagas.
func fakeService(t *testing.T, ready bool, sagas map[string]sagaState) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: database is locked\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /sagas", func(w http.ResponseWriter, _ *http.Request) {
		list := []sagaState{}
		for _, st := range sagas {
			st.Log = []sagaEntry{}
			list = append(list, st)
		}
		json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("GET /sagas/{id}", func(w http.ResponseWriter, r *http.Request) {
		st, ok := sagas[r.PathValue("id")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error": "saga not found"}`)
			return
		}
		json.NewEncoder(w).Encode(st)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func contains(t *testing.T, page, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", page, w, body)
		}
	}
}

func TestPages(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	failed := sagaState{ID: "saga-1", Saga: "checkout", Subject: "order-7", Status: "failed", FailedStep: "capture_payment",
		Error: "payments.CapturePayment: failed_precondition: card declined", CreatedAt: at, UpdatedAt: at.Add(time.Second),
		Log: []sagaEntry{
			{Step: "reserve_stock", Action: "call", Outcome: "done", At: at},
			{Step: "capture_payment", Action: "call", Outcome: "retrying", Error: "unavailable", At: at},
			{Step: "capture_payment", Action: "call", Outcome: "failed", Error: "failed_precondition: card declined", At: at},
			{Step: "reserve_stock", Action: "compensate", Outcome: "done", At: at},
			{Step: "orders.CancelOrder", Action: "on_failure", Outcome: "done", At: at},
		}}
	running := sagaState{ID: "saga-2", Saga: "checkout", Subject: "order-8", Status: "running", CreatedAt: at.Add(time.Minute), UpdatedAt: at.Add(time.Minute),
		Log: []sagaEntry{{Step: "reserve_stock", Action: "call", Outcome: "done", At: at}}}
	orders := fakeService(t, true, map[string]sagaState{"saga-1": failed, "saga-2": running})
	payments := fakeService(t, false, nil)

	spans := NewRecorder(0)
	_, s := tracer(spans, "orders").Start(context.Background(), "shop.orders.v1.OrdersService/PlaceOrder", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("rpc.method", "shop.orders.v1.OrdersService/PlaceOrder"), attribute.String("rpc.response.status_code", "OK"), attribute.String("saga.id", "saga-1")))
	s.End()
	traceID := s.SpanContext().TraceID().String()

	d, err := New(Config{
		System:   "shop",
		Services: []Service{{Name: "orders", URL: orders.URL}, {Name: "payments", URL: payments.URL}},
		Gateway: &Gateway{URL: orders.URL, Routes: []Route{
			{Service: "orders", Procedure: "/shop.orders.v1.OrdersService/PlaceOrder", REST: "POST /v1/orders/place_order", Auth: true, Roles: []string{"customer"}},
			{Service: "inventory", Procedure: "/shop.inventory.v1.InventoryService/GetStock", REST: "GET /v1/inventory/get_stock"},
		}},
		Sagas: []Saga{{Name: "checkout", Service: "orders", Entity: "Order", Trigger: "orders.OrderPlaced", OnFailure: "orders.CancelOrder", Steps: []Step{
			{Name: "reserve_stock", Call: "inventory.ReserveStock", Compensate: "inventory.ReleaseStock"},
			{Name: "capture_payment", Call: "payments.CapturePayment", Compensate: "payments.RefundPayment"},
			{Name: "confirm_order", Call: "orders.ConfirmOrder"},
		}}},
		Spans: spans,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	code, body := get(t, d, "/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	contains(t, "the overview", body,
		"<strong>payments</strong>", "not ready", "database is locked", // readiness with its reason
		"bearer token, role customer", "public", "POST /v1/orders/place_order", // routes and their auth
		`<a href="/sagas/orders/saga-1">saga-1</a>`, `<a href="/sagas/orders/saga-2">saga-2</a>`, "Order <span class=\"mono\">order-7</span>",
		`<li class="failed" title="payments.CapturePayment: failed">capture_payment: failed</li>`,
		`<li class="pending" title="payments.CapturePayment: pending">capture_payment: pending</li>`,
		"shop.orders.v1.OrdersService/PlaceOrder", `<a href="/traces/`+traceID+`">`) // a request with its trace
	if strings.Index(body, "saga-2") > strings.Index(body, "saga-1") {
		t.Error("the overview does not list the newest saga first")
	}

	code, body = get(t, d, "/sagas/orders/saga-1")
	if code != http.StatusOK {
		t.Fatalf("GET the saga: %d\n%s", code, body)
	}
	contains(t, "the saga's page", body,
		`<dd class="mono" id="saga-id">saga-1</dd>`, `<dd id="saga-entity">Order <span class="mono">order-7</span></dd>`,
		`id="saga-status">failed</span> at step capture_payment`, "card declined",
		`<li class="done" data-step="reserve_stock">`, `<span class="compensated">compensated</span>`,
		`<li class="failed" data-step="capture_payment">`, "after 1 failed attempt",
		`<li class="skipped" data-step="confirm_order">`,
		`<li class="done" data-step="on_failure">`, "orders.CancelOrder",
		`<a href="/traces/`+traceID+`">`)

	for _, path := range []string{"/sagas/orders/saga-404", "/sagas/payments/saga-1", "/traces/" + strings.Repeat("ab", 16), "/traces/nonsense"} {
		if code, body := get(t, d, path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404\n%s", path, code, body)
		}
	}
	code, body = get(t, d, "/traces/"+traceID)
	if code != http.StatusOK {
		t.Fatalf("GET the trace: %d\n%s", code, body)
	}
	contains(t, "the trace's page", body, "shop.orders.v1.OrdersService/PlaceOrder", "saga.id", "saga-1")
}

// startStream starts a JetStream server with the system's stream until the
// test ends.
func startStream(t *testing.T) (*embedded.Server, jetstream.JetStream) {
	t.Helper()
	broker, err := embedded.Start(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Stop)
	nc, err := nats.Connect(broker.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.EnsureStream(t.Context(), js, 1); err != nil {
		t.Fatal(err)
	}
	return broker, js
}

// TestEvents shows a consumer's lag and a dead letter from a real
// JetStream server.
func TestEvents(t *testing.T) {
	broker, js := startStream(t)
	ctx := t.Context()
	prefix := strings.TrimSuffix(events.Subjects, ">")
	consumer := Consumer{Service: "billing", Durable: "billing_orders_order_placed", Subject: prefix + "orders.order_placed", DeadLetter: prefix + "dead_letter.billing.orders.order_placed"}
	if _, err := js.CreateOrUpdateConsumer(ctx, events.Stream, jetstream.ConsumerConfig{Durable: consumer.Durable, FilterSubject: consumer.Subject, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := js.Publish(ctx, consumer.Subject, []byte("event")); err != nil {
			t.Fatal(err)
		}
	}
	dead := &nats.Msg{Subject: consumer.DeadLetter, Data: []byte("event"), Header: nats.Header{}}
	dead.Header[events.HeaderID] = []string{"event-9"}
	dead.Header[events.HeaderError] = []string{"the handler said no"}
	dead.Header[events.HeaderAttempts] = []string{"5"}
	if _, err := js.PublishMsg(ctx, dead); err != nil {
		t.Fatal(err)
	}

	d, err := New(Config{System: "test", NATSURL: broker.URL(), Stream: events.Stream, DeadLetters: prefix + "dead_letter.>", Consumers: []Consumer{consumer}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// JetStream counts a consumer's pending messages a moment after it
	// stored them: poll until the overview shows the lag.
	var code int
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body = get(t, d, "/")
		if code == http.StatusOK && strings.Contains(body, `<td class="warn">2</td>`) || time.Now().After(deadline) {
			break
		}
	}
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	contains(t, "the overview", body,
		"3 events on 2 subjects",
		`<td class="mono">billing_orders_order_placed</td>`+"\n<td>billing</td>", // the consumer and its service
		`<td class="warn">2</td>`, // its lag
		`<td class="bad">1</td>`,  // its dead letters
		consumer.DeadLetter, "event-9", "the handler said no")
}

// TestEventsOfAnOrderedGroup shows the handlers of an ordered group, which
// share one durable consumer, as that consumer, with its service and the
// dead letters of all of them.
func TestEventsOfAnOrderedGroup(t *testing.T) {
	broker, js := startStream(t)
	ctx := t.Context()
	prefix := strings.TrimSuffix(events.Subjects, ">")
	var group []Consumer
	for _, event := range []string{"order_placed", "order_cancelled"} {
		group = append(group, Consumer{Service: "billing", Durable: "billing_from_orders", Subject: prefix + "orders." + event, DeadLetter: prefix + "dead_letter.billing.orders." + event})
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, events.Stream, jetstream.ConsumerConfig{Durable: "billing_from_orders",
		FilterSubjects: []string{group[0].Subject, group[1].Subject}, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range group {
		dead := &nats.Msg{Subject: c.DeadLetter, Data: []byte("event"), Header: nats.Header{}}
		dead.Header[events.HeaderID] = []string{"event-of-" + c.Subject}
		if _, err := js.PublishMsg(ctx, dead); err != nil {
			t.Fatal(err)
		}
	}
	d, err := New(Config{System: "test", NATSURL: broker.URL(), Stream: events.Stream, DeadLetters: prefix + "dead_letter.>", Consumers: group})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	code, body := get(t, d, "/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	contains(t, "the overview", body,
		`<td class="mono">billing_from_orders</td>`+"\n<td>billing</td>",
		`<td class="bad">2</td>`) // the dead letters of both handlers
}

// LimitTraces gives the services a rate-limited sampler of new traces;
// without it, or at 0, they record every trace.
func TestRecorderLimitTraces(t *testing.T) {
	r := NewRecorder(0)
	if r.RootSampler() != nil {
		t.Error("a new recorder samples traces, want every trace")
	}
	r.LimitTraces(20)
	if s := r.RootSampler(); s == nil || s.Description() != "RateLimited{20/s}" {
		t.Errorf("after LimitTraces(20) the sampler is %v, want RateLimited{20/s}", s)
	}
	r.LimitTraces(0)
	if r.RootSampler() != nil {
		t.Error("after LimitTraces(0) the recorder samples traces, want every trace")
	}
}
