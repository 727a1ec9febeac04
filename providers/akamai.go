package providers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/flint-provision/flint/internal/resource"
)

// akamai (Akamai Connected Cloud, formerly Linode): the fetch-offline stage asks for the
// network at once. A token is PUT to /v1/token (expiry 300 s), then /v1/user-data is read
// with it. The value is base64 and, when the decoded bytes are gzip, compressed too; both are
// undone here. The reference defines no "no user data" answer: an empty value is taken as
// none, and every failure is an error.

func init() { Register(akamaiProvider{}) }

type akamaiProvider struct{}

func (akamaiProvider) ID() string { return "akamai" }

func (akamaiProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	base := env.endpoint(EndpointMetadata, defaultMetadataURL)
	if err := requireNetwork(ctx, env, base+"/v1/token"); err != nil {
		return nil, err
	}
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	token, err := env.fetcher().Fetch(ctx, base+"/v1/token", resource.Options{
		Method:  http.MethodPut,
		Headers: header("Metadata-Token-Expiry-Seconds", "300", "Accept", "text/plain"),
		Body:    []byte{},
	})
	if err != nil {
		return nil, fmt.Errorf("akamai: token: %w", err)
	}
	b, err := env.fetcher().Fetch(ctx, base+"/v1/user-data", resource.Options{
		Headers: header("Metadata-Token", string(trimSpace(token)), "Accept", "*/*"),
	})
	if err != nil {
		return nil, fmt.Errorf("akamai: %w", err)
	}
	if len(trimSpace(b)) == 0 {
		return nil, ErrNoConfig
	}
	if b, err = decodeBase64Value(b); err != nil {
		return nil, fmt.Errorf("akamai: %w", err)
	}
	if bytes.HasPrefix(b, gzipMagic) {
		if b, err = gunzip(b); err != nil {
			return nil, fmt.Errorf("akamai: %w", err)
		}
	}
	return b, nil
}
