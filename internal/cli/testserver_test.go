package cli

import (
	"net"
	"os"
	"testing"
)

// missingServer skips the test for a database server that is not
// installed, or fails it when the environment variable requireEnv is "1"
// (.ci/run sets it): CI must never pass by silently skipping.
func missingServer(t *testing.T, requireEnv, why string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s=1 but %s", requireEnv, why)
	}
	t.Skipf("%s; set %s=1 to make this a failure", why, requireEnv)
}

// serverDir returns a temporary directory for a server's data, removed
// when the test ends, and a free loopback port for it to listen on.
func serverDir(t *testing.T, prefix string) (dir string, port int) {
	t.Helper()
	// Short and under the system temporary directory: Unix socket paths
	// are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return dir, port
}
