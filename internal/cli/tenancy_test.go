package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tenancyLater is a blueprint generated without tenancy, then with.
const tenancyLater = `version: 1
name: journal
module: example.com/journal
services:
  - name: notes
    entities:
      Note: {title: string}
    commands:
      CreateNote: {input: {title: string}}
    queries:
      GetNote: {input: {note_id: string}, output: Note}
gateway:
  routes: [{service: notes}]
auth:
  jwt: {issuer: https://auth.test/, audience: journal, jwks_url: https://auth.test/jwks.json}
`

// Adding tenancy to a repository whose services have migrations is
// refused, naming the service, and nothing is written: the rows its
// databases hold belong to no tenant.
func TestTenancyCannotBeAddedLater(t *testing.T) {
	dir := t.TempDir()
	bp := filepath.Join(dir, "microforge.yaml")
	if err := os.WriteFile(bp, []byte(tenancyLater), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := run(t, "generate", "-f", bp); code != ExitOK {
		t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
	}
	before := snapshot(t, dir)
	if err := os.WriteFile(bp, []byte(tenancyLater+"tenancy: {claim: tenant}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "generate", "-f", bp)
	if code != ExitError || !strings.Contains(stderr, "service notes was generated without tenancy") {
		t.Fatalf("adding tenancy: exit %d\n%s%s", code, stdout, stderr)
	}
	after := snapshot(t, dir)
	for p, s := range before {
		if p != bp && after[p] != s {
			t.Errorf("the refused generation touched %s", p)
		}
	}
	if len(after) != len(before) {
		t.Errorf("the refused generation changed the number of files: %d -> %d", len(before), len(after))
	}
}

// TestTenantsOnRealDatabases runs the generated tests of the tenants
// blueprint's PostgreSQL and MySQL services, the two-tenant ones included,
// against real PostgreSQL and MariaDB servers: their migrations (tenant
// columns, composite keys, indexes starting with the tenant) and tenant
// scoped statements in the production dialects.
func TestTenantsOnRealDatabases(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and MariaDB and builds a generated repository")
	}
	pgURL, mysqlURL := startPostgres(t), startMariaDB(t)
	dir := filepath.Join(t.TempDir(), "tenants")
	bp := filepath.Join("..", "..", "testdata", "blueprints", "tenants.yaml")
	if code, stdout, stderr := run(t, "generate", "-f", bp, "-o", dir); code != ExitOK {
		t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	t.Setenv("TEST_POSTGRES_URL", pgURL)
	t.Setenv("TEST_MYSQL_URL", mysqlURL)
	out := goIn(t, ctx, dir, "test", "-count=1", "-v", "./internal/orders", "./internal/payments")
	for _, want := range []string{"--- PASS: TestTenantsOrder ", "--- PASS: TestTenantsPayment ", "--- PASS: TestTenantsEvents ", "--- PASS: TestTenantsSagas "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--- SKIP") {
		t.Errorf("tests skipped against real databases:\n%s", out)
	}
}
