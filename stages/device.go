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

	"github.com/flint-provision/flint/internal/blockdev"
)

// Reading the config from a labelled device (flint.config.device=LABEL flint.config.path=P):
// wait for the device, mount it read-only in a private directory, read the file, unmount.

// deviceWait is how long a config device may take to appear, as in the reference.
const deviceWait = 30 * time.Second

// ErrDeviceMissing is a device that did not appear in time.
var ErrDeviceMissing = errors.New("device not found")

func readFromDevice(ctx context.Context, env *Env, label, file string) ([]byte, error) {
	dev := env.sysPath(filepath.Join("/dev/disk/by-label", label))
	wctx, cancel := context.WithTimeout(ctx, deviceWait)
	err := blockdev.WaitForDevice(wctx, dev)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w: config device labelled %s (waited %s)", ErrDeviceMissing, label, deviceWait)
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
