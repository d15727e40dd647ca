package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Spec is what a Group runs.
type Spec struct {
	// Name names the service, "orders"; replica i is "orders-<i>" in logs.
	Name string
	// Replicas is how many processes run at once, at least 1.
	Replicas int
	// Command returns the process of replica i (from 1), which must listen
	// on 127.0.0.1:port. Its standard input belongs to the Group: see
	// ExitWithParent.
	Command func(i, port int) *exec.Cmd
	// Logs receives every replica's output, each line prefixed with
	// "orders-2 | "; nil discards it.
	Logs io.Writer
	// RestartDelay is how long after a replica died it starts again, 1s by
	// default; negative leaves it dead.
	RestartDelay time.Duration
	// ReadyTimeout bounds how long a replica may take to accept
	// connections, 60s by default.
	ReadyTimeout time.Duration
	// StopTimeout is how long Stop waits for a replica after SIGTERM before
	// it kills it, 10s by default.
	StopTimeout time.Duration
}

// Group runs the replicas of one service and keeps its Balancer's backends
// the replicas' addresses.
type Group struct {
	spec     Spec
	lb       *Balancer
	replicas []*process
	logMu    sync.Mutex
	wg       sync.WaitGroup
	stopping chan struct{}
}

// process is one replica, restarted in place: same index, same port.
type process struct {
	i, port  int
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd exits
	restarts int
}

// Start starts spec.Replicas processes, each on a free port of its own,
// the first alone until it accepts connections, then the others; waits
// until every one accepts connections, and points lb at them. A
// replica that dies is started again after spec.RestartDelay until Stop.
func Start(ctx context.Context, spec Spec, lb *Balancer) (*Group, error) {
	if spec.Replicas < 1 {
		spec.Replicas = 1
	}
	if spec.RestartDelay == 0 {
		spec.RestartDelay = time.Second
	}
	if spec.ReadyTimeout <= 0 {
		spec.ReadyTimeout = time.Minute
	}
	if spec.StopTimeout <= 0 {
		spec.StopTimeout = 10 * time.Second
	}
	g := &Group{spec: spec, lb: lb, stopping: make(chan struct{})}
	var addrs []string
	for i := 1; i <= spec.Replicas; i++ {
		port, err := FreePort()
		if err != nil {
			g.Stop()
			return nil, err
		}
		p := &process{i: i, port: port}
		if err := g.start(p); err != nil {
			g.Stop()
			return nil, err
		}
		g.replicas = append(g.replicas, p)
		addrs = append(addrs, p.addr())
		// The first replica is ready before the others start: it applies
		// the database migrations alone (SQLite has no lock that other
		// processes would wait on), as the first pod of a rollout does.
		if i == 1 {
			if err := g.ready(ctx, p); err != nil {
				g.Stop()
				return nil, err
			}
		}
	}
	for _, p := range g.replicas[1:] {
		if err := g.ready(ctx, p); err != nil {
			g.Stop()
			return nil, err
		}
	}
	for _, p := range g.replicas {
		g.wg.Add(1)
		go g.supervise(p)
	}
	lb.SetBackends(addrs)
	return g, nil
}

func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// start starts p's process.
func (g *Group) start(p *process) error {
	cmd := g.spec.Command(p.i, p.port)
	// The replica's standard input stays open as long as this process
	// lives: when it dies, even by SIGKILL, the replica reads EOF and
	// exits (ExitWithParent), so no replica outlives its supervisor.
	// (cmd closes the pipe when the process exits.)
	if _, err := cmd.StdinPipe(); err != nil {
		return err
	}
	out := g.prefixed(fmt.Sprintf("%s-%d | ", g.spec.Name, p.i))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s replica %d: %w", g.spec.Name, p.i, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.flush()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	return nil
}

// ready waits until p accepts connections.
func (g *Group) ready(ctx context.Context, p *process) error {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	deadline := time.Now().Add(g.spec.ReadyTimeout)
	for {
		c, err := net.DialTimeout("tcp", p.addr(), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s replica %d exited before it accepted connections on %s (its output is above)", g.spec.Name, p.i, p.addr())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s replica %d accepts no connections on %s after %s", g.spec.Name, p.i, p.addr(), g.spec.ReadyTimeout)
		}
	}
}

// supervise starts p again whenever it dies, until Stop.
func (g *Group) supervise(p *process) {
	defer g.wg.Done()
	for {
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		select {
		case <-g.stopping:
			return
		case <-exited:
		}
		if g.spec.RestartDelay < 0 {
			return
		}
		select {
		case <-g.stopping:
			return
		case <-time.After(g.spec.RestartDelay):
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		if err := g.start(p); err != nil {
			g.logf("%s-%d | restart: %v", g.spec.Name, p.i, err)
			return
		}
	}
}

// Kill kills replica i (from 1) with SIGKILL and waits until it is gone;
// the Group starts it again after Spec.RestartDelay.
func (g *Group) Kill(i int) error {
	if i < 1 || i > len(g.replicas) {
		return fmt.Errorf("%s has no replica %d", g.spec.Name, i)
	}
	p := g.replicas[i-1]
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-exited
	return nil
}

// Restarts returns how many times replica i (from 1) was started again.
func (g *Group) Restarts(i int) int {
	p := g.replicas[i-1]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Addrs returns the replicas' addresses, replica 1 first.
func (g *Group) Addrs() []string {
	out := make([]string, len(g.replicas))
	for i, p := range g.replicas {
		out[i] = p.addr()
	}
	return out
}

// Stop ends every replica: SIGTERM, then SIGKILL after Spec.StopTimeout.
// It returns once all are gone.
func (g *Group) Stop() {
	select {
	case <-g.stopping:
	default:
		close(g.stopping)
	}
	g.wg.Wait()
	var wg sync.WaitGroup
	for _, p := range g.replicas {
		p.mu.Lock()
		cmd, exited := p.cmd, p.exited
		p.mu.Unlock()
		if cmd == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				_ = cmd.Process.Kill()
			}
			select {
			case <-exited:
			case <-time.After(g.spec.StopTimeout):
				_ = cmd.Process.Kill()
				<-exited
			}
		}()
	}
	wg.Wait()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ExitWithParent ends this process, with status 1, once the process that
// started it as a replica is gone: a Group holds every replica's standard
// input open, so reading it ends only when the Group's process exits. Call
// it first thing in a replica.
func ExitWithParent() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		fmt.Fprintln(os.Stderr, "replica: the process that started this replica is gone; exiting")
		os.Exit(1)
	}()
}

func (g *Group) logf(format string, args ...any) {
	if g.spec.Logs == nil {
		return
	}
	g.logMu.Lock()
	defer g.logMu.Unlock()
	fmt.Fprintf(g.spec.Logs, format+"\n", args...)
}

// prefixed returns a writer passing whole lines to Spec.Logs, each with
// prefix.
func (g *Group) prefixed(prefix string) *lineWriter {
	return &lineWriter{g: g, prefix: prefix}
}

// lineWriter buffers a replica's output until a line is complete.
type lineWriter struct {
	g      *Group
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

func (w *lineWriter) emit(line []byte) {
	if w.g.spec.Logs == nil {
		return
	}
	w.g.logMu.Lock()
	defer w.g.logMu.Unlock()
	_, _ = w.g.spec.Logs.Write(append(append([]byte(w.prefix), line...), '\n'))
}
