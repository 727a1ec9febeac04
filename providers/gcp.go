package providers

import (
	"context"
	"fmt"
	"strings"
)

// gcp (Google Compute Engine): the instance attribute user-data on the metadata server, which
// answers only requests carrying Metadata-Flavor: Google. An attribute that is not set is a
// 404, which means no user data; 5xx and connection errors are retried until the fetch
// deadline. The value is raw.

func init() { Register(gcpProvider{gcpUserData}) }

var gcpUserData = httpProvider{id: "gcp", src: httpSource{
	base:            defaultMetadataURL,
	path:            "/computeMetadata/v1/instance/attributes/user-data",
	headers:         gcpHeaders,
	notFoundIsEmpty: true,
}}

var gcpHeaders = header("Metadata-Flavor", "Google")

type gcpProvider struct{ httpProvider }

// Metadata reads the instance description; ssh-keys of the project and the instance are
// "user:key" lines.
func (gcpProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	base := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/computeMetadata/v1/"
	var m Metadata
	var zone, projectKeys, instanceKeys string
	for _, f := range []struct {
		path string
		dst  *string
	}{
		{"instance/hostname", &m.Hostname}, {"instance/id", &m.InstanceID}, {"instance/zone", &zone},
		{"instance/network-interfaces/0/ip", &m.IPv4Private},
		{"instance/network-interfaces/0/access-configs/0/external-ip", &m.IPv4Public},
		{"project/attributes/ssh-keys", &projectKeys}, {"instance/attributes/ssh-keys", &instanceKeys},
	} {
		var err error
		if *f.dst, err = metadataGet(ctx, env, base+f.path, gcpHeaders); err != nil {
			return Metadata{}, fmt.Errorf("gcp: %w", err)
		}
	}
	// zone is projects/<n>/zones/<zone>; the region is the zone without its last part.
	m.Zone = zone[strings.LastIndexByte(zone, '/')+1:]
	if i := strings.LastIndexByte(m.Zone, '-'); i > 0 {
		m.Region = m.Zone[:i]
	}
	m.SSHKeys = append(lines(projectKeys), lines(instanceKeys)...)
	return m, nil
}
