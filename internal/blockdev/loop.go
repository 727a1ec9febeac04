package blockdev

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// loopAttachTries bounds the race with other processes that take the free device first.
const loopAttachTries = 10

// AttachLoop attaches file to a free loop device with partition scanning on, so partitions in
// the image get their own nodes (loopNpM), and returns the device's path. Detach it with
// DetachLoop.
func AttachLoop(file string, readOnly bool) (string, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	backing, err := os.OpenFile(file, flag|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer ctl.Close()

	for range loopAttachTries {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		loop, err := os.OpenFile(dev, flag|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", err
		}
		err = unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_SET_FD, int(backing.Fd()))
		if errors.Is(err, unix.EBUSY) {
			// Another process attached it between GET_FREE and SET_FD.
			loop.Close()
			continue
		}
		if err != nil {
			loop.Close()
			return "", fmt.Errorf("LOOP_SET_FD %s: %w", dev, err)
		}
		info := unix.LoopInfo64{Flags: unix.LO_FLAGS_PARTSCAN}
		copy(info.File_name[:len(info.File_name)-1], file)
		if err := unix.IoctlLoopSetStatus64(int(loop.Fd()), &info); err != nil {
			unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_CLR_FD, 0)
			loop.Close()
			return "", fmt.Errorf("LOOP_SET_STATUS64 %s: %w", dev, err)
		}
		return dev, loop.Close()
	}
	return "", fmt.Errorf("no free loop device after %d tries: %w", loopAttachTries, unix.EBUSY)
}

// DetachLoop detaches the file from a loop device. The kernel finishes the detach once the
// last opener closes the device.
func DetachLoop(dev string) error {
	loop, err := os.OpenFile(dev, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer loop.Close()
	if err := unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_CLR_FD, 0); err != nil {
		return fmt.Errorf("LOOP_CLR_FD %s: %w", dev, err)
	}
	return nil
}
