package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/providers"
	"github.com/flint-provision/flint/translate"
)

// The fetch stages find the config, render it (referenced configs fetched and merged, base
// configs under it), validate it, cache it in the state directory for the later stages, and
// fetch and verify every resource it names — so that a bad hash or a missing remote file
// stops the run before the disks stage touches anything. fetch-offline runs without network;
// when the config or a resource needs it, it leaves the neednet flag and the fetch stage,
// started after the network is up, finishes the work.

func init() {
	Register(fetchStage{offline: true})
	Register(fetchStage{})
}

// Files in the state directory.
const (
	cacheFile    = "config.json"
	needNetFile  = "neednet"
	resourcesDir = "resources"
)

// Errors of the fetch stages.
var (
	ErrConfigInvalid = errors.New("config is not valid")
	ErrNoCache       = errors.New("no cached config: the fetch stages have not run")
	ErrConfigSource  = errors.New("cannot read the config")
)

// systemDirs hold configs baked into the initramfs or the image, highest priority first: a
// fragment name found in several is taken from the first. Ignition's directories are read
// too, so flint can replace Ignition in an existing image.
var systemDirs = []string{"/run/flint", "/etc/flint", "/usr/lib/flint", "/run/ignition", "/etc/ignition", "/usr/lib/ignition"}

// embeddedConfigs are user configs embedded in the initramfs, in order: flint's and
// Ignition's user.ign (and user.yaml), then /config.ign as `flint initrd wrap` and
// coreos-installer write it.
func embeddedConfigs() []string {
	var out []string
	for _, d := range systemDirs {
		out = append(out, path.Join(d, "user.ign"), path.Join(d, "user.yaml"))
	}
	return append(out, "/config.ign")
}

type fetchStage struct{ offline bool }

func (s fetchStage) Name() string {
	if s.offline {
		return "fetch-offline"
	}
	return "fetch"
}

func (s fetchStage) Plan(ctx context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: s.Name()}
	f := env.fetcher()
	f.Offline = s.offline
	if !s.offline {
		cached := env.Config // a dry run carries the config over from fetch-offline
		if cached == nil {
			cached, _ = loadCache(env.StateDir)
		}
		if cached != nil {
			// fetch-offline found the config; what is left is its remote resources.
			env.Config = cached
			if err := configureFetcher(ctx, f, cached); err != nil {
				return nil, err
			}
			p.Actions = append(p.Actions, &prefetchAction{resources: collectResources(cached)})
			return p, nil
		}
	}
	cfg, provided, err := acquire(ctx, env, f)
	if errors.Is(err, resource.ErrNeedsNetwork) {
		p.Actions = append(p.Actions, &needNetAction{why: err.Error()})
		return p, nil
	}
	if err != nil {
		return nil, &StepError{Stage: s.Name(), Action: "acquire config", Err: err}
	}
	env.Config = cfg
	env.userConfigProvided = provided
	p.Actions = append(p.Actions, &cacheAction{cfg: cfg, provided: provided})
	res := collectResources(cfg)
	if s.offline && needsNetwork(cfg, res) {
		p.Actions = append(p.Actions, &needNetAction{why: "the config names remote resources"})
		return p, nil
	}
	if s.offline && env.ReportURL != "" {
		// A config read without the network (embedded in the initramfs) still owes the boot
		// server its progress: without the network every report of the run would be lost.
		p.Actions = append(p.Actions, &needNetAction{why: "progress reports go to flint.report.url"})
		return p, nil
	}
	if err := configureFetcher(ctx, f, cfg); err != nil {
		return nil, err
	}
	p.Actions = append(p.Actions, &prefetchAction{resources: res})
	return p, nil
}

// acquire finds, decodes, renders and validates the config. provided is false when no source
// had one and the config is empty (base configs only).
func acquire(ctx context.Context, env *Env, f *resource.Fetcher) (*config.Config, bool, error) {
	src, data, err := readSource(ctx, env, f)
	if err != nil {
		return nil, false, err
	}
	provided := len(data) > 0
	user := &config.Config{Ignition: config.Ignition{Version: config.Newest.String()}}
	if provided {
		env.Log.Info("fetched user config", "source", src, "sha512", hashConfig(data))
		if user, err = parseConfig(src, data); err != nil {
			return nil, false, err
		}
		if user, err = render(ctx, f, user, 0); err != nil {
			return nil, false, err
		}
	} else {
		env.Log.Info("no user config: applying an empty config", "source", src)
	}
	base, err := baseConfig(env)
	if err != nil {
		return nil, false, err
	}
	merged, _ := config.Merge(base, user)
	merged.Ignition.Version = config.Newest.String()
	if rep := config.Validate(merged, config.Newest); rep.HasErrors() {
		return nil, false, fmt.Errorf("%w after merging: %w", ErrConfigInvalid, rep.Err())
	}
	return merged, provided, nil
}

// readSource returns the user config's raw bytes and where they came from: the --config
// flag, the kernel command line, a config embedded in the initramfs, or the platform.
// Empty data means "no config".
func readSource(ctx context.Context, env *Env, f *resource.Fetcher) (string, []byte, error) {
	if env.ConfigSource != "" {
		if strings.Contains(env.ConfigSource, ":") {
			data, err := f.Fetch(ctx, env.ConfigSource, resource.Options{})
			return env.ConfigSource, data, err
		}
		data, err := os.ReadFile(env.ConfigSource)
		return env.ConfigSource, data, err
	}
	if u, ok := env.Cmdline.Get("flint.config.url", "ignition.config.url", "coreos.config.url"); ok {
		if env.Cmdline.Has("flint.config.device", "ignition.config.device") {
			env.Log.Warn("both a config URL and a config device are on the kernel command line; the URL wins")
		}
		data, err := f.Fetch(ctx, u, resource.Options{})
		return u, data, err
	}
	dev, hasDev := env.Cmdline.Get("flint.config.device", "ignition.config.device")
	p, hasPath := env.Cmdline.Get("flint.config.path", "ignition.config.path")
	if hasDev || hasPath {
		if !hasDev || !hasPath {
			return "", nil, fmt.Errorf("%w: flint.config.device and flint.config.path go together", ErrConfigSource)
		}
		data, err := readFromDevice(ctx, env, dev, p)
		return dev + ":" + p, data, err
	}
	for _, p := range embeddedConfigs() {
		data, err := os.ReadFile(env.sysPath(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return p, data, err
	}
	prov, err := providers.Get(env.Platform)
	if err != nil {
		return "", nil, err
	}
	penv := &providers.Env{Fetcher: f, Cmdline: env.Cmdline, Log: env.Log, Root: env.SysRoot, Endpoints: env.Endpoints}
	data, err := prov.FetchConfig(ctx, penv)
	if errors.Is(err, providers.ErrNoConfig) {
		return "platform " + env.Platform, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("platform %s: %w", env.Platform, err)
	}
	if data, err = providers.DecodeUserData(data); err != nil {
		return "", nil, fmt.Errorf("platform %s: %w", env.Platform, err)
	}
	return "platform " + env.Platform, data, nil
}

// parseConfig reads a config as JSON (any supported spec) or YAML (flint, fcos, flatcar).
func parseConfig(name string, data []byte) (*config.Config, error) {
	if translate.IsYAML(data) {
		res, rep := translate.Translate(name, data, translate.Options{})
		if rep.HasErrors() {
			return nil, fmt.Errorf("%w: %w", ErrConfigInvalid, rep.Err())
		}
		return &res.Config, nil
	}
	p, rep := config.Parse(name, data)
	if rep.HasErrors() {
		return nil, fmt.Errorf("%w: %w", ErrConfigInvalid, rep.Err())
	}
	return &p.Config, nil
}

// maxRenderDepth bounds chains of referenced configs (a config that merges itself).
const maxRenderDepth = 10

// ErrRenderDepth is a chain of referenced configs that is too deep or loops.
var ErrRenderDepth = errors.New("referenced configs nest too deeply (a loop?)")

// render fetches the configs c references: replace (which takes c's place), or each merge
// in order, rendered depth first and merged onto c. The fetcher follows the settings of the
// config merged so far, as the reference does.
func render(ctx context.Context, f *resource.Fetcher, c *config.Config, depth int) (*config.Config, error) {
	if depth > maxRenderDepth {
		return nil, ErrRenderDepth
	}
	if err := configureFetcher(ctx, f, c); err != nil {
		return nil, err
	}
	if r := c.Ignition.Config.Replace; r.Source != nil && *r.Source != "" {
		child, err := fetchConfig(ctx, f, &r)
		if err != nil {
			return nil, err
		}
		return render(ctx, f, child, depth+1)
	}
	acc := c
	for i := range c.Ignition.Config.Merge {
		child, err := fetchConfig(ctx, f, &c.Ignition.Config.Merge[i])
		if err != nil {
			return nil, err
		}
		if child, err = render(ctx, f, child, depth+1); err != nil {
			return nil, err
		}
		acc, _ = config.Merge(acc, child)
		if err := configureFetcher(ctx, f, acc); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func fetchConfig(ctx context.Context, f *resource.Fetcher, r *config.Resource) (*config.Config, error) {
	data, err := f.Fetch(ctx, deref(r.Source), fetchOptions(r))
	if err != nil {
		return nil, fmt.Errorf("referenced config %s: %w", redactSource(deref(r.Source)), err)
	}
	return parseConfig(redactSource(deref(r.Source)), data)
}

// fetchOptions turns a config Resource's settings into fetch options.
func fetchOptions(r *config.Resource) resource.Options {
	o := resource.Options{Compression: deref(r.Compression), Hash: deref(r.Verification.Hash)}
	for _, h := range r.HTTPHeaders {
		if o.Headers == nil {
			o.Headers = http.Header{}
		}
		o.Headers.Set(h.Name, deref(h.Value))
	}
	return o
}

// configureFetcher applies a config's timeouts, proxy and certificate authorities.
func configureFetcher(ctx context.Context, f *resource.Fetcher, c *config.Config) error {
	t := c.Ignition.Timeouts
	if t.HTTPResponseHeaders != nil {
		f.ResponseHeaders = time.Duration(*t.HTTPResponseHeaders) * time.Second
	}
	if t.HTTPTotal != nil {
		f.Total = time.Duration(*t.HTTPTotal) * time.Second
	}
	if px := c.Ignition.Proxy; px.HTTPProxy != nil || px.HTTPSProxy != nil || len(px.NoProxy) > 0 {
		f.Proxy = &resource.Proxy{HTTPProxy: deref(px.HTTPProxy), HTTPSProxy: deref(px.HTTPSProxy), NoProxy: px.NoProxy}
	}
	var cas [][]byte
	for i := range c.Ignition.Security.TLS.CertificateAuthorities {
		ca := &c.Ignition.Security.TLS.CertificateAuthorities[i]
		data, err := f.Fetch(ctx, deref(ca.Source), fetchOptions(ca))
		if err != nil {
			return fmt.Errorf("certificate authority %s: %w", redactSource(deref(ca.Source)), err)
		}
		cas = append(cas, data)
	}
	f.CAs = cas
	return nil
}

// baseConfig merges the system's base configs: base.d, then base.platform.d/<platform>,
// fragments sorted by name, a name in several system directories taken from the first.
func baseConfig(env *Env) (*config.Config, error) {
	acc := &config.Config{Ignition: config.Ignition{Version: config.Newest.String()}}
	for _, sub := range []string{"base.d", path.Join("base.platform.d", env.Platform)} {
		byName := map[string]string{}
		for _, d := range systemDirs {
			entries, err := os.ReadDir(env.sysPath(path.Join(d, sub)))
			if err != nil {
				continue
			}
			for _, e := range entries {
				if _, seen := byName[e.Name()]; !seen && !e.IsDir() {
					byName[e.Name()] = path.Join(d, sub, e.Name())
				}
			}
		}
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := os.ReadFile(env.sysPath(byName[n]))
			if err != nil {
				return nil, err
			}
			c, err := parseConfig(byName[n], data)
			if err != nil {
				return nil, fmt.Errorf("base config: %w", err)
			}
			acc, _ = config.Merge(acc, c)
		}
	}
	return acc, nil
}

// collectResources lists the resources the later stages will read.
func collectResources(c *config.Config) []*config.Resource {
	var out []*config.Resource
	for i := range c.Storage.Files {
		f := &c.Storage.Files[i]
		if f.Contents.Source != nil {
			out = append(out, &f.Contents)
		}
		for j := range f.Append {
			out = append(out, &f.Append[j])
		}
	}
	for i := range c.Storage.Luks {
		if k := &c.Storage.Luks[i].KeyFile; k.Source != nil {
			out = append(out, k)
		}
	}
	return out
}

// needsNetwork reports whether applying c needs the network.
func needsNetwork(c *config.Config, res []*config.Resource) bool {
	for _, r := range res {
		if s := deref(r.Source); s != "" && !strings.HasPrefix(s, "data:") {
			return true
		}
	}
	for _, l := range c.Storage.Luks {
		for _, t := range l.Clevis.Tang {
			if t.Advertisement == nil {
				return true
			}
		}
		if deref(l.Clevis.Custom.NeedsNetwork) {
			return true
		}
	}
	return false
}

// resourceKey names a fetched resource in the state directory's cache.
func resourceKey(r *config.Resource) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", deref(r.Source), deref(r.Compression), deref(r.Verification.Hash))
	for _, hd := range r.HTTPHeaders {
		fmt.Fprintf(h, "\x00%s=%s", hd.Name, deref(hd.Value))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadCache reads the config the fetch stages cached.
func loadCache(stateDir string) (*config.Config, error) {
	data, err := os.ReadFile(filepath.Join(stateDir, cacheFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoCache
	}
	if err != nil {
		return nil, err
	}
	p, rep := config.Parse(filepath.Join(stateDir, cacheFile), data)
	if rep.HasErrors() {
		return nil, fmt.Errorf("%w: cached config: %w", ErrConfigInvalid, rep.Err())
	}
	return &p.Config, nil
}

type cacheAction struct {
	cfg      *config.Config
	provided bool
}

func (a *cacheAction) Describe() string { return "cache the rendered config" }
func (a *cacheAction) Apply(_ context.Context, env *Env) error {
	data, err := config.Marshal(a.cfg, config.Newest, false)
	if err != nil {
		return err
	}
	env.configHash = hashConfig(data)
	return writeAtomic(filepath.Join(env.StateDir, cacheFile), data, 0o640)
}

type needNetAction struct{ why string }

func (a *needNetAction) Describe() string { return "ask for the network: " + a.why }
func (a *needNetAction) Apply(_ context.Context, env *Env) error {
	return writeAtomic(filepath.Join(env.StateDir, needNetFile), nil, 0o644)
}

// prefetchAction fetches and verifies every resource into the state directory.
type prefetchAction struct{ resources []*config.Resource }

func (a *prefetchAction) Describe() string {
	return fmt.Sprintf("fetch and verify %d resource(s)", len(a.resources))
}

func (a *prefetchAction) Apply(ctx context.Context, env *Env) error {
	dir := filepath.Join(env.StateDir, resourcesDir)
	f := env.fetcher()
	for _, r := range a.resources {
		s := deref(r.Source)
		if s == "" || strings.HasPrefix(s, "data:") {
			// Inline data needs no cache (validation has decoded it), but a hash is checked
			// now, before any write.
			if r.Verification.Hash == nil {
				continue
			}
			if _, err := f.Fetch(ctx, s, fetchOptions(r)); err != nil {
				return fmt.Errorf("%s: %w", redactSource(s), err)
			}
			continue
		}
		data, err := f.Fetch(ctx, s, fetchOptions(r))
		if err != nil {
			return fmt.Errorf("%s: %w", redactSource(s), err)
		}
		if err := writeAtomic(filepath.Join(dir, resourceKey(r)), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// cachedResources serves resources from the state directory's cache, fetching (and
// verifying) what is not there.
type cachedResources struct{ env *Env }

func (c cachedResources) Get(ctx context.Context, r *config.Resource) ([]byte, error) {
	s := deref(r.Source)
	if s != "" && !strings.HasPrefix(s, "data:") {
		data, err := os.ReadFile(filepath.Join(c.env.StateDir, resourcesDir, resourceKey(r)))
		if err == nil {
			return data, nil
		}
	}
	return c.env.fetcher().Fetch(ctx, s, fetchOptions(r))
}
