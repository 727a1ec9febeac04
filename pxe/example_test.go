package pxe

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/cpio"
)

// copyTree copies a directory (the server writes status/ and token.key into its data).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestExampleDataDir serves examples/pxe, the data directory docs/pxe.md describes, and boots
// a machine of each of its groups.
func TestExampleDataDir(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../examples/pxe", dir)
	_, ts := testServer(t, dir)
	for _, tc := range []struct {
		name, query string
		wantFile    string // a file the config must write
		wantText    string // text that file must hold
	}{
		{"default group", "mac=52-54-00-00-00-77&hostname=w1", "/etc/flint/role", "group=default"},
		{"rack label", "mac=52-54-00-00-00-78&rack=7", "/etc/systemd/timesyncd.conf.d/rack.conf", "NTP=10.7.0.1"},
		{"storage node, embedded config", "mac=52-54-00-aa-00-01&platform=efi", "/etc/flint/role", "role=storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script, token := bootMachine(t, ts.URL, tc.query)
			var body string
			if strings.Contains(script, "/initrd/") {
				code, img := get(t, ts.URL+"/initrd/"+token+"/config.img")
				entries, err := cpio.Read([]byte(img))
				if code != http.StatusOK || err != nil || len(entries) != 1 {
					t.Fatalf("config.img = %d, %v", code, err)
				}
				body = string(entries[0].Data)
			} else {
				var code int
				code, body = get(t, ts.URL+"/config?token="+token)
				if code != http.StatusOK {
					t.Fatalf("GET /config = %d %s", code, body)
				}
			}
			p, rep := config.Parse("config", []byte(body))
			if rep.HasErrors() {
				t.Fatalf("config does not parse: %v", rep)
			}
			found := false
			for _, f := range p.Config.Storage.Files {
				if f.Path == tc.wantFile && f.Contents.Source != nil {
					found = true
					if src := *f.Contents.Source; !strings.Contains(src, tc.wantText) && !strings.Contains(src, strings.ReplaceAll(tc.wantText, "=", "%3D")) {
						t.Errorf("%s = %s, want it to hold %q", tc.wantFile, src, tc.wantText)
					}
				}
			}
			if !found {
				t.Errorf("config writes no %s:\n%s", tc.wantFile, body)
			}
		})
	}
}
