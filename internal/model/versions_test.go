package model_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
)

// A service at version 2 serves v1 beside v2; the service's own names are
// those of v2, and each version has its own package, files and REST prefix.
func TestAPIVersions(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "versioned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	catalog, orders := sys.Service("catalog"), sys.Service("orders")
	if len(catalog.Versions) != 2 || len(catalog.Older()) != 1 || len(orders.Versions) != 1 || len(orders.Older()) != 0 {
		t.Fatalf("versions: catalog %d, orders %d", len(catalog.Versions), len(orders.Versions))
	}
	v1, v2 := catalog.Versions[0], catalog.Versions[1]
	if v1.Latest || !v2.Latest || v1.Number != 1 || v2.Number != 2 {
		t.Errorf("numbers %d %d, latest %t %t", v1.Number, v2.Number, v1.Latest, v2.Latest)
	}
	for _, c := range []struct{ got, want string }{
		{v1.ProtoPackage, "store.catalog.v1"},
		{v1.ProtoFile, "store/catalog/v1/catalog.proto"},
		{v1.TypesFile, "store/catalog/v1/types.proto"},
		{v1.EventsFile, "store/catalog/v1/events.proto"},
		{v1.GoPackage, "example.com/store/gen/store/catalog/v1"},
		{v1.GoPackageName, "catalogv1"},
		{v1.ConnectImport, "example.com/store/gen/store/catalog/v1/catalogv1connect"},
		{v1.Procedure("GetProduct"), "/store.catalog.v1.CatalogService/GetProduct"},
		{v1.HTTPPrefix, "/v1/catalog"},
		{catalog.ProtoPackage, "store.catalog.v2"},
		{catalog.GoPackageName, "catalogv2"},
		{catalog.ConnectName, "catalogv2connect"},
		{catalog.Command("CreateProduct").Procedure, "/store.catalog.v2.CatalogService/CreateProduct"},
		{catalog.Command("CreateProduct").HTTPPath, "/v2/catalog/create_product"},
		{catalog.Entity("Product").Message.FullName, "store.catalog.v2.Product"},
		{orders.ProtoPackage, "store.orders.v1"},
		{orders.Query("GetOrder").HTTPPath, "/v1/orders/get_order"},
		{strings.Join(catalog.Event("ProductCreated").StoredNames, " "), "store.catalog.v1.ProductCreated store.catalog.v2.ProductCreated"},
		{strings.Join(orders.Entity("Order").Message.StoredNames, " "), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
