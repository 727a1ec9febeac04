package blockdev

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// ErrDeviceTimeout is returned when a device node did not appear in time.
var ErrDeviceTimeout = errors.New("timed out waiting for device")

// pollSlice bounds one wait on inotify so a cancelled context without deadline is noticed.
const pollSlice = 500 * time.Millisecond

// WaitForDevice returns once path exists (as a node or a symlink to one), or when ctx ends. It
// watches the parent directory with inotify, so it wakes when the kernel or udev creates the
// node rather than after a fixed sleep; when the parent itself does not exist yet (a
// /dev/disk/by-* directory before udev made it) it polls with a short backoff.
func WaitForDevice(ctx context.Context, path string) error {
	if exists(path) {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return waitPolling(ctx, path)
	}
	defer unix.Close(fd)
	mask := uint32(unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ATTRIB)
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), mask); err != nil {
		return waitPolling(ctx, path)
	}
	buf := make([]byte, 4096)
	for {
		// Checked after the watch is in place, so a node created meanwhile is not missed.
		if exists(path) {
			return nil
		}
		timeout := pollSlice
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < timeout {
			timeout = time.Until(deadline)
		}
		if err := ctx.Err(); err != nil || timeout <= 0 {
			return timeoutError(ctx, path)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(timeout.Milliseconds())+1); err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		// Drain the events; which one arrived does not matter, the path is checked again.
		for {
			if _, err := unix.Read(fd, buf); err != nil {
				break
			}
		}
	}
}

// waitPolling checks for path with a backoff from 5 ms up to 200 ms.
func waitPolling(ctx context.Context, path string) error {
	delay := 5 * time.Millisecond
	for !exists(path) {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return timeoutError(ctx, path)
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
	return nil
}

func timeoutError(ctx context.Context, path string) error {
	cause := ctx.Err()
	if cause == nil {
		cause = context.DeadlineExceeded
	}
	return fmt.Errorf("%w %s: %w", ErrDeviceTimeout, path, cause)
}

// exists follows symlinks: a by-label link to a node not yet there does not count.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
