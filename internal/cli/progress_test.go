package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A long generation shows its steps on one status line, rewritten in place
// and erased at the end; a quick one shows nothing.
func TestProgress(t *testing.T) {
	var slow syncBuffer
	p := startProgress(&slow, 0)
	time.Sleep(20 * time.Millisecond) // the timer shows the line
	p.Step("rendering files")
	for i := 1; i <= 130; i++ {
		p.Writing(i)
	}
	p.Clear()
	p.Step("checking")
	p.Stop()
	p.Step("after stop")
	got := slow.String()
	for _, want := range []string{"\r\033[Krendering files... (", "\r\033[Kwriting files... 64 (", "\r\033[Kwriting files... 128 (", "\r\033[Kchecking... ("} {
		if !strings.Contains(got, want) {
			t.Errorf("progress output lacks %q:\n%q", want, got)
		}
	}
	if strings.Contains(got, "writing files... 65") || strings.Contains(got, "after stop") {
		t.Errorf("progress redrew too often or after Stop:\n%q", got)
	}
	if !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("progress did not erase its line at the end:\n%q", got)
	}

	var quick syncBuffer
	p = startProgress(&quick, time.Hour)
	p.Step("rendering files")
	p.Writing(64)
	p.Stop()
	if quick.String() != "" {
		t.Errorf("a quick generation printed %q", quick.String())
	}

	// Not a terminal: nothing at all (nil progress is a no-op).
	var piped bytes.Buffer
	q := newProgress(&piped)
	q.Step("rendering files")
	q.Writing(64)
	q.Clear()
	q.Stop()
	if q != nil || piped.Len() != 0 {
		t.Errorf("progress on a non-terminal: %v %q", q, piped.String())
	}
}
