package providers

import (
	"context"
	"encoding/pem"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/tests/emulators"
)

// metadataPlatform is a platform's metadata service with a described instance.
type metadataPlatform struct {
	id string
	// serve starts the emulator; without docs it serves none of the instance documents.
	serve func(docs bool) *emulators.Server
	tls   bool
	want  Metadata
}

// docsIf returns docs, or none.
func docsIf(ok bool, docs map[string]emulators.UserData) map[string]emulators.UserData {
	if !ok {
		return map[string]emulators.UserData{}
	}
	return docs
}

// orEmpty returns s, or "" (the emulators' "absent") without docs.
func orEmpty(ok bool, s string) string {
	if !ok {
		return ""
	}
	return s
}

var metadataPlatforms = []metadataPlatform{
	{
		id: "azure",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Azure(emulators.AzureOptions{Instance: orEmpty(docs, `{
				"compute": {"name": "vm-1", "vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "location": "westeurope", "zone": "2",
					"osProfile": {"computerName": "vm-1"},
					"publicKeys": [{"keyData": "ssh-rsa AAAA core@a\r\n", "path": "/home/core/.ssh/authorized_keys"}]},
				"network": {"interface": [{
					"ipv4": {"ipAddress": [{"privateIpAddress": "10.0.0.4", "publicIpAddress": "20.1.2.3"}], "subnet": [{"address": "10.0.0.0", "prefix": "24"}]},
					"ipv6": {"ipAddress": [{"privateIpAddress": "fd00::4", "publicIpAddress": "2603:1020::4"}]},
					"macAddress": "000D3A000001"}]}}`)}), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "vm-1", InstanceID: "02aab8a4-74ef-476e-8182-f6d2ba4166a6", Region: "westeurope", Zone: "2",
			IPv4Private: "10.0.0.4", IPv4Public: "20.1.2.3", IPv6Private: "fd00::4", IPv6Public: "2603:1020::4",
			SSHKeys: []string{"ssh-rsa AAAA core@a"}},
	},
	{
		id: "digitalocean",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{"/metadata/v1.json": []byte(`{
				"droplet_id": 2756294, "hostname": "sample-droplet", "region": "nyc3",
				"public_keys": ["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"],
				"interfaces": {
					"public": [{"ipv4": {"ip_address": "104.131.20.105", "netmask": "255.255.192.0", "gateway": "104.131.0.1"},
						"ipv6": {"ip_address": "2604:A880:0800:0010:0000:0000:017D:2001", "cidr": 64}, "mac": "04:01:2a:0f:2a:01", "type": "public"}],
					"private": [{"ipv4": {"ip_address": "10.132.255.113"}, "mac": "04:01:2a:0f:2a:02", "type": "private"}]},
				"dns": {"nameservers": ["8.8.8.8"]}}`)})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "sample-droplet", InstanceID: "2756294", Region: "nyc3",
			IPv4Private: "10.132.255.113", IPv4Public: "104.131.20.105", IPv6Public: "2604:A880:0800:0010:0000:0000:017D:2001",
			SSHKeys: []string{"ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"}},
	},
	{
		id: "hetzner",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{
				"/hetzner/v1/metadata": []byte(`availability-zone: fsn1-dc14
hostname: my-server
instance-id: 42
local-ipv4: ''
network-config:
  config:
  - mac_address: 96:00:00:00:00:01
    name: eth0
    subnets:
    - ipv4: true
      type: dhcp
    - address: 2a01:4f8:c17:1::1/64
      gateway: fe80::1
      ipv6: true
      type: static
    type: physical
  version: 1
public-ipv4: 116.203.0.1
public-keys:
- ssh-ed25519 AAAA me@laptop
region: eu-central
vendor_data: ''
`),
				"/hetzner/v1/metadata/private-networks": []byte("- ip: 10.0.0.2\n  alias_ips: []\n  interface_num: 1\n  network_id: 7\n"),
			})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "my-server", InstanceID: "42", Region: "eu-central", Zone: "fsn1-dc14",
			IPv4Private: "10.0.0.2", IPv4Public: "116.203.0.1", IPv6Public: "2a01:4f8:c17:1::1",
			SSHKeys: []string{"ssh-ed25519 AAAA me@laptop"}},
	},
	{
		id:  "packet",
		tls: true,
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.PacketDevice(emulators.PacketOptions{NoMetadata: !docs, Metadata: `{
				"id": "6e29a8c5-8f30-4a2e-9a8d-2f3b1b2f4a11", "hostname": "node-1", "metro": "da", "facility": "da11",
				"ssh_keys": ["ssh-rsa AAAA ops@x"],
				"network": {"addresses": [
					{"address_family": 4, "public": true, "management": true, "address": "147.75.1.2", "cidr": 31},
					{"address_family": 6, "public": true, "management": true, "address": "2604:1380:1::1", "cidr": 127},
					{"address_family": 4, "public": false, "management": true, "address": "10.70.1.3", "cidr": 31},
					{"address_family": 4, "public": true, "management": false, "address": "147.75.9.9", "cidr": 32}]},
				"phone_home_url": "https://metadata.packet.net/phone-home"}`}), emulators.Faults{}, true)
		},
		want: Metadata{Hostname: "node-1", InstanceID: "6e29a8c5-8f30-4a2e-9a8d-2f3b1b2f4a11", Region: "da", Zone: "da11",
			IPv4Private: "10.70.1.3", IPv4Public: "147.75.1.2", IPv6Public: "2604:1380:1::1", SSHKeys: []string{"ssh-rsa AAAA ops@x"}},
	},
	{
		id: "openstack",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{
				"/openstack/latest/meta_data.json": []byte(`{"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "test.novalocal",
					"name": "test", "availability_zone": "nova", "project_id": "p",
					"public_keys": {"zkey": "ssh-rsa ZZZZ z@z", "akey": "ssh-ed25519 AAAA a@a\n"},
					"keys": [{"name": "akey", "type": "ssh", "data": "ssh-ed25519 AAAA a@a\n"}]}`),
				"/latest/meta-data/local-ipv4":  []byte("10.0.0.5"),
				"/latest/meta-data/public-ipv4": []byte("172.24.4.10\n"),
			})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "test.novalocal", InstanceID: "83679162-1378-4288-a2d4-70e13ec132aa", Zone: "nova",
			IPv4Private: "10.0.0.5", IPv4Public: "172.24.4.10", SSHKeys: []string{"ssh-ed25519 AAAA a@a", "ssh-rsa ZZZZ z@z"}},
	},
	{
		id: "vultr",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{"/v1.json": []byte(`{
				"hostname": "vultr-guest", "instanceid": "13371337", "instance-v2-id": "a747bfz6-385a-46bb-9d2a-3a7a7e3aff43",
				"region": {"regioncode": "EWR"}, "public-keys": ["ssh-rsa AAAA v@v"],
				"interfaces": [
					{"network-type": "public", "mac": "56:00:00:00:00:01", "ipv4": {"address": "45.76.1.2", "netmask": "255.255.254.0"},
						"ipv6": {"address": "2001:19f0:5:1::1", "network": "2001:19f0:5:1::", "prefix": "64"}},
					{"network-type": "private", "mac": "5a:00:00:00:00:02", "ipv4": {"address": "10.1.96.3"}, "ipv6": {}}]}`)})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "vultr-guest", InstanceID: "a747bfz6-385a-46bb-9d2a-3a7a7e3aff43", Region: "EWR",
			IPv4Private: "10.1.96.3", IPv4Public: "45.76.1.2", IPv6Public: "2001:19f0:5:1::1", SSHKeys: []string{"ssh-rsa AAAA v@v"}},
	},
	{
		id: "exoscale",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{
				"/1.0/meta-data/instance-id":       []byte("8d0c5e2a-1b3c-4d5e-9f00-112233445566"),
				"/1.0/meta-data/local-hostname":    []byte("exo-vm"),
				"/1.0/meta-data/availability-zone": []byte("ch-gva-2"),
				"/1.0/meta-data/local-ipv4":        []byte("172.16.0.10"),
				"/1.0/meta-data/public-ipv4":       []byte("185.19.28.1"),
				"/1.0/meta-data/public-keys":       []byte("ssh-ed25519 AAAA e@e\n"),
			})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "exo-vm", InstanceID: "8d0c5e2a-1b3c-4d5e-9f00-112233445566", Zone: "ch-gva-2",
			IPv4Private: "172.16.0.10", IPv4Public: "185.19.28.1", SSHKeys: []string{"ssh-ed25519 AAAA e@e"}},
	},
	{
		id: "upcloud",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Paths(docsIf(docs, map[string]emulators.UserData{"/metadata/v1.json": []byte(`{
				"cloud_name": "upcloud", "instance_id": "00133099-f1fd-4ed3-a2ff-8d23d3d2f3b5", "hostname": "up-1", "region": "fi-hel2",
				"public_keys": ["ssh-rsa AAAA u@u"],
				"network": {"interfaces": [
					{"index": 1, "type": "public", "ip_addresses": [
						{"address": "94.237.9.9", "family": "IPv4", "floating": true},
						{"address": "94.237.1.2", "family": "IPv4", "floating": false, "dhcp": true}]},
					{"index": 2, "type": "utility", "ip_addresses": [{"address": "10.6.0.2", "family": "IPv4", "floating": false}]},
					{"index": 3, "type": "public", "ip_addresses": [{"address": "2a04:3540:1000::1", "family": "IPv6", "floating": false}]}]}}`)})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "up-1", InstanceID: "00133099-f1fd-4ed3-a2ff-8d23d3d2f3b5", Zone: "fi-hel2",
			IPv4Private: "10.6.0.2", IPv4Public: "94.237.1.2", IPv6Public: "2a04:3540:1000::1", SSHKeys: []string{"ssh-rsa AAAA u@u"}},
	},
	{
		id: "oraclecloud",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Oracle(docsIf(docs, map[string]emulators.UserData{
				"/opc/v2/instance/": []byte(`{"availabilityDomain": "EMIr:PHX-AD-1", "faultDomain": "FAULT-DOMAIN-3",
					"hostname": "oci-1", "id": "ocid1.instance.oc1.phx.abc", "region": "phx", "canonicalRegionName": "us-phoenix-1",
					"metadata": {"ssh_authorized_keys": "ssh-rsa AAAA o@o\nssh-ed25519 BBBB p@p"}}`),
				"/opc/v2/vnics/": []byte(`[{"vnicId": "ocid1.vnic.oc1.phx.x", "privateIp": "10.0.3.6", "vlanTag": 11,
					"macAddr": "00:00:17:00:00:01", "ipv6Addresses": ["2603:c020::6"]}]`),
			})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "oci-1", InstanceID: "ocid1.instance.oc1.phx.abc", Region: "us-phoenix-1", Zone: "EMIr:PHX-AD-1",
			IPv4Private: "10.0.3.6", IPv6Private: "2603:c020::6", SSHKeys: []string{"ssh-rsa AAAA o@o", "ssh-ed25519 BBBB p@p"}},
	},
	{
		id: "akamai",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.AkamaiService(emulators.AkamaiOptions{
				Instance: orEmpty(docs, `{"id": 12345678, "host_uuid": "h", "label": "linode-1", "region": "us-ord", "type": "g6-nanode-1", "tags": []}`),
				Network: orEmpty(docs, `{"interfaces": [], "ipv4": {"public": ["172.233.1.2/32"], "private": ["192.168.128.3/17"], "shared": []},
					"ipv6": {"slaac": "2600:3c06::f03c:94ff:fe00:1/128", "link_local": "fe80::f03c:94ff:fe00:1/128", "ranges": [], "shared_ranges": []}}`),
				SSHKeys: orEmpty(docs, `{"users": {"zed": ["ssh-rsa ZZZZ z@z"], "root": ["ssh-ed25519 AAAA r@r"], "amy": ["ssh-rsa BBBB a@a"]}}`),
			}), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "linode-1", InstanceID: "12345678", Region: "us-ord",
			IPv4Private: "192.168.128.3", IPv4Public: "172.233.1.2", IPv6Public: "2600:3c06::f03c:94ff:fe00:1",
			SSHKeys: []string{"ssh-ed25519 AAAA r@r", "ssh-rsa BBBB a@a", "ssh-rsa ZZZZ z@z"}},
	},
	{
		id: "scaleway",
		serve: func(docs bool) *emulators.Server {
			return emulators.Listen(emulators.Scaleway(docsIf(docs, map[string]emulators.UserData{"/conf": []byte(`{
				"id": "1f4d2a3b-aaaa-bbbb-cccc-0123456789ab", "name": "scw-1", "hostname": "scw-1", "commercial_type": "DEV1-S",
				"location": {"zone_id": "fr-par-1", "platform_id": "14"},
				"public_ip": {"address": "51.15.1.2", "dynamic": false, "family": "inet"}, "private_ip": "10.64.1.2",
				"ipv6": {"address": "2001:bc8:1::1", "gateway": "2001:bc8:1::", "netmask": "64"},
				"ssh_public_keys": [{"key": "ssh-ed25519 AAAA s@s", "fingerprint": "256 MD5:aa"}]}`)})), emulators.Faults{}, false)
		},
		want: Metadata{Hostname: "scw-1", InstanceID: "1f4d2a3b-aaaa-bbbb-cccc-0123456789ab", Region: "fr-par", Zone: "fr-par-1",
			IPv4Private: "10.64.1.2", IPv4Public: "51.15.1.2", IPv6Public: "2001:bc8:1::1", SSHKeys: []string{"ssh-ed25519 AAAA s@s"}},
	},
}

// metadataEnv is the Env for an emulator; roomy says whether a success case gets time for a
// loaded machine.
func metadataEnv(t *testing.T, p metadataPlatform, s *emulators.Server, roomy bool) *Env {
	t.Helper()
	env := testEnv(t, s.URL)
	if p.tls {
		env.Fetcher.CAs = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})}
	}
	if roomy {
		env.Fetcher.ResponseHeaders = 5 * time.Second
		env.Timing.Fetch = 15 * time.Second
	}
	return env
}

func TestMetadataProviders(t *testing.T) {
	for _, p := range metadataPlatforms {
		t.Run(p.id, func(t *testing.T) {
			prov, err := Get(p.id)
			if err != nil {
				t.Fatal(err)
			}
			mp, ok := prov.(MetadataProvider)
			if !ok {
				t.Fatalf("%s provider does not implement MetadataProvider", p.id)
			}
			t.Run("present", func(t *testing.T) {
				s := p.serve(true)
				t.Cleanup(s.Close)
				got, err := mp.Metadata(context.Background(), metadataEnv(t, p, s, true))
				if err != nil {
					t.Fatalf("Metadata() error = %v", err)
				}
				if diff := cmp.Diff(p.want, got); diff != "" {
					t.Errorf("Metadata() (-want +got):\n%s", diff)
				}
			})
			t.Run("missing document", func(t *testing.T) {
				s := p.serve(false)
				t.Cleanup(s.Close)
				got, err := mp.Metadata(context.Background(), metadataEnv(t, p, s, false))
				if err == nil || errors.Is(err, resource.ErrNeedsNetwork) {
					t.Errorf("Metadata() = %+v, %v, want an error", got, err)
				}
				if s.Count() == 0 {
					t.Error("Metadata() sent no request")
				}
			})
			t.Run("offline", func(t *testing.T) {
				s := p.serve(true)
				t.Cleanup(s.Close)
				env := metadataEnv(t, p, s, false)
				env.Fetcher.Offline = true
				if _, err := mp.Metadata(context.Background(), env); !errors.Is(err, resource.ErrNeedsNetwork) {
					t.Errorf("Metadata() offline error = %v, want ErrNeedsNetwork", err)
				}
				if s.Count() != 0 {
					t.Errorf("offline Metadata() sent %d requests, want 0", s.Count())
				}
			})
		})
	}
}

func TestMetadataSSHKeysFor(t *testing.T) {
	for _, id := range []string{"akamai", "openstack"} {
		t.Run(id, func(t *testing.T) {
			var p metadataPlatform
			for _, q := range metadataPlatforms {
				if q.id == id {
					p = q
				}
			}
			s := p.serve(true)
			t.Cleanup(s.Close)
			prov, _ := Get(id)
			// Unscoped keys belong to whichever user the agent installs them for.
			for _, user := range []string{"core", "root"} {
				keys, err := SSHKeysFor(context.Background(), metadataEnv(t, p, s, true), prov, user)
				if err != nil || !cmp.Equal(keys, p.want.SSHKeys) {
					t.Errorf("SSHKeysFor(%s) = %q, %v, want %q", user, keys, err, p.want.SSHKeys)
				}
			}
		})
	}
}

// The platforms whose services describe the instance, as docs/providers.md lists them.
func TestMetadataProvidersListed(t *testing.T) {
	want := []string{"akamai", "aws", "azure", "brightbox", "digitalocean", "exoscale", "gcp", "hetzner", "openstack",
		"oraclecloud", "packet", "scaleway", "upcloud", "vultr"}
	var got []string
	for _, id := range IDs() {
		p, _ := Get(id)
		if _, ok := p.(MetadataProvider); ok && id != "azurestack" {
			got = append(got, id)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata providers (-want +got):\n%s", diff)
	}
}

func TestAzureStackHasNoMetadata(t *testing.T) {
	p, _ := Get("azurestack")
	if _, err := SSHKeysFor(context.Background(), testEnv(t, "http://127.0.0.1:1"), p, "core"); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("SSHKeysFor(azurestack) error = %v, want ErrNoMetadata", err)
	}
}

func TestMetadataMalformed(t *testing.T) {
	s := emulators.Listen(emulators.Paths(map[string]emulators.UserData{"/metadata/v1.json": []byte(`{"droplet_id": "x"`)}), emulators.Faults{}, false)
	t.Cleanup(s.Close)
	p, _ := Get("digitalocean")
	if _, err := p.(MetadataProvider).Metadata(context.Background(), testEnv(t, s.URL)); !errors.Is(err, ErrMetadataFormat) {
		t.Errorf("Metadata() error = %v, want ErrMetadataFormat", err)
	}
}

// With a config drive, OpenStack describes the instance without the network.
func TestOpenStackDriveMetadata(t *testing.T) {
	files := map[string][]byte{
		"openstack/latest/meta_data.json": []byte(`{"uuid": "u-1", "hostname": "drive-vm", "availability_zone": "az1",
			"public_keys": {"k": "ssh-ed25519 AAAA k@k"}}`),
		"openstack/latest/network_data.json": []byte(`{"links": [], "networks": [
			{"id": "network0", "type": "ipv4_dhcp", "link": "tap0"},
			{"id": "network1", "type": "ipv4", "link": "tap0", "ip_address": "192.168.0.7", "netmask": "255.255.255.0"},
			{"id": "network2", "type": "ipv6", "link": "tap0", "ip_address": "fd00::7"}], "services": []}`),
	}
	tests := []struct {
		name  string
		label string
		image []byte
		want  Metadata
	}{
		{name: "iso9660 config-2", label: "config-2", image: emulators.BuildISO("config-2", files, emulators.ISOOptions{RockRidge: true}),
			want: Metadata{Hostname: "drive-vm", InstanceID: "u-1", Zone: "az1", IPv4Private: "192.168.0.7", IPv6Private: "fd00::7", SSHKeys: []string{"ssh-ed25519 AAAA k@k"}}},
		{name: "vfat CONFIG-2 without network_data.json", label: "CONFIG-2",
			image: emulators.BuildFAT("CONFIG-2", map[string][]byte{"openstack/latest/meta_data.json": files["openstack/latest/meta_data.json"]}),
			want:  Metadata{Hostname: "drive-vm", InstanceID: "u-1", Zone: "az1", SSHKeys: []string{"ssh-ed25519 AAAA k@k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t, "http://127.0.0.1:1")
			env.Fetcher.Offline = true
			attach(t, env.Root, tt.label, tt.image)
			p, _ := Get("openstack")
			got, err := p.(MetadataProvider).Metadata(context.Background(), env)
			if err != nil {
				t.Fatalf("Metadata() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Metadata() (-want +got):\n%s", diff)
			}
			if env.Fetcher.NeededNetwork() {
				t.Error("Metadata() from a config drive asked for the network")
			}
		})
	}
	t.Run("drive without meta_data.json", func(t *testing.T) {
		env := testEnv(t, "http://127.0.0.1:1")
		attach(t, env.Root, "config-2", emulators.BuildISO("config-2", map[string][]byte{"openstack/latest/user_data": []byte("{}")}, emulators.ISOOptions{RockRidge: true}))
		p, _ := Get("openstack")
		if _, err := p.(MetadataProvider).Metadata(context.Background(), env); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Metadata() error = %v, want fs.ErrNotExist", err)
		}
	})
}
