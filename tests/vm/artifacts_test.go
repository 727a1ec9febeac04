package vm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The root image: Debian bookworm, minbase, with systemd as init. Changing the list changes the
// cache key of the debootstrap tarball. mdadm's udev rules assemble RAID arrays at boot and
// cryptsetup brings dmsetup's rules for /dev/mapper; systemd itself (bookworm's 252) carries
// systemd-cryptsetup, which unlocks what /etc/crypttab names.
const debianSuite = "bookworm"

var rootPackages = []string{"systemd", "systemd-sysv", "udev", "passwd", "mdadm", "cryptsetup"}

// Layout of the root disk: a GPT with one ext4 partition labelled ROOT that fills half the disk,
// so that a first boot has room to grow it.
const (
	diskBytes     = 2 << 30
	rootPartStart = 1 << 20
	rootPartBytes = 1 << 30
)

// The dracut modules the test initramfs is made of (dracut -m; their dependencies come too).
// Not kernel-modules: without host-only mode it copies every storage driver, which makes the
// build take minutes; the qemu module and flint's own installkernel bring what a VM needs.
var dracutModules = []string{
	"base", "systemd", "systemd-initrd", "dracut-systemd", "udev-rules", "rootfs-block",
	"fs-lib", "qemu", "systemd-networkd", "flint",
}

// artifacts is what every boot shares: built once per test binary, cached on disk.
type artifacts struct {
	kver    string
	kernel  string // vmlinuz
	initrd  string
	image   string // the root disk; each boot gets a sparse copy
	flint   string // the flint binary inside the initramfs
	applyOK bool   // whether `flint apply --help` works
	timings []string
}

// prereqError is a missing prerequisite: a skip where the boot tests are optional, a failure
// where they are required (CI=true).
type prereqError struct{ reason string }

func (e prereqError) Error() string { return e.reason }

var (
	buildOnce sync.Once
	built     *artifacts
	buildErr  error
	runDir    string // per test binary scratch space, removed by TestMain
)

func TestMain(m *testing.M) {
	var err error
	runDir, err = os.MkdirTemp("", "flint-vm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(runDir)
	os.Exit(code)
}

// required says whether the boot tests must run (CI) rather than skip.
func required() bool { return os.Getenv("CI") == "true" }

// needArtifacts returns the shared artifacts, building them on first use, or ends the test:
// skipped (or failed, under CI=true) when a prerequisite is missing, failed when a build fails.
func needArtifacts(t *testing.T) *artifacts {
	t.Helper()
	if testing.Short() && !required() {
		t.Skip("boot tests do not run in -short mode")
	}
	first := false
	buildOnce.Do(func() {
		first = true
		built, buildErr = buildArtifacts()
	})
	if first && built != nil {
		for _, line := range built.timings {
			t.Log(line)
		}
	}
	var pe prereqError
	switch {
	case errors.As(buildErr, &pe) && required():
		t.Fatalf("boot tests are required (CI=true) but cannot run: %v", pe)
	case errors.As(buildErr, &pe):
		t.Skipf("boot tests skipped: %v", pe)
	case buildErr != nil:
		t.Fatalf("building the VM artifacts: %v", buildErr)
	}
	return built
}

// needApply is needArtifacts for scenarios that provision: they skip until the agent exists.
func needApply(t *testing.T) *artifacts {
	t.Helper()
	a := needArtifacts(t)
	if !a.applyOK {
		t.Skip("flint apply is not implemented yet")
	}
	return a
}

func buildArtifacts() (*artifacts, error) {
	if os.Geteuid() != 0 {
		return nil, prereqError{"debootstrap and mkfs of a root image need root"}
	}
	for _, tool := range []string{
		"qemu-system-x86_64", "dracut", "debootstrap", "apt-get", "apt-cache", "dpkg-deb",
		"depmod", "sgdisk", "mkfs.ext4", "tar", "cp", "go",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, prereqError{tool + " is not installed (.ci/run installs it)"}
		}
	}
	cache, err := cacheDir()
	if err != nil {
		return nil, err
	}
	a := &artifacts{}
	step := func(name string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		a.timings = append(a.timings, fmt.Sprintf("vm artifacts: %s took %v", name, time.Since(start).Round(time.Millisecond)))
		return nil
	}
	var moddir, tarball string
	steps := []struct {
		name string
		f    func() error
	}{
		{"flint binary", func() (err error) { a.flint, a.applyOK, err = buildFlint(); return err }},
		{"kernel", func() (err error) { a.kver, a.kernel, moddir, err = fetchKernel(cache); return err }},
		{"root tarball", func() (err error) { tarball, err = rootTarball(cache); return err }},
		{"root image", func() (err error) { a.image, err = rootImage(cache, tarball); return err }},
		{"initramfs", func() (err error) { a.initrd, err = buildInitrd(cache, a.kver, moddir, a.flint); return err }},
	}
	for _, s := range steps {
		if err := step(s.name, s.f); err != nil {
			return nil, err
		}
	}
	// Older versions of each artifact are of no more use: keep the cache at one of each.
	prune(cache, "linux-image-*-cloud-amd64", filepath.Dir(filepath.Dir(a.kernel)))
	prune(cache, "rootfs-*.tar", tarball)
	prune(cache, "root-*.img", a.image)
	prune(cache, "initrd-*.img", a.initrd)
	return a, nil
}

// prune removes the cache entries matching pattern except keep, once they are a day old: a
// test binary of another checkout may be using a younger one.
func prune(cache, pattern, keep string) {
	old, _ := filepath.Glob(filepath.Join(cache, pattern))
	for _, p := range old {
		if fi, err := os.Stat(p); err == nil && p != keep && time.Since(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(p)
		}
	}
}

// tmpName is a scratch name beside path, private to this process: test binaries of several
// checkouts may fill the same cache at once, and the last rename wins.
func tmpName(path string) string { return fmt.Sprintf("%s.tmp%d", path, os.Getpid()) }

// cacheDir is $FLINT_VM_CACHE, else /var/cache/flint-vm.
func cacheDir() (string, error) {
	dir := os.Getenv("FLINT_VM_CACHE")
	if dir == "" {
		dir = "/var/cache/flint-vm"
	}
	return dir, os.MkdirAll(dir, 0o755)
}

func repoRoot() (string, error) { return filepath.Abs(filepath.Join("..", "..")) }

// run runs a command and returns its standard output; the error carries its standard error.
func run(dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, lastLines(stderr.String(), 30))
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// key hashes the inputs of a cached artifact into a short name part.
func key(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// buildFlint builds the static flint binary for the initramfs and reports whether its apply
// command exists yet.
func buildFlint() (string, bool, error) {
	root, err := repoRoot()
	if err != nil {
		return "", false, err
	}
	bin := filepath.Join(runDir, "flint")
	if _, err := run(root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "."); err != nil {
		return "", false, err
	}
	applyOK := exec.Command(bin, "apply", "--help").Run() == nil
	return bin, applyOK, nil
}

var kernelDepRE = regexp.MustCompile(`Depends: (linux-image-\S+-cloud-amd64)\b`)

// fetchKernel downloads Debian's current cloud kernel package (the ABI in its name changes with
// every security update, so it is resolved through the linux-image-cloud-amd64 metapackage)
// and extracts the kernel and its modules, with modules.dep, into the cache.
func fetchKernel(cache string) (kver, vmlinuz, moddir string, err error) {
	out, err := run("", nil, "apt-cache", "depends", "linux-image-cloud-amd64")
	if err != nil {
		return "", "", "", prereqError{"cannot resolve the kernel package: " + err.Error()}
	}
	m := kernelDepRE.FindSubmatch(out)
	if m == nil {
		return "", "", "", prereqError{"apt-cache depends linux-image-cloud-amd64 names no kernel: " + string(out)}
	}
	pkg := string(m[1])
	dest := filepath.Join(cache, pkg)
	if !exists(filepath.Join(dest, ".done")) {
		if err := extractKernel(pkg, dest); err != nil {
			return "", "", "", err
		}
	}
	kernels, _ := filepath.Glob(filepath.Join(dest, "boot", "vmlinuz-*"))
	if len(kernels) != 1 {
		return "", "", "", fmt.Errorf("%s: want one boot/vmlinuz-*, found %q", pkg, kernels)
	}
	vmlinuz = kernels[0]
	kver = strings.TrimPrefix(filepath.Base(vmlinuz), "vmlinuz-")
	return kver, vmlinuz, filepath.Join(dest, "lib", "modules", kver), nil
}

func extractKernel(pkg, dest string) error {
	tmp := tmpName(dest)
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if _, err := run(tmp, nil, "apt-get", "download", "-q", pkg); err != nil {
		return prereqError{"cannot download the kernel: " + err.Error()}
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s left %q", pkg, debs)
	}
	script := `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./boot ./lib/modules`
	if _, err := run(tmp, nil, "sh", "-c", script, "sh", debs[0], tmp); err != nil {
		return err
	}
	if err := os.Remove(debs[0]); err != nil {
		return err
	}
	kernels, _ := filepath.Glob(filepath.Join(tmp, "boot", "vmlinuz-*"))
	if len(kernels) != 1 {
		return fmt.Errorf("%s: want one boot/vmlinuz-*, found %q", pkg, kernels)
	}
	kver := strings.TrimPrefix(filepath.Base(kernels[0]), "vmlinuz-")
	// The package ships no modules.dep; dracut resolves module dependencies through it.
	if _, err := run("", nil, "depmod", "-b", tmp, kver); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".done"), nil, 0o644); err != nil {
		return err
	}
	if exists(filepath.Join(dest, ".done")) {
		return os.RemoveAll(tmp) // another test binary was quicker
	}
	os.RemoveAll(dest)
	return os.Rename(tmp, dest)
}

// debianMirror is the mirror apt on this machine uses for the suite ($FLINT_VM_MIRROR wins):
// the tests reach no other host than the package registry the machine is configured for.
func debianMirror() string {
	if m := os.Getenv("FLINT_VM_MIRROR"); m != "" {
		return m
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// deb822 stanzas: the one whose Suites name the suite itself.
		for _, stanza := range strings.Split(string(b), "\n\n") {
			var uri string
			suite := false
			for _, line := range strings.Split(stanza, "\n") {
				k, v, _ := strings.Cut(line, ":")
				switch strings.TrimSpace(k) {
				case "URIs":
					uri = strings.Fields(v + " x")[0]
				case "Suites":
					for _, s := range strings.Fields(v) {
						suite = suite || s == debianSuite
					}
				}
			}
			if suite && uri != "" {
				return uri
			}
		}
	}
	lists, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append([]string{"/etc/apt/sources.list"}, lists...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			w := strings.Fields(line)
			if len(w) >= 3 && w[0] == "deb" && !strings.HasPrefix(w[1], "[") && w[2] == debianSuite {
				return w[1]
			}
		}
	}
	return "http://deb.debian.org/debian"
}

// rootTarball debootstraps the root once and keeps it as a tarball keyed by suite, mirror and
// package list.
func rootTarball(cache string) (string, error) {
	mirror := debianMirror()
	k := key([]byte(debianSuite), []byte(mirror), []byte(strings.Join(rootPackages, ",")))
	tarball := filepath.Join(cache, "rootfs-"+debianSuite+"-"+k+".tar")
	if exists(tarball) {
		return tarball, nil
	}
	tmp, err := os.MkdirTemp(cache, "debootstrap-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "root")
	if _, err := run("", nil, "debootstrap", "--variant=minbase", "--include="+strings.Join(rootPackages, ","),
		debianSuite, root, mirror); err != nil {
		return "", err
	}
	// Package caches make the image bigger and every boot slower; they are not the test's.
	for _, glob := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_Packages"} {
		files, _ := filepath.Glob(filepath.Join(root, glob))
		for _, f := range files {
			os.Remove(f)
		}
	}
	if _, err := run("", nil, "tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", tmpName(tarball), "."); err != nil {
		return "", err
	}
	return tarball, os.Rename(tmpName(tarball), tarball)
}

// The test root's own part: a unit that reports on the serial console and powers off once the
// real root has booted. Scenario configs add checks as executables in /etc/flint-vm/check.d,
// each printing key=value lines.
const reportScript = `#!/bin/sh
# Reports to the flint boot tests on the serial console, then powers the machine off. The
# image masks serial-getty@ttyS0: a login prompt's vhangup would cut this report short.
exec >/dev/ttyS0 2>&1
echo "FLINT-VM-BOOT"
echo "FLINT-VM-CHECK root_bytes=$(df -B1 --output=size / | tail -n 1 | tr -d ' ')"
if [ -e /etc/.flint-result.json ]; then
    echo "FLINT-VM-CHECK result_file=yes"
else
    echo "FLINT-VM-CHECK result_file=no"
fi
# The GRUB first-boot stamp the image ships; flint removes it after provisioning.
if [ -e /boot/flint.firstboot ]; then
    echo "FLINT-VM-CHECK grub_stamp=present"
else
    echo "FLINT-VM-CHECK grub_stamp=absent"
fi
for check in /etc/flint-vm/check.d/*; do
    [ -x "$check" ] || continue
    "$check" 2>&1 | sed 's/^/FLINT-VM-CHECK /'
done
echo "FLINT-VM-OK"
systemctl --no-block poweroff
`

const reportUnit = `[Unit]
Description=flint boot tests: report on the serial console and power off
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/flint-vm-report

[Install]
WantedBy=multi-user.target
`

// customizeRoot turns the debootstrapped tree into the test root.
func customizeRoot(root string) error {
	files := []struct {
		path string
		mode fs.FileMode
		data string
	}{
		{"usr/local/sbin/flint-vm-report", 0o755, reportScript},
		{"etc/systemd/system/flint-vm-report.service", 0o644, reportUnit},
		// Uninitialised: the real root's first boot applies presets (how units a config
		// enables get enabled) and ConditionFirstBoot holds.
		{"etc/machine-id", 0o444, "uninitialized\n"},
		{"etc/fstab", 0o644, "LABEL=ROOT / ext4 rw,errors=remount-ro 0 1\n"},
		{"etc/hostname", 0o644, "flint-vm\n"},
		// The stamp a GRUB configuration would test to add flint.firstboot (docs/initramfs.md).
		{"boot/flint.firstboot", 0o644, ""},
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		os.Remove(p)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/flint-vm/check.d"), 0o755); err != nil {
		return err
	}
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	// No login prompt on the serial console: agetty hangs up the line when it starts, which
	// would silence the report if the two met.
	if err := os.Symlink("/dev/null", filepath.Join(root, "etc/systemd/system/serial-getty@ttyS0.service")); err != nil {
		return err
	}
	return os.Symlink("/etc/systemd/system/flint-vm-report.service", filepath.Join(wants, "flint-vm-report.service"))
}

// rootImage builds the root disk from the tarball: GPT, one ext4 partition labelled ROOT,
// populated with mkfs.ext4 -d (no loop device, no mount).
func rootImage(cache, tarball string) (string, error) {
	layout := fmt.Sprintf("%d/%d/%d", diskBytes, rootPartStart, rootPartBytes)
	image := filepath.Join(cache, "root-"+key([]byte(tarball), []byte(reportScript), []byte(reportUnit), []byte(layout))+".img")
	if exists(image) {
		return image, nil
	}
	tmp, err := os.MkdirTemp(cache, "image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", err
	}
	if _, err := run("", nil, "tar", "--numeric-owner", "--xattrs", "-C", root, "-xf", tarball); err != nil {
		return "", err
	}
	if err := customizeRoot(root); err != nil {
		return "", err
	}
	part := filepath.Join(tmp, "part.img")
	if err := sparseFile(part, rootPartBytes); err != nil {
		return "", err
	}
	if _, err := run("", nil, "mkfs.ext4", "-q", "-F", "-L", "ROOT", "-d", root, part); err != nil {
		return "", err
	}
	disk := filepath.Join(tmp, "disk.img")
	if err := sparseFile(disk, diskBytes); err != nil {
		return "", err
	}
	if _, err := run("", nil, "sgdisk",
		fmt.Sprintf("--new=1:%d:+%dK", rootPartStart/512, rootPartBytes/1024),
		"--typecode=1:8300", "--change-name=1:root", disk); err != nil {
		return "", err
	}
	if err := copySparse(disk, part, rootPartStart); err != nil {
		return "", err
	}
	return image, os.Rename(disk, image)
}

func sparseFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copySparse writes src into dst at offset, skipping blocks of zeros (dst is sparse).
func copySparse(dst, src string, offset int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	r := bufio.NewReaderSize(in, len(buf))
	for pos := offset; ; {
		n, err := io.ReadFull(r, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, werr := out.WriteAt(buf[:n], pos); werr != nil {
				out.Close()
				return werr
			}
		}
		pos += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

// buildInitrd runs Debian's dracut with the repository's module installed as 30flint in a
// private copy of dracut's module tree ($dracutbasedir), so the host's dracut is not touched.
func buildInitrd(cache, kver, moddir, flint string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	module := filepath.Join(root, "dracut")
	inputs := [][]byte{[]byte(kver), []byte(strings.Join(dracutModules, ","))}
	entries, err := os.ReadDir(module)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(module, e.Name()))
		if err != nil {
			return "", err
		}
		inputs = append(inputs, []byte(e.Name()), b)
	}
	bin, err := os.ReadFile(flint)
	if err != nil {
		return "", err
	}
	inputs = append(inputs, bin)
	initrd := filepath.Join(cache, "initrd-"+kver+"-"+key(inputs...)+".img")
	if exists(initrd) {
		return initrd, nil
	}

	base, err := dracutOverlay(module)
	if err != nil {
		return "", err
	}
	confdir := filepath.Join(runDir, "dracut.conf.d")
	if err := os.MkdirAll(confdir, 0o755); err != nil {
		return "", err
	}
	tmp := tmpName(initrd)
	env := []string{"dracutbasedir=" + base, "FLINT_BINARY=" + flint}
	if _, err := run(runDir, env, "dracut", "--force", "--quiet",
		"--no-hostonly", "--no-hostonly-cmdline", "--conf", "/dev/null", "--confdir", confdir,
		"--kver", kver, "--kmoddir", moddir,
		"--modules", strings.Join(dracutModules, " "),
		"--add-drivers", "virtio_pci virtio_blk virtio_net qemu_fw_cfg ext4",
		// Uncompressed: under TCG the guest unpacks a plain cpio faster than it inflates one.
		"--no-compress",
		tmp); err != nil {
		return "", err
	}
	return initrd, os.Rename(tmp, initrd)
}

// dracutOverlay makes a dracut base directory that mirrors /usr/lib/dracut, with the module
// directory added to modules.d as 30flint.
func dracutOverlay(module string) (string, error) {
	const system = "/usr/lib/dracut"
	base := filepath.Join(runDir, "dracut")
	if err := os.MkdirAll(filepath.Join(base, "modules.d"), 0o755); err != nil {
		return "", err
	}
	top, err := os.ReadDir(system)
	if err != nil {
		return "", prereqError{"dracut's module tree is missing: " + err.Error()}
	}
	for _, e := range top {
		if e.Name() == "modules.d" {
			continue
		}
		if err := os.Symlink(filepath.Join(system, e.Name()), filepath.Join(base, e.Name())); err != nil {
			return "", err
		}
	}
	mods, err := os.ReadDir(filepath.Join(system, "modules.d"))
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(mods))
	for _, e := range mods {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, "flint") {
			continue // an installed copy must not shadow the repository's
		}
		if err := os.Symlink(filepath.Join(system, "modules.d", n), filepath.Join(base, "modules.d", n)); err != nil {
			return "", err
		}
	}
	return base, os.Symlink(module, filepath.Join(base, "modules.d", "30flint"))
}
