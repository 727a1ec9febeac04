package providers

import (
	"context"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/internal/resource"
)

// hetzner (Hetzner Cloud): GET /hetzner/v1/userdata; a 404 means no user data.
//
// The server is described by the YAML document /hetzner/v1/metadata; its addresses in private
// networks by /hetzner/v1/metadata/private-networks (a 404 there: no private network).

func init() { Register(hetznerProvider{hetznerUserData}) }

var hetznerUserData = httpProvider{id: "hetzner", src: httpSource{
	base:            defaultMetadataURL,
	path:            "/hetzner/v1/userdata",
	notFoundIsEmpty: true,
}}

type hetznerProvider struct{ httpProvider }

// Metadata reads the server description. The public IPv6 address is the static one of the
// network-config the document carries for cloud-init.
func (p hetznerProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	base := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/hetzner/v1/metadata"
	var doc struct {
		Hostname         string   `yaml:"hostname"`
		InstanceID       string   `yaml:"instance-id"`
		Region           string   `yaml:"region"`
		AvailabilityZone string   `yaml:"availability-zone"`
		PublicIPv4       string   `yaml:"public-ipv4"`
		LocalIPv4        string   `yaml:"local-ipv4"`
		PublicKeys       []string `yaml:"public-keys"`
		NetworkConfig    struct {
			Config []struct {
				Subnets []struct {
					IPv6    bool   `yaml:"ipv6"`
					Address string `yaml:"address"`
				} `yaml:"subnets"`
			} `yaml:"config"`
		} `yaml:"network-config"`
	}
	if err := hetznerYAML(ctx, env, base, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	var private []struct {
		IP string `yaml:"ip"`
	}
	if err := hetznerYAML(ctx, env, base+"/private-networks", &private); err != nil && !errors.Is(err, resource.ErrNotFound) {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{
		Hostname: doc.Hostname, InstanceID: doc.InstanceID, Region: doc.Region, Zone: doc.AvailabilityZone,
		IPv4Public: doc.PublicIPv4, IPv4Private: doc.LocalIPv4,
	}
	if m.IPv4Private == "" && len(private) > 0 {
		m.IPv4Private = private[0].IP
	}
	for _, c := range doc.NetworkConfig.Config {
		for _, s := range c.Subnets {
			if s.IPv6 && s.Address != "" && m.IPv6Public == "" {
				m.IPv6Public = bareAddress(s.Address)
			}
		}
	}
	for _, k := range doc.PublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}

// hetznerYAML fetches a YAML document into dst; a 404 is resource.ErrNotFound.
func hetznerYAML(ctx context.Context, env *Env, url string, dst any) error {
	b, err := env.fetcher().Fetch(ctx, url, resource.Options{})
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMetadataFormat, resource.Redact(url), err)
	}
	return nil
}
