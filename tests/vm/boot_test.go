package vm

import (
	"bytes"
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
	wantSubsequentBoot(t, c)
	wantCheck(t, c, "result_file", "no")
	wantCheck(t, c, "grub_stamp", "present")
	recordBootTime(t, "boot to the real root, no first boot", c.elapsed)
}

// stageUnits are the units that change the machine; none may start on a subsequent boot.
var stageUnits = []string{
	"flint-fetch-offline.service", "flint-network.service", "flint-fetch.service",
	"flint-kargs.service", "flint-disks.service", "flint-remount-sysroot.service",
	"flint-mount.service", "flint-files.service", "flint-firstboot-complete.service",
}

// wantSubsequentBoot checks that the initramfs took the module's subsequent-boot path: the
// generator made initrd.target pull in flint-subsequent.target (systemd reports reaching it),
// and no stage unit appeared on the console.
func wantSubsequentBoot(t *testing.T, c *console) {
	t.Helper()
	if !c.contains("flint-subsequent.target") {
		t.Errorf("console does not show flint-subsequent.target: is the module in the initramfs?")
	}
	for _, u := range stageUnits {
		if c.contains(u) {
			t.Errorf("a boot without flint.firstboot started %s", u)
		}
	}
	if c.contains(markerFlintFailed) {
		t.Errorf("a boot without flint.firstboot reported a failed stage")
	}
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

// TestFirstBootFailureReported runs the first-boot path with no platform id: flint never
// guesses one, so fetch-offline fails (until the agent exists, it fails because `flint apply`
// does not). The failure unit must name the stage on the console with the stage's last
// journal lines, the machine must stop before the real root, and no disk may change.
func TestFirstBootFailureReported(t *testing.T) {
	a := needArtifacts(t)
	root := a.newDisk(t)
	data := emptyDisk(t, "data.img", 64<<20)
	rootTable := gptBytes(t, root)
	dataBefore := fileHash(t, data)

	c := a.boot(t, machine{disks: []string{root, data}, args: []string{"flint.firstboot"}})
	recordBootTime(t, "first boot to a reported failure", c.elapsed)
	if c.ok {
		t.Fatalf("a first boot without a platform reached the real root")
	}
	if want := markerFlintFailed + "fetch-offline"; !strings.Contains(c.failure, want) {
		t.Fatalf("first fatal console line = %q, want one containing %q", c.failure, want)
	}
	details := 0
	for _, l := range c.lines {
		if strings.Contains(l, "flint:   ") {
			details++
		}
	}
	if details == 0 {
		t.Errorf("the failure report has no detail lines (the stage's journal tail)")
	}
	if !c.contains(markerFlintEnd) {
		t.Errorf("the failure report is incomplete: no %q line", markerFlintEnd)
	}
	if got := fileHash(t, data); got != dataBefore {
		t.Errorf("a disk changed although the first stage failed")
	}
	if got := gptBytes(t, root); !bytes.Equal(got, rootTable) {
		t.Errorf("the root disk's partition table changed although the first stage failed")
	}
}
