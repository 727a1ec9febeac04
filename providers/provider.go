// Package providers finds a machine's config and metadata on its platform: one file per
// platform, each registering a Provider under its platform id (Ignition's ids: aws, gcp,
// azure, qemu, metal, file, ...).
package providers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"

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
	// empty in production.
	Endpoints map[string]string
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
