package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/flint-provision/flint/internal/benchdata"
)

// buildFlint builds the release binary once for the process benchmarks.
func buildFlint(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "flint")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkValidateProcess measures what the design's budget table measures for the reference
// validator: a whole `flint validate` process on a 1.1 MB config of 10,000 files and 1,000
// units. It reports the peak resident memory of the process (maxrss-MiB) beside the time.
func BenchmarkValidateProcess(b *testing.B) {
	bin := buildFlint(b)
	cfg := filepath.Join(b.TempDir(), "big.ign")
	if err := os.WriteFile(cfg, benchdata.IgnitionJSON(10000, 1000), 0o644); err != nil {
		b.Fatal(err)
	}
	var maxRSS int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "validate", cfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("flint validate: %v\n%.2000s", err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss)
		}
	}
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MiB")
}

// BenchmarkTranslateProcess measures a whole `flint translate` process on the budget's 0.9 MB
// YAML of 5,000 files and 500 units, with its peak resident memory.
func BenchmarkTranslateProcess(b *testing.B) {
	bin := buildFlint(b)
	in := filepath.Join(b.TempDir(), "big.yaml")
	if err := os.WriteFile(in, benchdata.FlintYAML(5000, 500), 0o644); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "big.ign")
	var maxRSS int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "translate", "-o", out, in)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("flint translate: %v\n%.2000s", err, o)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss)
		}
	}
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MiB")
}
