package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"
)

// qemu: the host passes the config with -fw_cfg name=opt/com.coreos/config,file=<path>; the
// guest reads it from sysfs (loading qemu_fw_cfg if its directory is missing). A missing entry
// means no user data. The raw file is read in one buffer of size+1 bytes: sysfs reads of
// fw_cfg cost O(offset) each, and getting the extra byte means the size lied.
//
// s390x and ppc64le have no fw_cfg: there the config is a virtio disk with serial "ignition"
// (/dev/disk/by-id/virtio-ignition), awaited every 5 s for 5 minutes, with trailing NUL bytes
// (the disk's padding) trimmed. No network in either case.

func init() { Register(qemuProvider{arch: runtime.GOARCH}) }

// Errors of qemu.
var (
	// ErrMissingEOF is an fw_cfg entry longer than its declared size.
	ErrMissingEOF = errors.New("qemu fw_cfg: missing EOF")
)

const (
	fwCfgDir       = "/sys/firmware/qemu_fw_cfg"
	fwCfgEntry     = fwCfgDir + "/by_name/opt/com.coreos/config"
	virtioDisk     = "/dev/disk/by-id/virtio-ignition"
	virtioDiskPoll = 5 * time.Second
	virtioDiskWait = 5 * time.Minute
	slowRead       = 10 * time.Second
)

type qemuProvider struct{ arch string }

func (qemuProvider) ID() string { return "qemu" }

func (p qemuProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	if p.arch == "s390x" || p.arch == "ppc64le" {
		return qemuVirtioDisk(ctx, env)
	}
	if _, err := os.Stat(env.path(fwCfgDir)); err != nil {
		if err := env.modprobe(ctx, "qemu_fw_cfg"); err != nil {
			return nil, fmt.Errorf("qemu: loading qemu_fw_cfg: %w", err)
		}
	}
	sizeText, err := os.ReadFile(env.path(fwCfgEntry + "/size"))
	if errors.Is(err, fs.ErrNotExist) {
		env.log().Info("qemu fw_cfg entry opt/com.coreos/config not found. Ignoring")
		return nil, ErrNoConfig
	}
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	size, err := strconv.ParseInt(string(trimSpace(sizeText)), 10, 64)
	if err != nil || size < 0 || size > MaxUserData {
		return nil, fmt.Errorf("qemu: fw_cfg size %q", sizeText)
	}
	f, err := os.Open(env.path(fwCfgEntry + "/raw"))
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	defer f.Close()
	slow := time.AfterFunc(slowRead, func() {
		env.log().Warn("reading the fw_cfg config is slow; a large config over fw_cfg takes long, pass a small one that references the rest")
	})
	defer slow.Stop()
	buf := make([]byte, size+1)
	n, err := io.ReadFull(f, buf)
	switch {
	case err == nil:
		return nil, ErrMissingEOF
	case !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("qemu: reading fw_cfg: %w", err)
	}
	if n == 0 {
		return nil, ErrNoConfig
	}
	return buf[:n], nil
}

// qemuVirtioDisk reads the config disk of s390x and ppc64le.
func qemuVirtioDisk(ctx context.Context, env *Env) ([]byte, error) {
	if err := env.modprobe(ctx, "virtio_blk"); err != nil {
		return nil, fmt.Errorf("qemu: loading virtio_blk: %w", err)
	}
	dev := env.path(virtioDisk)
	if err := waitForDevice(ctx, env, dev, env.pollInterval(virtioDiskPoll), env.deviceWait(virtioDiskWait)); err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	b, err := os.ReadFile(dev)
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil, ErrNoConfig
	}
	return b, nil
}

// modprobe loads a kernel module.
func (e *Env) modprobe(ctx context.Context, module string) error {
	if e.Modprobe != nil {
		return e.Modprobe(ctx, module)
	}
	if out, err := exec.CommandContext(ctx, "modprobe", module).CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, trimSpace(out))
	}
	return nil
}
