package stages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/flint-provision/flint/config"
)

// The mount stage mounts the config's filesystems that have a path under the target root,
// parents before children, so the files stage can write into them; the umount stage, run when
// the initramfs leaves, unmounts them deepest first. The list of what was mounted is kept in
// the state directory because the two stages are separate processes.

func init() {
	Register(mountStage{})
	Register(umountStage{})
}

const mountsFile = "mounts.json"

// ErrMountPath is a mount point whose path crosses something that is not a directory.
var ErrMountPath = errors.New("mount path contains a non-directory component")

type mountStage struct{}

func (mountStage) Name() string { return "mount" }

// mountEntry is one filesystem to mount.
type mountEntry struct {
	Device   string `json:"device"`
	Format   string `json:"format"`
	Path     string `json:"path"`     // in the config
	Resolved string `json:"resolved"` // in the target root
	Options  []string
	cfgPath  config.Path
}

func (m *mountEntry) ConfigPath() config.Path { return m.cfgPath }

func (mountStage) Plan(_ context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: "mount"}
	var entries []*mountEntry
	for i, fs := range env.Config.Storage.Filesystems {
		format := deref(fs.Format)
		if fs.Path == nil || format == "" || format == "swap" || format == "none" {
			continue
		}
		cfgPath := config.Path{"storage", "filesystems", i}
		res, err := env.Root.ResolveAll(*fs.Path)
		if err != nil {
			return nil, &StepError{Stage: "mount", Action: "mount " + *fs.Path, Path: cfgPath, Err: fmt.Errorf("%w: %v", ErrMountPath, err)}
		}
		entries = append(entries, &mountEntry{Device: fs.Device, Format: format, Path: *fs.Path, Resolved: res,
			Options: fs.MountOptions, cfgPath: cfgPath})
	}
	slices.SortStableFunc(entries, func(a, b *mountEntry) int {
		return strings.Count(a.Resolved, "/") - strings.Count(b.Resolved, "/")
	})
	p.Actions = append(p.Actions, planRootFSGrow(env)...)
	for _, e := range entries {
		p.Actions = append(p.Actions, &mountAction{e})
	}
	return p, nil
}

type mountAction struct{ e *mountEntry }

func (a *mountAction) ConfigPath() config.Path { return a.e.cfgPath }
func (a *mountAction) Describe() string {
	d := fmt.Sprintf("mount %s (%s) at %s", a.e.Device, a.e.Format, a.e.Path)
	if len(a.e.Options) > 0 {
		d += " with " + strings.Join(a.e.Options, ",")
	}
	return d
}

func (a *mountAction) Apply(ctx context.Context, env *Env) error {
	if err := env.waitDevice(ctx, a.e.Device); err != nil {
		return err
	}
	if _, err := env.Root.MkdirAll(a.e.Resolved, 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrMountPath, err)
	}
	flags, data := mountFlags(a.e.Options)
	if err := unix.Mount(a.e.Device, env.Root.Host(a.e.Resolved), a.e.Format, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", a.e.Device, a.e.Path, err)
	}
	return recordMount(env.StateDir, a.e)
}

// mountFlags splits mount options into the flags the kernel takes as bits and the rest,
// which go to the filesystem as data (as mount(8) does).
func mountFlags(opts []string) (uintptr, string) {
	bits := map[string]uintptr{
		"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC,
		"sync": unix.MS_SYNCHRONOUS, "dirsync": unix.MS_DIRSYNC, "noatime": unix.MS_NOATIME,
		"nodiratime": unix.MS_NODIRATIME, "relatime": unix.MS_RELATIME, "strictatime": unix.MS_STRICTATIME,
		"lazytime": unix.MS_LAZYTIME, "mand": unix.MS_MANDLOCK, "silent": unix.MS_SILENT,
	}
	var flags uintptr
	var data []string
	for _, o := range opts {
		if b, ok := bits[o]; ok {
			flags |= b
			continue
		}
		switch o {
		case "rw", "defaults", "auto", "noauto", "nofail", "_netdev", "suid", "dev", "exec", "async", "atime", "diratime", "nostrictatime", "nolazytime":
			continue // the default, or meant for fstab and systemd
		}
		if strings.HasPrefix(o, "x-") {
			continue
		}
		data = append(data, o)
	}
	return flags, strings.Join(data, ",")
}

func recordMount(stateDir string, e *mountEntry) error {
	list, err := readMounts(stateDir)
	if err != nil {
		return err
	}
	list = append(list, *e)
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(stateDir, mountsFile), b, 0o600)
}

func readMounts(stateDir string) ([]mountEntry, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, mountsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []mountEntry
	return list, json.Unmarshal(b, &list)
}

type umountStage struct{}

func (umountStage) Name() string { return "umount" }

func (umountStage) Plan(_ context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: "umount"}
	list, err := readMounts(env.StateDir)
	if err != nil {
		return nil, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		p.Actions = append(p.Actions, &umountAction{list[i]})
	}
	return p, nil
}

type umountAction struct{ e mountEntry }

func (a *umountAction) Describe() string { return "unmount " + a.e.Path }
func (a *umountAction) Apply(_ context.Context, env *Env) error {
	if err := unix.Unmount(env.Root.Host(a.e.Resolved), 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmount %s: %w", a.e.Path, err)
	}
	return nil
}
