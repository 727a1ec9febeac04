// Package providers finds a machine's config and metadata on its platform: one file per
// platform, each registering a Provider under its platform id (Ignition's ids: aws, gcp,
// azure, qemu, metal, file, ...).
package providers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"time"

	"github.com/flint-provision/flint/internal/cmdline"
	"github.com/flint-provision/flint/internal/resource"
)

// Errors of providers.
var (
	// ErrUnknownPlatform is a platform id no provider is registered for.
	ErrUnknownPlatform = errors.New("unknown platform")
	// ErrNoConfig means the platform answered that it has no user data: the machine is
	// provisioned with an empty config (only base configs apply).
	ErrNoConfig = errors.New("no user data on this platform")
	// ErrNotOnline is a platform provider that finds it is not on its platform (vmware
	// outside VMware): the reference fails the stage with this message.
	ErrNotOnline = errors.New("config provider was not online")
	// ErrUnsupportedArch is a provider asked on an architecture it does not serve.
	ErrUnsupportedArch = errors.New("not supported on this architecture")
)

// Env is what a provider works with. Tests point its endpoints and paths at emulators.
type Env struct {
	// Fetcher does every network fetch, with its retries and timeouts; in the fetch-offline
	// stage it is offline and a provider that needs the network gets resource.ErrNeedsNetwork.
	Fetcher *resource.Fetcher
	// Cmdline is the kernel command line.
	Cmdline cmdline.Cmdline
	// Log receives what the provider does.
	Log *slog.Logger
	// Root is prepended to the host paths a provider reads (/sys, /dev, /run); "" means "/".
	Root string
	// Endpoints overrides a provider's base URLs by name (e.g. "imds": "http://127.0.0.1:8080");
	// empty in production. The names are the Endpoint* constants.
	Endpoints map[string]string
	// Timing overrides the documented waits; tests shrink them. Zero fields mean the
	// documented values.
	Timing Timing
	// Client makes the one-shot requests that the reference makes outside the fetch retry loop
	// (Equinix Metal phone-home, Azure ready report); nil means a direct client without proxy.
	Client *http.Client
	// GuestInfo reads a VMware guestinfo key (without the "guestinfo." prefix) and reports
	// whether it is set; nil means asking the hypervisor through vmware-rpctool.
	GuestInfo func(ctx context.Context, key string) (string, bool, error)
	// Modprobe loads a kernel module (qemu_fw_cfg, virtio_blk); nil means running modprobe.
	Modprobe func(ctx context.Context, module string) error
}

// Timing holds the waits of the providers. The reference's values are the defaults.
type Timing struct {
	// Fetch bounds a provider's network fetching, the reference's -fetch-timeout; 0 means
	// DefaultFetchTimeout. Init steps that the reference runs before the deadline (the AWS
	// token wait) are bounded by the context only.
	Fetch time.Duration
	// DevicePoll is the interval between scans for a config drive; 0 means the platform's
	// documented interval (1 s, 5 s for the s390x/ppc64le qemu disk).
	DevicePoll time.Duration
	// DeviceWait replaces the platform's deadline for a config drive where it has one
	// (30 s for ibmcloud, proxmoxve and the config device, 5 min for the qemu disk).
	DeviceWait time.Duration
	// ReportBackoff is the first delay between retries of the Azure ready report; 0 means 1 s.
	ReportBackoff time.Duration
}

// DefaultFetchTimeout is the reference's -fetch-timeout: how long a provider keeps retrying
// its metadata service.
const DefaultFetchTimeout = 2 * time.Minute

// Names of Env.Endpoints.
const (
	// EndpointMetadata is the base URL of the platform's metadata service
	// (http://169.254.169.254 on most platforms).
	EndpointMetadata = "metadata"
	// EndpointWireserver is the base URL of the Azure wireserver (http://168.63.129.16).
	EndpointWireserver = "wireserver"
)

// endpoint returns the base URL of service name: the override, or def.
func (e *Env) endpoint(name, def string) string {
	if u := e.Endpoints[name]; u != "" {
		return u
	}
	return def
}

// log returns the logger, or one that discards.
func (e *Env) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// fetcher returns the Fetcher, or a fresh one with the defaults.
func (e *Env) fetcher() *resource.Fetcher {
	if e.Fetcher == nil {
		e.Fetcher = &resource.Fetcher{}
	}
	return e.Fetcher
}

// fetchDeadline bounds ctx by the fetch timeout.
func (e *Env) fetchDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d := e.Timing.Fetch
	if d <= 0 {
		d = DefaultFetchTimeout
	}
	return context.WithTimeout(ctx, d)
}

// path returns a host path under Root.
func (e *Env) path(p string) string {
	if e.Root == "" {
		return p
	}
	return filepath.Join(e.Root, p)
}

// Provider reads a platform's user data.
type Provider interface {
	// ID is the platform id.
	ID() string
	// FetchConfig returns the raw user data (before DecodeUserData), or ErrNoConfig.
	FetchConfig(ctx context.Context, env *Env) ([]byte, error)
}

var registry = map[string]Provider{}

// Register adds a provider; provider files call it from init.
func Register(p Provider) {
	if _, dup := registry[p.ID()]; dup {
		panic("providers: duplicate platform " + p.ID())
	}
	registry[p.ID()] = p
}

// Get returns the provider of platform id.
func Get(id string) (Provider, error) {
	if p, ok := registry[id]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownPlatform, id, IDs())
}

// IDs lists the registered platform ids, sorted.
func IDs() []string {
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// client returns the one-shot HTTP client: never proxied, bounded per request.
func (e *Env) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return directClient
}

var directClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: 30 * time.Second, TLSHandshakeTimeout: 10 * time.Second},
	Timeout:   time.Minute,
}
