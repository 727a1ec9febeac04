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
