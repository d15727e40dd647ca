package cli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPatternsOnRealServers runs the generated tests of events, sagas and
// the end-to-end scenarios of every shipped blueprint with events against
// real servers instead of the embedded defaults: a standalone NATS server
// built from its Go module (TEST_NATS_URL), PostgreSQL (TEST_POSTGRES_URL)
// and MariaDB (TEST_MYSQL_URL) for the services that declare them. Like
// TestServicesOnPostgres it fails instead of skipping when
// MICROFORGE_REQUIRE_POSTGRES=1 or MICROFORGE_REQUIRE_MARIADB=1 and the
// server is missing.
func TestPatternsOnRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and NATS and builds generated repositories")
	}
	pgURL := startPostgres(t)
	mysqlURL := startMariaDB(t)
	for _, name := range []string{"shop", "travel"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			bp := filepath.Join("..", "..", "blueprints", name+".yaml")
			if code, stdout, stderr := run(t, "generate", "-f", bp, "-o", dir); code != ExitOK {
				t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			t.Setenv("TEST_NATS_URL", startNATS(t, ctx, dir))
			t.Setenv("TEST_POSTGRES_URL", pgURL)
			t.Setenv("TEST_MYSQL_URL", mysqlURL)
			out := goIn(t, ctx, dir, "test", "-count=1", "-v", "./internal/...")
			if !strings.Contains(out, "--- PASS: TestSystem/") || !strings.Contains(out, "_reaches_") {
				t.Fatalf("expected the end-to-end event scenarios to run:\n%s", out)
			}
			for _, line := range strings.Split(out, "\n") {
				// Only the outage scenario needs the embedded broker.
				if strings.Contains(line, "--- SKIP") && !strings.Contains(line, "broker_outage") {
					t.Errorf("skipped against real servers: %s", strings.TrimSpace(line))
				}
			}
			t.Logf("generated tests of %s against PostgreSQL, MariaDB and a standalone NATS server:\n%s", name, out)
		})
	}
}

// startNATS builds nats-server from the Go module the generated repository
// in dir requires, runs it with JetStream on a free loopback port until the
// test ends, and returns its URL.
func startNATS(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	goIn(t, ctx, dir, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	logFile, err := os.Create(filepath.Join(t.TempDir(), "nats.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(15 * time.Second); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return "nats://" + addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("nats-server did not listen on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
