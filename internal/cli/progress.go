package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressDelay is how long a generation runs before it starts showing its
// steps: a quick one (the usual case) prints nothing but its summary.
const progressDelay = 400 * time.Millisecond

// progress shows the step a long generation is at on one status line of a
// terminal, rewritten in place and erased at the end. On anything but a
// terminal (a pipe, a file, CI logs) it prints nothing.
type progress struct {
	w     io.Writer
	start time.Time

	mu      sync.Mutex
	step    string
	done    int  // files written so far in the writing step
	shown   bool // a status line is on the screen
	stopped bool
	timer   *time.Timer
}

// newProgress returns a progress for stderr; nil (which does nothing) when
// stderr is not a terminal.
func newProgress(stderr io.Writer) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return startProgress(f, progressDelay)
}

// startProgress shows steps on w once delay has passed.
func startProgress(w io.Writer, delay time.Duration) *progress {
	p := &progress{w: w, start: time.Now()}
	p.timer = time.AfterFunc(delay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.stopped {
			p.shown = true
			p.draw()
		}
	})
	return p
}

// Step says the generation moved on to step ("rendering files").
func (p *progress) Step(step string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.done = step, 0
	if p.shown {
		p.draw()
	}
}

// Writing says how many files are written; it redraws at most every 64
// files, so a tree of thousands costs a few dozen redraws.
func (p *progress) Writing(done int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.done = "writing files", done
	if p.shown && done%64 == 0 {
		p.draw()
	}
}

// Clear erases the status line until the next Step, for other output.
func (p *progress) Clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step = ""
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// Stop erases the status line; nothing is drawn afterwards.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer.Stop()
	p.stopped = true
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// draw rewrites the status line; p.mu is held.
func (p *progress) draw() {
	if p.stopped || p.step == "" {
		return
	}
	line := p.step + "..."
	if p.done > 0 {
		line = fmt.Sprintf("%s... %d", p.step, p.done)
	}
	fmt.Fprintf(p.w, "\r\033[K%s (%s)", line, time.Since(p.start).Round(100*time.Millisecond))
}
