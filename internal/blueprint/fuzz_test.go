package blueprint

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzParse checks that Parse never panics and that every error it returns
// is Diagnostics with real positions.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("../../blueprints/*.yaml")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	cases, _ := filepath.Glob(filepath.Join(invalidDir, "*.txtar"))
	for _, p := range cases {
		a, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if file.Name == "microforge.yaml" {
				f.Add(file.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sys, err := Parse("microforge.yaml", src)
		if err == nil {
			if sys == nil {
				t.Fatal("nil system without error")
			}
			return
		}
		var diags Diagnostics
		if !errors.As(err, &diags) {
			t.Fatalf("error is not Diagnostics: %v", err)
		}
		if len(diags) == 0 {
			t.Fatal("empty Diagnostics")
		}
		for _, d := range diags {
			if d.Line < 1 || d.Col < 1 || d.File != "microforge.yaml" || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
	})
}
