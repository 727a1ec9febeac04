package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/flint-provision/flint/internal/resource"
)

// openstack (and brightbox, which is OpenStack): the fetch-offline stage asks for the network
// at once (the metadata service is one of the sources). Then three sources race, first
// success wins: the config drive labelled config-2 (ISO 9660) and CONFIG-2 (VFAT), each polled
// every second with no deadline and read at openstack/latest/user_data (missing file: no user
// data), and the metadata service at 169.254.169.254 plus fe80::a9fe:a9fe on every up
// interface with IPv6 (404: no user data). If the metadata service fails and no drive
// appears, only the context ends the wait, as in the reference.

func init() {
	Register(openStackProvider{id: "openstack"})
	Register(openStackProvider{id: "brightbox"})
}

const (
	openStackUserData = "openstack/latest/user_data"
	drivePoll         = time.Second
)

type openStackProvider struct{ id string }

func (p openStackProvider) ID() string { return p.id }

func (p openStackProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	meta := httpSource{base: defaultMetadataURL, path: "/" + openStackUserData, notFoundIsEmpty: true}
	if err := requireNetwork(ctx, env, meta.url(env)); err != nil {
		return nil, err
	}
	sources := []source{
		configDrive(env, "config-2", openStackUserData, drivePoll, 0),
		configDrive(env, "CONFIG-2", openStackUserData, drivePoll, 0),
		func(ctx context.Context) ([]byte, error) { return meta.fetch(ctx, env) },
	}
	if env.Endpoints[EndpointMetadata] == "" {
		for _, base := range linkLocalMetadataURLs() {
			s := meta
			s.base = base
			sources = append(sources, func(ctx context.Context) ([]byte, error) { return s.fetch(ctx, env) })
		}
	}
	b, err := race(ctx, sources...)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("%s: %w", p.id, err)
	}
	return b, err
}

// configDrive is the source of file name on the drive labelled label.
func configDrive(env *Env, label, name string, poll, wait time.Duration) source {
	return func(ctx context.Context) ([]byte, error) {
		return readLabeledFile(ctx, env, label, name, env.pollInterval(poll), env.deviceWait(wait))
	}
}

// requireNetwork fails with resource.ErrNeedsNetwork in the fetch-offline stage, through the
// Fetcher so that it records the need; url is what would have been fetched.
func requireNetwork(ctx context.Context, env *Env, url string) error {
	if !env.fetcher().Offline {
		return nil
	}
	_, err := env.fetcher().Fetch(ctx, url, resource.Options{})
	return err
}

// linkLocalMetadataURLs returns the IPv6 link-local metadata address on every up,
// non-loopback interface that has an IPv6 address.
func linkLocalMetadataURLs() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var urls []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil {
				urls = append(urls, "http://[fe80::a9fe:a9fe%25"+ifc.Name+"]")
				break
			}
		}
	}
	return urls
}

// openStackMetadata is the instance part of meta_data.json.
type openStackMetadata struct {
	UUID             string            `json:"uuid"`
	Hostname         string            `json:"hostname"`
	AvailabilityZone string            `json:"availability_zone"`
	PublicKeys       map[string]string `json:"public_keys"`
}

// Metadata describes the instance from the config drive when one is attached (it needs no
// network: the drive's network_data.json gives the fixed addresses), else from the metadata
// service: meta_data.json and the EC2-compatible local-ipv4 and public-ipv4 (the floating
// address), which may be missing. Keys are sorted by name; OpenStack has no regions in the
// instance's view, only availability zones.
func (p openStackProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	for _, label := range []string{"config-2", "CONFIG-2"} {
		dev := env.labelPath(label)
		if _, err := os.Stat(dev); err != nil {
			continue
		}
		m, err := openStackDriveMetadata(ctx, env, dev)
		if err != nil {
			return Metadata{}, fmt.Errorf("%s: config drive %s: %w", p.id, label, err)
		}
		return m, nil
	}
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	base := env.endpoint(EndpointMetadata, defaultMetadataURL)
	var doc openStackMetadata
	if err := metadataJSON(ctx, env, base+"/openstack/latest/meta_data.json", resource.Options{}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := doc.metadata()
	for _, f := range []struct {
		key string
		dst *string
	}{{"local-ipv4", &m.IPv4Private}, {"public-ipv4", &m.IPv4Public}} {
		v, err := metadataGet(ctx, env, base+"/latest/meta-data/"+f.key, nil)
		if err != nil {
			return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
		}
		*f.dst = strings.TrimSpace(v)
	}
	return m, nil
}

// openStackDriveMetadata reads meta_data.json and, when present, network_data.json from the
// config drive dev.
func openStackDriveMetadata(ctx context.Context, env *Env, dev string) (Metadata, error) {
	b, err := readDevice(ctx, env, dev, "openstack/latest/meta_data.json")
	if err != nil {
		return Metadata{}, err
	}
	var doc openStackMetadata
	if err := json.Unmarshal(b, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%w: meta_data.json: %w", ErrMetadataFormat, err)
	}
	m := doc.metadata()
	b, err = readDevice(ctx, env, dev, "openstack/latest/network_data.json")
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return Metadata{}, err
	}
	var net struct {
		Networks []struct {
			Type      string `json:"type"`
			IPAddress string `json:"ip_address"`
		} `json:"networks"`
	}
	if err := json.Unmarshal(b, &net); err != nil {
		return Metadata{}, fmt.Errorf("%w: network_data.json: %w", ErrMetadataFormat, err)
	}
	for _, n := range net.Networks {
		switch {
		case n.Type == "ipv4" && m.IPv4Private == "":
			m.IPv4Private = n.IPAddress
		case n.Type == "ipv6" && m.IPv6Private == "":
			m.IPv6Private = n.IPAddress
		}
	}
	return m, nil
}

// metadata maps meta_data.json.
func (d openStackMetadata) metadata() Metadata {
	m := Metadata{Hostname: d.Hostname, InstanceID: d.UUID, Zone: d.AvailabilityZone}
	names := make([]string, 0, len(d.PublicKeys))
	for name := range d.PublicKeys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m.SSHKeys = append(m.SSHKeys, lines(d.PublicKeys[name])...)
	}
	return m
}
