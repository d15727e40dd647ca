package service

import (
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// telemetryTestView is what internal/local/telemetry_test.go checks: for
// each orchestrated saga, that its trigger command yields one trace
// covering the command, the trigger event and every step's call on both
// sides; and that /metrics counts a call.
type telemetryTestView struct {
	Sys     *systemView
	Traces  []*traceTest
	Metrics *metricsTest // nil without metrics or a command to call
	Imports imports
	Bearer  bool // some trace test sends a token to the gateway
}

// traceTest sends a saga's trigger command and waits for the spans it
// must cause.
type traceTest struct {
	Test         string // "TestTraceCheckout"
	Func         string // "traceCheckout"
	Saga         string
	Producer     string // service of the trigger command
	Connect      string
	ProtoService string
	Trigger      *e2eCall
	Spans        []wantSpan
	// Gateway is set when the gateway routes the trigger command: the
	// trace is then also followed from the gateway.
	Gateway *traceEntry
}

// traceEntry is how a trace test calls through the gateway.
type traceEntry struct {
	Auth  bool     // the route needs a token
	Roles []string // roles of the token: the route's first role, if any
	// Subject is the token's subject: the sample value of the trigger's
	// owner input when an owner rule checks it (so that the caller owns
	// what it creates), else "trace-test"; every claim in Claims holds it
	// too.
	Subject string
	Claims  []string
	Spans   []wantSpan
}

// wantSpan is a span the trace must hold.
type wantSpan struct {
	Service string
	Kind    string // trace.SpanKind constant name: "SpanKindServer"
	Name    string
}

// metricsTest calls a command, then reads the service's /metrics.
type metricsTest struct {
	Service      string
	Connect      string
	ProtoService string
	Call         *e2eCall
	Procedure    string // "/shop.orders.v1.OrdersService/PlaceOrder"
}

// newTelemetryTestView returns nil when the system has no telemetry to
// test: then the test file is not generated.
func newTelemetryTestView(sv *systemView) *telemetryTestView {
	v := &telemetryTestView{Sys: sv, Imports: imports{}.add("testing", "connectrpc.com/connect",
		sv.Module+"/internal/local", sv.Module+"/internal/platform/logging")}
	if sv.Tracing {
		for _, s := range sv.Services {
			for _, sg := range s.model.Orchestrates {
				if t := newTraceTest(sg, sv.model.UserClaims, v.Imports); t != nil {
					v.Traces = append(v.Traces, t)
				}
			}
		}
	}
	if len(v.Traces) > 0 {
		v.Imports.add("context", "fmt", "net/http", "strings", "time",
			"go.opentelemetry.io/otel/sdk/trace/tracetest", "go.opentelemetry.io/otel/trace")
	}
	for _, t := range v.Traces {
		if t.Gateway != nil {
			v.Imports.add(sv.Module + "/internal/platform/client")
		}
		if t.Gateway != nil && t.Gateway.Auth {
			v.Imports.add(sv.Module + "/internal/gateway")
			v.Bearer = true
		}
	}
	if sv.Metrics {
		v.Metrics = newMetricsTest(sv, v.Imports)
	}
	if len(v.Traces) == 0 && v.Metrics == nil {
		return nil
	}
	if sv.Broker {
		v.Imports.add("os") // TEST_NATS_URL
	}
	return v
}

func newTraceTest(sg *model.Saga, claims []string, im imports) *traceTest {
	producer := sg.Trigger.Service
	var trigger *model.Command
	for _, c := range producer.Commands {
		if emitsEvent(c, sg.Trigger) {
			trigger = c
			break
		}
	}
	if trigger == nil {
		return nil
	}
	im.add(producer.ConnectImport)
	importProto(producer, im)
	t := &traceTest{
		Test:         "TestTrace" + sg.Pascal,
		Func:         "trace" + sg.Pascal,
		Saga:         sg.Name,
		Producer:     producer.Name,
		Connect:      producer.ConnectName,
		ProtoService: producer.ProtoService,
		Trigger:      sampleCall(trigger, im),
		Spans: []wantSpan{
			{producer.Name, "SpanKindServer", strings.TrimPrefix(trigger.Procedure, "/")},
			{producer.Name, "SpanKindProducer", "publish " + sg.Trigger.Subject},
			{sg.Orchestrator.Name, "SpanKindConsumer", "process " + sg.Trigger.Subject},
		},
	}
	if r := trigger.Route; r != nil {
		t.Gateway = &traceEntry{
			Auth: r.Auth == model.AuthRequired,
			// The gateway's request span, then its call to the service.
			Spans: []wantSpan{{"gateway", "SpanKindServer", "HTTP " + trigger.Procedure}, {"gateway", "SpanKindClient", "HTTP POST"}},
		}
		if len(r.Roles) > 0 {
			t.Gateway.Roles = r.Roles[:1]
		}
		t.Gateway.Subject = "trace-test"
		if f := trigger.OwnerInput; f != nil {
			t.Gateway.Subject, _ = strconv.Unquote(sample(f, im))
			t.Gateway.Claims = claims
		}
	}
	for _, st := range sg.Steps {
		cmd := st.Call.Command
		procedure := strings.TrimPrefix(cmd.Procedure, "/")
		t.Spans = append(t.Spans, wantSpan{sg.Orchestrator.Name, "SpanKindInternal", "saga " + sg.Name + " call " + st.Name})
		if cmd.Service != sg.Orchestrator { // the orchestrator runs its own commands in-process
			t.Spans = append(t.Spans,
				wantSpan{sg.Orchestrator.Name, "SpanKindClient", procedure},
				wantSpan{cmd.Service.Name, "SpanKindServer", procedure},
			)
		}
	}
	return t
}

// newMetricsTest picks the first command of the first service that has one.
func newMetricsTest(sv *systemView, im imports) *metricsTest {
	for _, s := range sv.Services {
		if len(s.model.Commands) == 0 {
			continue
		}
		c := s.model.Commands[0]
		im.add("io", "net/http", "strings", s.model.ConnectImport)
		importProto(s.model, im)
		return &metricsTest{Service: s.Name, Connect: s.Connect, ProtoService: s.ProtoService, Call: sampleCall(c, im), Procedure: c.Procedure}
	}
	return nil
}
