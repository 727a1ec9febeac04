package pxe

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// freePort returns a loopback TCP port nobody listens on (for etcd, which cannot take ":0").
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is etcd's log, written by the process and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startEtcd runs Debian's etcd (etcd-server) on loopback ports in a temporary directory until
// the test ends and returns its client URL.
func startEtcd(t testing.TB) string {
	t.Helper()
	return runEtcd(t, "http", nil, http.DefaultClient)
}

// runEtcd starts etcd with its client URL of scheme and extra flags; health is the client
// that asks it whether it is ready.
func runEtcd(t testing.TB, scheme string, extra []string, health *http.Client) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("etcd is not installed (apt-get install etcd-server; .ci/run does)")
	}
	client := fmt.Sprintf("%s://127.0.0.1:%d", scheme, freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	var log syncBuffer
	cmd := exec.Command(bin, "--name", "pxe", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "pxe="+peer)
	cmd.Args = append(cmd.Args, extra...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := health.Get(client + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "true") {
				return client
			}
		}
		select {
		case <-done:
			t.Fatalf("etcd exited: %v\n%s", cmd.ProcessState, log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd did not become healthy in 20 s:\n%s", log.String())
		}
	}
}

func newTestEtcdStore(t testing.TB, endpoints ...string) *EtcdStore {
	t.Helper()
	s, err := NewEtcdStore(EtcdOptions{Endpoints: endpoints, Prefix: "/test/" + t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEtcdStore(t *testing.T) {
	ep := startEtcd(t)
	ctx := context.Background()
	dir := testData(t)
	s := newTestEtcdStore(t, ep)
	st, err := s.Import(ctx, dir)
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	if want := (ImportStats{Groups: 5, Profiles: 4, Configs: 3}); st != want {
		t.Errorf("Import() = %+v, want %+v", st, want)
	}
	d := NewDirStore(dir)

	t.Run("groups and profiles as the directory has them", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			etcd, fs func(context.Context) (any, error)
		}{
			{"groups", func(ctx context.Context) (any, error) { return s.Groups(ctx) }, func(ctx context.Context) (any, error) { return d.Groups(ctx) }},
			{"profiles", func(ctx context.Context) (any, error) { return s.Profiles(ctx) }, func(ctx context.Context) (any, error) { return d.Profiles(ctx) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.etcd(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want, err := tc.fs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				sortByID(got)
				sortByID(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("etcd %s differ from the directory's (-want +got):\n%s", tc.name, diff)
				}
			})
		}
	})
	t.Run("configs", func(t *testing.T) {
		got, err := s.Config(ctx, "worker.yaml")
		if err != nil || string(got) != testConfigYAML {
			t.Errorf("Config(worker.yaml) = %q, %v, want %q", got, err, testConfigYAML)
		}
		if _, err := s.Config(ctx, "missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Config(missing.yaml) error = %v, want %v", err, fs.ErrNotExist)
		}
		for _, name := range []string{"", "../x", "/abs", "a/../b", ".."} {
			if _, err := s.Config(ctx, name); !errors.Is(err, ErrName) {
				t.Errorf("Config(%q) error = %v, want %v", name, err, ErrName)
			}
		}
	})
	t.Run("secret created once", func(t *testing.T) {
		a, err := s.Secret(ctx)
		if err != nil || len(a) < 16 {
			t.Fatalf("Secret() = %x, %v", a, err)
		}
		b, err := newTestEtcdStore(t, ep).Secret(ctx) // another prefix: another key
		if err != nil || bytes.Equal(a, b) {
			t.Errorf("Secret() under another prefix = %x, %v; want a new key", b, err)
		}
		again, err := s.Secret(ctx)
		if err != nil || !bytes.Equal(a, again) {
			t.Errorf("Secret() again = %x, %v, want %x", again, err, a)
		}
	})
	t.Run("status round trip", func(t *testing.T) {
		boot := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, id := range []string{"52-54-00-00-00-02", "52-54-00-00-00-01"} {
			err := s.RecordStatus(ctx, id, func(st *MachineStatus) error {
				st.recordBoot(boot, Labels{"mac": strings.ReplaceAll(id, "-", ":")}, "default", "worker")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := s.RecordStatus(ctx, "52-54-00-00-00-01", func(st *MachineStatus) error {
			st.apply(boot.Add(time.Minute), &StatusReport{Stage: "disks", Event: EventFailure, Message: "no disk"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ListStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []MachineStatus{
			{ID: "52-54-00-00-00-01", Labels: Labels{"mac": "52:54:00:00:00:01"}, Group: "default", Profile: "worker", Boots: 1, LastBoot: boot,
				Result: ResultFailed, Error: "disks: no disk", Updated: boot.Add(time.Minute),
				Stages: []StageStatus{{Name: "disks", Result: EventFailure, Finished: boot.Add(time.Minute), Message: "no disk"}}},
			{ID: "52-54-00-00-00-02", Labels: Labels{"mac": "52:54:00:00:00:02"}, Group: "default", Profile: "worker", Boots: 1, LastBoot: boot,
				Result: ResultBooted, Updated: boot},
		}
		if diff := cmp.Diff(want, list); diff != "" {
			t.Errorf("ListStatus() mismatch (-want +got):\n%s", diff)
		}
		if err := s.RecordStatus(ctx, "../x", func(*MachineStatus) error { return nil }); !errors.Is(err, ErrName) {
			t.Errorf("RecordStatus(../x) error = %v, want %v", err, ErrName)
		}
		errUpdate := errors.New("update refused")
		if err := s.RecordStatus(ctx, "52-54-00-00-00-01", func(*MachineStatus) error { return errUpdate }); !errors.Is(err, errUpdate) {
			t.Errorf("RecordStatus(failing update) error = %v, want %v", err, errUpdate)
		}
	})
	t.Run("listing in pages", func(t *testing.T) {
		p := newTestEtcdStore(t, ep)
		n := etcdPageSize*2 + 3
		ops := make([]etcdOp, n)
		for i := range ops {
			id := fmt.Sprintf("m%04d", i)
			ops[i] = etcdOp{Put: &etcdPut{Key: []byte(p.key(StatusDir, id)), Value: []byte(`{"id":"` + id + `"}`)}}
		}
		if err := p.applyOps(ctx, ops); err != nil {
			t.Fatal(err)
		}
		list, err := p.ListStatus(ctx)
		if err != nil || len(list) != n || list[n-1].ID != fmt.Sprintf("m%04d", n-1) {
			t.Errorf("ListStatus() = %d records, %v; want %d", len(list), err, n)
		}
	})
	t.Run("the official client reads what the store wrote", func(t *testing.T) {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r, err := c.Get(ctx, s.key(StatusDir, "52-54-00-00-00-02"))
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("clientv3 Get(status) = %v, %v", r, err)
		}
		var st MachineStatus
		if err := json.Unmarshal(r.Kvs[0].Value, &st); err != nil || st.Result != ResultBooted {
			t.Errorf("record read with clientv3 = %+v, %v", st, err)
		}
		// A key an operator wrote with etcdctl (or the official client) is the store's.
		key := []byte("0123456789abcdef-written-by-clientv3")
		o := newTestEtcdStore(t, ep)
		if _, err := c.Put(ctx, o.key(SecretFile), string(key)); err != nil {
			t.Fatal(err)
		}
		if got, err := o.Secret(ctx); err != nil || !bytes.Equal(got, key) {
			t.Errorf("Secret() = %q, %v, want the key put with clientv3 %q", got, err, key)
		}
	})
}

// sortByID orders a []Group or []Profile by ID, as the stores list them in different orders
// (file names against key names).
func sortByID(v any) {
	switch l := v.(type) {
	case []Group:
		sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	case []Profile:
		sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	}
}

func TestEtcdSecretRace(t *testing.T) {
	ep := startEtcd(t)
	const servers = 8
	keys := make([][]byte, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range servers {
		s := newTestEtcdStore(t, ep) // one store per server, on one prefix
		wg.Go(func() { keys[i], errs[i] = s.Secret(context.Background()) })
	}
	wg.Wait()
	for i := range servers {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("server %d: Secret() = %x, %v; server 0 has %x", i, keys[i], errs[i], keys[0])
		}
	}
}

// TestEtcdReplicas runs two servers on one etcd, as replicas behind one address: a token one
// issues the other accepts, and status reports posted to both at once are all recorded.
func TestEtcdReplicas(t *testing.T) {
	ep := startEtcd(t)
	ctx := context.Background()
	dir := testData(t)
	var urls []string
	for i := range 2 {
		s := &Server{Store: newTestEtcdStore(t, ep), DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if i == 0 {
			if _, err := s.Store.(Importer).Import(ctx, dir); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Check(ctx); err != nil {
			t.Fatalf("server %d: Check() = %v", i, err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
	}
	_, token := bootMachine(t, urls[0], "mac=52:54:00:00:00:01&hostname=alpha")
	if token == "" {
		t.Fatal("no token in the script")
	}
	t.Run("a token of one server opens the config on the other", func(t *testing.T) {
		code, body := get(t, urls[1]+"/config?token="+url.QueryEscape(token))
		if code != http.StatusOK || !strings.Contains(body, "/etc/whoami") {
			t.Errorf("GET /config on server 1 = %d %s", code, body)
		}
		code, body = get(t, urls[1]+"/config?token="+url.QueryEscape(token[:len(token)-2]+"xx"))
		if code != http.StatusForbidden {
			t.Errorf("GET /config with an altered token = %d %s, want 403", code, body)
		}
	})
	t.Run("concurrent reports to both servers are all recorded", func(t *testing.T) {
		const posts = 50
		var wg sync.WaitGroup
		codes := make([]int, posts)
		for i := range posts {
			wg.Go(func() {
				b, _ := json.Marshal(StatusReport{Token: token, Stage: fmt.Sprintf("stage-%02d", i), Event: EventStarted})
				resp, err := http.Post(urls[i%2]+"/status", "application/json", bytes.NewReader(b))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes[i] = resp.StatusCode
			})
		}
		wg.Wait()
		for i, c := range codes {
			if c != http.StatusNoContent {
				t.Errorf("post %d to server %d = %d, want 204", i, i%2, c)
			}
		}
		var list []MachineStatus
		_, body := get(t, urls[1]+"/status.json")
		if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 {
			t.Fatalf("/status.json = %s, %v", body, err)
		}
		got := map[string]bool{}
		for _, s := range list[0].Stages {
			got[s.Name] = true
		}
		for i := range posts {
			if name := fmt.Sprintf("stage-%02d", i); !got[name] {
				t.Errorf("the record lost %s (it has %d of %d stages)", name, len(got), posts)
			}
		}
		if list[0].Boots != 1 || list[0].Labels["hostname"] != "alpha" {
			t.Errorf("record = boots %d, labels %v; want the boot kept", list[0].Boots, list[0].Labels)
		}
	})
}

func TestEtcdImport(t *testing.T) {
	ep := startEtcd(t)
	ctx := context.Background()
	dir := testData(t)
	s := newTestEtcdStore(t, ep)
	if _, err := s.Import(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordStatus(ctx, "52-54-00-00-00-01", func(st *MachineStatus) error { st.Result = ResultBooted; return nil }); err != nil {
		t.Fatal(err)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groupIDs := func() []string {
		groups, err := s.Groups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range groups {
			ids = append(ids, g.ID)
		}
		return ids
	}

	t.Run("a broken directory changes nothing", func(t *testing.T) {
		for _, tc := range []struct{ name, file, content string }{
			{"group naming a missing profile", "groups/extra.yaml", "profile: nothing\n"},
			{"unknown key", "profiles/worker.yaml", "kernel: /k\nconfigs: worker.yaml\n"},
			{"missing config", "profiles/worker.yaml", "kernel: /k\nconfig: gone.yaml\n"},
			{"two files for one name", "groups/default.json", `{"profile": "worker"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bad := testData(t)
				writeTree(t, bad, map[string]string{tc.file: tc.content})
				if _, err := s.Import(ctx, bad); err == nil {
					t.Errorf("Import(%s) succeeded, want an error", tc.name)
				}
				want := []string{"broken", "db", "default", "embed", "invalid"}
				if diff := cmp.Diff(want, groupIDs()); diff != "" {
					t.Errorf("groups after a failed import (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("a new import replaces groups, profiles and configs and keeps status and key", func(t *testing.T) {
		for _, f := range []string{"groups/broken.yaml", "groups/invalid.yaml", "profiles/broken.json", "profiles/invalid.yaml", "configs/broken.yaml", "configs/invalid.ign"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		writeTree(t, dir, map[string]string{"groups/rack7.yaml": "profile: worker\nselector: {rack: \"7\"}\n", "configs/sub/extra.yaml": "x"})
		st, err := s.Import(ctx, dir)
		if want := (ImportStats{Groups: 4, Profiles: 2, Configs: 2, Removed: 6}); err != nil || st != want {
			t.Errorf("Import() = %+v, %v, want %+v", st, err, want)
		}
		if diff := cmp.Diff([]string{"db", "default", "embed", "rack7"}, groupIDs()); diff != "" {
			t.Errorf("groups after the import (-want +got):\n%s", diff)
		}
		if b, err := s.Config(ctx, "sub/extra.yaml"); err != nil || string(b) != "x" {
			t.Errorf("Config(sub/extra.yaml) = %q, %v", b, err)
		}
		if _, err := s.Config(ctx, "invalid.ign"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Config(invalid.ign) after its removal: error = %v, want %v", err, fs.ErrNotExist)
		}
		if list, err := s.ListStatus(ctx); err != nil || len(list) != 1 {
			t.Errorf("ListStatus() after the import = %v, %v; want the record kept", list, err)
		}
		if got, err := s.Secret(ctx); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("Secret() after the import = %x, %v, want %x", got, err, secret)
		}
	})
}

// TestEtcdLocalFiles: the etcd store has no directory for the local files a YAML config
// names, so such a config is a 500, not a config without the file.
func TestEtcdLocalFiles(t *testing.T) {
	ep := startEtcd(t)
	s := newTestEtcdStore(t, ep)
	err := s.applyOps(context.Background(), []etcdOp{
		{Put: &etcdPut{Key: []byte(s.key(GroupsDir, "all")), Value: []byte("profile: p\n")}},
		{Put: &etcdPut{Key: []byte(s.key(ProfilesDir, "p")), Value: []byte("kernel: /k\nconfig: local.yaml\n")}},
		{Put: &etcdPut{Key: []byte(s.key(ConfigsDir, "local.yaml")), Value: []byte("variant: flint\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/x\n      contents: {local: x}\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Store: s, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	_, token := bootMachine(t, ts.URL, "mac=52:54:00:00:00:09")
	if code, body := get(t, ts.URL+"/config?token="+url.QueryEscape(token)); code != http.StatusInternalServerError {
		t.Errorf("GET /config of a config with a local file = %d %s, want 500", code, body)
	}
}

func TestEtcdStoreURL(t *testing.T) {
	ep := startEtcd(t)
	host := strings.TrimPrefix(ep, "http://")
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	t.Run("endpoints and prefix", func(t *testing.T) {
		st, err := OpenStore("etcd://"+dead+","+host+"/site/a/", "")
		if err != nil {
			t.Fatal(err)
		}
		s := st.(*EtcdStore)
		if diff := cmp.Diff([]string{"http://" + dead, "http://" + host}, s.endpoints); diff != "" || s.Prefix != "/site/a" {
			t.Errorf("OpenStore() endpoints (-want +got):\n%s\nprefix %q, want /site/a", diff, s.Prefix)
		}
		// The first member does not answer: the store moves on to the second.
		if _, err := s.Secret(context.Background()); err != nil {
			t.Errorf("Secret() with the first endpoint down = %v", err)
		}
		st, err = OpenStore("etcd://"+host, "")
		if err != nil || st.(*EtcdStore).Prefix != DefaultEtcdPrefix {
			t.Errorf("OpenStore(no prefix) = %+v, %v, want prefix %s", st, err, DefaultEtcdPrefix)
		}
	})
	t.Run("every endpoint down", func(t *testing.T) {
		st, err := OpenStore("etcd://"+dead+"/p", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Groups(context.Background()); !errors.Is(err, ErrEtcd) {
			t.Errorf("Groups() error = %v, want %v", err, ErrEtcd)
		}
	})
	t.Run("TLS options", func(t *testing.T) {
		st, err := OpenStore("etcd://"+host+"/p?tls=1", "")
		if err != nil || st.(*EtcdStore).endpoints[0] != "https://"+host {
			t.Errorf("OpenStore(tls=1) = %+v, %v, want https", st, err)
		}
		notPEM := filepath.Join(t.TempDir(), "ca.pem")
		writeTree(t, filepath.Dir(notPEM), map[string]string{"ca.pem": "not a certificate"})
		for _, tc := range []struct{ name, query string }{
			{"cert without key", "cert=/c.pem"},
			{"missing CA file", "ca=/nonexistent/ca.pem"},
			{"CA file without a certificate", "ca=" + url.QueryEscape(notPEM)},
			{"missing client certificate", "cert=/nonexistent/c.pem&key=/nonexistent/k.pem"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if st, err := OpenStore("etcd://"+host+"/p?"+tc.query, ""); !errors.Is(err, ErrStoreScheme) {
					t.Errorf("OpenStore(%s) = %v, %v, want %v", tc.query, st, err, ErrStoreScheme)
				}
			})
		}
	})
	t.Run("no host", func(t *testing.T) {
		if st, err := OpenStore("etcd:///p", ""); !errors.Is(err, ErrStoreScheme) {
			t.Errorf("OpenStore(etcd:///p) = %v, %v, want %v", st, err, ErrStoreScheme)
		}
	})
}

// writeCert writes a certificate signed by parent (self-signed when parent is nil) and its
// key as PEM files dir/name.pem and dir/name-key.pem.
func writeCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{
		name + ".pem":     string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		name + "-key.pem": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
	})
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestEtcdTLS runs etcd with TLS and client certificate authentication: the store reaches it
// with ca, cert and key from its URL, and not without the client certificate.
func TestEtcdTLS(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caKey := writeCert(t, dir, "ca", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	writeCert(t, dir, "server", &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "etcd"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, ca, caKey)
	writeCert(t, dir, "client", &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "flint"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, caKey)
	p := func(name string) string { return filepath.Join(dir, name) }
	pair, err := tls.LoadX509KeyPair(p("client.pem"), p("client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	health := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	ep := runEtcd(t, "https", []string{"--cert-file", p("server.pem"), "--key-file", p("server-key.pem"),
		"--trusted-ca-file", p("ca.pem"), "--client-cert-auth"}, health)
	host := strings.TrimPrefix(ep, "https://")
	q := url.Values{"ca": {p("ca.pem")}, "cert": {p("client.pem")}, "key": {p("client-key.pem")}}
	t.Run("with the client certificate", func(t *testing.T) {
		st, err := OpenStore("etcd://"+host+"/tls?"+q.Encode(), "")
		if err != nil {
			t.Fatal(err)
		}
		if key, err := st.Secret(context.Background()); err != nil || len(key) != 32 {
			t.Errorf("Secret() over TLS = %x, %v", key, err)
		}
	})
	t.Run("without it", func(t *testing.T) {
		st, err := OpenStore("etcd://"+host+"/tls?ca="+url.QueryEscape(p("ca.pem")), "")
		if err != nil {
			t.Fatal(err)
		}
		if key, err := st.Secret(context.Background()); !errors.Is(err, ErrEtcd) {
			t.Errorf("Secret() without a client certificate = %x, %v, want %v", key, err, ErrEtcd)
		}
	})
}
