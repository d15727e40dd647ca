package merge

import (
	"bytes"
	"strings"
)

// Resolve says what a three-way merge does where both sides changed the same
// lines differently.
type Resolve int

const (
	// Markers writes both sides and the base between conflict markers.
	Markers Resolve = iota
	// Mine keeps the lines of the edited (on-disk) version.
	Mine
	// Theirs takes the lines of the new version.
	Theirs
)

// Labels name the three versions in conflict markers.
type Labels struct {
	Mine, Base, Theirs string
}

// Result is the outcome of a three-way merge.
type Result struct {
	Content   []byte
	Conflicts int // regions both sides changed differently (resolved or marked)
}

// Marker lines, git's diff3 style.
const (
	markMine   = "<<<<<<< "
	markBase   = "||||||| "
	markSplit  = "======="
	markTheirs = ">>>>>>> "
)

// Merge3 combines the changes from base to mine and from base to theirs. Lines
// only one side changed take that side's version; lines both changed the same
// way are taken once; lines both changed differently are a conflict, handled
// as resolve says. Changes that only border each other both apply.
func Merge3(base, mine, theirs []byte, labels Labels, resolve Resolve) Result {
	o, a, b := Lines(base), Lines(mine), Lines(theirs)
	ea, eb := Diff(o, a), Diff(o, b)
	var out strings.Builder
	conflicts := 0
	pos := 0 // next base line to copy
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		// Start a region at the earliest edit, then absorb every edit of
		// either side that overlaps it.
		i0, j0 := i, j
		var lo, hi int
		if j >= len(eb) || (i < len(ea) && before(ea[i], eb[j])) {
			lo, hi = ea[i].A0, ea[i].A1
			i++
		} else {
			lo, hi = eb[j].A0, eb[j].A1
			j++
		}
		for {
			switch {
			case i < len(ea) && overlaps(lo, hi, ea[i]):
				hi = max(hi, ea[i].A1)
				i++
			case j < len(eb) && overlaps(lo, hi, eb[j]):
				hi = max(hi, eb[j].A1)
				j++
			default:
				goto region
			}
		}
	region:
		for ; pos < lo; pos++ {
			out.WriteString(o[pos])
		}
		pos = hi
		mineSide := side(a, ea[i0:i], lo, hi)
		theirSide := side(b, eb[j0:j], lo, hi)
		switch {
		case i == i0:
			writeAll(&out, theirSide)
		case j == j0:
			writeAll(&out, mineSide)
		case equal(mineSide, theirSide):
			writeAll(&out, mineSide)
		default:
			conflicts++
			switch resolve {
			case Mine:
				writeAll(&out, mineSide)
			case Theirs:
				writeAll(&out, theirSide)
			default:
				marker(&out, markMine+labels.Mine)
				writeAll(&out, mineSide)
				marker(&out, markBase+labels.Base)
				writeAll(&out, o[lo:hi])
				marker(&out, markSplit)
				writeAll(&out, theirSide)
				marker(&out, markTheirs+labels.Theirs)
			}
		}
	}
	for ; pos < len(o); pos++ {
		out.WriteString(o[pos])
	}
	return Result{Content: []byte(out.String()), Conflicts: conflicts}
}

// before orders edits by where they start in the base; an insertion comes
// before a change that starts at the same line.
func before(a, b Edit) bool {
	if a.A0 != b.A0 {
		return a.A0 < b.A0
	}
	return a.A0 == a.A1 || b.A0 != b.A1
}

// overlaps reports whether edit e and the base region [lo, hi) touch the same
// base lines, or insert at the same place. An edit that only borders the
// region does not overlap it: both changes apply, in base order. (git and
// GNU diff3 also call bordering changes a conflict; generated code grows by
// lines added next to the user's, so microforge merges them.)
func overlaps(lo, hi int, e Edit) bool {
	if lo == hi && e.A0 == e.A1 {
		return e.A0 == lo
	}
	return e.A0 < hi && e.A1 > lo
}

// side returns the lines of one side that replace base[lo:hi], given that
// side's edits inside the region (none: the side left the region as is).
func side(lines []string, edits []Edit, lo, hi int) []string {
	if len(edits) == 0 {
		return nil // the caller never uses an unchanged side
	}
	first, last := edits[0], edits[len(edits)-1]
	from := first.B0 - (first.A0 - lo)
	to := last.B1 + (hi - last.A1)
	return lines[from:to]
}

func writeAll(sb *strings.Builder, lines []string) {
	for _, l := range lines {
		sb.WriteString(l)
	}
}

// marker writes a marker line, ending an unterminated last line first so the
// marker starts a line of its own.
func marker(sb *strings.Builder, m string) {
	if s := sb.String(); s != "" && !strings.HasSuffix(s, "\n") {
		sb.WriteString("\n")
	}
	sb.WriteString(m)
	sb.WriteString("\n")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// HasMarkers reports whether text still holds conflict markers from Merge3:
// a line starting "<<<<<<< " and a later one starting ">>>>>>> ".
func HasMarkers(text []byte) bool {
	start := -1
	if bytes.HasPrefix(text, []byte(markMine)) {
		start = 0
	} else if k := bytes.Index(text, []byte("\n"+markMine)); k >= 0 {
		start = k + 1
	}
	if start < 0 {
		return false
	}
	return bytes.Contains(text[start:], []byte("\n"+markTheirs))
}
