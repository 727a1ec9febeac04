package providers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/flint-provision/flint/internal/resource"
)

// digitalocean: GET /metadata/v1/user-data. Every error fails, a 404 included: the service
// answers 200 with an empty body when the droplet has no user data.
//
// The droplet is described by /metadata/v1.json (all of the metadata at once).

func init() { Register(digitalOceanProvider{digitalOceanUserData}) }

var digitalOceanUserData = httpProvider{id: "digitalocean", src: httpSource{
	base: defaultMetadataURL,
	path: "/metadata/v1/user-data",
}}

type digitalOceanProvider struct{ httpProvider }

// digitalOceanAddress is an address of a droplet interface.
type digitalOceanAddress struct {
	IPAddress string `json:"ip_address"`
}

// digitalOceanInterface is one of a droplet's interfaces.
type digitalOceanInterface struct {
	IPv4 *digitalOceanAddress `json:"ipv4"`
	IPv6 *digitalOceanAddress `json:"ipv6"`
}

// digitalOceanAddresses returns the first IPv4 and IPv6 addresses of ifs.
func digitalOceanAddresses(ifs []digitalOceanInterface) (v4, v6 string) {
	for _, i := range ifs {
		if i.IPv4 != nil && v4 == "" {
			v4 = i.IPv4.IPAddress
		}
		if i.IPv6 != nil && v6 == "" {
			v6 = i.IPv6.IPAddress
		}
	}
	return v4, v6
}

// Metadata reads /metadata/v1.json. DigitalOcean has regions, no zones.
func (p digitalOceanProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	var doc struct {
		DropletID  json.Number `json:"droplet_id"`
		Hostname   string      `json:"hostname"`
		Region     string      `json:"region"`
		PublicKeys []string    `json:"public_keys"`
		Interfaces struct {
			Public  []digitalOceanInterface `json:"public"`
			Private []digitalOceanInterface `json:"private"`
		} `json:"interfaces"`
	}
	url := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/metadata/v1.json"
	if err := metadataJSON(ctx, env, url, resource.Options{}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{Hostname: doc.Hostname, InstanceID: doc.DropletID.String(), Region: doc.Region}
	m.IPv4Public, m.IPv6Public = digitalOceanAddresses(doc.Interfaces.Public)
	m.IPv4Private, m.IPv6Private = digitalOceanAddresses(doc.Interfaces.Private)
	for _, k := range doc.PublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}
