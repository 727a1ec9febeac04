package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/flint-provision/flint/internal/resource"
)

// openstack (and brightbox, which is OpenStack): the fetch-offline stage asks for the network
// at once (the metadata service is one of the sources). Then three sources race, first
// success wins: the config drive labelled config-2 (ISO 9660) and CONFIG-2 (VFAT), each polled
// every second with no deadline and read at openstack/latest/user_data (missing file: no user
// data), and the metadata service at 169.254.169.254 plus fe80::a9fe:a9fe on every up
// interface with IPv6 (404: no user data). If the metadata service fails and no drive
// appears, only the context ends the wait, as in the reference.

func init() {
	Register(openStackProvider{id: "openstack"})
	Register(openStackProvider{id: "brightbox"})
}

const (
	openStackUserData = "openstack/latest/user_data"
	drivePoll         = time.Second
)

type openStackProvider struct{ id string }

func (p openStackProvider) ID() string { return p.id }

func (p openStackProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	meta := httpSource{base: defaultMetadataURL, path: "/" + openStackUserData, notFoundIsEmpty: true}
	if err := requireNetwork(ctx, env, meta.url(env)); err != nil {
		return nil, err
	}
	sources := []source{
		configDrive(env, "config-2", openStackUserData, drivePoll, 0),
		configDrive(env, "CONFIG-2", openStackUserData, drivePoll, 0),
		func(ctx context.Context) ([]byte, error) { return meta.fetch(ctx, env) },
	}
	if env.Endpoints[EndpointMetadata] == "" {
		for _, base := range linkLocalMetadataURLs() {
			s := meta
			s.base = base
			sources = append(sources, func(ctx context.Context) ([]byte, error) { return s.fetch(ctx, env) })
		}
	}
	b, err := race(ctx, sources...)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("%s: %w", p.id, err)
	}
	return b, err
}

// configDrive is the source of file name on the drive labelled label.
func configDrive(env *Env, label, name string, poll, wait time.Duration) source {
	return func(ctx context.Context) ([]byte, error) {
		return readLabeledFile(ctx, env, label, name, env.pollInterval(poll), env.deviceWait(wait))
	}
}

// requireNetwork fails with resource.ErrNeedsNetwork in the fetch-offline stage, through the
// Fetcher so that it records the need; url is what would have been fetched.
func requireNetwork(ctx context.Context, env *Env, url string) error {
	if !env.fetcher().Offline {
		return nil
	}
	_, err := env.fetcher().Fetch(ctx, url, resource.Options{})
	return err
}

// linkLocalMetadataURLs returns the IPv6 link-local metadata address on every up,
// non-loopback interface that has an IPv6 address.
func linkLocalMetadataURLs() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var urls []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil {
				urls = append(urls, "http://[fe80::a9fe:a9fe%25"+ifc.Name+"]")
				break
			}
		}
	}
	return urls
}
