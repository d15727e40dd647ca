package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestLoadTool runs the generated shop's cmd/load against its running
// cmd/local, as a user would: a short load with many customers places
// orders (among every other routed call), reports PlaceOrder, and every
// checkout it started settles (settles). When the system dies during the
// load, its sagas cannot be seen to end, and cmd/load fails saying how many
// (unsettled).
func TestLoadTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated system")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml"))
	bins := buildBins(t, ctx, dir, "load", "./cmd/local", "./cmd/load")
	data := t.TempDir()
	sys := startLocal(t, ctx, bins["local"], data, nil)

	t.Run("settles", func(t *testing.T) {
		out := &syncBuffer{}
		cmd := exec.CommandContext(ctx, bins["load"], "-gateway", sys.url("gateway"), "-data", data, "-duration", "5s", "-concurrency", "8")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			t.Fatalf("cmd/load: %v\n%s\ncmd/local logs:\n%s", err, out.String(), sys.log.String())
		}
		report := out.String()
		t.Logf("cmd/load:\n%s", report)
		m := regexp.MustCompile(`(?m)^orders\.PlaceOrder +(\d+) +(\d+) `).FindStringSubmatch(report)
		if m == nil || m[2] == "0" {
			t.Fatalf("the report names no accepted PlaceOrder:\n%s", report)
		}
		placed := m[2]
		want := regexp.MustCompile(`saga checkout: all ` + placed + ` started by orders\.PlaceOrder reached a terminal state \((\d+) ORDER_STATUS_CONFIRMED`)
		if !want.MatchString(report) {
			t.Errorf("the report does not say all %s checkouts settled:\n%s", placed, report)
		}
		if lines := regexp.MustCompile(`(?m)req/s .* in flight .* sagas started$`).FindAllString(report, -1); len(lines) < 3 {
			t.Errorf("%d progress lines in a 5s load, want one a second:\n%s", len(lines), report)
		}
	})

	t.Run("unsettled", func(t *testing.T) {
		out := &syncBuffer{}
		cmd := exec.CommandContext(ctx, bins["load"], "-gateway", sys.url("gateway"), "-data", data,
			"-flows", "checkout", "-duration", "6s", "-concurrency", "4", "-settle", "2s")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := regexp.MustCompile(`(\d+) sagas started`)
		eventually(t, 30*time.Second, "cmd/load reports started checkouts", func() string {
			for _, m := range started.FindAllStringSubmatch(out.String(), -1) {
				if n, _ := strconv.Atoi(m[1]); n > 0 {
					return ""
				}
			}
			return "no checkout started yet:\n" + out.String()
		})
		// The system dies: no checkout can end, nor be seen to.
		if err := sys.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-sys.exited
		err := cmd.Wait()
		report := out.String()
		t.Logf("cmd/load:\n%s", report)
		if cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("cmd/load after the system died: %v, want exit status 1", err)
		}
		m := regexp.MustCompile(`saga checkout: (\d+) of (\d+) started by orders\.PlaceOrder did not reach a terminal state`).FindStringSubmatch(report)
		if m == nil || m[1] != m[2] || m[1] == "0" {
			t.Errorf("the report does not name every started checkout unsettled:\n%s", report)
		}
		if !regexp.MustCompile(`FAIL: ` + "\\d+" + ` sagas did not reach a terminal state within -settle 2s`).MatchString(report) {
			t.Errorf("no failure line:\n%s", report)
		}
	})
}
