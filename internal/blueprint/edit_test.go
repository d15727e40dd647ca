package blueprint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inserted checks that edited is src with exactly the want lines inserted
// after line after (1-based): every other byte is kept.
func inserted(t *testing.T, src, edited []byte, after int, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	exp := append(append(append([]string{}, lines[:after]...), want...), lines[after:]...)
	if got, w := string(edited), strings.Join(exp, "\n")+"\n"; got != w {
		t.Errorf("edited blueprint:\n%s\nwant:\n%s", got, w)
	}
}

func lineOf(t *testing.T, src []byte, text string) int {
	t.Helper()
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("no line with %q", text)
	return 0
}

func TestAddServiceKeepsTheRest(t *testing.T) {
	src, err := os.ReadFile("../../blueprints/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := AddService(src, "shipping", "sqlite", "Ships: orders, fast.")
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, src, out, lineOf(t, src, "consumes: [orders.OrderCancelled]"),
		"", "  - name: shipping", "    description: 'Ships: orders, fast.'", "    store: sqlite")
	sys, err := Parse("shop.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Services) != 4 || sys.Services[3].Name != "shipping" {
		t.Errorf("services after the edit: %d", len(sys.Services))
	}
	if _, err := AddService(out, "shipping", "", ""); err == nil || !strings.Contains(err.Error(), "already a service") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestAddCommand(t *testing.T) {
	src, err := os.ReadFile("../../blueprints/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := AddCommand(src, "payments", "VoidPayment", "order_id: string")
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, src, out, lineOf(t, src, "RefundPayment: {input"), "      VoidPayment: {input: {order_id: string}}")
	if _, err := Parse("shop.yaml", out); err != nil {
		t.Fatal(err)
	}

	// A service without commands gets the key, after its last entry
	// (comments and blank lines around stay where they were).
	const bp = "version: 1 # format\nname: x\nmodule: example.com/x\n\nservices:\n  # the only one\n  - name: notes\n    store: sqlite   # embedded\n\n# done\n"
	out, err = AddCommand([]byte(bp), "notes", "Archive", "")
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, []byte(bp), out, 8, "    commands:", "      Archive: {input: {}}")
	if _, err := Parse("x.yaml", out); err != nil {
		t.Fatal(err)
	}
	out, err = AddService(out, "tags", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "      Archive: {input: {}}\n  - name: tags\n\n# done\n") {
		t.Errorf("second service:\n%s", out)
	}
	if _, err := AddCommand([]byte(bp), "nope", "X", ""); err == nil || !strings.Contains(err.Error(), "services: notes") {
		t.Errorf("unknown service: %v", err)
	}
}

// FuzzEdits checks that the in-place edits never panic and, when they
// succeed, only insert lines: every line of the original stays, in order,
// and the inserted ones form one block.
func FuzzEdits(f *testing.F) {
	paths, _ := filepath.Glob("../../blueprints/*.yaml")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, "orders")
	}
	f.Add([]byte("services:\n- name: a\n  commands:\n    X: {}\n"), "a")
	f.Add([]byte("services: [{name: a}]\n"), "a")
	f.Fuzz(func(t *testing.T, src []byte, service string) {
		for _, edit := range []func() ([]byte, error){
			func() ([]byte, error) { return AddService(src, "added", "sqlite", "") },
			func() ([]byte, error) { return AddCommand(src, service, "Added", "id: string") },
		} {
			out, err := edit()
			if err != nil {
				continue
			}
			orig := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n"), "\n")
			got := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n"), "\n")
			i := 0
			for i < len(orig) && i < len(got) && orig[i] == got[i] {
				i++
			}
			extra := len(got) - len(orig)
			if extra <= 0 || strings.Join(got[i+extra:], "\n") != strings.Join(orig[i:], "\n") {
				t.Fatalf("the edit changed more than it inserted:\n%q\n->\n%q", src, out)
			}
		}
	})
}

func TestInsertService(t *testing.T) {
	src := []byte("version: 1\nname: x\nmodule: example.com/x\nservices:\n    -   name: a\n        store: sqlite\n\n    -   name: b\n# the end\n")
	out, line, err := InsertService(src, []string{"name: c", "entities:", "  C: {n: string}"})
	if err != nil {
		t.Fatal(err)
	}
	want := "version: 1\nname: x\nmodule: example.com/x\nservices:\n    -   name: a\n        store: sqlite\n\n    -   name: b\n\n    -   name: c\n        entities:\n          C: {n: string}\n# the end\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if l := strings.Split(string(out), "\n")[line-1]; l != "    -   name: c" {
		t.Errorf("line %d is %q, not the entry's first line", line, l)
	}
	if _, _, err := InsertService(out, []string{"name: b"}); err == nil || !strings.Contains(err.Error(), `already a service named "b"`) {
		t.Errorf("a duplicate is not refused: %v", err)
	}
	out, line, err = InsertService([]byte("version: 1\nname: x\n"), []string{"name: c"})
	if err != nil || string(out) != "version: 1\nname: x\n\nservices:\n  - name: c\n" || line != 5 {
		t.Errorf("into a blueprint without services: %q line %d %v", out, line, err)
	}
}
