package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/flint-provision/flint/internal/resource"
)

// akamai (Akamai Connected Cloud, formerly Linode): the fetch-offline stage asks for the
// network at once. A token is PUT to /v1/token (expiry 300 s), then /v1/user-data is read
// with it. The value is base64 and, when the decoded bytes are gzip, compressed too; both are
// undone here. The reference defines no "no user data" answer: an empty value is taken as
// none, and every failure is an error.
//
// The instance is described by /v1/instance, /v1/network and /v1/ssh-keys, read with a token
// as well.

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
	token, err := akamaiToken(ctx, env, base)
	if err != nil {
		return nil, fmt.Errorf("akamai: token: %w", err)
	}
	b, err := env.fetcher().Fetch(ctx, base+"/v1/user-data", resource.Options{
		Headers: header("Metadata-Token", token, "Accept", "*/*"),
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

// akamaiToken PUTs for a metadata token (valid 300 s).
func akamaiToken(ctx context.Context, env *Env, base string) (string, error) {
	token, err := env.fetcher().Fetch(ctx, base+"/v1/token", resource.Options{
		Method:  http.MethodPut,
		Headers: header("Metadata-Token-Expiry-Seconds", "300", "Accept", "text/plain"),
		Body:    []byte{},
	})
	return string(trimSpace(token)), err
}

// Metadata reads /v1/instance, /v1/network and /v1/ssh-keys as JSON with one token. The
// hostname is the Linode's label; Akamai has regions, no zones. Addresses come with their
// prefix length, which is dropped. SSH keys are listed per Akamai user ("root" for the keys
// given at creation, else the account users'); all of them are meant for the instance's
// configured user, so they are returned unscoped, root's first.
func (akamaiProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	base := env.endpoint(EndpointMetadata, defaultMetadataURL)
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	token, err := akamaiToken(ctx, env, base)
	if err != nil {
		return Metadata{}, fmt.Errorf("akamai: token: %w", err)
	}
	opts := resource.Options{Headers: header("Metadata-Token", token, "Accept", "application/json")}
	var inst struct {
		ID     json.Number `json:"id"`
		Label  string      `json:"label"`
		Region string      `json:"region"`
	}
	var network struct {
		IPv4 struct {
			Public  []string `json:"public"`
			Private []string `json:"private"`
		} `json:"ipv4"`
		IPv6 struct {
			SLAAC string `json:"slaac"`
		} `json:"ipv6"`
	}
	var keys struct {
		Users map[string][]string `json:"users"`
	}
	for _, d := range []struct {
		path string
		dst  any
	}{{"/v1/instance", &inst}, {"/v1/network", &network}, {"/v1/ssh-keys", &keys}} {
		if err := metadataJSON(ctx, env, base+d.path, opts, d.dst); err != nil {
			return Metadata{}, fmt.Errorf("akamai: %w", err)
		}
	}
	m := Metadata{Hostname: inst.Label, InstanceID: inst.ID.String(), Region: inst.Region, IPv6Public: bareAddress(network.IPv6.SLAAC)}
	if a := network.IPv4.Public; len(a) > 0 {
		m.IPv4Public = bareAddress(a[0])
	}
	if a := network.IPv4.Private; len(a) > 0 {
		m.IPv4Private = bareAddress(a[0])
	}
	users := make([]string, 0, len(keys.Users))
	for u := range keys.Users {
		if u != "root" {
			users = append(users, u)
		}
	}
	sort.Strings(users)
	for _, u := range append([]string{"root"}, users...) {
		for _, k := range keys.Users[u] {
			m.SSHKeys = append(m.SSHKeys, lines(k)...)
		}
	}
	return m, nil
}
