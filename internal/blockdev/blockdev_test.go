package blockdev

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPartitionPath(t *testing.T) {
	for _, tc := range []struct {
		name, disk string
		n          int
		want       string
	}{
		{"sd", "/dev/sda", 1, "/dev/sda1"},
		{"virtio two digits", "/dev/vdb", 12, "/dev/vdb12"},
		{"nvme", "/dev/nvme0n1", 3, "/dev/nvme0n1p3"},
		{"loop", "/dev/loop7", 1, "/dev/loop7p1"},
		{"mmc", "/dev/mmcblk0", 2, "/dev/mmcblk0p2"},
		{"md name", "/dev/md127", 1, "/dev/md127p1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PartitionPath(tc.disk, tc.n); got != tc.want {
				t.Errorf("PartitionPath(%q, %d) = %q, want %q", tc.disk, tc.n, got, tc.want)
			}
		})
	}
}

func TestBadPartition(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n             int
		start, length int64
	}{
		{"number zero", 0, 0, 1 << 20},
		{"negative start", 1, -512, 1 << 20},
		{"negative length", 1, 512, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The geometry is refused before the device is opened.
			if err := AddPartition("/nonexistent", tc.n, tc.start, tc.length); !errors.Is(err, ErrBadPartition) {
				t.Errorf("AddPartition(%d, %d, %d) error = %v, want %v", tc.n, tc.start, tc.length, err, ErrBadPartition)
			}
		})
	}
}

func TestWaitForDevice(t *testing.T) {
	t.Run("exists", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "node")
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WaitForDevice(context.Background(), p); err != nil {
			t.Errorf("WaitForDevice(existing) = %v, want nil", err)
		}
	})
	t.Run("appears later", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "node")
		created := make(chan time.Time, 1)
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.WriteFile(p, nil, 0o600)
			created <- time.Now()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := WaitForDevice(ctx, p); err != nil {
			t.Fatalf("WaitForDevice(created after 50ms) = %v, want nil", err)
		}
		woke := time.Now()
		// inotify wakes the wait when the node appears; a fixed poll slice would wake up to
		// pollSlice later. Measured from the creation, so a slow start does not count.
		if d := woke.Sub(<-created); d >= pollSlice {
			t.Errorf("WaitForDevice woke %v after the node appeared, want less than %v (woken by inotify)", d, pollSlice)
		}
	})
	t.Run("symlink made by udev", func(t *testing.T) {
		dir := t.TempDir()
		target, link := filepath.Join(dir, "sda1"), filepath.Join(dir, "by-label-root")
		if err := os.WriteFile(target, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(20 * time.Millisecond)
			os.Symlink(target, link)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := WaitForDevice(ctx, link); err != nil {
			t.Errorf("WaitForDevice(symlink) = %v, want nil", err)
		}
	})
	t.Run("parent appears later", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "by-uuid")
		p := filepath.Join(dir, "node")
		go func() {
			time.Sleep(20 * time.Millisecond)
			os.Mkdir(dir, 0o755)
			os.WriteFile(p, nil, 0o600)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := WaitForDevice(ctx, p); err != nil {
			t.Errorf("WaitForDevice(in missing dir) = %v, want nil", err)
		}
	})
	t.Run("times out", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		err := WaitForDevice(ctx, filepath.Join(t.TempDir(), "never"))
		if !errors.Is(err, ErrDeviceTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitForDevice(never) = %v, want %v and %v", err, ErrDeviceTimeout, context.DeadlineExceeded)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := WaitForDevice(ctx, filepath.Join(t.TempDir(), "never")); !errors.Is(err, context.Canceled) {
			t.Errorf("WaitForDevice(cancelled) = %v, want %v", err, context.Canceled)
		}
	})
}

// requireLoop skips unless the test can attach loop devices.
func requireLoop(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: loop devices and BLKPG need root")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("skipping: no /dev/loop-control, loop devices unavailable")
	}
}

// sparseImage makes a sparse file of size bytes.
func sparseImage(t *testing.T, size int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	return img
}

// attach attaches img and detaches it when the test ends.
func attach(t *testing.T, img string, readOnly bool) string {
	t.Helper()
	dev, err := AttachLoop(img, readOnly)
	if err != nil {
		t.Fatalf("AttachLoop(%s): %v", img, err)
	}
	t.Cleanup(func() {
		if err := DetachLoop(dev); err != nil {
			t.Errorf("DetachLoop(%s): %v", dev, err)
		}
	})
	return dev
}

func TestLoopAttach(t *testing.T) {
	requireLoop(t)
	img := sparseImage(t, 64<<20)
	dev := attach(t, img, false)
	sys := filepath.Join("/sys/class/block", filepath.Base(dev))
	backing, err := os.ReadFile(filepath.Join(sys, "loop/backing_file"))
	if err != nil || string(backing) != img+"\n" {
		t.Errorf("backing_file of %s = %q, %v, want %q", dev, backing, err, img)
	}
	if b, err := os.ReadFile(filepath.Join(sys, "loop/partscan")); err != nil || string(b) != "1\n" {
		t.Errorf("partscan of %s = %q, %v, want 1", dev, b, err)
	}
	if size, err := Size(dev); err != nil || size != 64<<20 {
		t.Errorf("Size(%s) = %d, %v, want %d", dev, size, err, 64<<20)
	}
	if ss, err := SectorSize(dev); err != nil || ss != 512 {
		t.Errorf("SectorSize(%s) = %d, %v, want 512", dev, ss, err)
	}

	t.Run("read-only", func(t *testing.T) {
		ro := attach(t, img, true)
		if b, err := os.ReadFile(filepath.Join("/sys/class/block", filepath.Base(ro), "ro")); err != nil || string(b) != "1\n" {
			t.Errorf("ro of %s = %q, %v, want 1", ro, b, err)
		}
		if ro == dev {
			t.Errorf("AttachLoop returned %s twice", dev)
		}
	})
	t.Run("detached", func(t *testing.T) {
		other := sparseImage(t, 1<<20)
		d, err := AttachLoop(other, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := DetachLoop(d); err != nil {
			t.Fatalf("DetachLoop(%s): %v", d, err)
		}
		if _, err := os.Stat(filepath.Join("/sys/class/block", filepath.Base(d), "loop/backing_file")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("backing_file of %s after DetachLoop: %v, want it gone", d, err)
		}
	})
}

// TestBLKPG writes a GPT with sgdisk, then adds, resizes and deletes partitions in the kernel's
// view and checks sysfs and the device nodes.
func TestBLKPG(t *testing.T) {
	requireLoop(t)
	if _, err := exec.LookPath("sgdisk"); err != nil {
		t.Skip("skipping: sgdisk (gdisk) not installed")
	}
	dev := attach(t, sparseImage(t, 64<<20), false)
	if out, err := exec.Command("sgdisk", "-n", "1:2048:+10M", dev).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk -n 1:2048:+10M %s: %v: %s", dev, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	check := func(t *testing.T, n int, want KernelPartition) {
		t.Helper()
		p := PartitionPath(dev, n)
		if err := WaitForDevice(ctx, p); err != nil {
			t.Fatalf("WaitForDevice(%s): %v", p, err)
		}
		got, err := ReadKernelPartition(p)
		if err != nil || got != want {
			t.Errorf("ReadKernelPartition(%s) = %+v, %v, want %+v", p, got, err, want)
		}
		size, err := Size(p)
		if err != nil || size != want.Size*512 {
			t.Errorf("Size(%s) = %d, %v, want %d", p, size, err, want.Size*512)
		}
	}
	gone := func(t *testing.T, n int) {
		t.Helper()
		name := filepath.Base(PartitionPath(dev, n))
		if _, err := os.Stat(filepath.Join("/sys/class/block", name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/sys/class/block/%s: %v, want it gone", name, err)
		}
	}

	// sgdisk's BLKRRPART makes a kernel with a GPT parser read the new table. Kernels built
	// without one (CONFIG_EFI_PARTITION unset, as in minimal VMs) see no partitions at all, and
	// BLKPG is then the only way to tell them: exactly the disks stage's case.
	if err := RereadPartitions(dev); err != nil {
		t.Fatalf("RereadPartitions(%s): %v", dev, err)
	}
	p1 := filepath.Join("/sys/class/block", filepath.Base(PartitionPath(dev, 1)))
	_, err := os.Stat(p1)
	gptParsed := err == nil
	if !gptParsed {
		t.Logf("kernel did not parse the GPT on %s (no GPT support); adding partition 1 with BLKPG", dev)
		if err := AddPartition(dev, 1, 2048*512, 10<<20); err != nil {
			t.Fatalf("AddPartition(%s, 1): %v", dev, err)
		}
	}
	check(t, 1, KernelPartition{Start: 2048, Size: 20480})

	const p2Start = 32 << 20
	if err := AddPartition(dev, 2, p2Start, 8<<20); err != nil {
		t.Fatalf("AddPartition(%s, 2): %v", dev, err)
	}
	check(t, 2, KernelPartition{Start: p2Start / 512, Size: 8 << 20 / 512})

	if err := AddPartition(dev, 3, p2Start+4<<20, 8<<20); !errors.Is(err, unix.EBUSY) {
		t.Errorf("AddPartition(overlapping) = %v, want %v", err, unix.EBUSY)
	}

	if err := ResizePartition(dev, 2, p2Start, 16<<20); err != nil {
		t.Fatalf("ResizePartition(%s, 2): %v", dev, err)
	}
	check(t, 2, KernelPartition{Start: p2Start / 512, Size: 16 << 20 / 512})

	if err := DeletePartition(dev, 2); err != nil {
		t.Fatalf("DeletePartition(%s, 2): %v", dev, err)
	}
	gone(t, 2)

	// Partition 2 again, then BLKRRPART: the kernel's view returns to the on-disk table.
	if err := AddPartition(dev, 2, p2Start, 8<<20); err != nil {
		t.Fatalf("AddPartition(%s, 2): %v", dev, err)
	}
	if err := RereadPartitions(dev); err != nil {
		t.Fatalf("RereadPartitions(%s): %v", dev, err)
	}
	gone(t, 2)
	if gptParsed {
		check(t, 1, KernelPartition{Start: 2048, Size: 20480})
	} else {
		gone(t, 1)
		if err := AddPartition(dev, 1, 2048*512, 10<<20); err != nil {
			t.Fatalf("AddPartition(%s, 1): %v", dev, err)
		}
		check(t, 1, KernelPartition{Start: 2048, Size: 20480})
	}

	// A partition in use cannot be re-read away.
	f, err := os.OpenFile(PartitionPath(dev, 1), os.O_RDONLY|unix.O_EXCL, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := RereadPartitions(dev); !errors.Is(err, unix.EBUSY) {
		t.Errorf("RereadPartitions(busy %s) = %v, want %v", dev, err, unix.EBUSY)
	}
}
