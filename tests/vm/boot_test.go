package vm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBootWithoutFirstBoot proves the harness and the module's quiet path: the initramfs with
// the flint module, booted without the first-boot flag, mounts the root and hands over to its
// systemd, whose report unit prints the marker and powers off. No flint stage may run.
func TestBootWithoutFirstBoot(t *testing.T) {
	a := needArtifacts(t)
	c := a.boot(t, machine{disks: []string{a.newDisk(t)}, args: []string{"flint.platform.id=qemu"}})
	wantBooted(t, c)
	if c.contains("flint: ") {
		t.Errorf("a boot without flint.firstboot printed flint messages")
	}
	for _, stage := range []string{"Fetch the config", "flint: fetch", "flint: partition"} {
		if c.contains(stage) {
			t.Errorf("a boot without flint.firstboot ran a stage: console has %q", stage)
		}
	}
	wantCheck(t, c, "result_file", "no")
	wantCheck(t, c, "grub_stamp", "present")
	recordBootTime(t, "boot to the real root, no first boot", c.elapsed)
}

// recordBootTime appends a measured boot to $FLINT_VM_TIMINGS (if set), the input of
// docs/benchmarks.md.
func recordBootTime(t *testing.T, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s: %v", what, d.Round(100*time.Millisecond))
	path := os.Getenv("FLINT_VM_TIMINGS")
	if path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := strings.Join([]string{time.Now().UTC().Format(time.RFC3339), what, d.Round(100 * time.Millisecond).String()}, "\t")
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}
