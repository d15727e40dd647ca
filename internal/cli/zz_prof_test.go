package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/testblueprint"
)

func BenchmarkZZFull(b *testing.B) {
	src := filepath.Join(b.TempDir(), "synth.yaml")
	os.WriteFile(src, testblueprint.Synthetic(100), 0o644)
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "r")
		var o, e bytes.Buffer
		if code := Run(context.Background(), []string{"generate", "-f", src, "-o", out}, strings.NewReader(""), &o, &e); code != ExitOK {
			b.Fatal(o.String(), e.String())
		}
	}
}
