package local_test

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"
	inventoryv1 "github.com/acme/shop/gen/shop/inventory/v1"
	"github.com/acme/shop/gen/shop/inventory/v1/inventoryv1connect"
	ordersv1 "github.com/acme/shop/gen/shop/orders/v1"
	"github.com/acme/shop/gen/shop/orders/v1/ordersv1connect"
	paymentsv1 "github.com/acme/shop/gen/shop/payments/v1"
	"github.com/acme/shop/gen/shop/payments/v1/paymentsv1connect"
	"github.com/acme/shop/internal/local"
	"github.com/acme/shop/internal/platform/client"
	"github.com/acme/shop/internal/platform/logging"
)

// This file is yours: microforge wrote an end-to-end test that boots the
// whole system in-process and calls every service over its real API. Add
// scenarios that cross services here.

func TestSystem(t *testing.T) {
	sys, err := local.Start(t.Context(), local.Options{DataDir: t.TempDir(), Ephemeral: true, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	httpClient := client.New()

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
	t.Run("orders", func(t *testing.T) { testOrders(t, httpClient, sys.URL("orders")) })
	t.Run("payments", func(t *testing.T) { testPayments(t, httpClient, sys.URL("payments")) })
	t.Run("inventory", func(t *testing.T) { testInventory(t, httpClient, sys.URL("inventory")) })
}

// testOrders calls the orders service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testOrders(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := ordersv1connect.NewOrdersServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: "customer_id-1",
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
		if got.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
			t.Errorf("GetStatus() = %v, want %v", got.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_PENDING)
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
		OrderId:     "order_id-1",
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
		OrderId: "order_id-1",
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
