package providers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/tests/emulators"
)

const testConfig = `{"ignition":{"version":"3.4.0"}}`

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testEnv is an Env with the waits shrunk so that every failure shows in well under 2 s.
func testEnv(t *testing.T, metadataURL string) *Env {
	t.Helper()
	return &Env{
		Fetcher: &resource.Fetcher{
			BackoffInitial:  5 * time.Millisecond,
			BackoffMax:      20 * time.Millisecond,
			ResponseHeaders: 200 * time.Millisecond,
		},
		Root:      t.TempDir(),
		Endpoints: map[string]string{EndpointMetadata: metadataURL},
		Timing:    Timing{Fetch: 600 * time.Millisecond, DevicePoll: 10 * time.Millisecond, DeviceWait: 200 * time.Millisecond, ReportBackoff: time.Millisecond},
	}
}

// httpPlatform describes how to emulate one HTTP platform.
type httpPlatform struct {
	id string
	// serve starts the platform's emulator with user data ud (nil: none set).
	serve func(ud emulators.UserData, f emulators.Faults) *emulators.Server
	// tls serves HTTPS; the test trusts the server's certificate.
	tls bool
	// waitsForever marks providers whose reference behaviour has a wait that only the context
	// bounds (the AWS init step, the OpenStack drive waiters).
	waitsForever bool
	// root is needed (Scaleway binds a privileged port).
	root bool
}

func paths(path string, absent emulators.UserData) func(emulators.UserData, emulators.Faults) *emulators.Server {
	return func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		if ud == nil {
			ud = absent
		}
		return emulators.Listen(emulators.Paths(map[string]emulators.UserData{path: ud}), f, false)
	}
}

func b64(ud emulators.UserData) emulators.UserData {
	if ud == nil {
		return nil
	}
	return emulators.UserData(base64.StdEncoding.EncodeToString(ud))
}

var httpPlatforms = []httpPlatform{
	{id: "aws", waitsForever: true, serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		return emulators.Listen(emulators.AWS(emulators.AWSOptions{UserData: ud, RequireToken: true}), f, false)
	}},
	{id: "gcp", serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		v := map[string]string{}
		if ud != nil {
			v["instance/attributes/user-data"] = string(ud)
		}
		return emulators.Listen(emulators.GCP(v), f, false)
	}},
	// DigitalOcean answers 200 with an empty body when no user data is set.
	{id: "digitalocean", serve: paths("/metadata/v1/user-data", emulators.UserData{})},
	{id: "hetzner", serve: paths("/hetzner/v1/userdata", nil)},
	{id: "vultr", serve: paths("/user-data/user-data", nil)},
	{id: "exoscale", serve: paths("/1.0/user-data", nil)},
	{id: "upcloud", serve: paths("/metadata/v1/user_data", nil)},
	{id: "aliyun", serve: paths("/latest/user-data", nil)},
	{id: "openstack", waitsForever: true, serve: paths("/openstack/latest/user_data", nil)},
	{id: "brightbox", waitsForever: true, serve: paths("/openstack/latest/user_data", nil)},
	{id: "oraclecloud", serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		return emulators.Listen(emulators.Oracle(map[string]emulators.UserData{"/opc/v2/instance/metadata/user_data": b64(ud)}), f, false)
	}},
	{id: "akamai", serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		return emulators.Listen(emulators.Akamai(ud), f, false)
	}},
	{id: "packet", tls: true, serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		var s *emulators.Server
		s = emulators.Listen(emulators.Packet(ud, func() string { return s.URL }), f, true)
		return s
	}},
	{id: "scaleway", root: true, serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		return emulators.Listen(emulators.Scaleway(map[string]emulators.UserData{"/user_data/cloud-init": ud}), f, false)
	}},
	{id: "azure", serve: func(ud emulators.UserData, f emulators.Faults) *emulators.Server {
		return emulators.Listen(emulators.Azure(emulators.AzureOptions{UserData: ud}), f, false)
	}},
}

// envFor starts nothing: it builds the Env for a running emulator.
func envFor(t *testing.T, p httpPlatform, s *emulators.Server) *Env {
	env := testEnv(t, s.URL)
	if p.tls {
		env.Fetcher.CAs = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})}
		env.Client = s.Client()
	}
	return env
}

func TestHTTPProviders(t *testing.T) {
	config := []byte(testConfig)
	gz := gzipped(t, config)
	for _, p := range httpPlatforms {
		t.Run(p.id, func(t *testing.T) {
			if p.root && os.Geteuid() != 0 {
				t.Skip("binding a privileged source port needs root")
			}
			prov, err := Get(p.id)
			if err != nil {
				t.Fatal(err)
			}
			fetch := func(t *testing.T, ud emulators.UserData, f emulators.Faults) ([]byte, *emulators.Server, error) {
				s := p.serve(ud, f)
				t.Cleanup(s.Close)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				env := envFor(t, p, s)
				// Cases that must succeed get room for a loaded machine; only "never answers"
				// keeps the short deadline.
				env.Fetcher.ResponseHeaders = 5 * time.Second
				env.Timing.Fetch = 15 * time.Second
				b, err := prov.FetchConfig(ctx, env)
				return b, s, err
			}
			decoded := func(t *testing.T, ud emulators.UserData) {
				t.Helper()
				b, _, err := fetch(t, ud, emulators.Faults{})
				if err != nil {
					t.Fatalf("FetchConfig() error = %v", err)
				}
				got, err := DecodeUserData(b)
				if err != nil {
					t.Fatalf("DecodeUserData() error = %v", err)
				}
				if diff := cmp.Diff(testConfig, string(got)); diff != "" {
					t.Errorf("decoded user data (-want +got):\n%s", diff)
				}
			}
			t.Run("present", func(t *testing.T) {
				b, _, err := fetch(t, config, emulators.Faults{})
				if err != nil || string(b) != testConfig {
					t.Errorf("FetchConfig() = %q, %v, want %q, nil", b, err, testConfig)
				}
			})
			t.Run("absent", func(t *testing.T) {
				if p.id == "azure" {
					t.Skip("azure without IMDS user data waits for the provisioning CD: TestAzure")
				}
				b, _, err := fetch(t, nil, emulators.Faults{})
				if !errors.Is(err, ErrNoConfig) {
					t.Errorf("FetchConfig() = %q, %v, want ErrNoConfig", b, err)
				}
			})
			t.Run("gzip", func(t *testing.T) { decoded(t, gz) })
			t.Run("base64 of gzip", func(t *testing.T) { decoded(t, emulators.UserData(base64.StdEncoding.EncodeToString(gz))) })
			t.Run("flapping", func(t *testing.T) {
				b, s, err := fetch(t, config, emulators.Faults{Flaps: 3})
				if err != nil || string(b) != testConfig {
					t.Errorf("FetchConfig() = %q, %v, want %q, nil", b, err, testConfig)
				}
				if s.Count() <= 3 {
					t.Errorf("server saw %d requests, want more than the 3 flaps", s.Count())
				}
			})
			t.Run("never answers", func(t *testing.T) {
				s := p.serve(config, emulators.Faults{Hang: true})
				t.Cleanup(s.Close)
				ctx := context.Background()
				if p.waitsForever {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 800*time.Millisecond)
					defer cancel()
				}
				start := time.Now()
				b, err := prov.FetchConfig(ctx, envFor(t, p, s))
				if !errors.Is(err, resource.ErrTimeout) {
					t.Errorf("FetchConfig() = %q, %v, want ErrTimeout", b, err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("FetchConfig() gave up after %v, want about its 0.6 s deadline", d)
				}
			})
		})
	}
}

func TestHTTPProvidersOffline(t *testing.T) {
	for _, p := range httpPlatforms {
		t.Run(p.id, func(t *testing.T) {
			s := p.serve([]byte(testConfig), emulators.Faults{})
			t.Cleanup(s.Close)
			env := envFor(t, p, s)
			env.Fetcher.Offline = true
			prov, _ := Get(p.id)
			_, err := prov.FetchConfig(context.Background(), env)
			if !errors.Is(err, resource.ErrNeedsNetwork) {
				t.Errorf("FetchConfig() offline error = %v, want ErrNeedsNetwork", err)
			}
			if !env.Fetcher.NeededNetwork() {
				t.Error("Fetcher.NeededNetwork() = false, want true")
			}
			if s.Count() != 0 {
				t.Errorf("offline fetch sent %d requests, want 0", s.Count())
			}
		})
	}
}

// Where a 404 is not "no user data", it fails.
func TestNotFoundIsAnError(t *testing.T) {
	for _, id := range []string{"digitalocean", "packet"} {
		t.Run(id, func(t *testing.T) {
			var p httpPlatform
			for _, q := range httpPlatforms {
				if q.id == id {
					p = q
				}
			}
			s := p.serve(nil, emulators.Faults{Status: http.StatusNotFound})
			t.Cleanup(s.Close)
			prov, _ := Get(id)
			_, err := prov.FetchConfig(context.Background(), envFor(t, p, s))
			if !errors.Is(err, resource.ErrNotFound) || errors.Is(err, ErrNoConfig) {
				t.Errorf("FetchConfig() error = %v, want ErrNotFound", err)
			}
		})
	}
}
