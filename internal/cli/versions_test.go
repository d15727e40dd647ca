package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// versionedRepo generates testdata/blueprints/versioned.yaml in place into a
// new directory and returns it: catalog serves v1 and v2, orders v1.
func versionedRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "microforge.yaml", string(src))
	regen(t, dir, ExitOK)
	return dir
}

// buildAndVet builds and vets the whole repository (long run only).
func buildAndVet(t *testing.T, dir string) {
	t.Helper()
	if testing.Short() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	goIn(t, ctx, dir, "build", "./...")
	goIn(t, ctx, dir, "vet", "./...")
}

func exists(t *testing.T, dir, rel string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// Removing v1 from a service's api_versions stops serving it: its protos,
// generated code, adapter, routes and policy entries go, the user's edits
// to the service stay, and the repository still builds.
func TestRegenRemovedAPIVersion(t *testing.T) {
	t.Parallel()
	dir := versionedRepo(t)
	for _, p := range []string{"proto/store/catalog/v1/catalog.proto", "gen/store/catalog/v1/catalog.pb.go", "internal/catalog/api_v1.go", "internal/catalog/api_v1_test.go", "internal/gateway/versions_test.go"} {
		if !exists(t, dir, p) {
			t.Fatalf("%s not generated", p)
		}
	}
	edit(t, dir, "internal/catalog/create_product.go", "// Business rules that need no stored state go here.\n", "// Product names are checked by the merchandising team.\n")
	edit(t, dir, "microforge.yaml", "    version: 2\n", "    version: 2\n    api_versions: [2]\n")
	_, stderr := regen(t, dir, ExitOK)
	// Dropping a version breaks its remaining clients: say so.
	if !strings.Contains(stderr, "proto/store/catalog/v1/catalog.proto: file store/catalog/v1/catalog.proto was deleted") || !strings.Contains(stderr, "(FILE_NO_DELETE)") {
		t.Errorf("the removed version is not flagged as breaking:\n%s", stderr)
	}

	for p := range contents(t, dir) {
		if strings.Contains(p, "catalog/v1") || strings.Contains(p, "/api_v1") || p == "internal/gateway/versions_test.go" {
			if !strings.HasPrefix(p, ".microforge/backup/") {
				t.Errorf("%s left after v1 was removed", p)
			}
		}
	}
	if exists(t, dir, "proto/store/catalog/v1") {
		t.Error("the empty v1 proto folder is left")
	}
	for rel, gone := range map[string]string{
		"internal/catalog/run.go":     "store.catalog.v1",
		"internal/gateway/routes.go":  "/v1/catalog",
		"internal/catalog/service.go": "mountV1",
		"docs/services/catalog.md":    "store.catalog.v1",
	} {
		if s := readFile(t, dir, rel); strings.Contains(s, gone) {
			t.Errorf("%s still mentions %s", rel, gone)
		}
	}
	if s := readFile(t, dir, "internal/catalog/create_product.go"); !strings.Contains(s, "merchandising team") || !strings.Contains(s, "catalogv2.CreateProductRequest") {
		t.Errorf("create_product.go lost the edit or the current version:\n%s", s)
	}
	buildAndVet(t, dir)
}

// Raising a service's version serves v2 beside v1: the user's handlers move
// to the v2 messages with their edits kept, v1 is served by an adapter,
// and the repository builds.
func TestRegenAddedAPIVersion(t *testing.T) {
	t.Parallel()
	dir := versionedRepo(t)
	edit(t, dir, "internal/orders/place_order.go", "// Business rules that need no stored state go here.\n", "// Orders above 100 units need approval.\n")
	edit(t, dir, "microforge.yaml", "  - name: orders\n", "  - name: orders\n    version: 2\n")
	// v1 stays as it was: nothing breaks for its clients.
	if _, stderr := regen(t, dir, ExitOK); strings.Contains(stderr, "breaking") {
		t.Errorf("adding v2 flagged a breaking change:\n%s", stderr)
	}

	for _, p := range []string{"proto/store/orders/v1/orders.proto", "proto/store/orders/v2/orders.proto", "gen/store/orders/v2/orders.pb.go", "internal/orders/api_v1.go"} {
		if !exists(t, dir, p) {
			t.Errorf("%s not generated", p)
		}
	}
	s := readFile(t, dir, "internal/orders/place_order.go")
	if !strings.Contains(s, "above 100 units") || !strings.Contains(s, "ordersv2.PlaceOrderRequest") || strings.Contains(s, "ordersv1") {
		t.Errorf("place_order.go lost the edit or kept v1:\n%s", s)
	}
	routes := readFile(t, dir, "internal/gateway/routes.go")
	for _, want := range []string{`"POST /v1/orders/place_order"`, `"POST /v2/orders/place_order"`, `"/store.orders.v1.OrdersService/PlaceOrder"`} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes.go lacks %s", want)
		}
	}
	buildAndVet(t, dir)
}
