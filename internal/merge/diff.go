// Package merge compares and combines versions of a text file line by line:
// a Myers diff, unified diffs for people to read, and the three-way merge
// (diff3) that regeneration uses to bring a new generation into a file the
// user edited. Conflicts are written with git's diff3-style markers, base
// section included, so every editor and merge tool recognises them.
package merge

import (
	"fmt"
	"strings"
)

// Lines splits text into lines, each keeping its "\n" (the last line may have
// none). Joining the result gives the text back exactly.
func Lines(text []byte) []string {
	var out []string
	s := string(text)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// Edit replaces a[A0:A1] by b[B0:B1]; one of the ranges may be empty.
type Edit struct {
	A0, A1, B0, B1 int
}

// Diff returns the shortest list of edits turning a into b (Myers' O(ND)
// algorithm), ordered and non-overlapping.
func Diff(a, b []string) []Edit {
	// Intern lines so the inner loop compares integers.
	ids := map[string]int{}
	intern := func(ls []string) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)
	// Strip the common prefix and suffix: most regenerations touch little.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	edits := myers(x[pre:len(x)-suf], y[pre:len(y)-suf])
	for i := range edits {
		edits[i].A0 += pre
		edits[i].A1 += pre
		edits[i].B0 += pre
		edits[i].B1 += pre
	}
	return edits
}

func myers(a, b []int) []Edit {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	if n == 0 || m == 0 {
		return []Edit{{0, n, 0, m}}
	}
	max := n + m
	off := max
	v := make([]int, 2*max+2)
	var trace [][]int
	var dEnd int
search:
	for d := 0; d <= max; d++ {
		// Keep only the diagonals round d can read: memory O(D²), not O(D·(N+M)).
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var xi int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				xi = v[off+k+1]
			} else {
				xi = v[off+k-1] + 1
			}
			yi := xi - k
			for xi < n && yi < m && a[xi] == b[yi] {
				xi++
				yi++
			}
			v[off+k] = xi
			if xi >= n && yi >= m {
				dEnd = d
				break search
			}
		}
	}
	// Walk back through the trace, collecting the diagonal runs (matches).
	type match struct{ x, y, n int }
	var matches []match
	xi, yi := n, m
	for d := dEnd; d > 0; d-- {
		vp := trace[d] // vp[d+k] is diagonal k after round d-1
		k := xi - yi
		var pk int
		if k == -d || (k != d && vp[d+k-1] < vp[d+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := vp[d+pk]
		py := px - pk
		// Diagonal from the end of the previous step's move to (xi, yi).
		sx, sy := px, py
		if pk == k+1 {
			sy = py + 1 // moved down: an insertion from b
		} else {
			sx = px + 1 // moved right: a deletion from a
		}
		if xi > sx {
			matches = append(matches, match{sx, sy, xi - sx})
		}
		xi, yi = px, py
	}
	if xi > 0 { // the d = 0 diagonal
		matches = append(matches, match{0, 0, xi})
	}
	var edits []Edit
	ax, by := 0, 0
	for i := len(matches) - 1; i >= 0; i-- {
		mt := matches[i]
		if mt.x > ax || mt.y > by {
			edits = append(edits, Edit{ax, mt.x, by, mt.y})
		}
		ax, by = mt.x+mt.n, mt.y+mt.n
	}
	if ax < n || by < m {
		edits = append(edits, Edit{ax, n, by, m})
	}
	return edits
}

// Unified returns a unified diff (3 lines of context) from a to b, labelled
// with the two names, or "" when they are equal.
func Unified(nameA, nameB string, a, b []byte) string {
	la, lb := Lines(a), Lines(b)
	edits := Diff(la, lb)
	if len(edits) == 0 {
		return ""
	}
	const ctx = 3
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", nameA, nameB)
	for i := 0; i < len(edits); {
		// Group edits whose context overlaps into one hunk.
		j := i
		for j+1 < len(edits) && edits[j+1].A0-edits[j].A1 <= 2*ctx {
			j++
		}
		a0 := max(edits[i].A0-ctx, 0)
		b0 := max(edits[i].B0-ctx, 0)
		a1 := min(edits[j].A1+ctx, len(la))
		b1 := min(edits[j].B1+ctx, len(lb))
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(a0, a1-a0), hunkRange(b0, b1-b0))
		pos := a0
		for _, e := range edits[i : j+1] {
			for ; pos < e.A0; pos++ {
				line(&sb, " ", la[pos])
			}
			for _, l := range la[e.A0:e.A1] {
				line(&sb, "-", l)
			}
			for _, l := range lb[e.B0:e.B1] {
				line(&sb, "+", l)
			}
			pos = e.A1
		}
		for ; pos < a1; pos++ {
			line(&sb, " ", la[pos])
		}
		i = j + 1
	}
	return sb.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func line(sb *strings.Builder, prefix, l string) {
	sb.WriteString(prefix)
	sb.WriteString(l)
	if !strings.HasSuffix(l, "\n") {
		sb.WriteString("\n\\ No newline at end of file\n")
	}
}
