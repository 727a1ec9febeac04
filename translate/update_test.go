package translate

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vincent-petithory/dataurl"

	"github.com/flint-provision/flint/config"
)

func TestUpdateDiagnostics(t *testing.T) {
	errSev, warnSev := config.SeverityError, config.SeverityWarning
	lock, zin := "  agent: locksmith\n", "  agent: zincati\n"
	checkPositions(t, []positionCase{
		{name: "no agent", doc: header + "update:\n  »strategy: off\n",
			wantErr: ErrUpdateAgent, wantSev: errSev, wantPath: "$.update.agent"},
		{name: "unknown agent", doc: header + "update:\n  agent: »update-engine\n",
			wantErr: ErrUpdateAgent, wantSev: errSev, wantPath: "$.update.agent"},
		{name: "unknown strategy", doc: header + "update:\n" + lock + "  strategy: »best-effort\n",
			wantErr: ErrUpdateStrategy, wantSev: errSev, wantPath: "$.update.strategy"},
		{name: "etcd-lock needs locksmith", doc: header + "update:\n" + zin + "  strategy: »etcd-lock\n",
			wantErr: ErrUpdateNeedsLocksmith, wantSev: errSev, wantPath: "$.update.strategy"},
		{name: "fleet-lock needs zincati", doc: header + "update:\n" + lock + "  strategy: »fleet-lock\n  lock:\n    url: http://f.example.com\n",
			wantErr: ErrUpdateNeedsZincati, wantSev: errSev, wantPath: "$.update.strategy"},
		{name: "fleet-lock needs a URL", doc: header + "update:\n" + zin + "  strategy: »fleet-lock\n",
			wantErr: ErrFleetLockURL, wantSev: errSev, wantPath: "$.update.strategy"},
		{name: "bad lock URL", doc: header + "update:\n" + zin + "  strategy: fleet-lock\n  lock:\n    url: »fleetlock:8080\n",
			wantErr: ErrUpdateURL, wantSev: errSev, wantPath: "$.update.lock.url"},
		{name: "etcd endpoints with zincati", doc: header + "update:\n" + zin + "  lock:\n    endpoints: »[\"http://a:2379\"]\n",
			wantErr: ErrUpdateNeedsLocksmith, wantSev: errSev, wantPath: "$.update.lock.endpoints"},
		{name: "bad server", doc: header + "update:\n" + lock + "  server: »updates.example.com\n",
			wantErr: ErrUpdateURL, wantSev: errSev, wantPath: "$.update.server"},
		{name: "group with zincati", doc: header + "update:\n" + zin + "  group: »stable\n",
			wantErr: ErrUpdateGroupZincati, wantSev: errSev, wantPath: "$.update.group"},
		{name: "unknown group", doc: header + "update:\n" + lock + "  group: »nightly\n",
			wantErr: ErrUnknownUpdateGroup, wantSev: warnSev, wantPath: "$.update.group"},
		{name: "reboot-window without a window", doc: header + "update:\n" + lock + "  strategy: »reboot-window\n",
			wantErr: ErrWindowNeeded, wantSev: errSev, wantPath: "$.update.strategy"},
		{name: "window without length", doc: header + "update:\n" + lock + "  strategy: reboot-window\n  window:\n    »start: \"04:00\"\n",
			wantErr: ErrWindowIncomplete, wantSev: errSev, wantPath: "$.update.window"},
		{name: "window without start", doc: header + "update:\n" + zin + "  strategy: reboot-window\n  window:\n    »length: 1h\n",
			wantErr: ErrWindowIncomplete, wantSev: errSev, wantPath: "$.update.window"},
		{name: "window unused", doc: header + "update:\n" + lock + "  strategy: immediate\n  window:\n    »start: \"04:00\"\n    length: 1h\n",
			wantErr: ErrWindowUnused, wantSev: errSev, wantPath: "$.update.window"},
		{name: "bad start", doc: header + "update:\n" + lock + "  strategy: reboot-window\n  window:\n    start: »\"24:00\"\n    length: 1h\n",
			wantErr: ErrWindowStart, wantSev: errSev, wantPath: "$.update.window.start"},
		{name: "bad length", doc: header + "update:\n" + zin + "  strategy: reboot-window\n  window:\n    start: \"04:00\"\n    length: »90s\n",
			wantErr: ErrWindowLength, wantSev: errSev, wantPath: "$.update.window.length"},
		{name: "bad day", doc: header + "update:\n" + zin + "  strategy: reboot-window\n  window:\n    days: [mon, »funday]\n    start: \"04:00\"\n    length: 1h\n",
			wantErr: ErrWindowDay, wantSev: errSev, wantPath: "$.update.window.days.1"},
		{name: "locksmith takes one day", doc: header + "update:\n" + lock + "  strategy: reboot-window\n  window:\n    days: »[mon, tue]\n    start: \"04:00\"\n    length: 1h\n",
			wantErr: ErrWindowDays, wantSev: errSev, wantPath: "$.update.window.days"},
		{name: "control character", doc: header + "update:\n" + lock + "  lock:\n    group: »\"a\\nb\"\n",
			wantErr: ErrUpdateValue, wantSev: errSev, wantPath: "$.update.lock.group"},
		{name: "update.conf the user writes too", doc: header + "storage:\n  files:\n    - path: /etc/flatcar/update.conf\nupdate:\n  »agent: locksmith\n  group: stable\n",
			wantErr: ErrGeneratedConflict, wantSev: errSev, wantPath: "$.update"},
		{name: "only in the flint variant", doc: "variant: flatcar\nversion: 1.1.0\n»update:\n" + lock,
			wantErr: config.ErrUnknownKey, wantSev: warnSev, wantPath: "$.update"},
	})
}

// TestUpdateFiles checks the text of the files each strategy writes.
func TestUpdateFiles(t *testing.T) {
	tests := []struct {
		name    string
		section string
		want    map[string]string // path → text after the header line
	}{
		{
			name:    "locksmith off",
			section: "  agent: locksmith\n  strategy: off\n",
			want:    map[string]string{flatcarUpdateConf: "REBOOT_STRATEGY=\"off\"\n"},
		},
		{
			name:    "locksmith reboot-window every day",
			section: "  agent: locksmith\n  group: stable\n  strategy: reboot-window\n  window: {start: \"01:30\", length: 45m}\n",
			want: map[string]string{flatcarUpdateConf: "GROUP=stable\nREBOOT_STRATEGY=\"reboot\"\n" +
				"LOCKSMITHD_REBOOT_WINDOW_START=\"01:30\"\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=\"45m\"\n"},
		},
		{
			name:    "locksmith immediate",
			section: "  agent: locksmith\n  strategy: immediate\n",
			want:    map[string]string{flatcarUpdateConf: "REBOOT_STRATEGY=\"reboot\"\n"},
		},
		{
			name:    "zincati off",
			section: "  agent: zincati\n  strategy: off\n",
			want:    map[string]string{zincatiStrategy: "[updates]\nenabled = false\n"},
		},
		{
			name:    "zincati immediate",
			section: "  agent: zincati\n  strategy: immediate\n",
			want:    map[string]string{zincatiStrategy: "[updates]\nstrategy = \"immediate\"\n"},
		},
		{
			name:    "zincati window every day",
			section: "  agent: zincati\n  strategy: reboot-window\n  window: {start: \"23:00\", length: 1h30m}\n",
			want: map[string]string{zincatiStrategy: "[updates]\nstrategy = \"periodic\"\n\n[[updates.periodic.window]]\n" +
				"days = [ \"Mon\", \"Tue\", \"Wed\", \"Thu\", \"Fri\", \"Sat\", \"Sun\" ]\nstart_time = \"23:00\"\nlength_minutes = 90\n"},
		},
		{
			name:    "zincati fleet lock and group",
			section: "  agent: zincati\n  strategy: fleet-lock\n  lock:\n    group: \"we\\\"b\"\n    url: https://f.example.com/\n",
			want: map[string]string{
				zincatiStrategy: "[updates]\nstrategy = \"fleet_lock\"\n\n[updates.fleet_lock]\nbase_url = \"https://f.example.com/\"\n",
				zincatiIdentity: "[identity]\ngroup = \"we\\\"b\"\n",
			},
		},
		{
			name:    "zincati nothing to write",
			section: "  agent: zincati\n",
			want:    map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := header + "update:\n" + tt.section
			res, rep := Translate("u.yaml", []byte(doc), Options{})
			if res == nil || rep.HasErrors() {
				t.Fatalf("Translate(%q): %v", doc, rep)
			}
			got := map[string]string{}
			for _, f := range res.Config.Storage.Files {
				u, err := dataurl.DecodeString(*f.Contents.Source)
				if err != nil {
					t.Fatalf("file %s: %v", f.Path, err)
				}
				text, ok := strings.CutPrefix(string(u.Data), updateFileHeader)
				if !ok || *f.Mode != 0o644 {
					t.Errorf("file %s = mode %o, %q; want 0644 and the generated-by header", f.Path, *f.Mode, u.Data)
				}
				got[f.Path] = text
			}
			if len(got) != len(tt.want) {
				t.Errorf("Translate(%q) files = %q, want %q", doc, got, tt.want)
			}
			for p, want := range tt.want {
				if got[p] != want {
					t.Errorf("Translate(%q) %s = %q, want %q", doc, p, got[p], want)
				}
			}
		})
	}
}

// TestSectionExamples translates the examples that docs/cluster.md and docs/updates.md show.
func TestSectionExamples(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantFiles []string
		wantUnits []string
	}{
		{
			name: "cluster",
			file: "../examples/cluster.yaml",
			wantFiles: []string{"/etc/etcd-member/tls/client.crt", "/etc/etcd-member/tls/client.key",
				"/etc/etcd-member/tls/client-ca.crt", "/etc/etcd-member/tls/peer.crt",
				"/etc/etcd-member/tls/peer.key", "/etc/etcd-member/tls/peer-ca.crt"},
			wantUnits: []string{etcdUnit, "etcd.service"},
		},
		{name: "updates", file: "../examples/updates.yaml", wantFiles: []string{flatcarUpdateConf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			res, rep := Translate(tt.file, data, Options{})
			if res == nil || len(rep) > 0 || res.JSON == nil {
				t.Fatalf("Translate(%s) report, want none:\n%v", tt.file, rep)
			}
			var files, units []string
			for _, f := range res.Config.Storage.Files {
				files = append(files, f.Path)
			}
			for _, u := range res.Config.Systemd.Units {
				units = append(units, u.Name)
			}
			if diff := cmp.Diff(tt.wantFiles, files); diff != "" {
				t.Errorf("Translate(%s) files (-want +got):\n%s", tt.file, diff)
			}
			if diff := cmp.Diff(tt.wantUnits, units, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Translate(%s) units (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}
