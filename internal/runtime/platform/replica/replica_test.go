package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a replica (REPLICA_TEST_INDEX set: an HTTP
// server answering its index) and as a supervisor of one replica
// (REPLICA_TEST_SUPERVISE set: it prints the replica's pid, then waits to
// be killed).
func TestMain(m *testing.M) {
	if i := os.Getenv("REPLICA_TEST_INDEX"); i != "" {
		ExitWithParent()
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("REPLICA_TEST_PORT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("replica", i, "listening")
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, i) }))
		os.Exit(1)
	}
	if os.Getenv("REPLICA_TEST_SUPERVISE") != "" {
		g, err := Start(context.Background(), Spec{Name: "svc", Replicas: 1, Command: testReplica}, NewBalancer())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		g.replicas[0].mu.Lock()
		fmt.Println(g.replicas[0].cmd.Process.Pid)
		g.replicas[0].mu.Unlock()
		select {}
	}
	os.Exit(m.Run())
}

func testReplica(i, port int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REPLICA_TEST_INDEX="+strconv.Itoa(i), "REPLICA_TEST_PORT="+strconv.Itoa(port))
	return cmd
}

// syncBuffer collects the replicas' logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startGroup runs three test replicas behind a balancer on a free port.
func startGroup(t *testing.T, restart time.Duration) (*Group, string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	lb := NewBalancer()
	g, err := Start(ctx, Spec{Name: "svc", Replicas: 3, Command: testReplica, Logs: logs, RestartDelay: restart}, lb)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- lb.Serve(ctx, ln) }()
	t.Cleanup(func() {
		g.Stop()
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return g, "http://" + ln.Addr().String(), logs
}

// get asks the balancer on a new connection which replica answers.
func get(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func TestBalancerTakesTurns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	g, url, logs := startGroup(t, time.Second)
	counts := map[string]int{}
	for range 30 {
		who, err := get(url)
		if err != nil {
			t.Fatal(err)
		}
		counts[who]++
	}
	if counts["1"] != 10 || counts["2"] != 10 || counts["3"] != 10 {
		t.Errorf("30 connections went %v, want 10 to each replica", counts)
	}
	if got := len(g.Addrs()); got != 3 {
		t.Errorf("%d addresses, want 3", got)
	}
	if !strings.Contains(logs.String(), "svc-2 | replica 2 listening\n") {
		t.Errorf("logs lack replica 2's line, prefixed:\n%s", logs.String())
	}
}

// A killed replica gets no connections while it is down, and serves again
// once the group restarted it.
func TestKilledReplicaIsSkippedAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	g, url, _ := startGroup(t, 300*time.Millisecond)
	if err := g.Kill(2); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		who, err := get(url)
		if err != nil {
			t.Fatalf("a replica is down, the others are not: %v", err)
		}
		if who == "2" {
			// It may be back already, if this machine is slow.
			if g.Restarts(2) == 0 {
				t.Fatal("the killed replica answered")
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := map[string]bool{}
		for range 6 {
			if who, err := get(url); err == nil {
				seen[who] = true
			}
		}
		if seen["2"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica 2 does not serve again (restarts: %d)", g.Restarts(2))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g.Restarts(2) != 1 || g.Restarts(1) != 0 {
		t.Errorf("restarts: replica 1 %d, replica 2 %d; want 0 and 1", g.Restarts(1), g.Restarts(2))
	}
}

func TestStopEndsEveryReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	g, _, _ := startGroup(t, time.Second)
	addrs := g.Addrs()
	g.Stop()
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Stop", a)
		}
	}
}

func TestNoBackend(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	lb := NewBalancer("127.0.0.1:" + strconv.Itoa(port))
	if _, err := lb.dial(context.Background()); !errors.Is(err, ErrNoBackend) {
		t.Errorf("dial with every backend down: %v, want ErrNoBackend", err)
	}
}

// A replica whose supervisor is killed with SIGKILL exits by itself.
func TestReplicaExitsWithItsSupervisor(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REPLICA_TEST_SUPERVISE=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("no replica pid: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
			t.Fatalf("replica %d outlived its supervisor by 10s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether the process pid runs. A zombie (exited, not yet
// reaped by an init that does not reap) counts as gone.
func alive(pid int) bool {
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		// pid (comm) state ...
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
