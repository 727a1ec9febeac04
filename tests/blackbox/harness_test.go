// Package blackbox provisions real disks: sparse image files on loop devices, partitioned,
// formatted and filled by the flint stages, then checked with sgdisk, blkid and by mounting.
// It needs root and loop devices; without them every test says so and skips.
package blackbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flint-provision/flint/internal/blockdev"
	"github.com/flint-provision/flint/internal/gpt"
	"github.com/flint-provision/flint/internal/rootfs"
	"github.com/flint-provision/flint/stages"
)

// needRoot skips a test that needs root, loop devices and the named tools.
func needRoot(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("blackbox tier skipped: needs root for loop devices (run as root, as CI does)")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("blackbox tier skipped: no /dev/loop-control on this machine")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("blackbox test skipped: %s is not installed (.ci/run installs it)", tool)
		}
	}
}

// disk is a sparse image attached to a loop device.
type disk struct {
	file, dev string
}

// newDisk makes a sparse image of sizeMiB and attaches it; cleanup detaches it.
func newDisk(t *testing.T, sizeMiB int64) *disk {
	t.Helper()
	file := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sizeMiB << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d := &disk{file: file}
	d.attach(t)
	return d
}

// attach attaches the image and makes the kernel see its partitions (this kernel may lack
// partition table parsers, so they are added with BLKPG from the table on the image).
func (d *disk) attach(t *testing.T) {
	t.Helper()
	dev, err := blockdev.AttachLoop(d.file, false)
	if err != nil {
		t.Fatalf("attach %s: %v", d.file, err)
	}
	d.dev = dev
	t.Cleanup(func() { d.detach() })
	f, err := os.Open(d.file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	tab, err := gpt.Read(f, fi.Size(), 512)
	if err != nil {
		return // no table yet
	}
	for _, p := range tab.Partitions {
		part := blockdev.PartitionPath(dev, p.Number)
		if _, err := os.Stat(part); err == nil {
			continue
		}
		if err := blockdev.AddPartition(dev, p.Number, int64(p.Start)*512, int64(p.Size())*512); err != nil {
			t.Fatalf("add partition %d: %v", p.Number, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10e9)
		err := blockdev.WaitForDevice(ctx, part)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (d *disk) detach() {
	if d.dev != "" {
		blockdev.DetachLoop(d.dev)
		d.dev = ""
	}
}

func (d *disk) part(n int) string { return blockdev.PartitionPath(d.dev, n) }

// hash is the SHA-256 of the whole image as the loop device shows it.
func (d *disk) hash(t *testing.T) string {
	t.Helper()
	f, err := os.Open(d.dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// run runs a command and returns its output, failing the test on error.
func run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// blkid returns blkid's probe of dev as a map (TYPE, LABEL, UUID, ...).
func blkid(t *testing.T, dev string) map[string]string {
	t.Helper()
	out, _ := exec.Command("blkid", "-p", "-o", "export", dev).Output()
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// target is a target root with the account files of a fresh Debian.
func target(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range map[string]string{
		"etc/passwd":     "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":      "root:x:0:\nusers:x:100:\n",
		"etc/shadow":     "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":    "root:*::\nusers:*::\n",
		"etc/login.defs": "UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB yes\n",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// apply runs the named stages (all when none) with the config in file against root.
func apply(t *testing.T, root, configFile string, names ...string) (*stages.Env, error) {
	t.Helper()
	r, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	env := &stages.Env{Root: r, StateDir: t.TempDir(), SysRoot: t.TempDir(), Platform: "file", ConfigSource: configFile,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), DeviceTimeout: 3e9}
	t.Cleanup(func() { unmountAll(root) })
	return env, stages.Run(context.Background(), env, names)
}

// unmountAll unmounts whatever a failed test left mounted under dir, deepest first.
func unmountAll(dir string) {
	b, _ := os.ReadFile("/proc/self/mounts")
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 1 && strings.HasPrefix(f[1], dir) {
			unix.Unmount(f[1], unix.MNT_DETACH)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.ign")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mountRead mounts dev read-only and returns the contents of rel in it.
func mountRead(t *testing.T, dev, fstype, rel string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount(dev, dir, fstype, unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("mount %s: %v", dev, err)
	}
	defer unix.Unmount(dir, 0)
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatalf("read %s on %s: %v", rel, dev, err)
	}
	return string(b)
}

// applyWithRoot is apply with a root device to grow.
func applyWithRoot(t *testing.T, root, configFile, rootDev string, names ...string) (*stages.Env, error) {
	t.Helper()
	r, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	env := &stages.Env{Root: r, StateDir: t.TempDir(), SysRoot: t.TempDir(), Platform: "file", ConfigSource: configFile,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), DeviceTimeout: 3e9, RootDevice: rootDev}
	t.Cleanup(func() { unmountAll(root) })
	return env, stages.Run(context.Background(), env, names)
}

// mountAt mounts dev on dir for the rest of the test.
func mountAt(t *testing.T, dev, fstype, dir string) {
	t.Helper()
	if err := unix.Mount(dev, dir, fstype, 0, ""); err != nil {
		t.Fatalf("mount %s: %v", dev, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
}

// fsSize is the size of the filesystem mounted at dir.
func fsSize(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks) * st.Bsize
}

// The benchmark's versions of the helpers above.

func needRootB(b *testing.B, tools ...string) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root for loop devices")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed", tool)
		}
	}
}

func newDiskB(b *testing.B, sizeMiB int64) *disk {
	b.Helper()
	file := filepath.Join(b.TempDir(), "disk.img")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.Truncate(file, sizeMiB<<20); err != nil {
		b.Fatal(err)
	}
	dev, err := blockdev.AttachLoop(file, false)
	if err != nil {
		b.Fatal(err)
	}
	d := &disk{file: file, dev: dev}
	b.Cleanup(d.detach)
	return d
}

func targetB(b *testing.B) string {
	b.Helper()
	root := b.TempDir()
	for name, content := range map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/group": "root:x:0:\n",
		"etc/shadow": "root:*:19000:0:99999:7:::\n", "etc/gshadow": "root:*::\n",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	return root
}
