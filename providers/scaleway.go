package providers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"

	"github.com/flint-provision/flint/internal/resource"
)

// scaleway: GET http://169.254.42.42/user_data/cloud-init. Scaleway serves user data only to
// connections from a privileged source port (below 1024, so from root on the instance): the
// connection is bound to a random free port in 1..1022, another one tried when it is in use.
// A 404 means no user data.
//
// The instance is described by /conf?format=json, which any source port may read.

func init() { Register(scalewayProvider{}) }

const scalewayMetadataURL = "http://169.254.42.42"

type scalewayProvider struct{}

func (scalewayProvider) ID() string { return "scaleway" }

func (scalewayProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	src := httpSource{base: scalewayMetadataURL, path: "/user_data/cloud-init", notFoundIsEmpty: true}
	if err := requireNetwork(ctx, env, src.url(env)); err != nil {
		return nil, err
	}
	f := env.fetcher()
	privileged := &resource.Fetcher{
		ResponseHeaders: f.ResponseHeaders,
		Total:           f.Total,
		Logger:          f.Logger,
		UserAgent:       f.UserAgent,
		BackoffInitial:  f.BackoffInitial,
		BackoffMax:      f.BackoffMax,
		Dial:            dialPrivileged,
	}
	penv := *env
	penv.Fetcher = privileged
	b, err := src.fetch(ctx, &penv)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("scaleway: %w", err)
	}
	return b, err
}

// Metadata reads /conf?format=json. The zone is the instance's location ("fr-par-1"), the
// region the zone without its number.
func (scalewayProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	var doc struct {
		ID       string `json:"id"`
		Hostname string `json:"hostname"`
		Location struct {
			ZoneID string `json:"zone_id"`
		} `json:"location"`
		PublicIP *struct {
			Address string `json:"address"`
		} `json:"public_ip"`
		PrivateIP string `json:"private_ip"`
		IPv6      *struct {
			Address string `json:"address"`
		} `json:"ipv6"`
		SSHPublicKeys []struct {
			Key string `json:"key"`
		} `json:"ssh_public_keys"`
	}
	url := env.endpoint(EndpointMetadata, scalewayMetadataURL) + "/conf?format=json"
	if err := metadataJSON(ctx, env, url, resource.Options{}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("scaleway: %w", err)
	}
	m := Metadata{
		Hostname: doc.Hostname, InstanceID: doc.ID, Zone: doc.Location.ZoneID, Region: regionOfZone(doc.Location.ZoneID),
		IPv4Private: doc.PrivateIP,
	}
	if doc.PublicIP != nil {
		m.IPv4Public = doc.PublicIP.Address
	}
	if doc.IPv6 != nil {
		m.IPv6Public = doc.IPv6.Address
	}
	for _, k := range doc.SSHPublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k.Key)...)
	}
	return m, nil
}

// privilegedPortTries bounds the search for a free privileged port.
const privilegedPortTries = 64

// dialPrivileged connects from a random local port below 1023.
func dialPrivileged(ctx context.Context, network, addr string) (net.Conn, error) {
	var err error
	for range privilegedPortTries {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: 1 + rand.IntN(1022)}}
		var c net.Conn
		if c, err = d.DialContext(ctx, network, addr); err == nil {
			return c, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no free privileged source port: %w", err)
}
