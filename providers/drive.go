package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Config drives are found by filesystem label under <Root>/dev/disk/by-label, polled at the
// platform's interval (no udev settle: the link appears when udev has probed the device), and
// read in user space when the filesystem is ISO 9660, UDF or FAT. Anything else on a block
// device is mounted read-only with the kernel's autodetection as a fallback.

// ErrNoDevice is a config drive that did not appear before its deadline.
var ErrNoDevice = errors.New("config drive did not appear")

// volume is a filesystem that files can be read from.
type volume interface {
	// ReadFile returns a file's contents; a missing file is fs.ErrNotExist.
	ReadFile(name string) ([]byte, error)
}

// Filesystem kinds recognised in user space.
const (
	fsISO9660 = "iso9660"
	fsUDF     = "udf"
	fsVFAT    = "vfat"
)

// probeFS lists the filesystems r holds: a UDF bridge image is both UDF and ISO 9660.
func probeFS(r io.ReaderAt) []string {
	var kinds []string
	if isUDF(r) {
		kinds = append(kinds, fsUDF)
	}
	if isISO9660(r) {
		kinds = append(kinds, fsISO9660)
	}
	if isFAT(r) {
		kinds = append(kinds, fsVFAT)
	}
	return kinds
}

// openVolume opens r as the first of its filesystems that kinds allows (nil allows all).
func openVolume(r io.ReaderAt, kinds []string) (volume, string, error) {
	found := probeFS(r)
	for _, k := range found {
		if kinds != nil && !contains(kinds, k) {
			continue
		}
		var v volume
		var err error
		switch k {
		case fsISO9660:
			v, err = openISO9660(r)
		case fsUDF:
			v, err = openUDF(r)
		case fsVFAT:
			v, err = openFAT(r)
		}
		return v, k, err
	}
	return nil, "", fmt.Errorf("%w: found %v, want one of %v", ErrFilesystem, found, kinds)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pollInterval returns the documented interval def unless the Env overrides it.
func (e *Env) pollInterval(def time.Duration) time.Duration {
	if e.Timing.DevicePoll > 0 {
		return e.Timing.DevicePoll
	}
	return def
}

// deviceWait returns the documented deadline def (0: none) unless the Env overrides it.
func (e *Env) deviceWait(def time.Duration) time.Duration {
	if def > 0 && e.Timing.DeviceWait > 0 {
		return e.Timing.DeviceWait
	}
	return def
}

// waitForDevice polls for path every poll until it exists, the wait (0: none) passes, or ctx
// ends.
func waitForDevice(ctx context.Context, env *Env, path string, poll, wait time.Duration) error {
	var deadline time.Time
	if wait > 0 {
		deadline = time.Now().Add(wait)
	}
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return fmt.Errorf("%w: %s after %v", ErrNoDevice, path, wait)
		}
		env.log().Debug("waiting for config drive", "device", path)
		if err := sleep(ctx, poll); err != nil {
			return fmt.Errorf("waiting for %s: %w", path, err)
		}
	}
}

// labelPath is the by-label link of a filesystem label.
func (e *Env) labelPath(label string) string {
	return e.path(filepath.Join("/dev/disk/by-label", label))
}

// readDevice reads name from the filesystem on device dev. A missing file is fs.ErrNotExist.
func readDevice(ctx context.Context, env *Env, dev, name string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		// Not fs.ErrNotExist: a link to nothing is a broken drive, not a missing file.
		return nil, fmt.Errorf("%w: %v", ErrFilesystem, err)
	}
	defer f.Close()
	v, kind, err := openVolume(f, nil)
	if errors.Is(err, errUDFNative) {
		return readMounted(ctx, env, dev, name)
	}
	if err == nil {
		env.log().Info("reading config drive", "device", dev, "filesystem", kind, "file", name)
		return v.ReadFile(name)
	}
	if fi, serr := f.Stat(); serr != nil || fi.Mode()&fs.ModeDevice == 0 {
		return nil, err
	}
	return readMounted(ctx, env, dev, name)
}

// readMounted mounts dev read-only with the kernel's autodetection and reads name.
func readMounted(ctx context.Context, env *Env, dev, name string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "flint-drive-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(dir)
	if out, err := exec.CommandContext(ctx, "mount", "-o", "ro", "-t", "auto", dev, dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mounting %s: %w: %s", dev, err, trimSpace(out))
	}
	defer func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			env.log().Warn("unmounting config drive", "dir", dir, "error", err, "output", string(out))
		}
	}()
	env.log().Info("reading mounted config drive", "device", dev, "file", name)
	return os.ReadFile(filepath.Join(dir, filepath.Clean("/"+name)))
}

// readLabeledFile waits for the drive labelled label and reads name from it. A missing or
// empty file is ErrNoConfig.
func readLabeledFile(ctx context.Context, env *Env, label, name string, poll, wait time.Duration) ([]byte, error) {
	dev := env.labelPath(label)
	if err := waitForDevice(ctx, env, dev, poll, wait); err != nil {
		return nil, err
	}
	b, err := readDevice(ctx, env, dev, name)
	if errors.Is(err, fs.ErrNotExist) {
		env.log().Info("config drive has no user data", "device", dev, "file", name)
		return nil, ErrNoConfig
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", name, dev, err)
	}
	if len(b) == 0 {
		return nil, ErrNoConfig
	}
	return b, nil
}

// mountedVolume reads files by mounting the device for each read.
type mountedVolume struct {
	env *Env
	dev string
}

func (m mountedVolume) ReadFile(name string) ([]byte, error) {
	return readMounted(context.Background(), m.env, m.dev, name)
}
