package runtime

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCopiesAreFormatted checks every runtime Go file, as both variants of
// a generated repository hold it, is gofmt's output (generation does not
// format them again) and imports nothing of microforge.
func TestCopiesAreFormatted(t *testing.T) {
	for _, tenancy := range []bool{false, true} {
		var fs []File
		for _, dir := range []string{"platform", "dashboard"} {
			more, err := Files(dir, "example.com/acme/sys", map[string]bool{"tenancy": tenancy})
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, more...)
		}
		if len(fs) == 0 {
			t.Fatal("no runtime files")
		}
		for _, f := range fs {
			if !strings.HasPrefix(f.Path, "internal/platform/") && !strings.HasPrefix(f.Path, "internal/dashboard/") {
				t.Errorf("%s: not below internal/platform or internal/dashboard", f.Path)
			}
			if !strings.HasSuffix(f.Path, ".go") {
				continue
			}
			if bytes.Contains(f.Content, []byte("github.com/microforge/")) {
				t.Errorf("%s (tenancy %v): still names microforge's module", f.Path, tenancy)
			}
			if bytes.Contains(f.Content, []byte("//go:build")) {
				t.Errorf("%s (tenancy %v): keeps its build constraint", f.Path, tenancy)
			}
			out, err := format.Source(f.Content)
			if err != nil {
				t.Errorf("%s (tenancy %v): %v", f.Path, tenancy, err)
			} else if !bytes.Equal(out, f.Content) {
				t.Errorf("%s (tenancy %v): not gofmt's output", f.Path, tenancy)
			}
		}
	}
}

func TestVariant(t *testing.T) {
	src := []byte("// Doc.\n\n//go:build tenancy\n\npackage p\n")
	got, keep, err := variant(src, map[string]bool{"tenancy": true})
	if err != nil || !keep || string(got) != "// Doc.\n\npackage p\n" {
		t.Errorf("tenancy: %q %v %v", got, keep, err)
	}
	if _, keep, _ := variant(src, nil); keep {
		t.Error("single-tenant variant keeps a tenancy file")
	}
	neg := []byte("//go:build !tenancy\n\npackage p\n")
	if got, keep, _ := variant(neg, nil); !keep || string(got) != "package p\n" {
		t.Errorf("!tenancy: %q %v", got, keep)
	}
	plain := []byte("package p\n\n//go:build tenancy\n")
	if got, keep, _ := variant(plain, nil); !keep || !bytes.Equal(got, plain) {
		t.Error("a constraint after the package clause is not one")
	}
}

// TestTenancyVariant vets and tests the multi-tenant variant of the runtime
// (go test ./... builds the single-tenant one).
func TestTenancyVariant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runtime again")
	}
	for _, args := range [][]string{{"vet", "-tags", "tenancy", "./..."}, {"test", "-tags", "tenancy", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = "platform"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestVersionsMatch checks generated repositories require the versions
// the runtime is tested with here.
func TestVersionsMatch(t *testing.T) {
	ours := requires(t, filepath.Join("..", "..", "go.mod"))
	theirs := requires(t, filepath.Join("..", "..", "templates", "service", "go.mod.tmpl"))
	if len(theirs) < 20 {
		t.Fatalf("read %d requirements from go.mod.tmpl", len(theirs))
	}
	for mod, v := range theirs {
		if o, ok := ours[mod]; ok && o != v {
			t.Errorf("%s: microforge's go.mod has %s, generated repositories %s", mod, o, v)
		}
	}
}

var requireLine = regexp.MustCompile(`(?m)^\t([^\s{]+) (v[^\s]+)`)

func requires(t *testing.T, p string) map[string]string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range requireLine.FindAllSubmatch(b, -1) {
		out[string(m[1])] = string(m[2])
	}
	return out
}
