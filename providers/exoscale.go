package providers

import (
	"context"
	"fmt"
	"strings"

	"github.com/flint-provision/flint/internal/resource"
)

// exoscale: GET /1.0/user-data; a 404 means no user data.
//
// The instance is described EC2-style, one value per path under /1.0/meta-data/.

func init() {
	Register(exoscaleProvider{httpProvider{id: "exoscale", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/1.0/user-data",
		notFoundIsEmpty: true,
	}}})
}

type exoscaleProvider struct{ httpProvider }

// Metadata reads the meta-data values. The instance id must exist (a service without it is
// not Exoscale's); the others may be missing. Exoscale's zones are its locations: there is no
// region above them.
func (p exoscaleProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	base := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/1.0/meta-data/"
	id, err := env.fetcher().Fetch(ctx, base+"instance-id", resource.Options{})
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{InstanceID: strings.TrimSpace(string(id))}
	var keys string
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"local-hostname", &m.Hostname}, {"availability-zone", &m.Zone}, {"local-ipv4", &m.IPv4Private},
		{"public-ipv4", &m.IPv4Public}, {"public-keys", &keys},
	} {
		v, err := metadataGet(ctx, env, base+f.key, nil)
		if err != nil {
			return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
		}
		*f.dst = strings.TrimSpace(v)
	}
	m.SSHKeys = lines(keys)
	return m, nil
}
