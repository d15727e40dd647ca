package cli

import (
	"strings"
	"testing"
)

// Constraints added to, changed on or removed from fields of a running
// system are protovalidate options, not wire changes: regeneration is not
// refused as breaking, no field number moves, and a file gaining its first
// rule imports buf/validate.
func TestRegenConstraintsAreNotBreaking(t *testing.T) {
	t.Parallel()
	dir := shopRepo(t)
	const captureWith = "CapturePayment: {input: {order_id: string, amount_cents: {type: int64, min: 0}}"
	const captureWithout = "CapturePayment: {input: {order_id: string, amount_cents: int64}"
	edit(t, dir, "microforge.yaml", captureWith, captureWithout)
	regen(t, dir, ExitOK)
	if proto := readFile(t, dir, "proto/shop/payments/v1/payments.proto"); strings.Contains(proto, "buf.validate") {
		t.Fatalf("payments.proto without constraints still uses protovalidate:\n%s", proto)
	}
	wire := readFile(t, dir, ".microforge/wire.json")

	edit(t, dir, "microforge.yaml", captureWithout, captureWith)
	edit(t, dir, "microforge.yaml", "quantity: {type: int32, min: 1}", "quantity: {type: int32, min: 1, max: 1000}")
	edit(t, dir, "microforge.yaml", "reason: {type: string, max_len: 500}", "reason: {type: string, min_len: 1, max_len: 500}")
	edit(t, dir, "microforge.yaml", "GetOrder: {input: {order_id: string}", "GetOrder: {input: {order_id: {type: string, required: true}}")
	edit(t, dir, "microforge.yaml", "price_cents: {type: int64, min: 0}", "price_cents: int64")
	_, stderr := regen(t, dir, ExitOK)
	if strings.Contains(stderr, "breaking") || strings.Contains(stderr, "refuse") {
		t.Errorf("constraint changes reported as breaking:\n%s", stderr)
	}
	if got := readFile(t, dir, ".microforge/wire.json"); got != wire {
		t.Errorf("wire.json changed:\n%s\nwant\n%s", got, wire)
	}
	for file, want := range map[string][]string{
		"proto/shop/payments/v1/payments.proto": {`import "buf/validate/validate.proto";`, "int64 amount_cents = 2 [(buf.validate.field).int64.gte = 0];"},
		"proto/shop/orders/v1/types.proto":      {"int32 quantity = 2 [\n    (buf.validate.field).int32.gte = 1,\n    (buf.validate.field).int32.lte = 1000\n  ];", "int64 price_cents = 3;"},
		"proto/shop/orders/v1/orders.proto":     {"string order_id = 1 [(buf.validate.field).required = true];"},
	} {
		proto := readFile(t, dir, file)
		for _, w := range want {
			if !strings.Contains(proto, w) {
				t.Errorf("%s lacks %q:\n%s", file, w, proto)
			}
		}
	}
	stdout, _ := regen(t, dir, ExitOK)
	if !strings.Contains(stdout, " 0 created, 0 updated, 0 merged") {
		t.Errorf("second generation changed files:\n%s", stdout)
	}
}
