package cli

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startMariaDB starts a throwaway MariaDB server on a loopback port and
// returns a URL the generated dbtest package accepts (TEST_MYSQL_URL).
// Without MariaDB on the machine the test is skipped, unless
// MICROFORGE_REQUIRE_MARIADB=1 (set by .ci/run), in which case it fails.
func startMariaDB(t *testing.T) string {
	t.Helper()
	server, errServer := exec.LookPath("mariadbd")
	if errServer != nil {
		server, errServer = exec.LookPath("/usr/sbin/mariadbd")
	}
	install, errInstall := exec.LookPath("mariadb-install-db")
	if errServer != nil || errInstall != nil {
		missingServer(t, "MICROFORGE_REQUIRE_MARIADB", "MariaDB's mariadbd and mariadb-install-db were not found")
	}
	dir, port := serverDir(t, "microforge-mariadb-")

	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"} // mariadbd refuses to run as root otherwise
	}
	data := filepath.Join(dir, "data")
	args := append([]string{"--no-defaults", "--datadir=" + data, "--skip-test-db", "--auth-root-authentication-method=normal"}, user...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "log")
	cmd := exec.Command(server, append([]string{"--no-defaults", "--datadir=" + data,
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--skip-grant-tables",
		"--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=0",
		"--log-error=" + logPath}, user...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("MariaDB did not listen on %s: %v\n%s", addr, err, strings.TrimSpace(string(log)))
		}
	}
	return fmt.Sprintf("mysql://root@tcp(%s)/mysql", addr)
}
