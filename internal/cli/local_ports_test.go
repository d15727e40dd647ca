package cli

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLocalBusyPort is a new user starting the shop while another program
// holds one of its ports: cmd/local gives up within two seconds, naming
// the port, what needed it and how to move it, instead of waiting for a
// server that never comes up. It builds and runs the generated cmd/local,
// so it is skipped under -short.
func TestLocalBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generated cmd/local")
	}
	dir := filepath.Join(t.TempDir(), "shop")
	if code, stdout, stderr := run(t, "generate", "-f", filepath.Join("..", "..", "blueprints", "shop.yaml"), "-o", dir); code != ExitOK {
		t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	bin := buildBins(t, ctx, dir, "shop", "./cmd/local")["local"]

	// hold listens on 127.0.0.1:port (0: a free one) for the test; a port
	// some other program already holds is as good.
	hold := func(port int) int {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if errors.Is(err, syscall.EADDRINUSE) {
			t.Logf("port %d is held by another program already", port)
			return port
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln.Addr().(*net.TCPAddr).Port
	}
	// start runs cmd/local and returns what it printed once it exited,
	// failing the test unless it exited with an error within two seconds.
	start := func(t *testing.T, env []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-data", t.TempDir()}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			took := time.Since(began)
			t.Logf("cmd/local exited after %v: %v\n%s", took.Round(time.Millisecond), err, out.String())
			if err == nil {
				t.Errorf("cmd/local exited successfully with a port taken")
			}
			if took > 2*time.Second {
				t.Errorf("cmd/local took %v to give up, want at most 2s", took)
			}
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("cmd/local still running 2s after start with a port taken:\n%s", out.String())
		}
		return out.String()
	}

	t.Run("NATS port 4222", func(t *testing.T) {
		hold(4222)
		got := start(t, nil)
		for _, want := range []string{"port 4222 ", "embedded NATS server", "-nats-port", "NATS_PORT", "-ephemeral"} {
			if !strings.Contains(got, want) {
				t.Errorf("the message does not say %q:\n%s", want, got)
			}
		}
	})
	t.Run("gateway port moved by the environment", func(t *testing.T) {
		port := hold(0)
		// Every other port free: the services' and NATS's picked by the
		// system (0), the gateway's from GATEWAY_PORT.
		got := start(t, []string{"GATEWAY_PORT=" + strconv.Itoa(port)}, "-nats-port", "0", "-orders-port", "0", "-payments-port", "0", "-inventory-port", "0")
		for _, want := range []string{"port " + strconv.Itoa(port) + " ", "the gateway", "-gateway-port", "GATEWAY_PORT"} {
			if !strings.Contains(got, want) {
				t.Errorf("the message does not say %q:\n%s", want, got)
			}
		}
		if strings.Count(got, "is in use") != 1 {
			t.Errorf("the message names other ports than the gateway's:\n%s", got)
		}
	})
	t.Run("a bad port in the environment", func(t *testing.T) {
		got := start(t, []string{"ORDERS_PORT=eighty"})
		if !strings.Contains(got, `ORDERS_PORT="eighty" is not a port number`) {
			t.Errorf("the message does not name ORDERS_PORT:\n%s", got)
		}
	})
}
