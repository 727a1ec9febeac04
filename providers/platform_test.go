package providers

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/tests/emulators"
)

func TestAWSTokenFlow(t *testing.T) {
	tests := []struct {
		name      string
		opts      emulators.AWSOptions
		faults    emulators.Faults
		want      string
		wantErr   error
		wantToken bool
	}{
		{name: "IMDSv2", opts: emulators.AWSOptions{UserData: []byte(testConfig), RequireToken: true}, want: testConfig, wantToken: true},
		{name: "IMDSv1 fallback on 404", opts: emulators.AWSOptions{UserData: []byte(testConfig), V1Only: true}, want: testConfig},
		{name: "token refused", faults: emulators.Faults{Status: http.StatusForbidden}, wantErr: resource.ErrFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := emulators.Listen(emulators.AWS(tt.opts), tt.faults, false)
			t.Cleanup(s.Close)
			p, _ := Get("aws")
			got, err := p.FetchConfig(context.Background(), testEnv(t, s.URL))
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Fatalf("FetchConfig() = %q, %v, want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/2019-10-01/user-data" {
				t.Errorf("user data path = %s, want /2019-10-01/user-data", last.Path)
			}
			if got := last.Header.Get("X-Aws-Ec2-Metadata-Token") != ""; got != tt.wantToken {
				t.Errorf("user data request has a token: %v, want %v", got, tt.wantToken)
			}
			for _, r := range reqs[:len(reqs)-1] {
				if r.Method != http.MethodPut || r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "21600" {
					t.Errorf("token request = %s %s ttl %q, want PUT with ttl 21600", r.Method, r.Path, r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
				}
			}
		})
	}
}

func TestAWSMetadata(t *testing.T) {
	s := emulators.Listen(emulators.AWS(emulators.AWSOptions{RequireToken: true, Metadata: map[string]string{
		"hostname": "ip-10-0-0-1", "instance-id": "i-0abc", "placement/region": "eu-west-1",
		"placement/availability-zone": "eu-west-1a", "local-ipv4": "10.0.0.1", "public-ipv4": "203.0.113.1",
		"public-keys/": "0=me", "public-keys/0/openssh-key": "ssh-ed25519 AAAA me",
	}}), emulators.Faults{}, false)
	t.Cleanup(s.Close)
	env := testEnv(t, s.URL)
	p, _ := Get("aws")
	m, err := p.(MetadataProvider).Metadata(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{Hostname: "ip-10-0-0-1", InstanceID: "i-0abc", Region: "eu-west-1", Zone: "eu-west-1a",
		IPv4Private: "10.0.0.1", IPv4Public: "203.0.113.1", SSHKeys: []string{"ssh-ed25519 AAAA me"}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Metadata() (-want +got):\n%s", diff)
	}
	if err := WriteMetadata(env.Root, m); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(env.Root, MetadataFile))
	wantFile := "FLINT_HOSTNAME=ip-10-0-0-1\nFLINT_INSTANCE_ID=i-0abc\nFLINT_REGION=eu-west-1\nFLINT_ZONE=eu-west-1a\n" +
		"FLINT_IPV4_PRIVATE=10.0.0.1\nFLINT_IPV4_PUBLIC=203.0.113.1\n"
	if diff := cmp.Diff(wantFile, string(b)); diff != "" {
		t.Errorf("metadata file (-want +got):\n%s", diff)
	}
}

func TestGCPMetadataSSHKeys(t *testing.T) {
	s := emulators.Listen(emulators.GCP(map[string]string{
		"instance/hostname": "vm-1.c.proj.internal", "instance/id": "123", "instance/zone": "projects/9/zones/us-central1-a",
		"project/attributes/ssh-keys":  "core:ssh-rsa AAA core@x\nother:ssh-rsa BBB other@y\n",
		"instance/attributes/ssh-keys": "core:ssh-ed25519 CCC core@z",
	}), emulators.Faults{}, false)
	t.Cleanup(s.Close)
	p, _ := Get("gcp")
	keys, err := SSHKeysFor(context.Background(), testEnv(t, s.URL), p, "core")
	want := []string{"ssh-rsa AAA core@x", "ssh-ed25519 CCC core@z"}
	if err != nil || !cmp.Equal(keys, want) {
		t.Errorf("SSHKeysFor(core) = %q, %v, want %q", keys, err, want)
	}
	m, _ := p.(MetadataProvider).Metadata(context.Background(), testEnv(t, s.URL))
	if m.Zone != "us-central1-a" || m.Region != "us-central1" {
		t.Errorf("Metadata() zone, region = %q, %q, want us-central1-a, us-central1", m.Zone, m.Region)
	}
	if _, err := SSHKeysFor(context.Background(), testEnv(t, s.URL), metalProvider{}, "core"); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("SSHKeysFor(metal) error = %v, want ErrNoMetadata", err)
	}
}

func TestAzure(t *testing.T) {
	cd := func(files map[string][]byte) []byte {
		return emulators.BuildISO("rd_rdfe", files, emulators.ISOOptions{RockRidge: true})
	}
	ovf := []byte("<Environment/>")
	tests := []struct {
		name     string
		platform string
		imds     emulators.AzureOptions
		cd       []byte
		want     string
		wantErr  error
	}{
		{name: "IMDS after 404, 410, 429", platform: "azure", imds: emulators.AzureOptions{UserData: []byte(testConfig), Phases: []int{404, 410, 429}}, want: testConfig},
		{name: "IMDS never ready", platform: "azure", imds: emulators.AzureOptions{Phases: make410s(1000)}, wantErr: resource.ErrTimeout},
		{name: "CD custom data", platform: "azurestack", cd: cd(map[string][]byte{"ovf-env.xml": ovf, "CustomData.bin": []byte(testConfig)}), want: testConfig},
		{name: "CD without custom data", platform: "azurestack", cd: cd(map[string][]byte{"ovf-env.xml": ovf}), wantErr: ErrNoConfig},
		{name: "CD without ovf-env.xml is not the CD", platform: "azurestack", cd: cd(map[string][]byte{"CustomData.bin": []byte(testConfig)}), wantErr: context.DeadlineExceeded},
		// azure's CD is UDF: an ISO 9660 one is passed over.
		{name: "empty IMDS user data, ISO CD ignored", platform: "azure", cd: cd(map[string][]byte{"ovf-env.xml": ovf, "CustomData.bin": []byte(testConfig)}), wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.platform+"/"+tt.name, func(t *testing.T) {
			s := emulators.Listen(emulators.Azure(tt.imds), emulators.Faults{}, false)
			t.Cleanup(s.Close)
			env := testEnv(t, s.URL)
			if tt.cd != nil {
				attach(t, env.Root, "rd_rdfe", tt.cd)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p, _ := Get(tt.platform)
			got, err := p.FetchConfig(ctx, env)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("FetchConfig() = %q, %v, want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("azure/invalid base64", func(t *testing.T) {
		s := emulators.Listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{not base64")) }), emulators.Faults{}, false)
		t.Cleanup(s.Close)
		p, _ := Get("azure")
		if _, err := p.FetchConfig(context.Background(), testEnv(t, s.URL)); !errors.Is(err, ErrBase64) {
			t.Errorf("FetchConfig() error = %v, want ErrBase64", err)
		}
	})
}

func make410s(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = http.StatusGone
	}
	return s
}

func TestReportReady(t *testing.T) {
	ws := emulators.Wireserver{Versions: []string{"2012-11-30", "2015-04-05"}, Incarnation: "3", ContainerID: "c-1", InstanceID: "i-1"}
	s := emulators.Listen(ws.Handler(), emulators.Faults{Flaps: 2}, false)
	t.Cleanup(s.Close)
	env := testEnv(t, "")
	env.Endpoints[EndpointWireserver] = s.URL
	if err := ReportReady(context.Background(), env); err != nil {
		t.Fatalf("ReportReady() = %v", err)
	}
	reqs := s.Requests()
	health := reqs[len(reqs)-1]
	var doc struct {
		XMLName     xml.Name `xml:"Health"`
		Incarnation string   `xml:"GoalStateIncarnation"`
		ContainerID string   `xml:"Container>ContainerId"`
		InstanceID  string   `xml:"Container>RoleInstanceList>Role>InstanceId"`
		State       string   `xml:"Container>RoleInstanceList>Role>Health>State"`
	}
	if err := xml.Unmarshal(health.Body, &doc); err != nil {
		t.Fatalf("health body %q: %v", health.Body, err)
	}
	if doc.Incarnation != "3" || doc.ContainerID != "c-1" || doc.InstanceID != "i-1" || doc.State != "Ready" {
		t.Errorf("health report = %+v, want incarnation 3, c-1, i-1, Ready", doc)
	}
	if !strings.HasPrefix(string(health.Body), "<?xml") || health.Header.Get("x-ms-version") != "2012-11-30" {
		t.Errorf("health report lacks the XML declaration or x-ms-version: %q", health.Body)
	}

	t.Run("unsupported version", func(t *testing.T) {
		s := emulators.Listen(emulators.Wireserver{Versions: []string{"2015-04-05"}}.Handler(), emulators.Faults{}, false)
		t.Cleanup(s.Close)
		env := testEnv(t, "")
		env.Endpoints[EndpointWireserver] = s.URL
		if err := ReportReady(context.Background(), env); !errors.Is(err, ErrWireserver) {
			t.Errorf("ReportReady() = %v, want ErrWireserver", err)
		}
	})
	t.Run("fabric address from DHCP option 245", func(t *testing.T) {
		env := testEnv(t, "")
		dir := filepath.Join(env.Root, "run/systemd/netif/leases")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "2"), []byte("ADDRESS=10.0.0.4\nOPTION_245=a8:3f:81:10\n"), 0o644)
		if got := wireserverURL(env); got != "http://168.63.129.16" {
			t.Errorf("wireserverURL() = %s, want http://168.63.129.16", got)
		}
		os.WriteFile(filepath.Join(dir, "2"), []byte("OPTION_245=0a000001\n"), 0o644)
		if got := wireserverURL(env); got != "http://10.0.0.1" {
			t.Errorf("wireserverURL() = %s, want http://10.0.0.1", got)
		}
	})
}

func TestPhoneHome(t *testing.T) {
	var s *emulators.Server
	s = emulators.Listen(emulators.Packet(nil, func() string { return s.URL }), emulators.Faults{}, true)
	t.Cleanup(s.Close)
	env := testEnv(t, s.URL)
	env.Client = s.Client()
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{name: "success", want: `{"state":"running","message":"[files] Ignition status: finished successfully"}`},
		{name: "failure", err: errors.New("boom"), want: `{"state":"failed","message":"[files] Ignition error: boom"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := PhoneHome(context.Background(), env, "files", tt.err); err != nil {
				t.Fatal(err)
			}
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/events" || string(last.Body) != tt.want {
				t.Errorf("event = %s %s, want /events %s", last.Path, last.Body, tt.want)
			}
		})
	}
}

func TestQEMU(t *testing.T) {
	tests := []struct {
		name      string
		size, raw string // "" leaves the file out
		want      string
		wantErr   error
	}{
		{name: "config", size: "33", raw: testConfig, want: testConfig},
		{name: "no entry", wantErr: ErrNoConfig},
		{name: "size lies", size: "5", raw: testConfig, wantErr: ErrMissingEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t, "")
			entry := filepath.Join(env.Root, fwCfgEntry)
			os.MkdirAll(filepath.Join(env.Root, fwCfgDir, "by_name"), 0o755)
			if tt.size != "" {
				os.MkdirAll(entry, 0o755)
				os.WriteFile(filepath.Join(entry, "size"), []byte(tt.size+"\n"), 0o644)
				os.WriteFile(filepath.Join(entry, "raw"), []byte(tt.raw), 0o644)
			}
			got, err := qemuProvider{arch: "amd64"}.FetchConfig(context.Background(), env)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("FetchConfig() = %q, %v, want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("loads the module", func(t *testing.T) {
		env := testEnv(t, "")
		var loaded []string
		env.Modprobe = func(_ context.Context, m string) error { loaded = append(loaded, m); return nil }
		_, err := qemuProvider{arch: "amd64"}.FetchConfig(context.Background(), env)
		if !errors.Is(err, ErrNoConfig) || !cmp.Equal(loaded, []string{"qemu_fw_cfg"}) {
			t.Errorf("FetchConfig() = %v, loaded %v, want ErrNoConfig, [qemu_fw_cfg]", err, loaded)
		}
	})
	t.Run("s390x virtio disk", func(t *testing.T) {
		env := testEnv(t, "")
		env.Modprobe = func(context.Context, string) error { return nil }
		os.MkdirAll(filepath.Join(env.Root, "dev/disk/by-id"), 0o755)
		os.WriteFile(filepath.Join(env.Root, virtioDisk), append([]byte(testConfig), make([]byte, 512)...), 0o644)
		got, err := qemuProvider{arch: "s390x"}.FetchConfig(context.Background(), env)
		if err != nil || string(got) != testConfig {
			t.Errorf("FetchConfig() = %q, %v, want %q", got, err, testConfig)
		}
	})
}

func TestVMware(t *testing.T) {
	gz := gzipped(t, []byte(testConfig))
	ovf := `<?xml version="1.0"?><Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"><PropertySection>` +
		`<Property oe:key="guestinfo.ignition.config.data" oe:value="` + base64.StdEncoding.EncodeToString([]byte(`{"from":"ovf"}`)) + `"/>` +
		`<Property oe:key="guestinfo.ignition.config.data.encoding" oe:value="base64"/></PropertySection></Environment>`
	tests := []struct {
		name    string
		vars    map[string]string
		want    string
		wantErr error
	}{
		{name: "raw", vars: map[string]string{"ignition.config.data": testConfig}, want: testConfig},
		{name: "base64", vars: map[string]string{"ignition.config.data": base64.StdEncoding.EncodeToString([]byte(testConfig)), "ignition.config.data.encoding": "b64"}, want: testConfig},
		{name: "gzip", vars: map[string]string{"ignition.config.data": string(gz), "ignition.config.data.encoding": "gz"}, want: testConfig},
		{name: "gzip+base64", vars: map[string]string{"ignition.config.data": base64.StdEncoding.EncodeToString(gz), "ignition.config.data.encoding": "gzip+base64"}, want: testConfig},
		{name: "unknown encoding", vars: map[string]string{"ignition.config.data": "x", "ignition.config.data.encoding": "rot13"}, wantErr: ErrEncoding},
		{name: "bad base64", vars: map[string]string{"ignition.config.data": "!!", "ignition.config.data.encoding": "base64"}, wantErr: ErrBase64},
		{name: "absent", vars: map[string]string{}, wantErr: ErrNoConfig},
		{name: "ovf default", vars: map[string]string{"ovfenv": ovf}, want: `{"from":"ovf"}`},
		{name: "direct over ovf", vars: map[string]string{"ovfenv": ovf, "ignition.config.data": testConfig}, want: testConfig},
		{name: "flint name over ignition name", vars: map[string]string{"ignition.config.data": "x", "flint.config.data": testConfig}, want: testConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t, "")
			os.MkdirAll(filepath.Join(env.Root, "sys/class/dmi/id"), 0o755)
			os.WriteFile(filepath.Join(env.Root, "sys/class/dmi/id/sys_vendor"), []byte("VMware, Inc.\n"), 0o644)
			env.GuestInfo = func(_ context.Context, key string) (string, bool, error) { v, ok := tt.vars[key]; return v, ok, nil }
			got, err := vmwareProvider{arch: "amd64"}.FetchConfig(context.Background(), env)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("FetchConfig() = %q, %v, want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("not VMware", func(t *testing.T) {
		if _, err := (vmwareProvider{arch: "amd64"}).FetchConfig(context.Background(), testEnv(t, "")); !errors.Is(err, ErrNotOnline) {
			t.Errorf("FetchConfig() error = %v, want ErrNotOnline", err)
		}
	})
	t.Run("arm64", func(t *testing.T) {
		if _, err := (vmwareProvider{arch: "arm64"}).FetchConfig(context.Background(), testEnv(t, "")); !errors.Is(err, ErrUnsupportedArch) {
			t.Errorf("FetchConfig() error = %v, want ErrUnsupportedArch", err)
		}
	})
}

func TestDecodeUserDataRefusals(t *testing.T) {
	gz := gzipped(t, []byte(testConfig))
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{name: "empty", in: []byte{}, want: ""},
		{name: "json", in: []byte(testConfig), want: testConfig},
		{name: "gzip", in: gz, want: testConfig},
		{name: "base64", in: []byte(base64.StdEncoding.EncodeToString([]byte(testConfig))), want: testConfig},
		{name: "base64 wrapped lines", in: []byte(base64.StdEncoding.EncodeToString(gz)[:20] + "\n" + base64.StdEncoding.EncodeToString(gz)[20:] + "\n"), want: testConfig},
		{name: "base64 of gzip", in: []byte(base64.StdEncoding.EncodeToString(gz)), want: testConfig},
		{name: "base64 of text stays", in: []byte("aGVsbG8="), want: "aGVsbG8="},
		{name: "cloud-config", in: []byte("#cloud-config\nusers: []\n"), wantErr: ErrCloudConfig},
		{name: "gzipped cloud-config", in: gzipped(t, []byte("#cloud-config\n")), wantErr: ErrCloudConfig},
		{name: "script", in: []byte("#!/bin/sh\necho hi\n"), wantErr: ErrScript},
		{name: "broken gzip", in: []byte{0x1f, 0x8b, 0, 0}, wantErr: ErrGzip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeUserData(tt.in)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("DecodeUserData(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeUserData(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte("H4sIAAAAAAAA/6pWyk0tSc9ITbZSKEktLlGyUkpKLFGqBQQAAP//"))
	f.Add([]byte("#cloud-config\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeUserData(b)
	})
}
