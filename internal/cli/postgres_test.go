package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// startPostgres starts a throwaway PostgreSQL server on a loopback port and
// returns its URL. Without PostgreSQL binaries on the machine the test is
// skipped, unless MICROFORGE_REQUIRE_POSTGRES=1 (set by .ci/run), in which
// case it fails: CI must never pass by silently skipping.
func startPostgres(t *testing.T) string {
	t.Helper()
	bin := postgresBinDir()
	if bin == "" {
		missingServer(t, "MICROFORGE_REQUIRE_POSTGRES", "PostgreSQL's initdb and pg_ctl were not found")
	}
	dir, port := serverDir(t, "microforge-pg-")

	asRoot := os.Geteuid() == 0 // initdb refuses to run as root
	if asRoot {
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	pg := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if asRoot {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
		}
	}
	data := filepath.Join(dir, "data")
	pg("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
	pg("pg_ctl", "-D", data, "-w", "-l", filepath.Join(dir, "log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir), "start")
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "stop")
		if asRoot {
			cmd = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "stop")
		}
		_ = cmd.Run()
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// postgresBinDir finds the folder holding initdb and pg_ctl.
func postgresBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}
