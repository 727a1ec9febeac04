// Package stages holds the agent's provisioning stages. Each stage is a small registered unit
// that first computes a plan — the actions it would take, from the config and the observed
// state of the machine — and then applies it. `flint plan` prints plans; `flint apply` runs
// them. Stages run in Order; each one is also a separate process at first boot (one systemd
// unit per stage), so anything a later stage needs is kept in the state directory.
package stages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/cmdline"
	"github.com/flint-provision/flint/internal/gpt"
	"github.com/flint-provision/flint/internal/mkfs"
	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/internal/rootfs"
)

// Order is the order the stages run in at first boot.
var Order = []string{"fetch-offline", "fetch", "kargs", "disks", "mount", "files", "umount"}

// Stage is one provisioning stage.
type Stage interface {
	// Name is the stage's name as in Order.
	Name() string
	// Plan computes what the stage would do. It reads the machine's state and may fetch
	// remote resources, but changes nothing.
	Plan(ctx context.Context, env *Env) (*Plan, error)
}

// Action is one step of a plan.
type Action interface {
	// Describe says what the action does, for people: "write /etc/motd (23 bytes, 0644, 0:0)".
	Describe() string
	// Apply carries the action out.
	Apply(ctx context.Context, env *Env) error
}

// Sourced is implemented by actions that come from one config entry, so that a failure can
// name the config position.
type Sourced interface {
	// ConfigPath is the JSON path of the config entry the action comes from.
	ConfigPath() config.Path
}

// Plan is a stage's list of actions.
type Plan struct {
	Stage   string
	Actions []Action
}

// MarshalJSON renders a plan for `flint plan --format json`.
func (p *Plan) MarshalJSON() ([]byte, error) {
	type action struct {
		Action string `json:"action"`
		Config string `json:"config,omitempty"`
	}
	out := struct {
		Stage   string   `json:"stage"`
		Actions []action `json:"actions"`
	}{Stage: p.Stage, Actions: make([]action, 0, len(p.Actions))}
	for _, a := range p.Actions {
		e := action{Action: a.Describe()}
		if s, ok := a.(Sourced); ok && len(s.ConfigPath()) > 0 {
			e.Config = s.ConfigPath().String()
		}
		out.Actions = append(out.Actions, e)
	}
	return json.Marshal(out)
}

// Env is what stages work with.
type Env struct {
	// Root is the target root (/sysroot at first boot).
	Root rootfs.Root
	// StateDir keeps what stages hand each other (/run/flint).
	StateDir string
	// Platform is the platform id (aws, qemu, metal, file, ...).
	Platform string
	// Config is the config to apply; the fetch stages set it, later stages load it from the cache.
	Config *config.Config
	// Resources fetches the data of a config Resource, verified against its hash.
	Resources ResourceGetter
	// Accounts resolves user and group names in the target root.
	Accounts Accounts
	// Log receives one line per operation (started, finished, failed).
	Log *slog.Logger

	// ConfigSource, when set, is the user config (a file or a URL) and no other source is read.
	ConfigSource string
	// Cmdline is the kernel command line (flint.config.url, flint.config.device, ...).
	Cmdline cmdline.Cmdline
	// SysRoot is prepended to the paths of the running system that stages read (the
	// initramfs's /usr/lib/flint, /config.ign, /dev, /sys); "" means "/". Tests set it.
	SysRoot string
	// Endpoints overrides platform metadata endpoints (tests only).
	Endpoints map[string]string
	// Fetcher fetches remote resources; nil means a default one.
	Fetcher *resource.Fetcher

	// KargsHelper, when set, is the program that changes kernel arguments (Ignition's helper
	// contract) instead of flint's edit of the boot loader entries.
	KargsHelper string
	// Reboot restarts the machine after the kernel arguments changed; nil only logs that a
	// reboot is needed.
	Reboot func() error

	// ReportURL, when set, receives the progress of each stage (flint.report.url, given by a
	// boot server).
	ReportURL string
	// RootDevice is the partition holding the target's root filesystem, grown to fill its disk
	// on first boot; "" turns root growth off (the CLI sets it from root= in the initramfs).
	RootDevice string
	// DeviceTimeout bounds the wait for each device the config names; 0 means 90 s.
	DeviceTimeout time.Duration
	// Runner runs the few programs flint does not replace (mkfs.*, mdadm, cryptsetup,
	// resize2fs); nil means running them.
	Runner mkfs.Runner

	userConfigProvided bool
	configHash         string                // of the config the fetch stage cached
	held               []*os.File            // disks locked until the stage ends
	locked             map[string]bool       // their names
	written            map[string]*gpt.Table // partition tables this stage wrote, by disk
	logTail            *ring                 // recent log lines, for failure reports
}

// fetcher returns the Env's fetcher, creating a default one on first use.
func (e *Env) fetcher() *resource.Fetcher {
	if e.Fetcher == nil {
		e.Fetcher = &resource.Fetcher{Logger: e.Log}
	}
	return e.Fetcher
}

// sysPath is the host path of a path of the running system.
func (e *Env) sysPath(p string) string {
	if e.SysRoot == "" {
		return p
	}
	return filepath.Join(e.SysRoot, p)
}

// ResourceGetter returns the verified (decompressed, hash-checked) bytes of a Resource.
type ResourceGetter interface {
	Get(ctx context.Context, r *config.Resource) ([]byte, error)
}

var registry = map[string]Stage{}

// Register adds a stage; stage files call it from init.
func Register(s Stage) {
	if _, dup := registry[s.Name()]; dup {
		panic("stages: duplicate stage " + s.Name())
	}
	registry[s.Name()] = s
}

// ErrUnknownStage is returned for a stage name that is not in Order.
var ErrUnknownStage = errors.New("unknown stage")

// Get returns the stage called name.
func Get(name string) (Stage, error) {
	s, ok := registry[name]
	if !ok {
		names := make([]string, 0, len(registry))
		for n := range registry {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w %q (stages: %v)", ErrUnknownStage, name, names)
	}
	return s, nil
}

// StepError is the failure of one action, with the config entry it came from.
type StepError struct {
	Stage  string
	Action string
	Path   config.Path // empty when the action has no single config entry
	Err    error
}

func (e *StepError) Error() string {
	if len(e.Path) > 0 {
		return fmt.Sprintf("%s: %s [%s]: %v", e.Stage, e.Action, e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Stage, e.Action, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Apply carries out a plan's actions in order, logging each one, and stops at the first
// failure. Files the actions staged are put in place, durably, before it returns; after a
// failure they are removed.
func Apply(ctx context.Context, env *Env, p *Plan) error {
	defer env.releaseLocks()
	for i, a := range p.Actions {
		desc := a.Describe()
		attrs := []any{"stage", p.Stage, "op", i + 1}
		var path config.Path
		if s, ok := a.(Sourced); ok {
			path = s.ConfigPath()
			if len(path) > 0 {
				attrs = append(attrs, "config", path.String())
			}
		}
		env.Log.Info("[started] "+desc, attrs...)
		if err := a.Apply(ctx, env); err != nil {
			env.Root.Abort()
			env.Log.Error("[failed] "+desc, append(attrs, "error", err.Error())...)
			return &StepError{Stage: p.Stage, Action: desc, Path: path, Err: err}
		}
		env.Log.Info("[finished] "+desc, attrs...)
	}
	if err := env.Root.Sync(); err != nil {
		return &StepError{Stage: p.Stage, Action: "sync", Err: err}
	}
	return nil
}
