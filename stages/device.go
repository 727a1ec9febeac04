package stages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Reading the config from a labelled device (flint.config.device=LABEL flint.config.path=P):
// wait for the device, mount it read-only in a private directory, read the file, unmount.

// deviceWait is how long a config device may take to appear, as in the reference.
const deviceWait = 30 * time.Second

// ErrDeviceMissing is a config device that did not appear in time.
var ErrDeviceMissing = errors.New("config device did not appear")

func readFromDevice(ctx context.Context, env *Env, label, file string) ([]byte, error) {
	dev := env.sysPath(filepath.Join("/dev/disk/by-label", label))
	if err := waitForPath(ctx, dev, deviceWait); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDeviceMissing, label, err)
	}
	dir, err := os.MkdirTemp("", "flint-config-device-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(dir)
	var mountErr error
	for _, fstype := range []string{"iso9660", "vfat", "ext4", "xfs", "btrfs", "udf"} {
		if mountErr = unix.Mount(dev, dir, fstype, unix.MS_RDONLY, ""); mountErr == nil {
			break
		}
	}
	if mountErr != nil {
		return nil, fmt.Errorf("mount %s: %w", dev, mountErr)
	}
	defer unix.Unmount(dir, 0)
	return os.ReadFile(filepath.Join(dir, path.Clean("/"+file)))
}

// waitForPath waits until p exists, polling with a short, growing interval (udev creates the
// by-label links asynchronously; there is no cheaper event to wait on from here).
func waitForPath(ctx context.Context, p string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		if _, err := os.Stat(p); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}
