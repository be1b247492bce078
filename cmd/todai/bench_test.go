package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
)

// benchBinary builds the todai binary once per benchmark run.
func benchBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "todai")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// benchWarehouse10k is the 10,000-model, 30-day demo warehouse, built once and cached under os.TempDir().
func benchWarehouse10k(b *testing.B) string {
	b.Helper()
	// History ends today, so that a first sync's 30-day backfill reads all of it.
	now := time.Now().UTC().Truncate(24 * time.Hour)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("todai-cli-bench-m10000-d30-%d.db", now.Unix()))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := demo.Build(context.Background(), path+".building", demo.Options{Models: 10000, Days: 30, Now: now}); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".building", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// runProcess runs the binary and returns its wall time and peak resident set size in KiB. The peak comes from
// GNU time (/usr/bin/time -f %M): the rusage of a child started from this (large) test process would count the
// parent's memory, since the child shares it until exec. Without GNU time the peak is 0 (not reported).
func runProcess(b *testing.B, bin string, args ...string) (time.Duration, int64) {
	b.Helper()
	var cmd *exec.Cmd
	var rssFile string
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		rssFile = filepath.Join(b.TempDir(), "rss")
		cmd = exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile, bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", args, err, out)
	}
	d := time.Since(start)
	if rssFile == "" {
		return d, 0
	}
	raw, err := os.ReadFile(rssFile)
	if err != nil {
		b.Fatal(err)
	}
	var kib int64
	if _, err := fmt.Sscan(strings.TrimSpace(string(raw)), &kib); err != nil {
		b.Fatalf("GNU time wrote %q: %v", raw, err)
	}
	return d, kib
}

// BenchmarkProcess measures todai as a whole process on the 10,000-model demo warehouse: the first sync
// (seconds and peak RSS) and `todai ask` with its sync-first (milliseconds and peak RSS).
func BenchmarkProcess(b *testing.B) {
	bin := benchBinary(b)
	wh := "sqlite://" + benchWarehouse10k(b)
	state := filepath.Join(b.TempDir(), "state.db")
	var peak int64
	b.Run("first_sync", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			for _, f := range []string{state, state + "-wal", state + "-shm"} {
				os.Remove(f)
			}
			b.StartTimer()
			_, rss := runProcess(b, bin, "--warehouse", wh, "--state", state, "sync")
			peak = max(peak, rss)
		}
		if peak > 0 {
			b.ReportMetric(float64(peak), "peak-RSS-KiB")
		}
	})
	b.Run("ask", func(b *testing.B) {
		if _, err := os.Stat(state); err != nil {
			runProcess(b, bin, "--warehouse", wh, "--state", state, "sync")
		}
		var askPeak int64
		for b.Loop() {
			_, rss := runProcess(b, bin, "--warehouse", wh, "--state", state, "ask", "status", demo.StoryFailingModel)
			askPeak = max(askPeak, rss)
		}
		if askPeak > 0 {
			b.ReportMetric(float64(askPeak), "peak-RSS-KiB")
		}
	})
}
