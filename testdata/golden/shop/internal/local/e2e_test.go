package local_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
	"github.com/acme/shop/gen/shop/inventory/v1/inventoryv1connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/gen/shop/orders/v1/ordersv1connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
	"github.com/acme/shop/gen/shop/payments/v1/paymentsv1connect"
	"github.com/acme/shop/internal/local"
	"github.com/acme/shop/internal/platform/client"
	"github.com/acme/shop/internal/platform/events"
	"github.com/acme/shop/internal/platform/logging"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is yours: microforge wrote an end-to-end test that boots the
// whole system in-process and calls every service over its real API. Add
// scenarios that cross services here.

// testOptions runs the system on free ports with its data in a temporary
// directory; TEST_NATS_URL selects a NATS server with JetStream
// instead of the embedded one.
func testOptions(t *testing.T) local.Options {
	return local.Options{DataDir: t.TempDir(), Ephemeral: true, Logger: logging.Discard(), NATSURL: os.Getenv("TEST_NATS_URL")}
}

// clientOf returns a client calling service as the service itself, which
// may call every one of its methods. Read models of CQRS services are
// eventually consistent: its queries ask to wait until they include every
// event committed before the query (Min-Event-Position: head).
func clientOf(sys *local.System, service string) *http.Client {
	c := sys.Client(service, service)
	c.Transport = headerTransport{base: c.Transport, name: "Min-Event-Position", value: "head"}
	return c
}

// headerTransport sets a header on every request.
type headerTransport struct {
	base        http.RoundTripper
	name, value string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(t.name, t.value)
	return t.base.RoundTrip(r)
}

func TestSystem(t *testing.T) {
	sys, err := local.Start(t.Context(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	// Health and readiness need no service token.
	httpClient := client.New(nil, "")

	t.Run("health", func(t *testing.T) {
		for _, svc := range local.Services {
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := httpClient.Get(sys.URL(svc.Name) + path)
				if err != nil {
					t.Fatalf("%s %s: %v", svc.Name, path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s %s: %s", svc.Name, path, resp.Status)
				}
			}
		}
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("orders", func(t *testing.T) {
		testOrders(t, clientOf(sys, "orders"), sys.URL("orders"))
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("payments", func(t *testing.T) {
		testPayments(t, clientOf(sys, "payments"), sys.URL("payments"))
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("inventory", func(t *testing.T) {
		testInventory(t, clientOf(sys, "inventory"), sys.URL("inventory"))
	})
	t.Run("saga checkout completes", func(t *testing.T) { sagaCheckout(t, sys, true) })
	// Events cross services through the broker: the relay publishes what a
	// command recorded, the consumer's handler calls its command, and that
	// command's event is published in turn, with the caller's trace context.
	t.Run("orders.OrderCancelled reaches inventory", func(t *testing.T) { flowInventoryOrderCancelled(t, sys, false) })
	// A broker outage during a command loses nothing: its events are
	// delivered once the broker is back.
	t.Run("broker outage", func(t *testing.T) {
		if sys.Broker() == nil {
			t.Skip("the system uses an external NATS server")
		}
		flowInventoryOrderCancelled(t, sys, true)
	})
}

// testOrders calls the orders service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testOrders(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: "customer_id-orders",
		Items:      []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
	})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	created := createResp.GetOrder()
	if created.GetId() == "" {
		t.Fatalf("PlaceOrder returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetOrder(ctx, &ordersv1.GetOrderRequest{
			OrderId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		got := resp.GetOrder()
		if got.GetId() != created.GetId() {
			t.Errorf("GetOrder returned %q, want %q", got.GetId(), created.GetId())
		}
	}

	{
		resp, err := grpc.ListOrders(ctx, &ordersv1.ListOrdersRequest{
			CustomerId: created.GetCustomerId(),
		})
		if err != nil {
			t.Fatalf("ListOrders: %v", err)
		}
		found := false
		for _, x := range resp.GetOrders() {
			found = found || x.GetId() == created.GetId()
		}
		if !found {
			t.Errorf("ListOrders = %v, want it to contain %s", resp.GetOrders(), created.GetId())
		}
	}

	if _, err := grpcWeb.ConfirmOrder(ctx, &ordersv1.ConfirmOrderRequest{
		OrderId: created.GetId(),
	}); err != nil {
		t.Fatalf("ConfirmOrder: %v", err)
	}

	{
		resp, err := grpc.GetOrder(ctx, &ordersv1.GetOrderRequest{
			OrderId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		got := resp.GetOrder()
		if got.GetId() != created.GetId() {
			t.Errorf("GetOrder returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED)
		}
	}
}

// testPayments calls the payments service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testPayments(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := paymentsv1connect.NewPaymentsServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := paymentsv1connect.NewPaymentsServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := paymentsv1connect.NewPaymentsServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.CapturePayment(ctx, &paymentsv1.CapturePaymentRequest{
		OrderId:     "order_id-payments",
		AmountCents: 1,
	})
	if err != nil {
		t.Fatalf("CapturePayment: %v", err)
	}
	created := createResp.GetPayment()
	if created.GetId() == "" {
		t.Fatalf("CapturePayment returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetPayment(ctx, &paymentsv1.GetPaymentRequest{
			OrderId: created.GetOrderId(),
		})
		if err != nil {
			t.Fatalf("GetPayment: %v", err)
		}
		got := resp.GetPayment()
		if got.GetId() != created.GetId() {
			t.Errorf("GetPayment returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != paymentsv1.PaymentStatus_PAYMENT_STATUS_CAPTURED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), paymentsv1.PaymentStatus_PAYMENT_STATUS_CAPTURED)
		}
	}

	if _, err := grpcWeb.RefundPayment(ctx, &paymentsv1.RefundPaymentRequest{
		OrderId: created.GetOrderId(),
	}); err != nil {
		t.Fatalf("RefundPayment: %v", err)
	}

	{
		resp, err := grpc.GetPayment(ctx, &paymentsv1.GetPaymentRequest{
			OrderId: created.GetOrderId(),
		})
		if err != nil {
			t.Fatalf("GetPayment: %v", err)
		}
		got := resp.GetPayment()
		if got.GetId() != created.GetId() {
			t.Errorf("GetPayment returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetStatus() != paymentsv1.PaymentStatus_PAYMENT_STATUS_REFUNDED {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), paymentsv1.PaymentStatus_PAYMENT_STATUS_REFUNDED)
		}
	}
}

// testInventory calls the inventory service with the Connect protocol and JSON,
// gRPC, over one port.
func testInventory(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := inventoryv1connect.NewInventoryServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := inventoryv1connect.NewInventoryServiceClient(httpClient, url, connect.WithGRPC())

	if _, err := connectJSON.ReserveStock(ctx, &inventoryv1.ReserveStockRequest{
		OrderId: "order_id-inventory",
		Items:   []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
	}); err != nil {
		t.Fatalf("ReserveStock: %v", err)
	}

	if _, err := grpc.GetStock(ctx, &inventoryv1.GetStockRequest{
		Sku: "sku-1",
	}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("GetStock of nothing: %v, want NotFound", err)
	}
}

// flowInventoryOrderCancelled checks that orders.OrderCancelled reaches inventory: when outage is set, the
// broker is down while the orders command runs.
func flowInventoryOrderCancelled(t *testing.T, sys *local.System, outage bool) {
	ctx := t.Context()
	traceParent := newTraceParent(t)
	httpClient := clientOf(sys, "orders")
	producer := ordersv1connect.NewOrdersServiceClient(tracedClient(httpClient, traceParent), sys.URL("orders"), connect.WithProtoJSON())
	createResp, err := producer.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: "customer_id-1",
		Items:      []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
	})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	created := createResp.GetOrder()
	if outage {
		sys.Broker().Stop()
	}
	if _, err := producer.CancelOrder(ctx, &ordersv1.CancelOrderRequest{
		OrderId: created.GetId(),
		Reason:  "reason-1",
	}); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	if outage {
		time.Sleep(300 * time.Millisecond) // the relay keeps failing meanwhile
		if err := sys.Broker().Resume(); err != nil {
			t.Fatal(err)
		}
	}
	waitForEvent(t, sys, "shop.inventory.stock_released", traceParent)
}

// newTraceParent returns a new W3C traceparent with a random trace id.
func newTraceParent(t *testing.T) string {
	var id [24]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return "00-" + hex.EncodeToString(id[:16]) + "-" + hex.EncodeToString(id[16:]) + "-01"
}

// tracedClient sends traceParent with every request of httpClient.
func tracedClient(httpClient *http.Client, traceParent string) *http.Client {
	base := httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: traceTransport{base: base, traceParent: traceParent}, Timeout: httpClient.Timeout}
}

type traceTransport struct {
	base        http.RoundTripper
	traceParent string
}

func (t traceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("traceparent", t.traceParent)
	return t.base.RoundTrip(r)
}

// sameTrace reports whether two traceparents are of the same trace: the
// services' spans between them change the parent span id.
func sameTrace(a, b string) bool {
	const traceID = len("00-") + 32
	return len(a) >= traceID && len(b) >= traceID && strings.EqualFold(a[:traceID], b[:traceID])
}

// waitForEvent fails the test unless an event on subject in the trace of
// traceParent reaches the stream within 30 seconds.
func waitForEvent(t *testing.T, sys *local.System, subject, traceParent string) {
	t.Helper()
	nc, err := nats.Connect(sys.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		cons, err := js.OrderedConsumer(ctx, events.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
		for err == nil {
			var msg jetstream.Msg
			if msg, err = cons.Next(jetstream.FetchMaxWait(time.Second)); err == nil && sameTrace(msg.Headers().Get(events.HeaderTraceParent), traceParent) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no event on %s in the trace of %s within 30s", subject, traceParent)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// When capture_payment fails (PAYMENTS_MAX_AMOUNT_CENTS set below the amount), the checkout saga
// compensates the completed steps and runs its on_failure call.
func TestSagaCheckoutCompensates(t *testing.T) {
	t.Setenv("PAYMENTS_MAX_AMOUNT_CENTS", "1")
	sys, err := local.Start(t.Context(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	sagaCheckout(t, sys, false)
}

// Stopping the whole system in the middle of a checkout saga loses nothing.
// With capture_payment's call held, the system stops; started again on the same
// data, orders resumes the saga from its persisted state and it completes.
func TestSagaCheckoutSurvivesRestart(t *testing.T) {
	opts := testOptions(t)
	opts.ShutdownTimeout = 500 * time.Millisecond
	held := make(chan struct{})
	var once sync.Once
	opts.Middleware = func(service string, next http.Handler) http.Handler {
		if service != "payments" {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/shop.payments.v1.PaymentsService/CapturePayment" {
				next.ServeHTTP(w, r)
				return
			}
			once.Do(func() { close(held) })
			<-r.Context().Done() // held until the system stops
			http.Error(w, "stopped", http.StatusServiceUnavailable)
		})
	}
	sys, err := local.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	producer := ordersv1connect.NewOrdersServiceClient(clientOf(sys, "orders"), sys.URL("orders"), connect.WithProtoJSON())
	createResp, err := producer.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: "customer_id-1",
		Items:      []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
	})
	if err != nil {
		sys.Stop()
		t.Fatalf("PlaceOrder: %v", err)
	}
	created := createResp.GetOrder()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		sys.Stop()
		t.Fatal("the saga never called capture_payment")
	}
	_ = sys.Stop() // the held work never finishes: errors are expected

	opts.Middleware = nil
	opts.ShutdownTimeout = 0
	sys, err = local.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	// The restarted system has new service keys: new clients.
	producer = ordersv1connect.NewOrdersServiceClient(clientOf(sys, "orders"), sys.URL("orders"), connect.WithProtoJSON())
	st := waitForSaga(t, clientOf(sys, "orders"), sys.URL("orders"), created.GetId(), "completed")
	{
		resp, err := producer.GetOrder(ctx, &ordersv1.GetOrderRequest{
			OrderId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		if got := resp.GetOrder().GetStatus(); got != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			t.Errorf("GetStatus() = %v, want %v", got, ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED)
		}
	}
	wantSagaSteps(t, st, []string{"reserve_stock call done", "capture_payment call done", "confirm_order call done"})
}

// sagaCheckout creates what triggers the checkout saga and checks its outcome
// in the saga's state on orders (GET /sagas) and in the entity.
func sagaCheckout(t *testing.T, sys *local.System, succeed bool) {
	ctx := t.Context()
	producer := ordersv1connect.NewOrdersServiceClient(clientOf(sys, "orders"), sys.URL("orders"), connect.WithProtoJSON())
	createResp, err := producer.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: "customer_id-1",
		Items:      []*ordersv1.LineItem{{Sku: "sku-1", Quantity: 5, PriceCents: 7}},
	})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	created := createResp.GetOrder()
	if succeed {
		st := waitForSaga(t, clientOf(sys, "orders"), sys.URL("orders"), created.GetId(), "completed")
		wantSagaLog(t, st, []string{
			"reserve_stock call done",
			"capture_payment call done",
			"confirm_order call done",
		})
		{
			resp, err := producer.GetOrder(ctx, &ordersv1.GetOrderRequest{
				OrderId: created.GetId(),
			})
			if err != nil {
				t.Fatalf("GetOrder: %v", err)
			}
			if got := resp.GetOrder().GetStatus(); got != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
				t.Errorf("GetStatus() = %v, want %v", got, ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED)
			}
		}
		return
	}
	st := waitForSaga(t, clientOf(sys, "orders"), sys.URL("orders"), created.GetId(), "failed")
	if st.FailedStep != "capture_payment" || st.Error == "" {
		t.Errorf("failed step %q (%s), want capture_payment", st.FailedStep, st.Error)
	}
	var compensated []string
	onFailure := false
	for _, e := range st.Log {
		if e.Action == "compensate" && e.Outcome == "done" {
			compensated = append(compensated, e.Step)
		}
		onFailure = onFailure || (e.Action == "on_failure" && e.Outcome == "done")
	}
	if want := []string{"reserve_stock"}; fmt.Sprint(compensated) != fmt.Sprint(want) {
		t.Errorf("compensated %v, want %v", compensated, want)
	}
	if !onFailure {
		t.Errorf("on_failure (orders.CancelOrder) did not run: %+v", st.Log)
	}
	{
		resp, err := producer.GetOrder(ctx, &ordersv1.GetOrderRequest{
			OrderId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		if got := resp.GetOrder().GetStatus(); got != ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {
			t.Errorf("GetStatus() = %v, want %v", got, ordersv1.OrderStatus_ORDER_STATUS_CANCELLED)
		}
	}
}

// sagaState is a saga as the orchestrator's GET /sagas/{id} shows it.
type sagaState struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	FailedStep string `json:"failed_step"`
	Error      string `json:"error"`
	Log        []struct {
		Step    string `json:"step"`
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
		Error   string `json:"error"`
	} `json:"log"`
}

// waitForSaga waits until the saga about subject reaches status, and fails
// the test if it ends in another status or takes longer than 30s.
func waitForSaga(t *testing.T, httpClient *http.Client, url, subject, status string) *sagaState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list []sagaState
		getJSON(t, httpClient, url+"/sagas?subject="+subject, &list)
		if len(list) > 0 {
			var st sagaState
			getJSON(t, httpClient, url+"/sagas/"+list[0].ID, &st)
			if st.Status == status {
				return &st
			}
			if st.Status == "completed" || st.Status == "failed" {
				t.Fatalf("saga %s ended %s, want %s: %+v", st.ID, st.Status, status, st)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s saga about %s within 30s (sagas: %+v)", status, subject, list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(t *testing.T, httpClient *http.Client, url string, v any) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// wantSagaLog fails the test unless the saga's log is want, each entry
// "step action outcome".
// wantSagaSteps fails the test unless the saga's log has each transition
// of want done once, in any order, whatever retries it also logged.
func wantSagaSteps(t *testing.T, st *sagaState, want []string) {
	t.Helper()
	var got []string
	for _, e := range st.Log {
		if e.Outcome == "done" {
			got = append(got, e.Step+" "+e.Action+" "+e.Outcome)
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("saga transitions done %q, want %q", got, want)
	}
}

func wantSagaLog(t *testing.T, st *sagaState, want []string) {
	t.Helper()
	var got []string
	for _, e := range st.Log {
		got = append(got, e.Step+" "+e.Action+" "+e.Outcome)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("saga log %q, want %q", got, want)
	}
}
