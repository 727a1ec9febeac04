package providers

import (
	"context"
	"fmt"

	"github.com/flint-provision/flint/internal/resource"
)

// vultr: GET /user-data/user-data (the path the reference uses, not the EC2-style
// /latest/user-data); a 404 means no user data.
//
// The instance is described by /v1.json.

func init() {
	Register(vultrProvider{httpProvider{id: "vultr", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/user-data/user-data",
		notFoundIsEmpty: true,
	}}})
}

type vultrProvider struct{ httpProvider }

// Metadata reads /v1.json. The instance id is the v2 (UUID) one, the API's, when present.
// Vultr has regions, no zones.
func (p vultrProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	var doc struct {
		Hostname     string `json:"hostname"`
		InstanceID   string `json:"instanceid"`
		InstanceV2ID string `json:"instance-v2-id"`
		Region       struct {
			RegionCode string `json:"regioncode"`
		} `json:"region"`
		PublicKeys []string `json:"public-keys"`
		Interfaces []struct {
			NetworkType string `json:"network-type"`
			IPv4        struct {
				Address string `json:"address"`
			} `json:"ipv4"`
			IPv6 struct {
				Address string `json:"address"`
			} `json:"ipv6"`
		} `json:"interfaces"`
	}
	url := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/v1.json"
	if err := metadataJSON(ctx, env, url, resource.Options{}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{Hostname: doc.Hostname, InstanceID: doc.InstanceV2ID, Region: doc.Region.RegionCode}
	if m.InstanceID == "" {
		m.InstanceID = doc.InstanceID
	}
	for _, i := range doc.Interfaces {
		v4, v6 := &m.IPv4Private, &m.IPv6Private
		if i.NetworkType == "public" {
			v4, v6 = &m.IPv4Public, &m.IPv6Public
		}
		if *v4 == "" {
			*v4 = i.IPv4.Address
		}
		if *v6 == "" {
			*v6 = i.IPv6.Address
		}
	}
	for _, k := range doc.PublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}
