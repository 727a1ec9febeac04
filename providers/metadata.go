package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flint-provision/flint/internal/resource"
)

// Besides user data, clouds describe the instance: its name, id, location, addresses and the
// SSH keys its owner registered. Providers that can read these implement MetadataProvider;
// WriteMetadata records them in /run/metadata/flint as an environment file for units
// (EnvironmentFile=/run/metadata/flint), with the keys documented in docs/providers.md.

// Metadata describes an instance. Empty fields are unknown.
type Metadata struct {
	Hostname, InstanceID, Region, Zone string
	IPv4Private, IPv4Public            string
	IPv6Private, IPv6Public            string
	// SSHKeys are authorized_keys lines; GCP's are "user:key" and filtered by SSHKeysFor.
	SSHKeys []string
}

// MetadataProvider is a provider that can describe its instance.
type MetadataProvider interface {
	Metadata(ctx context.Context, env *Env) (Metadata, error)
}

// ErrNoMetadata is a platform whose provider cannot describe the instance.
var ErrNoMetadata = errors.New("platform offers no instance metadata")

// MetadataFile is where WriteMetadata writes, under the root.
const MetadataFile = "/run/metadata/flint"

// Env returns the environment-file lines of m, in a fixed order, empty fields left out.
func (m Metadata) Env() []string {
	var lines []string
	for _, kv := range [][2]string{
		{"FLINT_HOSTNAME", m.Hostname},
		{"FLINT_INSTANCE_ID", m.InstanceID},
		{"FLINT_REGION", m.Region},
		{"FLINT_ZONE", m.Zone},
		{"FLINT_IPV4_PRIVATE", m.IPv4Private},
		{"FLINT_IPV4_PUBLIC", m.IPv4Public},
		{"FLINT_IPV6_PRIVATE", m.IPv6Private},
		{"FLINT_IPV6_PUBLIC", m.IPv6Public},
	} {
		// A value spanning lines would smuggle in another variable: keep its first line.
		v, _, _ := strings.Cut(strings.TrimSpace(kv[1]), "\n")
		if v != "" {
			lines = append(lines, kv[0]+"="+v)
		}
	}
	return lines
}

// WriteMetadata writes m to <root>/run/metadata/flint atomically.
func WriteMetadata(root string, m Metadata) error {
	name := filepath.Join(root, MetadataFile)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	for _, l := range m.Env() {
		b.WriteString(l + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".flint-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// SSHKeysFor returns the platform's SSH keys for user, for the agent to install in the
// user's authorized_keys. Keys scoped to users ("user:key", as GCP stores them) are kept only
// for that user; unscoped keys belong to the configured user.
func SSHKeysFor(ctx context.Context, env *Env, p Provider, user string) ([]string, error) {
	mp, ok := p.(MetadataProvider)
	if !ok {
		return nil, fmt.Errorf("%s: %w", p.ID(), ErrNoMetadata)
	}
	m, err := mp.Metadata(ctx, env)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range m.SSHKeys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if owner, key, scoped := strings.Cut(k, ":"); scoped && !strings.Contains(owner, " ") {
			if owner == user {
				keys = append(keys, strings.TrimSpace(key))
			}
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// lines splits a multi-line metadata value, dropping blank lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ErrMetadataFormat is an instance description that does not parse.
var ErrMetadataFormat = errors.New("malformed instance metadata")

// metadataJSON fetches a whole instance document and decodes its JSON into dst. Unlike the
// optional values of metadataGet, a 404 is an error: every instance has its document, so a
// missing one means the service is not the platform's.
func metadataJSON(ctx context.Context, env *Env, url string, opts resource.Options, dst any) error {
	b, err := env.fetcher().Fetch(ctx, url, opts)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMetadataFormat, resource.Redact(url), err)
	}
	return nil
}

// bareAddress drops the prefix length of an address in CIDR notation ("10.0.0.2/24").
func bareAddress(s string) string {
	a, _, _ := strings.Cut(strings.TrimSpace(s), "/")
	return a
}

// regionOfZone is the region of a zone named <region>-<n> ("fr-par-1" is in "fr-par").
func regionOfZone(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return ""
}
