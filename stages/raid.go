package stages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/flint-provision/flint/config"
)

// RAID arrays are created with mdadm, as in the reference; an array that is already assembled
// under its name is kept.

type raidAction struct {
	cfgPath config.Path
	raid    *config.Raid
}

func (a *raidAction) ConfigPath() config.Path { return a.cfgPath }
func (a *raidAction) Describe() string {
	return fmt.Sprintf("RAID %s (%s) on %d device(s)", a.raid.Name, deref(a.raid.Level), len(a.raid.Devices))
}

// raidArgs is the mdadm command that creates r.
func raidArgs(r *config.Raid) []string {
	spares := deref(r.Spares)
	argv := []string{"mdadm", "--create", "/dev/md/" + r.Name, "--force", "--run", "--homehost", "any",
		"--level", deref(r.Level), "--raid-devices", strconv.Itoa(len(r.Devices) - spares)}
	if spares > 0 {
		argv = append(argv, "--spare-devices", strconv.Itoa(spares))
	}
	argv = append(argv, r.Options...)
	return append(argv, r.Devices...)
}

func (a *raidAction) Apply(ctx context.Context, env *Env) error {
	dev := filepath.Join("/dev/md", a.raid.Name)
	if _, err := os.Stat(dev); err == nil {
		env.Log.Info("RAID array exists, keeping it", "device", dev)
		return nil
	}
	// Member partitions this stage created have no udev links yet (the stage holds their
	// disks' locks), so they are named by their kernel nodes.
	r := *a.raid
	r.Devices = make([]string, len(a.raid.Devices))
	for i, d := range a.raid.Devices {
		r.Devices[i] = env.partitionNode(d)
		if err := env.waitDevice(ctx, r.Devices[i]); err != nil {
			return err
		}
	}
	if _, _, err := env.runner().Run(ctx, raidArgs(&r)); err != nil {
		return err
	}
	return env.waitDevice(ctx, dev)
}
