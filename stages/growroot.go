package stages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/fsprobe"
	"github.com/flint-provision/flint/internal/gpt"
	"github.com/flint-provision/flint/internal/mkfs"
)

// The root filesystem grows on first boot: the disks stage extends the partition holding it
// over the free space after it (an image written to a larger disk), and the mount stage,
// with the root mounted, grows the filesystem (ext4, xfs and btrfs all grow online). A config
// that gives that partition a size pins it; flint.growroot=0 on the kernel command line, or
// no root device, turns growth off.

// rootPartition finds the disk and partition number of a partition device through sysfs.
func rootPartition(dev string) (disk string, number int, err error) {
	real, err := filepath.EvalSymlinks(dev)
	if err != nil {
		return "", 0, err
	}
	sys, err := filepath.EvalSymlinks(filepath.Join("/sys/class/block", filepath.Base(real)))
	if err != nil {
		return "", 0, err
	}
	b, err := os.ReadFile(filepath.Join(sys, "partition"))
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s", ErrRootNotPartition, dev)
	}
	number, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", 0, err
	}
	// In sysfs a partition's directory sits inside its disk's.
	return filepath.Join(filepath.Dir(real), filepath.Base(filepath.Dir(sys))), number, nil
}

func planRootGrow(env *Env) (Action, error) {
	// The device node itself, not a /dev/disk/by-* link: udev recreates those links when it
	// re-reads the disk after the table is written.
	dev, err := filepath.EvalSymlinks(env.RootDevice)
	if err != nil {
		return nil, &StepError{Stage: "disks", Action: "find the root partition", Err: err}
	}
	disk, n, err := rootPartition(dev)
	if err != nil {
		return nil, &StepError{Stage: "disks", Action: "find the root partition", Err: err}
	}
	for i, d := range env.Config.Storage.Disks {
		if real, err := filepath.EvalSymlinks(d.Device); err != nil || real != disk {
			continue
		}
		for j, p := range d.Partitions {
			if p.Number == n && p.SizeMiB != nil && *p.SizeMiB != 0 {
				env.Log.Info("the config sets the root partition's size: not growing it",
					"config", config.Path{"storage", "disks", i, "partitions", j}.String())
				return nil, nil
			}
		}
		if len(d.Partitions) > 0 || deref(d.WipeTable) {
			// The config partitions the root's disk itself (sizeMiB 0 fills it): only the
			// filesystem is left to grow.
			return &growRootFSAction{device: dev}, nil
		}
	}
	t, err := readTable(disk)
	if err != nil {
		return nil, &StepError{Stage: "disks", Action: "read " + disk, Err: err}
	}
	grown := t.Clone()
	changed, err := grown.Grow(n)
	if err != nil {
		return nil, &StepError{Stage: "disks", Action: "grow the root partition", Err: err}
	}
	if !changed && !errors.Is(t.Damage, gpt.ErrBackupMisplaced) {
		return &growRootFSAction{device: dev}, nil
	}
	return &growRootAction{disk: disk, number: n, table: grown, device: dev}, nil
}

// growRootAction extends the root partition and records that its filesystem must follow.
type growRootAction struct {
	disk   string
	number int
	table  *gpt.Table
	device string
}

func (a *growRootAction) Describe() string {
	p, _ := a.table.Partition(a.number)
	return fmt.Sprintf("grow root partition %d of %s to %d MiB", a.number, a.disk, p.Size()*uint64(a.table.SectorSize)>>20)
}

func (a *growRootAction) Apply(ctx context.Context, env *Env) error {
	if err := writeTable(ctx, env, a.disk, a.table); err != nil {
		return err
	}
	return (&growRootFSAction{device: a.device}).Apply(ctx, env)
}

// growRootFSAction grows the root filesystem to its partition: ext2/3/4 right away while it
// is not mounted (checked first, as resize2fs requires), others by the mount stage once the
// root is mounted (xfs and btrfs grow only online).
type growRootFSAction struct{ device string }

const growRootFile = "grow-root"

func (a *growRootFSAction) Describe() string { return "grow the root filesystem on " + a.device }
func (a *growRootFSAction) Apply(ctx context.Context, env *Env) error {
	found, err := fsprobe.ProbeFile(a.device)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(found.Type, "ext") || inUse(a.device) {
		return writeAtomic(filepath.Join(env.StateDir, growRootFile), []byte(a.device), 0o600)
	}
	_, _, err = env.runner().Run(ctx, []string{"e2fsck", "-f", "-p", a.device})
	var ce *mkfs.CommandError
	var ee *exec.ExitError
	if errors.As(err, &ce) && errors.As(err, &ee) && ee.ExitCode() == 1 {
		err = nil // errors were found and corrected
	}
	if err != nil {
		return err
	}
	_, _, err = env.runner().Run(ctx, []string{"resize2fs", a.device})
	return err
}

// planRootFSGrow is the mount stage's part: grow the mounted root filesystem to its partition.
func planRootFSGrow(env *Env) []Action {
	b, err := os.ReadFile(filepath.Join(env.StateDir, growRootFile))
	if err != nil {
		return nil
	}
	return []Action{&resizeRootAction{device: strings.TrimSpace(string(b))}}
}

type resizeRootAction struct{ device string }

func (a *resizeRootAction) Describe() string { return "grow the root filesystem on " + a.device }
func (a *resizeRootAction) Apply(ctx context.Context, env *Env) error {
	found, err := fsprobe.ProbeFile(a.device)
	if err != nil {
		return err
	}
	argv, err := mkfs.GrowArgs(found.Type, a.device, env.Root.Dir())
	if errors.Is(err, mkfs.ErrUnknownFormat) {
		env.Log.Warn("cannot grow this root filesystem", "type", found.Type)
		return nil
	}
	if err != nil {
		return err
	}
	if _, _, err := env.runner().Run(ctx, argv); err != nil {
		return err
	}
	return os.Remove(filepath.Join(env.StateDir, growRootFile))
}
