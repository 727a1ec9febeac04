package providers

import (
	"context"
	"fmt"

	"github.com/flint-provision/flint/internal/resource"
)

// upcloud: GET /metadata/v1/user_data; a 404 means no user data (custom images must enable
// the metadata service).
//
// The server is described by /metadata/v1.json.

func init() {
	Register(upCloudProvider{httpProvider{id: "upcloud", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/metadata/v1/user_data",
		notFoundIsEmpty: true,
	}}})
}

type upCloudProvider struct{ httpProvider }

// Metadata reads /metadata/v1.json. Public addresses come from the public interfaces, private
// ones from the others (private and utility networks); floating addresses are passed over, as
// they move between servers. UpCloud's zones are its locations: the region is left unknown.
func (p upCloudProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	var doc struct {
		InstanceID string   `json:"instance_id"`
		Hostname   string   `json:"hostname"`
		Region     string   `json:"region"`
		PublicKeys []string `json:"public_keys"`
		Network    struct {
			Interfaces []struct {
				Type        string `json:"type"`
				IPAddresses []struct {
					Address  string `json:"address"`
					Family   string `json:"family"`
					Floating bool   `json:"floating"`
				} `json:"ip_addresses"`
			} `json:"interfaces"`
		} `json:"network"`
	}
	url := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/metadata/v1.json"
	if err := metadataJSON(ctx, env, url, resource.Options{}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{Hostname: doc.Hostname, InstanceID: doc.InstanceID, Zone: doc.Region}
	for _, i := range doc.Network.Interfaces {
		v4, v6 := &m.IPv4Private, &m.IPv6Private
		if i.Type == "public" {
			v4, v6 = &m.IPv4Public, &m.IPv6Public
		}
		for _, a := range i.IPAddresses {
			dst := v4
			if a.Family == "IPv6" {
				dst = v6
			}
			if !a.Floating && *dst == "" {
				*dst = a.Address
			}
		}
	}
	for _, k := range doc.PublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}
