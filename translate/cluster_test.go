package translate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/config"
)

const disc = "  discovery: https://discovery.example.com/abc\n"

func TestClusterDiagnostics(t *testing.T) {
	errSev, warnSev := config.SeverityError, config.SeverityWarning
	checkPositions(t, []positionCase{
		{name: "no bootstrap", doc: header + "cluster:\n  »name: a\n",
			wantErr: ErrClusterBootstrap, wantSev: errSev, wantPath: "$.cluster"},
		{name: "static and discovery", doc: header + "cluster:\n  initial_cluster: [{name: a, peer_urls: [\"http://h:2380\"]}]\n  discovery: »https://d.example.com/x\n  name: a\n",
			wantErr: ErrTooManySources, wantSev: errSev, wantPath: "$.cluster.discovery"},
		{name: "unknown placeholder", doc: header + "cluster:\n" + disc + "  advertise_client_urls: [»\"http://{PRIVATE_IP}:2379\"]\n",
			wantErr: ErrPlaceholder, wantSev: errSev, wantPath: "$.cluster.advertise_client_urls.0"},
		{name: "unbalanced placeholder", doc: header + "cluster:\n" + disc + "  name: »\"{HOSTNAME\"\n",
			wantErr: ErrPlaceholderSyntax, wantSev: errSev, wantPath: "$.cluster.name"},
		{name: "not a URL", doc: header + "cluster:\n" + disc + "  listen_peer_urls: [»10.0.0.1:2380]\n",
			wantErr: ErrClusterURL, wantSev: errSev, wantPath: "$.cluster.listen_peer_urls.0"},
		{name: "name not a member", doc: header + "cluster:\n  name: »z\n  initial_cluster:\n    - name: a\n      peer_urls: [\"http://h:2380\"]\n",
			wantErr: ErrClusterNotMember, wantSev: errSev, wantPath: "$.cluster.name"},
		{name: "member twice", doc: header + "cluster:\n  name: a\n  initial_cluster:\n    - name: a\n      peer_urls: [\"http://h:2380\"]\n    - name: »a\n      peer_urls: [\"http://i:2380\"]\n",
			wantErr: ErrClusterDupMember, wantSev: errSev, wantPath: "$.cluster.initial_cluster.1.name"},
		{name: "member without URLs", doc: header + "cluster:\n  name: a\n  initial_cluster:\n    - »name: a\n",
			wantErr: ErrClusterPeerURLs, wantSev: errSev, wantPath: "$.cluster.initial_cluster.0"},
		{name: "https without TLS", doc: header + "cluster:\n" + disc + "  listen_client_urls: [»https://0.0.0.0:2379]\n",
			wantErr: ErrClusterNeedsTLS, wantSev: errSev, wantPath: "$.cluster.listen_client_urls.0"},
		{name: "cert without key", doc: header + "cluster:\n" + disc + "  peer_tls:\n    »cert:\n      inline: x\n",
			wantErr: ErrClusterTLSPair, wantSev: errSev, wantPath: "$.cluster.peer_tls"},
		{name: "bad state", doc: header + "cluster:\n" + disc + "  initial_cluster_state: »old\n",
			wantErr: ErrClusterState, wantSev: errSev, wantPath: "$.cluster.initial_cluster_state"},
		{name: "relative data_dir", doc: header + "cluster:\n" + disc + "  data_dir: »var/lib/etcd\n",
			wantErr: ErrClusterDataDir, wantSev: errSev, wantPath: "$.cluster.data_dir"},
		{name: "placeholder in data_dir", doc: header + "cluster:\n" + disc + "  data_dir: »/var/lib/{HOSTNAME}\n",
			wantErr: ErrPlaceholderNotHere, wantSev: errSev, wantPath: "$.cluster.data_dir"},
		{name: "user with a slash", doc: header + "cluster:\n" + disc + "  user: »a/b\n",
			wantErr: ErrClusterUser, wantSev: errSev, wantPath: "$.cluster.user"},
		{name: "TLS file the user writes too", doc: header + "storage:\n  files:\n    - path: /etc/etcd-member/tls/client.crt\n      contents: {inline: a}\n" +
			"cluster:\n" + disc + "  client_tls:\n    cert:\n      »inline: x\n    key:\n      inline: y\n",
			wantErr: ErrGeneratedConflict, wantSev: errSev, wantPath: "$.cluster.client_tls.cert"},
		{name: "unit the user writes too", doc: header + "systemd:\n  units:\n    - name: etcd-member.service\n      contents: x\ncluster:\n" + "  »discovery: https://discovery.example.com/abc\n",
			wantErr: ErrGeneratedConflict, wantSev: errSev, wantPath: "$.cluster"},
		{name: "unknown key", doc: header + "cluster:\n" + disc + "  »peer_url: x\n",
			wantErr: config.ErrUnknownKey, wantSev: warnSev, wantPath: "$.cluster.peer_url"},
		{name: "type error", doc: header + "cluster:\n" + disc + "  listen_client_urls: »http://a:1\n",
			wantErr: config.ErrType, wantSev: errSev, wantPath: "$.cluster.listen_client_urls"},
		{name: "only in the flint variant", doc: "variant: fcos\nversion: 1.7.0\n»cluster:\n" + disc,
			wantErr: config.ErrUnknownKey, wantSev: warnSev, wantPath: "$.cluster"},
	})
}

// TestClusterUnit checks the generated unit's settings: fixed values become ETCD_* variables,
// values with placeholders become flags, and the metadata drop-in comes only with them.
func TestClusterUnit(t *testing.T) {
	tests := []struct {
		name       string
		section    string
		wantEnv    []string
		wantFlags  []string
		wantDropin bool
	}{
		{
			name:    "all fixed",
			section: "  name: a\n  initial_cluster: [{name: a, peer_urls: [\"http://10.0.0.1:2380\"]}]\n  listen_peer_urls: [\"http://10.0.0.1:2380\"]\n  initial_advertise_peer_urls: [\"http://10.0.0.1:2380\"]\n  listen_client_urls: [\"http://10.0.0.1:2379\"]\n  advertise_client_urls: [\"http://10.0.0.1:2379\"]\n",
			wantEnv: []string{`"ETCD_DATA_DIR=/var/lib/etcd-member"`, `"ETCD_NAME=a"`, `"ETCD_INITIAL_CLUSTER=a=http://10.0.0.1:2380"`,
				`"ETCD_LISTEN_PEER_URLS=http://10.0.0.1:2380"`, `"ETCD_INITIAL_ADVERTISE_PEER_URLS=http://10.0.0.1:2380"`,
				`"ETCD_LISTEN_CLIENT_URLS=http://10.0.0.1:2379"`, `"ETCD_ADVERTISE_CLIENT_URLS=http://10.0.0.1:2379"`},
		},
		{
			name:    "defaults",
			section: disc,
			wantEnv: []string{`"ETCD_DATA_DIR=/var/lib/etcd-member"`, `"ETCD_DISCOVERY=https://discovery.example.com/abc"`},
			wantFlags: []string{"--name=${FLINT_HOSTNAME}", "--listen-peer-urls=http://${FLINT_IPV4_PRIVATE}:2380",
				"--initial-advertise-peer-urls=http://${FLINT_IPV4_PRIVATE}:2380",
				"--listen-client-urls=http://${FLINT_IPV4_PRIVATE}:2379,http://127.0.0.1:2379",
				"--advertise-client-urls=http://${FLINT_IPV4_PRIVATE}:2379"},
			wantDropin: true,
		},
		{
			name:    "percent and dollar are escaped",
			section: "  name: a\n  discovery: https://d.example.com/a%20b\n  initial_cluster_token: \"p$x-{REGION}\"\n  listen_peer_urls: [\"http://10.0.0.1:2380\"]\n  initial_advertise_peer_urls: [\"http://10.0.0.1:2380\"]\n  listen_client_urls: [\"http://10.0.0.1:2379\"]\n  advertise_client_urls: [\"http://10.0.0.1:2379\"]\n",
			wantEnv: []string{`"ETCD_DATA_DIR=/var/lib/etcd-member"`, `"ETCD_NAME=a"`, `"ETCD_DISCOVERY=https://d.example.com/a%%20b"`,
				`"ETCD_LISTEN_PEER_URLS=http://10.0.0.1:2380"`, `"ETCD_INITIAL_ADVERTISE_PEER_URLS=http://10.0.0.1:2380"`,
				`"ETCD_LISTEN_CLIENT_URLS=http://10.0.0.1:2379"`, `"ETCD_ADVERTISE_CLIENT_URLS=http://10.0.0.1:2379"`},
			wantFlags:  []string{"--initial-cluster-token=p$$x-${FLINT_REGION}"},
			wantDropin: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := header + "cluster:\n" + tt.section
			res, rep := Translate("c.yaml", []byte(doc), Options{})
			if res == nil || rep.HasErrors() {
				t.Fatalf("Translate(%q): %v", doc, rep)
			}
			u := findUnit(t, &res.Config, etcdUnit)
			var env, flags []string
			for _, line := range strings.Split(strings.ReplaceAll(*u.Contents, " \\\n  ", "\n"), "\n") {
				if v, ok := strings.CutPrefix(line, "Environment="); ok {
					env = append(env, v)
				}
				if strings.HasPrefix(line, "--") {
					flags = append(flags, line)
				}
			}
			if diff := cmp.Diff(tt.wantEnv, env); diff != "" {
				t.Errorf("Translate(%q) Environment= (-want +got):\n%s", doc, diff)
			}
			if diff := cmp.Diff(tt.wantFlags, flags); diff != "" {
				t.Errorf("Translate(%q) ExecStart flags (-want +got):\n%s", doc, diff)
			}
			if got := len(u.Dropins) == 1 && u.Dropins[0].Name == etcdMetadataConf; got != tt.wantDropin {
				t.Errorf("Translate(%q) metadata drop-in = %v, want %v", doc, got, tt.wantDropin)
			}
			if !strings.Contains(*u.Contents, "\nExecStart="+etcdBinary) || u.Enabled == nil || !*u.Enabled {
				t.Errorf("Translate(%q) unit = %+v, want enabled and running %s", doc, u, etcdBinary)
			}
		})
	}
}

// TestClusterKeepsUserUnits checks that a user's etcd.service is left alone rather than
// masked, and that the user's etcd-member.service drop-ins are kept.
func TestClusterKeepsUserUnits(t *testing.T) {
	doc := header + "systemd:\n  units:\n    - name: etcd.service\n      enabled: false\n    - name: etcd-member.service\n      dropins: [{name: 30-a.conf, contents: x}]\ncluster:\n" + disc
	res, rep := Translate("c.yaml", []byte(doc), Options{})
	if res == nil || rep.HasErrors() {
		t.Fatalf("Translate: %v", rep)
	}
	units := res.Config.Systemd.Units
	if len(units) != 2 || units[0].Mask != nil || units[1].Contents == nil || len(units[1].Dropins) != 2 {
		t.Fatalf("Translate(%q) units = %+v, want etcd.service untouched and etcd-member.service with 2 drop-ins", doc, units)
	}
	if line, _, _ := res.Positions.Locate(config.Path{"systemd", "units", 1, "dropins", 1}, false); line != 10 {
		t.Errorf("Locate(generated drop-in) line = %d, want 10 (the cluster section)", line)
	}
}

func TestExpandPlaceholders(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{name: "none", in: "http://a:1", want: "http://a:1"},
		{name: "one", in: "http://{PRIVATE_IPV4}:1", want: "http://<PRIVATE_IPV4>:1"},
		{name: "two", in: "{HOSTNAME}-{REGION}", want: "<HOSTNAME>-<REGION>"},
		{name: "unknown", in: "{PRIVATE_IP}", wantErr: ErrPlaceholder},
		{name: "unclosed", in: "{HOSTNAME", wantErr: ErrPlaceholderSyntax},
		{name: "stray close", in: "a}", wantErr: ErrPlaceholderSyntax},
		{name: "nested", in: "{{HOSTNAME}}", wantErr: ErrPlaceholderSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandPlaceholders(tt.in, func(n string) string { return "<" + n + ">" })
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("expandPlaceholders(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
