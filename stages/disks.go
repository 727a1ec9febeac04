package stages

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/blockdev"
	"github.com/flint-provision/flint/internal/fsprobe"
	"github.com/flint-provision/flint/internal/gpt"
	"github.com/flint-provision/flint/internal/mkfs"
)

// The disks stage partitions disks, creates RAID arrays, encrypted volumes and filesystems,
// in that order, and grows the root partition. Everything that can be decided before the
// first write is: every disk the config names must be present, every partition table change
// is planned against the table on the disk, and every existing filesystem is probed and
// compared with the config — a mismatch without wipeFilesystem stops the run with the disks
// untouched. Devices the stage itself creates (new partitions) are probed when it gets to them.

func init() { Register(disksStage{}) }

type disksStage struct{}

func (disksStage) Name() string { return "disks" }

// Errors of the disks stage.
var (
	ErrPartitionInUse   = errors.New("refusing to modify a partition that is in use")
	ErrFilesystemFound  = errors.New("a different filesystem is there and wipeFilesystem is false")
	ErrAmbiguousDevice  = errors.New("several signatures found on the device and wipeFilesystem is false")
	ErrNotGPT           = errors.New("the disk has an MBR partition table; set wipeTable to replace it with GPT")
	ErrLuksFound        = errors.New("a different signature is on the device and wipeVolume is false")
	ErrRootNotPartition = errors.New("the root device is not a partition")
)

// defaultDeviceTimeout bounds the wait for a device the config names.
const defaultDeviceTimeout = 90 * time.Second

func newDiskGUID() uuid.UUID { return uuid.New() }

func (disksStage) Plan(ctx context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: "disks"}
	st := &env.Config.Storage
	changed := map[string]bool{} // partition devices this plan creates or moves
	for i := range st.Disks {
		d := &st.Disks[i]
		cfgPath := config.Path{"storage", "disks", i}
		if err := env.waitDevice(ctx, d.Device); err != nil {
			return nil, &StepError{Stage: "disks", Action: "find " + d.Device, Path: cfgPath, Err: err}
		}
		if len(d.Partitions) == 0 && !deref(d.WipeTable) {
			continue
		}
		// The node, not a /dev/disk/by-* link: partitions and sysfs are named after it.
		disk, err := filepath.EvalSymlinks(d.Device)
		if err != nil {
			return nil, &StepError{Stage: "disks", Action: "find " + d.Device, Path: cfgPath, Err: err}
		}
		a, err := planPartitions(env, d, disk, cfgPath)
		if err != nil {
			return nil, err
		}
		if a != nil {
			p.Actions = append(p.Actions, a)
			for _, pa := range a.plan.Actions {
				if pa.Kind != gpt.Keep && pa.Kind != gpt.Absent {
					changed[blockdev.PartitionPath(disk, pa.Number)] = true
				}
			}
		}
	}
	if env.RootDevice != "" {
		a, err := planRootGrow(env)
		if err != nil {
			return nil, err
		}
		if a != nil {
			p.Actions = append(p.Actions, a)
		}
	}
	for i := range st.Raid {
		p.Actions = append(p.Actions, &raidAction{cfgPath: config.Path{"storage", "raid", i}, raid: &st.Raid[i]})
	}
	for i := range st.Luks {
		p.Actions = append(p.Actions, &luksAction{cfgPath: config.Path{"storage", "luks", i}, luks: &st.Luks[i]})
	}
	for i := range st.Filesystems {
		f := &st.Filesystems[i]
		if f.Format == nil || *f.Format == "" {
			continue
		}
		cfgPath := config.Path{"storage", "filesystems", i}
		a := &filesystemAction{cfgPath: cfgPath, fs: f}
		// A device that exists now and that this plan does not change is checked now.
		node, err := filepath.EvalSymlinks(f.Device)
		if err == nil && !changed[f.Device] && !changed[node] {
			if _, err := os.Stat(node); err == nil {
				if _, err := a.decide(f.Device); err != nil {
					return nil, &StepError{Stage: "disks", Action: "filesystem on " + f.Device, Path: cfgPath, Err: err}
				}
			}
		}
		p.Actions = append(p.Actions, a)
	}
	return p, nil
}

// waitDevice waits for a device node the config names.
func (e *Env) waitDevice(ctx context.Context, dev string) error {
	timeout := e.DeviceTimeout
	if timeout == 0 {
		timeout = defaultDeviceTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := blockdev.WaitForDevice(ctx, dev); err != nil {
		return fmt.Errorf("%w: %s (waited %s)", ErrDeviceMissing, dev, timeout)
	}
	return nil
}

// readTable reads a disk's GPT, or makes an empty one when the disk has none.
func readTable(dev string) (*gpt.Table, error) {
	size, err := deviceSize(dev)
	if err != nil {
		return nil, err
	}
	ss := 512
	if s, err := blockdev.SectorSize(dev); err == nil {
		ss = s
	}
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := gpt.Read(f, size, ss)
	if errors.Is(err, gpt.ErrNoTable) {
		return gpt.New(size, ss, newDiskGUID())
	}
	return t, err
}

// deviceSize is the size of a block device, or of a regular file standing in for one.
func deviceSize(dev string) (int64, error) {
	if s, err := blockdev.Size(dev); err == nil {
		return s, nil
	}
	fi, err := os.Stat(dev)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func planPartitions(env *Env, d *config.Disk, disk string, cfgPath config.Path) (*partitionAction, error) {
	fail := func(p config.Path, err error) error {
		return &StepError{Stage: "disks", Action: "partition " + d.Device, Path: p, Err: err}
	}
	t, err := readTable(disk)
	if errors.Is(err, gpt.ErrLegacyMBR) && deref(d.WipeTable) {
		size, serr := deviceSize(disk)
		if serr != nil {
			return nil, fail(cfgPath, serr)
		}
		t, err = gpt.New(size, 512, newDiskGUID())
	} else if errors.Is(err, gpt.ErrLegacyMBR) {
		return nil, fail(cfgPath, ErrNotGPT)
	}
	if err != nil {
		return nil, fail(cfgPath, err)
	}
	req := gpt.Request{WipeTable: deref(d.WipeTable)}
	for _, pt := range d.Partitions {
		req.Partitions = append(req.Partitions, gpt.PartitionSpec{Number: pt.Number, Label: pt.Label,
			StartMiB: pt.StartMiB, SizeMiB: pt.SizeMiB, TypeGUID: pt.TypeGUID, GUID: pt.GUID,
			WipePartitionEntry: pt.WipePartitionEntry, ShouldExist: pt.ShouldExist, Resize: pt.Resize})
	}
	plan, err := gpt.PlanTable(t, req)
	if err != nil {
		var se *gpt.SpecError
		if errors.As(err, &se) {
			return nil, fail(cfgPath.Append("partitions", se.Index), err)
		}
		return nil, fail(cfgPath, err)
	}
	if !plan.Changed() {
		return nil, nil
	}
	// Never change a partition that is mounted or held (by RAID, LVM, dm-crypt).
	for _, a := range plan.Actions {
		if a.Kind == gpt.Keep || a.Kind == gpt.Absent || a.Kind == gpt.Create {
			continue
		}
		if dev := blockdev.PartitionPath(disk, a.Number); inUse(dev) {
			return nil, fail(cfgPath.Append("partitions", a.Spec), fmt.Errorf("%w: %s", ErrPartitionInUse, dev))
		}
	}
	if plan.WipeTable {
		for _, old := range t.Partitions {
			if dev := blockdev.PartitionPath(disk, old.Number); inUse(dev) {
				return nil, fail(cfgPath, fmt.Errorf("%w: %s (wipeTable)", ErrPartitionInUse, dev))
			}
		}
	}
	return &partitionAction{cfgPath: cfgPath, disk: disk, plan: plan}, nil
}

// inUse reports whether a partition is mounted or held by another block device.
func inUse(dev string) bool {
	name := filepath.Base(dev)
	if holders, err := os.ReadDir(filepath.Join("/sys/class/block", name, "holders")); err == nil && len(holders) > 0 {
		return true
	}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return false
	}
	defer f.Close()
	real, _ := filepath.EvalSymlinks(dev)
	s := bufio.NewScanner(f)
	for s.Scan() {
		src := strings.Fields(s.Text())
		if len(src) > 0 && (src[0] == dev || src[0] == real) {
			return true
		}
	}
	return false
}

type partitionAction struct {
	cfgPath config.Path
	disk    string
	plan    *gpt.Plan
}

func (a *partitionAction) ConfigPath() config.Path { return a.cfgPath }
func (a *partitionAction) Describe() string {
	var parts []string
	if a.plan.WipeTable {
		parts = append(parts, "wipe the partition table")
	}
	for _, pa := range a.plan.Actions {
		if pa.Kind != gpt.Keep && pa.Kind != gpt.Absent {
			parts = append(parts, pa.String())
		}
	}
	return "partition " + a.disk + ": " + strings.Join(parts, "; ")
}

func (a *partitionAction) Apply(ctx context.Context, env *Env) error {
	return writeTable(ctx, env, a.disk, a.plan.Table)
}

// writeTable writes a table to a disk and brings the kernel's view of its partitions in line.
// It takes an exclusive BSD lock on the disk and keeps it until the stage ends: udev leaves a
// locked disk alone (systemd's block device locking rule), so it neither probes the disk nor
// re-reads its table while flint changes the partitions and creates filesystems on them.
func writeTable(ctx context.Context, env *Env, disk string, t *gpt.Table) error {
	if fi, err := os.Stat(disk); err == nil && fi.Mode()&fs.ModeDevice != 0 {
		if err := env.lockDisk(disk); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := gpt.Write(f, t); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if fi, err := os.Stat(disk); err != nil || fi.Mode()&fs.ModeDevice == 0 {
		return err // an image file: no kernel to tell
	}
	if env.written == nil {
		env.written = map[string]*gpt.Table{}
	}
	env.written[disk] = t
	return syncKernel(ctx, disk, t)
}

// partitionNode finds the node of a partition that this stage created or changed, from a
// /dev/disk/by-partlabel, by-partuuid or <disk link>-partN name, because udev makes those links
// only after the stage lets go of the disk. It returns dev itself when it names no such
// partition.
func (e *Env) partitionNode(dev string) string {
	if _, err := os.Stat(dev); err == nil || len(e.written) == 0 {
		return dev
	}
	dir, name := filepath.Dir(dev), filepath.Base(dev)
	for disk, t := range e.written {
		for _, p := range t.Partitions {
			node := blockdev.PartitionPath(disk, p.Number)
			switch {
			case dir == "/dev/disk/by-partlabel" && name == p.Name,
				dir == "/dev/disk/by-partuuid" && strings.EqualFold(name, p.GUID.String()):
				return node
			}
			if base, ok := strings.CutSuffix(dev, fmt.Sprintf("-part%d", p.Number)); ok {
				if real, err := filepath.EvalSymlinks(base); err == nil && real == disk {
					return node
				}
			}
		}
	}
	return dev
}

// lockDisk takes the disk's lock for the rest of the stage (once per disk).
func (e *Env) lockDisk(disk string) error {
	if e.locked[disk] {
		return nil
	}
	f, err := os.Open(disk)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", disk, err)
	}
	if e.locked == nil {
		e.locked = map[string]bool{}
	}
	e.locked[disk] = true
	e.held = append(e.held, f)
	return nil
}

// releaseLocks lets go of the disks locked during a stage.
func (e *Env) releaseLocks() {
	for _, f := range e.held {
		f.Close()
	}
	e.held, e.locked, e.written = nil, nil, nil
}

// syncKernel makes the kernel's partitions of disk those of t, with BLKPG: changed ones resized
// or re-added, missing ones added, stale ones deleted; then waits for the device nodes.
func syncKernel(ctx context.Context, disk string, t *gpt.Table) error {
	ss := int64(t.SectorSize)
	want := map[string]gpt.Partition{}
	for _, p := range t.Partitions {
		want[filepath.Base(blockdev.PartitionPath(disk, p.Number))] = p
	}
	name := filepath.Base(disk)
	entries, _ := filepath.Glob(filepath.Join("/sys/class/block", name, name+"*", "partition"))
	for _, e := range entries {
		pname := filepath.Base(filepath.Dir(e))
		b, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		var n int
		fmt.Sscan(strings.TrimSpace(string(b)), &n)
		p, keep := want[pname]
		kp, err := blockdev.ReadKernelPartition(pname)
		if err != nil {
			continue
		}
		start, size := int64(p.Start)*ss, int64(p.Size())*ss
		switch {
		case keep && kp.Start*512 == start && kp.Size*512 == size:
			delete(want, pname)
		case keep && kp.Start*512 == start:
			if err := blockdev.ResizePartition(disk, n, start, size); err != nil {
				return fmt.Errorf("tell the kernel partition %d's new size: %w", n, err)
			}
			delete(want, pname)
		default:
			if err := blockdev.DeletePartition(disk, n); err != nil {
				return fmt.Errorf("remove partition %d from the kernel's view: %w", n, err)
			}
		}
	}
	for pname, p := range want {
		if err := blockdev.AddPartition(disk, p.Number, int64(p.Start)*ss, int64(p.Size())*ss); err != nil {
			return fmt.Errorf("tell the kernel about partition %d: %w", p.Number, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := blockdev.WaitForDevice(wctx, filepath.Join(filepath.Dir(disk), pname))
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// filesystemAction creates (or keeps) one filesystem.
type filesystemAction struct {
	cfgPath config.Path
	fs      *config.Filesystem
}

func (a *filesystemAction) ConfigPath() config.Path { return a.cfgPath }
func (a *filesystemAction) Describe() string {
	d := fmt.Sprintf("filesystem %s on %s", *a.fs.Format, a.fs.Device)
	if l := a.fs.Label; l != nil {
		d += fmt.Sprintf(" labelled %q", *l)
	}
	if deref(a.fs.WipeFilesystem) {
		d += " (wipe)"
	} else {
		d += " (reused when it matches)"
	}
	return d
}

// decide probes the device and says whether mkfs must run; a filesystem in the way without
// wipeFilesystem is an error.
func (a *filesystemAction) decide(dev string) (create bool, err error) {
	format := *a.fs.Format
	found, err := fsprobe.ProbeFile(dev)
	wipe := deref(a.fs.WipeFilesystem)
	if errors.Is(err, fsprobe.ErrAmbiguous) && !wipe {
		return false, fmt.Errorf("%w: %s", ErrAmbiguousDevice, a.fs.Device)
	}
	if err != nil && !errors.Is(err, fsprobe.ErrAmbiguous) {
		return false, err
	}
	if wipe {
		return true, nil
	}
	if found.Reusable(format, a.fs.Label, a.fs.UUID) {
		return false, nil
	}
	if found.Type != "" {
		return false, fmt.Errorf("%w: %s holds %s, label %q, UUID %s", ErrFilesystemFound, a.fs.Device, found.Type, found.Label, found.UUID)
	}
	return true, nil
}

func (a *filesystemAction) Apply(ctx context.Context, env *Env) error {
	dev := env.partitionNode(a.fs.Device)
	if err := env.waitDevice(ctx, dev); err != nil {
		return err
	}
	create, err := a.decide(dev)
	if err != nil {
		return err
	}
	if !create {
		env.Log.Info("filesystem is already correctly formatted, keeping it", "device", a.fs.Device)
		return nil
	}
	run := env.runner()
	if _, _, err := run.Run(ctx, mkfs.WipeArgs(dev)); err != nil {
		return err
	}
	argv, err := mkfs.CreateArgs(mkfs.Spec{Format: *a.fs.Format, Device: dev, Label: a.fs.Label,
		UUID: a.fs.UUID, Options: a.fs.Options})
	if err != nil || argv == nil {
		return err
	}
	_, _, err = run.Run(ctx, argv)
	return err
}

func (e *Env) runner() mkfs.Runner {
	if e.Runner == nil {
		e.Runner = mkfs.ExecRunner{Logger: e.Log}
	}
	return e.Runner
}
