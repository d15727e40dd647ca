package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/testblueprint"
)

// benchBinEnv names a microforge binary for BenchmarkGenerate100 to measure
// instead of building this tree's: set it to an older build to compare.
const benchBinEnv = "MICROFORGE_BENCH_BIN"

// BenchmarkGenerate100 measures, side by side in one run, what issue 13
// sets targets for on the 100-service synthetic system, each as the user
// runs it (the microforge binary, executed, wall clock):
//
//   - gen-s: `microforge generate -f synth.yaml -o DIR` into a new directory;
//   - cp-s: `cp -r` of the tree it wrote (gen/cp is the ratio);
//   - noop-s: `cd DIR && microforge generate`, the documented regeneration,
//     with nothing changed; it must write nothing (checked on every file's
//     size, modification time and inode);
//   - gen-MB, noop-MB: the peak RSS of those processes;
//   - gen-cpu-s, cp-cpu-s, noop-cpu-s: their user+system CPU time, which a
//     busy machine distorts less than wall clock.
//
// Every figure is the median of the iterations (-benchtime=Nx); ns/op is the
// median generation. Each timed command starts after a sync (settle).
// Caches are warm (the first generation fills them), so cold-gen-s reports
// that first generation apart.
func BenchmarkGenerate100(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil && os.Getenv(benchBinEnv) == "" {
		b.Skip("needs the go command to build microforge")
	}
	cp, err := exec.LookPath("cp")
	if err != nil {
		b.Skip("needs cp")
	}
	work := b.TempDir()
	bin := benchBinary(b, work)
	src := filepath.Join(work, "synth.yaml")
	if err := os.WriteFile(src, testblueprint.Synthetic(100), 0o644); err != nil {
		b.Fatal(err)
	}
	// A cache of its own, holding the protoc plugins already built, so the
	// cold generation starts from what a fresh install has after its first
	// run of any blueprint.
	cache := filepath.Join(work, "cache")
	seedPlugins(b, cache)
	env := append(os.Environ(), "MICROFORGE_CACHE_DIR="+cache)

	cold := execTimed(b, env, "", bin, "generate", "-f", src, "-o", filepath.Join(work, "cold"))
	var gen, copy, noop, genRSS, noopRSS, genCPU, copyCPU, noopCPU []float64
	round := 0
	for b.Loop() {
		round++
		dir := filepath.Join(work, fmt.Sprint("gen", round))
		settle()
		r := execTimed(b, env, "", bin, "generate", "-f", src, "-o", dir)
		gen, genRSS, genCPU = append(gen, r.wall), append(genRSS, r.rssMB), append(genCPU, r.cpu)

		c := exec.Command(cp, "-r", dir, dir+"-copy")
		settle()
		start := time.Now()
		if out, err := c.CombinedOutput(); err != nil {
			b.Fatalf("cp -r: %v\n%s", err, out)
		}
		copy = append(copy, time.Since(start).Seconds())
		copyCPU = append(copyCPU, (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds())

		before := treeStat(b, dir)
		settle()
		r = execTimed(b, env, dir, bin, "generate")
		noop, noopRSS, noopCPU = append(noop, r.wall), append(noopRSS, r.rssMB), append(noopCPU, r.cpu)
		if after := treeStat(b, dir); !maps.Equal(before, after) {
			b.Fatalf("the no-op regeneration wrote to %s", dir)
		}
	}
	b.ReportMetric(median(gen)*1e9, "ns/op")
	b.ReportMetric(cold.wall, "cold-gen-s")
	b.ReportMetric(median(gen), "gen-s")
	b.ReportMetric(median(copy), "cp-s")
	b.ReportMetric(median(gen)/median(copy), "gen/cp")
	b.ReportMetric(median(noop), "noop-s")
	b.ReportMetric(median(genRSS), "gen-MB")
	b.ReportMetric(median(noopRSS), "noop-MB")
	b.ReportMetric(median(genCPU), "gen-cpu-s")
	b.ReportMetric(median(copyCPU), "cp-cpu-s")
	b.ReportMetric(median(noopCPU), "noop-cpu-s")
}

// settle writes the dirty pages of the earlier iterations to disk, so that
// each timed command starts as a user's does, not behind the writeback of
// the files the benchmark wrote before it. The trees stay
// until the benchmark ends: on this project's 2-core VM (ext4, mounted
// with discard), creating files right after deleting some thousands costs
// up to ten times the system time, and the figures would measure the
// benchmark's own clean-up.
func settle() { syscall.Sync() }

// benchBinary returns the binary to measure: $MICROFORGE_BENCH_BIN, or this
// tree's microforge built into dir.
func benchBinary(b *testing.B, dir string) string {
	if bin := os.Getenv(benchBinEnv); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			b.Fatal(err)
		}
		return abs
	}
	bin := filepath.Join(dir, "microforge")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/microforge")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// seedPlugins copies the protoc plugins of the user's cache into cache,
// building them there first if the user has none.
func seedPlugins(b *testing.B, cache string) {
	user := os.Getenv("MICROFORGE_CACHE_DIR")
	if user == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			b.Skip("no user cache directory")
		}
		user = filepath.Join(d, "microforge")
	}
	plugins := filepath.Join(user, "plugins")
	if _, err := os.Stat(plugins); err != nil {
		return // the cold generation builds them
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", plugins, filepath.Join(cache, "plugins")).CombinedOutput(); err != nil {
		b.Fatalf("seed plugins: %v\n%s", err, out)
	}
}

// execution is what one run of microforge cost.
type execution struct {
	wall, cpu float64 // seconds
	rssMB     float64 // peak resident set
}

// execTimed runs bin in dir and measures it, failing unless it exits 0
// reporting no conflicts (and, in dir, no change).
func execTimed(b *testing.B, env []string, dir, bin string, args ...string) execution {
	b.Helper()
	cmd := exec.CommandContext(context.Background(), bin, args...)
	cmd.Env, cmd.Dir = env, dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := execution{wall: time.Since(start).Seconds()}
	if err != nil || !strings.Contains(out.String(), " 0 conflicts") {
		b.Fatalf("microforge %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if dir != "" && !strings.Contains(out.String(), ": 0 created, 0 updated, 0 merged,") {
		b.Fatalf("microforge %s in %s is not a no-op:\n%s", strings.Join(args, " "), dir, out.String())
	}
	r.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return r
}

type statEntry struct {
	size  int64
	mtime time.Time
	ino   uint64
}

// treeStat records every file and directory below dir, without reading
// contents: a write shows as a new modification time, size or inode (writes
// go through rename, which makes a new inode).
func treeStat(b *testing.B, dir string) map[string]statEntry {
	b.Helper()
	out := map[string]statEntry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := statEntry{size: fi.Size(), mtime: fi.ModTime()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.ino = st.Ino
		}
		out[p] = e
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
