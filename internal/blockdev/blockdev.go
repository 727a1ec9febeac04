// Package blockdev asks the kernel about block devices and tells it about partitions directly,
// through ioctls (BLKPG, BLKRRPART, BLKGETSIZE64, loop control), instead of exec'ing partx,
// blockdev or losetup, and waits for device nodes with inotify instead of fixed sleeps.
package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrBadPartition is returned for a partition number below 1 or a negative geometry.
var ErrBadPartition = errors.New("invalid partition number or geometry")

// PartitionPath returns the device node of partition n of disk: <disk>N, or <disk>pN when the
// disk's name ends in a digit (nvme0n1p1, loop0p1, mmcblk0p1), as the kernel names them.
func PartitionPath(disk string, n int) string {
	if disk != "" && disk[len(disk)-1] >= '0' && disk[len(disk)-1] <= '9' {
		return disk + "p" + strconv.Itoa(n)
	}
	return disk + strconv.Itoa(n)
}

// Size returns the size of a block device in bytes.
func Size(dev string) (int64, error) {
	var size uint64
	if err := ioctlOn(dev, os.O_RDONLY, unix.BLKGETSIZE64, unsafe.Pointer(&size)); err != nil {
		return 0, err
	}
	return int64(size), nil
}

// SectorSize returns a block device's logical sector size, the unit of partition tables.
func SectorSize(dev string) (int, error) {
	var size int32
	if err := ioctlOn(dev, os.O_RDONLY, unix.BLKSSZGET, unsafe.Pointer(&size)); err != nil {
		return 0, err
	}
	return int(size), nil
}

// AddPartition tells the kernel that partition n of disk spans [start, start+length) bytes,
// without reading the partition table. The disk stage uses it after writing the table itself.
func AddPartition(disk string, n int, start, length int64) error {
	return blkpg(disk, unix.BLKPG_ADD_PARTITION, n, start, length)
}

// ResizePartition changes the length of partition n in the kernel's view; its start must not
// move.
func ResizePartition(disk string, n int, start, length int64) error {
	return blkpg(disk, unix.BLKPG_RESIZE_PARTITION, n, start, length)
}

// DeletePartition removes partition n from the kernel's view. It fails with EBUSY while the
// partition is mounted or held.
func DeletePartition(disk string, n int) error {
	return blkpg(disk, unix.BLKPG_DEL_PARTITION, n, 0, 0)
}

// RereadPartitions asks the kernel to re-read the whole partition table (BLKRRPART), the
// fallback when partitions cannot be updated one by one; it fails with EBUSY when any partition
// of the disk is in use.
func RereadPartitions(disk string) error {
	return ioctlOn(disk, os.O_RDONLY, unix.BLKRRPART, nil)
}

func blkpg(disk string, op int32, n int, start, length int64) error {
	if n < 1 || start < 0 || length < 0 {
		return fmt.Errorf("%w: partition %d at %d+%d", ErrBadPartition, n, start, length)
	}
	part := unix.BlkpgPartition{Start: start, Length: length, Pno: int32(n)}
	arg := unix.BlkpgIoctlArg{
		Op:      op,
		Datalen: int32(unsafe.Sizeof(part)),
		Data:    (*byte)(unsafe.Pointer(&part)),
	}
	if err := ioctlOn(disk, os.O_RDONLY, unix.BLKPG, unsafe.Pointer(&arg)); err != nil {
		return fmt.Errorf("partition %d: %w", n, err)
	}
	return nil
}

// ioctlOn opens path and issues one ioctl on it.
func ioctlOn(path string, flag int, req uint, arg unsafe.Pointer) error {
	f, err := os.OpenFile(path, flag|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), uintptr(req), uintptr(arg)); errno != 0 {
		return &os.PathError{Op: "ioctl", Path: path, Err: errno}
	}
	return nil
}

// KernelPartition is a partition as the kernel sees it, in 512-byte sectors whatever the disk's
// logical sector size (the unit of /sys/class/block/*/start and size).
type KernelPartition struct {
	Start, Size int64
}

// ReadKernelPartition reads the kernel's view of a partition device (by path or name) from
// sysfs, to verify that a change reached the kernel.
func ReadKernelPartition(dev string) (KernelPartition, error) {
	dir := filepath.Join("/sys/class/block", filepath.Base(dev))
	var kp KernelPartition
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"start", &kp.Start}, {"size", &kp.Size}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return KernelPartition{}, err
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return KernelPartition{}, fmt.Errorf("%s/%s: %w", dir, f.name, err)
		}
		*f.dst = v
	}
	return kp, nil
}
