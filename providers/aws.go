package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/flint-provision/flint/internal/resource"
)

// aws (Amazon EC2): user data from the instance metadata service (IMDS).
//
// The reference first PUTs an IMDSv2 token as an init step, only to wait for the network: it
// runs before any deadline, is retried on connection errors and 5xx for as long as the context
// lives, tolerates a 404 (IMDSv1-only services) and fails on any other refusal. Then, within
// the fetch deadline, it PUTs a token again (a 404 now falls back to IMDSv1, without a token)
// and GETs the dated /2019-10-01/user-data with the token. A 404 there means no user data;
// other 4xx fail; 5xx and connection errors are retried until the deadline. The body is raw.

func init() { Register(awsProvider{}) }

const (
	awsTokenPath    = "/latest/api/token"
	awsUserDataPath = "/2019-10-01/user-data"
	awsTokenTTL     = "21600"
	// awsTokenHeader and awsTTLHeader are the IMDSv2 headers.
	awsTokenHeader = "X-Aws-Ec2-Metadata-Token"
	awsTTLHeader   = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
)

type awsProvider struct{}

func (awsProvider) ID() string { return "aws" }

func (p awsProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	if _, err := awsToken(ctx, env); err != nil && !errors.Is(err, resource.ErrNotFound) {
		return nil, fmt.Errorf("aws: initializing platform config: %w", err)
	}
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	h, err := awsSession(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("aws: %w", err)
	}
	b, err := env.fetcher().Fetch(ctx, awsBase(env)+awsUserDataPath, resource.Options{Headers: h})
	switch {
	case errors.Is(err, resource.ErrNotFound):
		return nil, ErrNoConfig
	case err != nil:
		return nil, fmt.Errorf("aws: %w", err)
	case len(b) == 0:
		return nil, ErrNoConfig
	}
	return b, nil
}

func awsBase(env *Env) string { return env.endpoint(EndpointMetadata, defaultMetadataURL) }

// awsToken PUTs for an IMDSv2 token.
func awsToken(ctx context.Context, env *Env) (string, error) {
	b, err := env.fetcher().Fetch(ctx, awsBase(env)+awsTokenPath, resource.Options{
		Method:  http.MethodPut,
		Headers: header(awsTTLHeader, awsTokenTTL),
		Body:    []byte{},
	})
	return string(b), err
}

// awsSession returns the headers of IMDS reads: the token, or none when the service is
// IMDSv1 only (404 on the token PUT).
func awsSession(ctx context.Context, env *Env) (http.Header, error) {
	token, err := awsToken(ctx, env)
	if errors.Is(err, resource.ErrNotFound) {
		env.log().Warn("IMDSv2 service is unavailable; falling back to IMDSv1")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("getting an IMDSv2 token: %w", err)
	}
	return header(awsTokenHeader, token), nil
}

// Metadata reads the instance description from IMDS (dated 2021-01-03 paths, as Afterburn).
func (awsProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	h, err := awsSession(ctx, env)
	if err != nil {
		return Metadata{}, fmt.Errorf("aws: %w", err)
	}
	base := awsBase(env) + "/2021-01-03/meta-data/"
	var m Metadata
	for _, f := range []struct {
		path string
		dst  *string
	}{
		{"hostname", &m.Hostname}, {"instance-id", &m.InstanceID}, {"placement/region", &m.Region},
		{"placement/availability-zone", &m.Zone}, {"local-ipv4", &m.IPv4Private},
		{"public-ipv4", &m.IPv4Public}, {"ipv6", &m.IPv6Private},
	} {
		if *f.dst, err = metadataGet(ctx, env, base+f.path, h); err != nil {
			return Metadata{}, fmt.Errorf("aws: %w", err)
		}
	}
	keys, err := metadataGet(ctx, env, base+"public-keys/", h)
	if err != nil {
		return Metadata{}, fmt.Errorf("aws: %w", err)
	}
	for _, l := range lines(keys) {
		idx, _, _ := strings.Cut(l, "=")
		k, err := metadataGet(ctx, env, base+"public-keys/"+idx+"/openssh-key", h)
		if err != nil {
			return Metadata{}, fmt.Errorf("aws: %w", err)
		}
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}
