package model

import "testing"

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		fn       func(string) string
		in, want string
	}{
		{GoCamelCase, "customer_id", "CustomerId"},
		{GoCamelCase, "price_cents", "PriceCents"},
		{GoCamelCase, "a_1b", "A_1B"},
		{GoCamelCase, "order_history", "OrderHistory"},
		{JSONCamelCase, "customer_id", "customerId"},
		{JSONCamelCase, "total_cents", "totalCents"},
		{Snake, "PlaceOrder", "place_order"},
		{Snake, "HTTPServer", "http_server"},
		{Snake, "GetV2Order", "get_v2_order"},
		{Snake, "LineItem", "line_item"},
		{Plural, "order", "orders"},
		{Plural, "stock", "stocks"},
		{Plural, "address", "addresses"},
		{Plural, "category", "categories"},
		{Plural, "day", "days"},
		{UpperSnake, "OrderStatus", "ORDER_STATUS"},
		{func(s string) string { return GoPackageName(s, 1) }, "order_history", "orderhistoryv1"},
		{func(s string) string { return GoPackageName(s, 2) }, "order_history", "orderhistoryv2"},
	} {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if w := Words("ConfirmOrder"); len(w) != 2 || w[0] != "confirm" {
		t.Errorf("Words: %v", w)
	}
}
