package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOwnershipThroughGateway is the acceptance of owner rules, tried as a
// new user would: the shop runs (cmd/local), and development tokens from
// cmd/token sign in alice and mallory, customers, and root, an admin, at
// the gateway. Order is owned by its customer_id (the sub claim), with
// admin_roles [admin].
func TestOwnershipThroughGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated system")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml"))
	bins := buildBins(t, ctx, dir, "gen1", "./cmd/local", "./cmd/token")
	data := t.TempDir()
	sys := startLocal(t, ctx, bins["local"], data, nil)
	defer sys.stop()
	as := func(sub, roles string) *shopAPI {
		t.Helper()
		out, err := exec.CommandContext(ctx, bins["token"], "--sub", sub, "--roles", roles, "--data", data).Output()
		if err != nil {
			t.Fatalf("cmd/token --sub %s: %v", sub, err)
		}
		return newShopAPI(t, ctx, sys.url("gateway"), strings.TrimSpace(string(out)))
	}
	alice, mallory, admin := as("alice", "customer"), as("mallory", "customer"), as("root", "admin")
	head := map[string]string{"Min-Event-Position": "head"}

	// Alice's order goes through the checkout saga: its steps call
	// inventory, payments and ConfirmOrder as the orders service.
	o := alice.place(placedOrder{sku: "sku-owned", quantity: 2, priceCents: 500})
	alice.check(alice.awaitConfirmed(o), o)

	// Mallory cannot read it: 404, as for an order that does not exist.
	code, theirs := mallory.do(http.MethodGet, "/v1/orders/get_order?order_id="+url.QueryEscape(o.id), nil, head)
	missingCode, missing := mallory.do(http.MethodGet, "/v1/orders/get_order?order_id=no-such-order", nil, head)
	if code != http.StatusNotFound || missingCode != http.StatusNotFound {
		t.Errorf("mallory reading alice's order: %d %s (a missing one: %d), want 404", code, theirs, missingCode)
	}
	if a, b := errorMessage(t, theirs), errorMessage(t, missing); strings.ReplaceAll(a, o.id, "no-such-order") != b {
		t.Errorf("alice's order reads as %q to mallory, a missing one as %q: existence leaks", a, b)
	}

	// Nor change it.
	for path, body := range map[string]any{
		"/v1/orders/cancel_order":  map[string]any{"orderId": o.id, "reason": "mine now"},
		"/v1/orders/confirm_order": map[string]any{"orderId": o.id},
	} {
		if code, got := mallory.do(http.MethodPost, path, body, nil); code != http.StatusNotFound {
			t.Errorf("mallory: POST %s on alice's order: %d %s, want 404", path, code, got)
		}
	}

	// Nor list it: a filter naming alice is 403, her own list is empty.
	if code, got := mallory.do(http.MethodGet, "/v1/orders/list_orders?customer_id=alice", nil, head); code != http.StatusForbidden {
		t.Errorf("mallory listing alice's orders: %d %s, want 403", code, got)
	}
	if got := mallory.get("/v1/orders/list_orders", head); len(listed(got)) != 0 {
		t.Errorf("mallory's own orders: %v, want none", got)
	}

	// Nor place an order in alice's name.
	body := map[string]any{"customerId": "alice", "items": []any{map[string]any{"sku": "sku-x", "quantity": 1, "priceCents": 100}}}
	if code, got := mallory.do(http.MethodPost, "/v1/orders/place_order", body, nil); code != http.StatusForbidden {
		t.Errorf("mallory placing an order for alice: %d %s, want 403", code, got)
	}

	// The order is unchanged, alice lists it (naming herself or not), and
	// an admin reads it.
	alice.check(alice.order(o.id), o)
	for _, path := range []string{"/v1/orders/list_orders", "/v1/orders/list_orders?customer_id=alice"} {
		if ids := listed(alice.get(path, head)); len(ids) != 1 || ids[0] != o.id {
			t.Errorf("alice's GET %s lists %v, want [%s]", path, ids, o.id)
		}
	}
	admin.check(admin.order(o.id), o)

	// A customer leaving customer_id empty places the order in their own
	// name.
	own := mallory.post("/v1/orders/place_order", map[string]any{"items": []any{map[string]any{"sku": "sku-y", "quantity": 1, "priceCents": 100}}})
	if order, _ := own["order"].(map[string]any); order["customerId"] != "mallory" {
		t.Errorf("an order placed without customer_id: %v, want mallory's", own)
	}
}

// errorMessage is the message of a REST error body.
func errorMessage(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
		t.Fatalf("not an error: %s (%v)", body, err)
	}
	return e.Message
}

// listed returns the ids of a ListOrders answer.
func listed(got map[string]any) []string {
	var ids []string
	items, _ := got["orders"].([]any)
	for _, it := range items {
		if o, ok := it.(map[string]any); ok {
			id, _ := o["id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}
