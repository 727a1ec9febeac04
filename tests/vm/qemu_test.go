package vm

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Console markers. The report unit of the test root prints the FLINT-VM ones; flint-failure
// (dracut/) prints the "flint: " ones.
const (
	markerOK          = "FLINT-VM-OK"
	markerCheck       = "FLINT-VM-CHECK "
	markerFlintFailed = "flint: FAILED: stage "
	markerFlintEnd    = "flint: full log:"
)

// Lines that end a boot that will not reach the real root.
var fatalMarkers = []string{
	"Kernel panic",
	"You are in emergency mode",
	"Entering emergency mode",
	"Cannot open access to console",
}

// Kernel arguments of every boot: the serial console, the test root, and a panic that ends
// QEMU (with -no-reboot) instead of hanging.
var baseArgs = []string{"console=ttyS0", "panic=-1", "root=LABEL=ROOT", "rw"}

// firstBootArgs are the arguments of a provisioning boot through QEMU's fw_cfg.
var firstBootArgs = []string{"flint.firstboot", "flint.platform.id=qemu"}

// machine describes one boot.
type machine struct {
	disks  []string // raw images, attached as virtio disks in order (vda, vdb, ...)
	args   []string // kernel arguments after baseArgs
	config string   // file passed as fw_cfg opt/com.coreos/config
	net    bool     // a virtio NIC on user-mode networking (the host is 10.0.2.2)
	// netboot, when set, boots from the network instead of the harness's kernel: QEMU's iPXE
	// ROM gets this URL as the DHCP boot file (-boot n); args and config are not used.
	netboot string
	mac     string // the NIC's MAC address, when set
	uefi    bool   // OVMF instead of SeaBIOS (see ovmfFirmware)
}

// Lines that end a network boot that will not load a kernel: iPXE gave up, and SeaBIOS found
// nothing else to boot.
var netbootFatalMarkers = []string{"No more network devices", "No bootable device"}

// console is what a boot printed, and how it ended.
type console struct {
	lines   []string
	checks  map[string]string // FLINT-VM-CHECK key=value lines
	ok      bool              // the real root reported FLINT-VM-OK
	failure string            // the first fatal line, if any
	started time.Time
	elapsed time.Duration
}

func (c *console) tail(n int) string {
	lines := c.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// contains reports whether a console line contains s.
func (c *console) contains(s string) bool {
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func bootTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FLINT_VM_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	// About ten times a typical TCG boot of this image; KVM needs far less.
	return 8 * time.Minute
}

// newDisk returns a private sparse copy of the root image.
func (a *artifacts) newDisk(t *testing.T) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "root.img")
	if out, err := exec.Command("cp", "--sparse=always", a.image, disk).CombinedOutput(); err != nil {
		t.Fatalf("copying the root image: %v: %s", err, out)
	}
	return disk
}

// emptyDisk returns a new sparse, zeroed disk image of size bytes.
func emptyDisk(t *testing.T, name string, size int64) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), name)
	if err := sparseFile(disk, size); err != nil {
		t.Fatal(err)
	}
	return disk
}

// boot runs QEMU until the machine powers off, a fatal marker appears or the timeout passes,
// reading the serial console line by line. A timeout fails the test.
func (a *artifacts) boot(t *testing.T, m machine) *console {
	t.Helper()
	accel := "tcg"
	if os.Getenv("FLINT_VM_KVM") == "1" {
		accel = "kvm"
	}
	qemuArgs := []string{
		"-accel", accel, "-M", "q35", "-m", "1024", "-smp", "1",
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
	}
	fatal := fatalMarkers
	if m.netboot != "" {
		qemuArgs = append(qemuArgs, "-boot", "n")
		fatal = append(append([]string{}, fatalMarkers...), netbootFatalMarkers...)
	} else {
		qemuArgs = append(qemuArgs, "-kernel", a.kernel, "-initrd", a.initrd,
			"-append", strings.Join(append(append([]string{}, baseArgs...), m.args...), " "))
	}
	if m.uefi {
		code, vars := ovmfFirmware(t)
		qemuArgs = append(qemuArgs,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+code,
			"-drive", "if=pflash,format=raw,unit=1,file="+vars)
	}
	for _, d := range m.disks {
		qemuArgs = append(qemuArgs, "-drive", "file="+d+",if=virtio,format=raw")
	}
	if m.config != "" {
		qemuArgs = append(qemuArgs, "-fw_cfg", "name=opt/com.coreos/config,file="+m.config)
	}
	if m.net || m.netboot != "" {
		netdev, nic := "user,id=n0", "virtio-net-pci,netdev=n0"
		if m.netboot != "" {
			netdev += ",bootfile=" + m.netboot
		}
		if m.mac != "" {
			nic += ",mac=" + m.mac
		}
		qemuArgs = append(qemuArgs, "-netdev", netdev, "-device", nic)
	}

	timeout := bootTimeout()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", qemuArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting qemu: %v", err)
	}
	c := &console{checks: map[string]string{}, started: start}
	t.Cleanup(func() {
		path := saveConsole(t, c)
		if t.Failed() {
			t.Logf("console (last 60 lines; all of it in %s):\n%s", path, c.tail(60))
		}
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(strings.ReplaceAll(sc.Text(), "\r", ""), " ")
		c.lines = append(c.lines, line)
		if i := strings.Index(line, markerCheck); i >= 0 {
			k, v, _ := strings.Cut(line[i+len(markerCheck):], "=")
			c.checks[k] = v
		}
		if strings.Contains(line, markerOK) {
			c.ok = true
		}
		if c.failure == "" {
			if strings.Contains(line, markerFlintFailed) {
				c.failure = line
			}
			for _, f := range fatal {
				if strings.Contains(line, f) {
					c.failure = line
				}
			}
			if c.failure != "" && !strings.Contains(line, markerFlintFailed) {
				// Let the rest of the message through, then stop the machine: an emergency
				// shell waits forever.
				time.AfterFunc(3*time.Second, cancel)
			}
		}
		if strings.Contains(line, markerFlintEnd) {
			time.AfterFunc(3*time.Second, cancel)
		}
	}
	err = cmd.Wait()
	c.elapsed = time.Since(start)
	if ctx.Err() == context.DeadlineExceeded && c.failure == "" && !c.ok {
		t.Fatalf("boot did not finish within %v (FLINT_VM_TIMEOUT)", timeout)
	}
	if err != nil && c.failure == "" && ctx.Err() == nil {
		t.Fatalf("qemu: %v\n%s", err, lastLines(stderr.String(), 20))
	}
	t.Logf("boot took %v (%s), ok=%v", c.elapsed.Round(100*time.Millisecond), accel, c.ok)
	return c
}

// saveConsole writes a boot's whole console where it outlives the test
// ($FLINT_VM_CACHE/console/<test>-<started>.log) and returns the path.
func saveConsole(t *testing.T, c *console) string {
	cache, err := cacheDir()
	if err != nil {
		return err.Error()
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	path := filepath.Join(cache, "console", name+"-"+c.started.Format("150405.000")+".log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err.Error()
	}
	if err := os.WriteFile(path, []byte(strings.Join(c.lines, "\n")+"\n"), 0o644); err != nil {
		return err.Error()
	}
	return path
}

// writeConfig stores a config for fw_cfg and returns its path.
func writeConfig(t *testing.T, config string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.ign")
	if err := os.WriteFile(p, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantBooted fails the test unless the real root came up and reported.
func wantBooted(t *testing.T, c *console) {
	t.Helper()
	if c.failure != "" || !c.ok {
		t.Fatalf("boot did not reach the real root's report (failure line: %q)", c.failure)
	}
}

// wantCheck compares one FLINT-VM-CHECK value.
func wantCheck(t *testing.T, c *console, key, want string) {
	t.Helper()
	if got, ok := c.checks[key]; !ok {
		t.Errorf("check %s missing from the console, want %q", key, want)
	} else if got != want {
		t.Errorf("check %s = %q, want %q", key, got, want)
	}
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return key(b)
}
