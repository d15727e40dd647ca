package service

import "testing"

func TestGoNames(t *testing.T) {
	for _, tc := range []struct{ snake, exported, unexported string }{
		{"order_id", "OrderID", "orderID"},
		{"id", "ID", "id"},
		{"customer_id", "CustomerID", "customerID"},
		{"url", "URL", "url"},
		{"callback_url_path", "CallbackURLPath", "callbackURLPath"},
		{"sku", "Sku", "sku"},
		{"trip_id2", "TripId2", "tripId2"},
	} {
		if got := exportedName(tc.snake); got != tc.exported {
			t.Errorf("exportedName(%q) = %q, want %q", tc.snake, got, tc.exported)
		}
		if got := unexportedName(tc.snake); got != tc.unexported {
			t.Errorf("unexportedName(%q) = %q, want %q", tc.snake, got, tc.unexported)
		}
	}
}
