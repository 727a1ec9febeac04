package translate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vincent-petithory/dataurl"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/flint-provision/flint/config"
)

// TestClusterRealEtcd translates the cluster section of three machines, starts Debian's etcd
// three times exactly as the generated etcd-member.service would (its Environment= lines,
// the metadata the agent writes, its ExecStart= expanded as systemd expands it), and checks
// that the three members form one healthy cluster.
func TestClusterRealEtcd(t *testing.T) {
	tests := []struct {
		name string
		tls  bool
	}{
		{name: "plain", tls: false},
		{name: "tls", tls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runEtcdCluster(t, tt.tls) })
	}
}

func runEtcdCluster(t *testing.T, withTLS bool) {
	if testing.Short() {
		t.Skip("starts three etcd servers; skipped with -short")
	}
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		if etcdBin, err = exec.LookPath(etcdBinary); err != nil {
			t.Skip("etcd is not installed (apt-get install etcd-server etcd-client; .ci/run does)")
		}
	}
	const members = 3
	ports := freePorts(t, 2*members)
	dir := t.TempDir()
	scheme := "http"
	var pki *testPKI
	if withTLS {
		scheme = "https"
		pki = newTestPKI(t)
	}

	var cluster strings.Builder
	for i := range members {
		fmt.Fprintf(&cluster, "    - name: m%d\n      peer_urls: [\"%s://127.0.0.1:%d\"]\n", i+1, scheme, ports[2*i])
	}
	var clientURLs []string
	var cmds []*exec.Cmd
	var logs []*lockedBuffer
	for i := range members {
		peer, client := ports[2*i], ports[2*i+1]
		clientURLs = append(clientURLs, fmt.Sprintf("%s://127.0.0.1:%d", scheme, client))
		// The same document on every machine but for its ports: the member name and the
		// address come from the metadata ({HOSTNAME} is the default name).
		doc := fmt.Sprintf(`variant: flint
version: 1.0.0
cluster:
  data_dir: %s
  initial_cluster_token: flint-test
  initial_cluster:
%s  listen_peer_urls: ["%[3]s://{PRIVATE_IPV4}:%[4]d"]
  initial_advertise_peer_urls: ["%[3]s://{PRIVATE_IPV4}:%[4]d"]
  listen_client_urls: ["%[3]s://{PRIVATE_IPV4}:%[5]d"]
  advertise_client_urls: ["%[3]s://{PRIVATE_IPV4}:%[5]d"]
`, filepath.Join(dir, fmt.Sprintf("m%d", i+1)), cluster.String(), scheme, peer, client)
		if withTLS {
			doc += pki.yaml()
		}
		res, rep := Translate("cluster.yaml", []byte(doc), Options{})
		if rep.HasErrors() || res == nil {
			t.Fatalf("Translate(member %d) report:\n%v", i+1, rep)
		}
		// What the agent's files stage would write: the data directory and the TLS files,
		// here under a test root.
		root := filepath.Join(dir, fmt.Sprintf("root%d", i+1))
		moved := applyFiles(t, &res.Config, root)
		unit := findUnit(t, &res.Config, etcdUnit)
		metadata := map[string]string{"FLINT_HOSTNAME": fmt.Sprintf("m%d", i+1), "FLINT_IPV4_PRIVATE": "127.0.0.1"}
		argv, env := serviceCommand(t, unit, metadata)
		if argv[0] != etcdBinary {
			t.Fatalf("ExecStart runs %s, want %s", argv[0], etcdBinary)
		}
		argv[0] = etcdBin
		for j, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if to, ok := moved[v]; ok {
				env[j] = k + "=" + to
			}
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(env, "PATH=/usr/bin:/bin")
		log := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %v: %v", argv, err)
		}
		cmds, logs = append(cmds, cmd), append(logs, log)
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, l := range logs {
				t.Logf("etcd m%d log:\n%s", i+1, tail(l.String(), 3000))
			}
		}
	})

	cfg := clientv3.Config{Endpoints: clientURLs, DialTimeout: 5 * time.Second}
	if withTLS {
		cfg.TLS = pki.clientTLS()
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("clientv3.New: %v", err)
	}
	defer cli.Close()

	// Members start unnamed until they have joined; wait for all three names.
	deadline := time.Now().Add(60 * time.Second)
	var names []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		resp, err := cli.MemberList(ctx)
		cancel()
		names = names[:0]
		if err == nil {
			for _, m := range resp.Members {
				names = append(names, m.Name)
			}
			slices.Sort(names)
			if slices.Equal(names, []string{"m1", "m2", "m3"}) {
				break
			}
		}
		for i, c := range cmds {
			if c.ProcessState != nil {
				t.Fatalf("etcd m%d exited: %v", i+1, c.ProcessState)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MemberList = %q (err %v), want [m1 m2 m3]", names, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "/flint/test", "enrolled"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// Read back through each member, linearizably, so every member serves the cluster's data.
	for i, ep := range clientURLs {
		one, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, TLS: cfg.TLS})
		if err != nil {
			t.Fatalf("clientv3.New(%s): %v", ep, err)
		}
		resp, err := one.Get(ctx, "/flint/test")
		one.Close()
		if err != nil {
			t.Fatalf("Get through m%d: %v", i+1, err)
		}
		if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "enrolled" {
			t.Errorf("Get through m%d = %v, want enrolled", i+1, resp.Kvs)
		}
	}
}

// serviceCommand reads a unit and its drop-ins the way systemd starts its service: the
// environment from Environment= lines and from EnvironmentFile= (here the metadata the agent
// would write to /run/metadata/flint), and ExecStart= split into words with ${VAR} expanded.
func serviceCommand(t *testing.T, u config.Unit, metadata map[string]string) (argv, env []string) {
	t.Helper()
	texts := []string{*u.Contents}
	for _, d := range u.Dropins {
		texts = append(texts, *d.Contents)
	}
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	var exec string
	requires := false
	for _, text := range texts {
		section := ""
		text = strings.ReplaceAll(text, "\\\n", "")
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "[") {
				section = line
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			switch {
			case section == "[Unit]" && k == "Requires" && v == metadataUnit:
				requires = true
			case section != "[Service]":
			case k == "Environment":
				for _, w := range systemdWords(t, v) {
					name, val, _ := strings.Cut(unescapeSpecifiers(t, w), "=")
					set(name, val)
				}
			case k == "EnvironmentFile":
				if v != metadataFile {
					t.Fatalf("EnvironmentFile=%s, want %s", v, metadataFile)
				}
				for name, val := range metadata {
					set(name, val)
				}
			case k == "ExecStart":
				exec = v
			}
		}
	}
	if _, ok := vars["FLINT_HOSTNAME"]; !ok && strings.Contains(exec, "${FLINT_") {
		t.Fatalf("ExecStart uses the metadata, but no EnvironmentFile=%s", metadataFile)
	}
	if strings.Contains(exec, "${FLINT_") && !requires {
		t.Fatalf("ExecStart uses the metadata, but the unit does not require %s", metadataUnit)
	}
	for _, w := range systemdWords(t, exec) {
		argv = append(argv, expandVars(t, unescapeSpecifiers(t, w), vars))
	}
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return argv, env
}

// systemdWords splits a value into words: blanks separate them, double quotes group them.
func systemdWords(t *testing.T, s string) []string {
	var words []string
	var b strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			quoted, in = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			if in {
				words, in = append(words, b.String()), false
				b.Reset()
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %q", s)
	}
	if in {
		words = append(words, b.String())
	}
	return words
}

// unescapeSpecifiers resolves %%; the generator writes no other specifier.
func unescapeSpecifiers(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+1 >= len(s) || s[i+1] != '%' {
				t.Fatalf("unexpected specifier in %q", s)
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// expandVars expands ${VAR} and $$ as systemd does in ExecStart=.
func expandVars(t *testing.T, s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i++
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				t.Fatalf("unterminated ${ in %q", s)
			}
			name := s[i+2 : i+end]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("ExecStart uses ${%s}, which the unit's environment does not have", name)
			}
			b.WriteString(v)
			i += end
		case s[i] == '$':
			t.Fatalf("bare $ in %q", s)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func findUnit(t *testing.T, c *config.Config, name string) config.Unit {
	t.Helper()
	for _, u := range c.Systemd.Units {
		if u.Name == name && u.Contents != nil {
			return u
		}
	}
	t.Fatalf("no unit %s with contents in %+v", name, c.Systemd.Units)
	return config.Unit{}
}

// applyFiles creates the config's directories and files under root as the files stage would,
// and returns where each file path went.
func applyFiles(t *testing.T, c *config.Config, root string) map[string]string {
	t.Helper()
	for _, d := range c.Storage.Directories {
		// Data directories are absolute test paths already.
		if err := os.MkdirAll(d.Path, os.FileMode(*d.Mode)); err != nil {
			t.Fatal(err)
		}
	}
	moved := map[string]string{}
	for _, f := range c.Storage.Files {
		u, err := dataurl.DecodeString(*f.Contents.Source)
		if err != nil {
			t.Fatalf("file %s: %v", f.Path, err)
		}
		data := u.Data
		if f.Contents.Compression != nil && *f.Contents.Compression == "gzip" {
			r, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(r); err != nil {
				t.Fatal(err)
			}
		}
		to := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, os.FileMode(*f.Mode)); err != nil {
			t.Fatal(err)
		}
		moved[f.Path] = to
	}
	return moved
}

// freePorts finds n distinct free loopback ports.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// testPKI is a CA with one certificate for the members (server and peer, 127.0.0.1) and one
// for the test's client.
type testPKI struct {
	caPEM, serverCert, serverKey string
	client                       tls.Certificate
	pool                         *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "flint test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string) (certPEM, keyPEM string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	}
	p := &testPKI{caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.serverCert, p.serverKey = issue(2, "etcd member")
	cc, ck := issue(3, "flint test client")
	if p.client, err = tls.X509KeyPair([]byte(cc), []byte(ck)); err != nil {
		t.Fatal(err)
	}
	return p
}

// yaml is the client_tls and peer_tls part of the cluster section, inline.
func (p *testPKI) yaml() string {
	block := func(s string) string {
		return "|\n" + "        " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n        ") + "\n"
	}
	var b strings.Builder
	for _, side := range []string{"client_tls", "peer_tls"} {
		b.WriteString("  " + side + ":\n")
		b.WriteString("    cert:\n      inline: " + block(p.serverCert))
		b.WriteString("    key:\n      inline: " + block(p.serverKey))
		b.WriteString("    trusted_ca:\n      inline: " + block(p.caPEM))
	}
	return b.String()
}

func (p *testPKI) clientTLS() *tls.Config {
	return &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12}
}
