package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/cpio"
)

func TestInitrdWrap(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		wantCode   int
	}{
		{"json example", "../../examples/hello.ign", ExitOK},
		{"yaml example translated", "../../examples/hello.yaml", ExitOK},
		{"invalid config", writeFile(t, dir, "bad.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"x"}]}}`), ExitFailed},
		{"missing file", filepath.Join(dir, "nope.ign"), ExitUsageIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "config.img")
			var stdout, stderr bytes.Buffer
			code := Main([]string{"initrd", "wrap", "-o", out, tc.file}, nil, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("initrd wrap %s = %d, want %d (%s)", tc.file, code, tc.wantCode, stderr.String())
			}
			if code != ExitOK {
				if _, err := os.Stat(out); err == nil {
					t.Errorf("an archive was written for a failed wrap")
				}
				return
			}
			img, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := cpio.Read(img)
			if err != nil || len(entries) != 1 || entries[0].Name != "config.ign" || entries[0].Mode.Perm() != 0o600 {
				t.Fatalf("archive = %+v, %v; want config.ign, 0600", entries, err)
			}
			if _, rep := config.Parse("config.ign", entries[0].Data); rep.HasErrors() {
				t.Errorf("embedded config does not parse: %v", rep)
			}
			// The same archive, read by GNU cpio behind xz.
			if _, err := exec.LookPath("cpio"); err != nil {
				t.Skip("cpio not installed: GNU cpio check skipped")
			}
			cmd := exec.Command("sh", "-c", "xz -dc | cpio -t --quiet")
			cmd.Stdin = bytes.NewReader(img)
			list, err := cmd.Output()
			if err != nil || strings.TrimSpace(string(list)) != "config.ign" {
				t.Errorf("xz -dc | cpio -t = %q, %v", list, err)
			}
		})
	}
}
