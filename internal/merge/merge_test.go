package merge

import (
	"math/rand"
	"strings"
	"testing"
)

// lcsLen is the textbook dynamic programme: the length of a longest common
// subsequence, which a minimal diff must keep.
func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func randomLines(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a'+r.Intn(4))) + "\n"
	}
	return out
}

func TestDiffIsCorrectAndMinimal(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 2000; iter++ {
		a, b := randomLines(r, r.Intn(12)), randomLines(r, r.Intn(12))
		edits := Diff(a, b)
		// Applying the edits to a gives b.
		var got []string
		pos, removed := 0, 0
		for k, e := range edits {
			if e.A0 < pos || e.A1 < e.A0 || e.B1 < e.B0 || (k > 0 && e.A0 == edits[k-1].A1 && e.B0 == edits[k-1].B1) {
				t.Fatalf("bad edit list %v for %q -> %q", edits, a, b)
			}
			got = append(got, a[pos:e.A0]...)
			got = append(got, b[e.B0:e.B1]...)
			removed += e.A1 - e.A0
			pos = e.A1
		}
		got = append(got, a[pos:]...)
		if strings.Join(got, "") != strings.Join(b, "") {
			t.Fatalf("edits %v turn %q into %q, want %q", edits, a, got, b)
		}
		if keep := len(a) - removed; keep != lcsLen(a, b) {
			t.Fatalf("diff of %q and %q keeps %d lines, the LCS has %d", a, b, keep, lcsLen(a, b))
		}
	}
}

func TestUnified(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13"
	want := `--- a/f
+++ b/f
@@ -1,6 +1,6 @@
 1
 2
-3
+three
 4
 5
 6
@@ -10,3 +10,4 @@
 10
 11
 12
+13
\ No newline at end of file
`
	if got := Unified("a/f", "b/f", []byte(a), []byte(b)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := Unified("a", "b", []byte(a), []byte(a)); got != "" {
		t.Errorf("equal inputs: %q", got)
	}
	if got := Unified("a", "b", nil, []byte("x\n")); got != "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("creation: %q", got)
	}
}

var labels = Labels{Mine: "yours", Base: "last generated", Theirs: "new generation"}

func TestMerge3(t *testing.T) {
	base := "func f() {\n\tcheck()\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n"
	for _, c := range []struct {
		name, mine, theirs string
		resolve            Resolve
		want               string
		conflicts          int
	}{{
		name:   "both sides change different lines",
		mine:   "func f() {\n\tcheck()\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n",
		theirs: "// f does things.\nfunc f() {\n\tcheck()\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n\nfunc h() {}\n",
		want:   "// f does things.\nfunc f() {\n\tcheck()\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n\nfunc h() {}\n",
	}, {
		name:   "both sides make the same change",
		mine:   "func f() {\n\tcheck(x)\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		theirs: "func f() {\n\tcheck(x)\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		want:   "func f() {\n\tcheck(x)\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
	}, {
		name:   "changes to neighbouring lines both apply",
		mine:   "func f() {\n\tcheck()\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n",
		theirs: "func f() {\n\tcheck(x)\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		want:   "func f() {\n\tcheck(x)\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n",
	}, {
		name:   "an insertion before a changed line comes first",
		mine:   "func f() {\n\tcheck()\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n",
		theirs: "func f() {\n\tcheck()\n\tcheckMore()\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		want:   "func f() {\n\tcheck()\n\tcheckMore()\n\tmyLogic()\n\treturn\n}\n\nfunc g() {}\n",
	}, {
		name:      "two insertions at the same place conflict",
		mine:      "func f() {\n\tcheck()\n\tmine()\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		theirs:    "func f() {\n\tcheck()\n\ttheirs()\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		want:      "func f() {\n\tcheck()\n<<<<<<< yours\n\tmine()\n||||||| last generated\n=======\n\ttheirs()\n>>>>>>> new generation\n\t// logic here\n\treturn\n}\n\nfunc g() {}\n",
		conflicts: 1,
	}, {
		name:      "conflict",
		mine:      "func f() {\n\tcheck()\n\tmine()\n\treturn\n}\n\nfunc g() {}\n",
		theirs:    "func f() {\n\tcheck()\n\ttheirs()\n\treturn\n}\n\nfunc g() { new() }\n",
		want:      "func f() {\n\tcheck()\n<<<<<<< yours\n\tmine()\n||||||| last generated\n\t// logic here\n=======\n\ttheirs()\n>>>>>>> new generation\n\treturn\n}\n\nfunc g() { new() }\n",
		conflicts: 1,
	}, {
		name:      "conflict resolved with mine keeps the clean part of theirs",
		mine:      "func f() {\n\tcheck()\n\tmine()\n\treturn\n}\n\nfunc g() {}\n",
		theirs:    "func f() {\n\tcheck()\n\ttheirs()\n\treturn\n}\n\nfunc g() { new() }\n",
		resolve:   Mine,
		want:      "func f() {\n\tcheck()\n\tmine()\n\treturn\n}\n\nfunc g() { new() }\n",
		conflicts: 1,
	}, {
		name:      "conflict resolved with theirs",
		mine:      "func f() {\n\tcheck()\n\tmine()\n\treturn\n}\n\nfunc g() {}\n",
		theirs:    "func f() {\n\tcheck()\n\ttheirs()\n\treturn\n}\n\nfunc g() {}\n",
		resolve:   Theirs,
		want:      "func f() {\n\tcheck()\n\ttheirs()\n\treturn\n}\n\nfunc g() {}\n",
		conflicts: 1,
	}, {
		name:      "unterminated last lines get their own marker lines",
		mine:      base + "mine",
		theirs:    base + "theirs",
		want:      base + "<<<<<<< yours\nmine\n||||||| last generated\n=======\ntheirs\n>>>>>>> new generation\n",
		conflicts: 1,
	}} {
		t.Run(c.name, func(t *testing.T) {
			r := Merge3([]byte(base), []byte(c.mine), []byte(c.theirs), labels, c.resolve)
			if string(r.Content) != c.want || r.Conflicts != c.conflicts {
				t.Errorf("got %d conflicts:\n%s\nwant %d:\n%s", r.Conflicts, r.Content, c.conflicts, c.want)
			}
			if HasMarkers(r.Content) != (c.resolve == Markers && c.conflicts > 0) {
				t.Errorf("HasMarkers = %v", HasMarkers(r.Content))
			}
		})
	}
}

// A merge where one side is the base gives the other side, whatever the text.
func TestMerge3OneSidedIsIdentity(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for iter := 0; iter < 1000; iter++ {
		o, x := strings.Join(randomLines(r, r.Intn(10)), ""), strings.Join(randomLines(r, r.Intn(10)), "")
		if got := Merge3([]byte(o), []byte(o), []byte(x), labels, Markers); string(got.Content) != x || got.Conflicts != 0 {
			t.Fatalf("mine = base: got %q, want %q", got.Content, x)
		}
		if got := Merge3([]byte(o), []byte(x), []byte(o), labels, Markers); string(got.Content) != x || got.Conflicts != 0 {
			t.Fatalf("theirs = base: got %q, want %q", got.Content, x)
		}
	}
}

func TestGoCanonicalIgnoresGofmtAndGoimports(t *testing.T) {
	generated := "package p\n\nimport (\n\t\"context\"\n\n\tv1 \"example.com/x/gen/v1\"\n\t\"fmt\"\n)\n\nfunc f(ctx context.Context) {\n\tfmt.Println(v1.X)\n}\n"
	userFormatted := "package p\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\tv1 \"example.com/x/gen/v1\"\n)\n\nfunc f(ctx context.Context) {\n\tfmt.Println(v1.X)\n}\n"
	edited := strings.Replace(userFormatted, "fmt.Println", "fmt.Print", 1)
	if string(GoCanonical([]byte(generated))) != string(GoCanonical([]byte(userFormatted))) {
		t.Errorf("formatting changes the canonical form:\n%s\n%s", GoCanonical([]byte(generated)), GoCanonical([]byte(userFormatted)))
	}
	if string(GoCanonical([]byte(generated))) == string(GoCanonical([]byte(edited))) {
		t.Error("a real edit vanished in the canonical form")
	}
	if got := GoCanonical([]byte("not go")); string(got) != "not go" {
		t.Errorf("unparsable source changed: %q", got)
	}
}
