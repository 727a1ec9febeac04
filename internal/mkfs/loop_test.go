package mkfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flint-provision/flint/internal/fsprobe"
	"github.com/google/go-cmp/cmp"
)

// loopDevice attaches a sparse file of the given size to a loop device with losetup, or skips
// the test when it cannot.
func loopDevice(t *testing.T, size int64) (dev, img string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: loop devices need root")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("skipping: no /dev/loop-control, loop devices unavailable")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("skipping: losetup not installed")
	}
	img = filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("skipping: losetup --find failed: %v: %s", err, out)
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	return dev, img
}

// mounted mounts dev in a temporary directory until the test ends.
func mounted(t *testing.T, dev, format string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount(dev, dir, format, 0, ""); err != nil {
		t.Fatalf("mount -t %s %s %s: %v", format, dev, dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("umount %s: %v", dir, err)
		}
	})
	return dir
}

// totalBytes is the filesystem's size as statfs reports it.
func totalBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * uint64(st.Bsize)
}

// TestCreateProbeGrow formats loop devices through CreateArgs, checks the result with fsprobe,
// doubles the backing file, and grows the filesystem through GrowArgs.
func TestCreateProbeGrow(t *testing.T) {
	// A fresh UUID per run: mkfs.btrfs refuses one that a device known to blkid already has.
	u := randomUUID(t)
	for _, tc := range []struct {
		name string
		spec Spec
		tool string
		size int64
		want fsprobe.Result
		// growTool is empty for formats that are not grown.
		growTool string
	}{
		{name: "ext4", spec: Spec{Format: "ext4", UUID: str(u), Label: str("root")}, tool: "mkfs.ext4",
			size: 64 << 20, want: fsprobe.Result{Type: "ext4", UUID: u, Label: "root"}, growTool: "resize2fs"},
		{name: "xfs", spec: Spec{Format: "xfs", UUID: str(u), Label: str("var")}, tool: "mkfs.xfs",
			size: 320 << 20, want: fsprobe.Result{Type: "xfs", UUID: u, Label: "var"}, growTool: "xfs_growfs"},
		{name: "btrfs", spec: Spec{Format: "btrfs", UUID: str(u), Label: str("data")}, tool: "mkfs.btrfs",
			size: 256 << 20, want: fsprobe.Result{Type: "btrfs", UUID: u, Label: "data"}, growTool: "btrfs"},
		{name: "swap", spec: Spec{Format: "swap", UUID: str(u), Label: str("swap0")}, tool: "mkswap",
			size: 32 << 20, want: fsprobe.Result{Type: "swap", UUID: u, Label: "swap0"}},
		{name: "vfat", spec: Spec{Format: "vfat", UUID: str("1A2B-3C4D"), Label: str("EFI"), Options: []string{"-F", "32"}},
			tool: "mkfs.fat", size: 300 << 20, want: fsprobe.Result{Type: "vfat", UUID: "1A2B-3C4D", Label: "EFI"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, tool := range []string{tc.tool, tc.growTool, "wipefs"} {
				if _, err := exec.LookPath(tool); tool != "" && err != nil {
					t.Skipf("skipping: %s not installed", tool)
				}
			}
			dev, img := loopDevice(t, tc.size)
			ctx := context.Background()
			var r ExecRunner
			spec := tc.spec
			spec.Device = dev
			args, err := CreateArgs(spec)
			if err != nil {
				t.Fatalf("CreateArgs(%+v): %v", spec, err)
			}
			for _, argv := range [][]string{WipeArgs(dev), args} {
				if _, _, err := r.Run(ctx, argv); err != nil {
					t.Fatal(err)
				}
			}
			got, err := fsprobe.ProbeFile(dev)
			if err != nil {
				t.Fatalf("fsprobe.ProbeFile(%s): %v", dev, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fsprobe.ProbeFile(%s) after %v (-want +got):\n%s", dev, args, diff)
			}
			if !got.Reusable(spec.Format, spec.Label, spec.UUID) {
				t.Errorf("%+v.Reusable(%+v) = false, want true", got, spec)
			}
			if tc.growTool == "" {
				return
			}

			mnt := mounted(t, dev, spec.Format)
			before := totalBytes(t, mnt)
			if tc.spec.Format == "ext4" {
				// Grow ext4 offline, the case without a mount point.
				if err := unix.Unmount(mnt, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Truncate(img, 2*tc.size); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("losetup", "-c", dev).CombinedOutput(); err != nil {
				t.Fatalf("losetup -c %s: %v: %s", dev, err, out)
			}
			mountpoint := mnt
			if !GrowNeedsMount(spec.Format) {
				mountpoint = ""
			}
			grow, err := GrowArgs(spec.Format, dev, mountpoint)
			if err != nil {
				t.Fatalf("GrowArgs(%q, %q, %q): %v", spec.Format, dev, mountpoint, err)
			}
			if _, _, err := r.Run(ctx, grow); err != nil {
				t.Fatal(err)
			}
			if tc.spec.Format == "ext4" {
				if err := unix.Mount(dev, mnt, "ext4", 0, ""); err != nil {
					t.Fatal(err)
				}
			}
			// Metadata takes its share, but the filesystem must have gained most of the new space.
			if after := totalBytes(t, mnt); after < before+uint64(tc.size)*3/4 {
				t.Errorf("size after %v = %d bytes, want at least %d (was %d, device grew by %d)",
					grow, after, before+uint64(tc.size)*3/4, before, tc.size)
			}
		})
	}
}

// randomUUID returns a random version 4 UUID in its text form.
func randomUUID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
