package stages

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/flint-provision/flint/config"
)

// systemd units. Unlike the reference, enabling a unit does not rely on systemd applying
// presets at the first real boot (which does nothing when presets are not applied): flint
// creates the symlinks `systemctl enable` would (WantedBy, RequiredBy, UpheldBy, Alias, Also,
// DefaultInstance) and also writes the preset lines, so both paths agree.

const (
	unitDir    = "/etc/systemd/system"
	presetFile = "/etc/systemd/system-preset/20-flint.preset"
)

// unitSearchPath is where a unit's file is looked for in the target root, most specific first.
var unitSearchPath = []string{unitDir, "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// ErrUnitParse is a unit file in the target root that cannot be read.
var ErrUnitParse = errors.New("cannot read unit file")

func planUnits(env *Env, c *config.Config) ([]Action, error) {
	var out []Action
	var presets []presetLine
	for i := range c.Systemd.Units {
		u := &c.Systemd.Units[i]
		p := config.Path{"systemd", "units", i}
		if u.Contents != nil && *u.Contents != "" {
			out = append(out, &writeRootFile{cfgPath: p, path: path.Join(unitDir, u.Name), data: []byte(*u.Contents), what: "unit"})
		}
		for j := range u.Dropins {
			d := &u.Dropins[j]
			if d.Contents != nil && *d.Contents != "" {
				out = append(out, &writeRootFile{cfgPath: p.Append("dropins", j),
					path: path.Join(unitDir, u.Name+".d", d.Name), data: []byte(*d.Contents), what: "drop-in"})
			}
		}
		if u.Mask != nil {
			out = append(out, &maskAction{cfgPath: p, unit: u.Name, mask: *u.Mask})
		}
		if u.Enabled != nil {
			presets = append(presets, presetLine{unit: u.Name, enable: *u.Enabled})
			links, err := installLinks(env, c, u.Name, map[string]bool{})
			if err != nil {
				return nil, &StepError{Stage: "files", Action: "enable " + u.Name, Path: p, Err: err}
			}
			out = append(out, &enableAction{cfgPath: p, unit: u.Name, enable: *u.Enabled, links: links})
		}
	}
	if len(presets) > 0 {
		out = append(out, &writeRootFile{path: presetFile, data: presetText(presets), what: "presets"})
	}
	return out, nil
}

// installLink is a symlink that enabling a unit creates: at Path, pointing to Target.
type installLink struct{ Path, Target string }

// installLinks works out the symlinks `systemctl enable name` makes in the target root, from
// the unit's [Install] section (the config's contents if it has them, else the unit file
// found in the root). A unit with no file or no [Install] section gets none.
func installLinks(env *Env, c *config.Config, name string, seen map[string]bool) ([]installLink, error) {
	if seen[name] {
		return nil, nil
	}
	seen[name] = true
	template, instance, templated := splitInstance(name)
	text, file, err := unitText(env, c, template)
	if err != nil || file == "" {
		return nil, err
	}
	uf, err := config.ParseUnitFile(text)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrUnitParse, file, err)
	}
	linkName := name
	if templated && instance == "" {
		// A template enabled by its own name gets its DefaultInstance, or nothing.
		for _, o := range uf.Options("Install") {
			if o.Name == "DefaultInstance" {
				instance = o.Value
			}
		}
		if instance == "" {
			return nil, nil
		}
		linkName = strings.Replace(name, "@.", "@"+instance+".", 1)
	}
	var links []installLink
	for _, o := range uf.Options("Install") {
		for _, v := range strings.Fields(o.Value) {
			switch o.Name {
			case "WantedBy":
				links = append(links, installLink{path.Join(unitDir, v+".wants", linkName), file})
			case "RequiredBy":
				links = append(links, installLink{path.Join(unitDir, v+".requires", linkName), file})
			case "UpheldBy":
				links = append(links, installLink{path.Join(unitDir, v+".upholds", linkName), file})
			case "Alias":
				links = append(links, installLink{path.Join(unitDir, v), file})
			case "Also":
				also, err := installLinks(env, c, v, seen)
				if err != nil {
					return nil, err
				}
				links = append(links, also...)
			}
		}
	}
	return links, nil
}

// unitText finds a unit's text: the config's contents (which the files stage writes to
// /etc/systemd/system), or the first file on the unit search path in the target root.
func unitText(env *Env, c *config.Config, name string) (text, file string, err error) {
	for _, u := range c.Systemd.Units {
		if u.Name == name && u.Contents != nil && *u.Contents != "" {
			return *u.Contents, path.Join(unitDir, name), nil
		}
	}
	for _, dir := range unitSearchPath {
		p := path.Join(dir, name)
		res, err := env.Root.ResolveAll(p)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(env.Root.Host(res))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		return string(b), p, nil
	}
	return "", "", nil
}

// splitInstance splits "foo@bar.service" into its template "foo@.service" and instance "bar";
// templated is false for a unit name without '@'.
func splitInstance(name string) (template, instance string, templated bool) {
	at, dot := strings.IndexByte(name, '@'), strings.LastIndexByte(name, '.')
	if at < 0 || dot < at {
		return name, "", false
	}
	return name[:at+1] + name[dot:], name[at+1 : dot], true
}

type presetLine struct {
	unit   string
	enable bool
}

// presetText renders preset lines sorted by unit, with the instances of one template that
// share a state on one line ("enable foo@.service a b"), as systemd's preset syntax allows.
func presetText(lines []presetLine) []byte {
	type key struct {
		unit   string
		enable bool
	}
	instances := map[key][]string{}
	var keys []key
	for _, l := range lines {
		template, inst, _ := splitInstance(l.unit)
		k := key{template, l.enable}
		if _, ok := instances[k]; !ok {
			keys = append(keys, k)
		}
		if inst != "" {
			instances[k] = append(instances[k], inst)
		} else if instances[k] == nil {
			instances[k] = []string{}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].unit != keys[j].unit {
			return keys[i].unit < keys[j].unit
		}
		return keys[i].enable && !keys[j].enable
	})
	var b strings.Builder
	b.WriteString("# Written by flint from the provisioning config.\n")
	for _, k := range keys {
		verb := "disable"
		if k.enable {
			verb = "enable"
		}
		b.WriteString(verb + " " + k.unit)
		for _, inst := range instances[k] {
			b.WriteString(" " + inst)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// writeRootFile writes a root-owned 0644 file in the target root (units, drop-ins, presets).
type writeRootFile struct {
	cfgPath config.Path
	path    string
	data    []byte
	what    string
}

func (a *writeRootFile) ConfigPath() config.Path { return a.cfgPath }
func (a *writeRootFile) Describe() string {
	return fmt.Sprintf("write %s %s (%d bytes)", a.what, a.path, len(a.data))
}
func (a *writeRootFile) Apply(_ context.Context, env *Env) error {
	return env.Root.StageFile(a.path, a.data, 0o644, 0, 0)
}

type maskAction struct {
	cfgPath config.Path
	unit    string
	mask    bool
}

func (a *maskAction) ConfigPath() config.Path { return a.cfgPath }
func (a *maskAction) Describe() string {
	if a.mask {
		return "mask " + a.unit
	}
	return "unmask " + a.unit
}

func (a *maskAction) Apply(_ context.Context, env *Env) error {
	if err := env.Root.Sync(); err != nil { // a staged unit file must not land over the mask
		return err
	}
	res, err := env.Root.Resolve(path.Join(unitDir, a.unit))
	if err != nil {
		return err
	}
	host := env.Root.Host(res)
	if !a.mask {
		if t, err := os.Readlink(host); err == nil && t == "/dev/null" {
			return os.Remove(host)
		}
		return nil
	}
	if _, err := env.Root.MkdirAll(path.Dir(res), 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(host); err != nil {
		return err
	}
	return os.Symlink("/dev/null", host)
}

type enableAction struct {
	cfgPath config.Path
	unit    string
	enable  bool
	links   []installLink
}

func (a *enableAction) ConfigPath() config.Path { return a.cfgPath }
func (a *enableAction) Describe() string {
	verb := "disable"
	if a.enable {
		verb = "enable"
	}
	if len(a.links) == 0 {
		return verb + " " + a.unit + " (preset only: no [Install] section found)"
	}
	names := make([]string, len(a.links))
	for i, l := range a.links {
		names[i] = l.Path
	}
	return verb + " " + a.unit + ": " + strings.Join(names, ", ")
}

func (a *enableAction) Apply(_ context.Context, env *Env) error {
	for _, l := range a.links {
		res, err := env.Root.Resolve(l.Path)
		if err != nil {
			return err
		}
		host := env.Root.Host(res)
		cur, readErr := os.Readlink(host)
		if !a.enable {
			if readErr == nil && cur == l.Target {
				if err := os.Remove(host); err != nil {
					return err
				}
			}
			continue
		}
		if readErr == nil && cur == l.Target {
			continue
		}
		if _, err := env.Root.MkdirAll(path.Dir(res), 0o755); err != nil {
			return err
		}
		if err := os.Remove(host); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Symlink(l.Target, host); err != nil {
			return err
		}
	}
	return nil
}
