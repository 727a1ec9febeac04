package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// maxBinaryBytes is the design's budget for the one static binary (Ignition and Butane
// together weigh 32.7 MB).
const maxBinaryBytes = 15 << 20

// TestBinaryBudget builds flint as a release would and checks that it is static and within budget.
func TestBinaryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the release build in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "flint")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flint binary: %.1f MiB", float64(st.Size())/(1<<20))
	if st.Size() > maxBinaryBytes {
		t.Errorf("binary is %d bytes, budget %d", st.Size(), maxBinaryBytes)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("binary has an ELF interpreter: it is not static")
		}
	}
}
