package translate

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flint-provision/flint/config"
)

var escapeCases = []struct {
	name string
	in   string
	want string
}{
	{name: "root", in: "/", want: "-"},
	{name: "plain", in: "/var/lib/data", want: "var-lib-data"},
	{name: "dash", in: "/var/lib/my-data", want: `var-lib-my\x2ddata`},
	{name: "trailing and double slashes", in: "//var//data/", want: "var-data"},
	{name: "dot component", in: "/var/./data", want: "var-data"},
	{name: "leading dot", in: "/.hidden/x", want: `\x2ehidden-x`},
	{name: "inner dot", in: "/var/a.b", want: "var-a.b"},
	{name: "space and backslash", in: `/mnt/a b\c`, want: `mnt-a\x20b\x5cc`},
	{name: "colon and underscore", in: "/dev/disk/by-path/pci-0000:00:1f.2_x", want: `dev-disk-by\x2dpath-pci\x2d0000:00:1f.2_x`},
	{name: "utf-8", in: "/mnt/é", want: `mnt-\xc3\xa9`},
}

func TestEscapePath(t *testing.T) {
	for _, tt := range escapeCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapePath(tt.in); got != tt.want {
				t.Errorf("EscapePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEscapePathSystemd holds EscapePath to the real systemd-escape --path.
func TestEscapePathSystemd(t *testing.T) {
	bin, err := exec.LookPath("systemd-escape")
	if err != nil {
		t.Skip("systemd-escape is not installed (apt-get install systemd): cannot compare with it")
	}
	for _, tt := range escapeCases {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(bin, "--path", tt.in).Output()
			if err != nil {
				t.Fatalf("systemd-escape --path %q: %v", tt.in, err)
			}
			want := strings.TrimSuffix(string(out), "\n")
			if got := EscapePath(tt.in); got != want {
				t.Errorf("EscapePath(%q) = %q, systemd-escape --path says %q", tt.in, got, want)
			}
		})
	}
}

// TestSugarErrors checks the diagnostics of the sugar keys: each at its place in the YAML.
func TestSugarErrors(t *testing.T) {
	fcos := func(v string) string { return "variant: fcos\nversion: " + v + "\n" }
	tests := []struct {
		name     string
		doc      string
		wantErr  error
		wantSev  config.Severity // SeverityError when unset
		wantLine int
		wantCol  int
		wantPath string
	}{
		{
			name:     "tree without local",
			doc:      header + "storage:\n  trees:\n    - path: /opt\n",
			wantErr:  ErrTreeLocalRequired,
			wantLine: 5, wantCol: 7, wantPath: "$.storage.trees.0.local",
		},
		{
			name:     "tree of a file",
			doc:      header + "storage:\n  trees:\n    - local: profile.sh\n",
			wantErr:  ErrTreeNotDirectory,
			wantLine: 5, wantCol: 14, wantPath: "$.storage.trees.0.local",
		},
		{
			name:     "tree outside the files directory",
			doc:      header + "storage:\n  trees:\n    - local: ../testdata\n",
			wantErr:  ErrFilesDirEscape,
			wantLine: 5, wantCol: 14, wantPath: "$.storage.trees.0.local",
		},
		{
			name:     "tree over a file with contents",
			doc:      header + "storage:\n  files:\n    - path: /etc/app/app.conf\n      contents: {inline: x}\n  trees:\n    - local: tree\n",
			wantErr:  ErrTreeConflict,
			wantLine: 8, wantCol: 14, wantPath: "$.storage.trees.0.local",
		},
		{
			name:     "tree over a directory",
			doc:      header + "storage:\n  directories:\n    - path: /etc/app/app.conf\n  trees:\n    - local: tree\n",
			wantErr:  ErrTreeConflict,
			wantLine: 7, wantCol: 14, wantPath: "$.storage.trees.0.local",
		},
		{
			name:     "tree modes too new for fcos 1.6",
			doc:      fcos("1.6.0") + "storage:\n  trees:\n    - local: tree\n      file_mode: 0600\n",
			wantErr:  config.ErrFieldTooNew,
			wantSev:  config.SeverityWarning,
			wantLine: 6, wantCol: 7, wantPath: "$.storage.trees.0.fileMode",
		},
		{
			name:     "mount unit without format",
			doc:      header + "storage:\n  filesystems:\n    - device: /dev/vdb\n      path: /var/x\n      with_mount_unit: true\n",
			wantErr:  ErrMountFormat,
			wantLine: 7, wantCol: 7, wantPath: "$.storage.filesystems.0.with_mount_unit",
		},
		{
			name:     "mount unit without path",
			doc:      header + "storage:\n  filesystems:\n    - device: /dev/vdb\n      format: ext4\n      with_mount_unit: true\n",
			wantErr:  ErrMountPath,
			wantLine: 7, wantCol: 7, wantPath: "$.storage.filesystems.0.with_mount_unit",
		},
		{
			name:     "mount unit outside /etc and /var in fcos 1.6",
			doc:      fcos("1.6.0") + "storage:\n  filesystems:\n    - device: /dev/vdb\n      format: ext4\n      path: /srv\n      with_mount_unit: true\n",
			wantErr:  ErrMountUnder,
			wantLine: 8, wantCol: 7, wantPath: "$.storage.filesystems.0.with_mount_unit",
		},
		{
			name:     "with_mount_unit not a boolean",
			doc:      header + "storage:\n  filesystems:\n    - device: /dev/vdb\n      format: ext4\n      path: /var/x\n      with_mount_unit: sure\n",
			wantErr:  config.ErrType,
			wantLine: 8, wantCol: 24, wantPath: "$.storage.filesystems.0.with_mount_unit",
		},
		{
			name:     "bad layout",
			doc:      fcos("1.5.0") + "boot_device:\n  layout: s390x-eckd\n  luks: {tpm2: true}\n",
			wantErr:  ErrBootLayout,
			wantLine: 4, wantCol: 11, wantPath: "$.boot_device.layout",
		},
		{
			name:     "one mirror device",
			doc:      fcos("1.6.0") + "boot_device:\n  layout: x86_64\n  mirror:\n    devices: [/dev/sda]\n",
			wantErr:  ErrMirrorDevices,
			wantLine: 6, wantCol: 14, wantPath: "$.boot_device.mirror.devices",
		},
		{
			name:     "mirror without layout warns in fcos 1.6",
			doc:      fcos("1.6.0") + "boot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n",
			wantErr:  ErrMirrorLayout,
			wantSev:  config.SeverityWarning,
			wantLine: 5, wantCol: 5, wantPath: "$.boot_device.mirror",
		},
		{
			name:     "mirror without layout is an error in fcos 1.7",
			doc:      fcos("1.7.0") + "boot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n",
			wantErr:  ErrMirrorLayout,
			wantLine: 5, wantCol: 5, wantPath: "$.boot_device.mirror",
		},
		{
			name:     "luks device without a method",
			doc:      fcos("1.6.0") + "boot_device:\n  layout: s390x-eckd\n  luks:\n    device: /dev/dasda\n",
			wantErr:  ErrLuksNoMethod,
			wantLine: 6, wantCol: 13, wantPath: "$.boot_device.luks.device",
		},
		{
			name:     "cex on x86_64",
			doc:      fcos("1.6.0") + "boot_device:\n  luks:\n    cex: {enabled: true}\n",
			wantErr:  ErrCexArch,
			wantLine: 5, wantCol: 10, wantPath: "$.boot_device.luks.cex",
		},
		{
			name:     "cex with clevis",
			doc:      fcos("1.6.0") + "boot_device:\n  layout: s390x-virt\n  luks:\n    tpm2: true\n    cex: {enabled: true}\n",
			wantErr:  ErrCexClevis,
			wantLine: 7, wantCol: 10, wantPath: "$.boot_device.luks.cex",
		},
		{
			name:     "s390x-zfcp without device",
			doc:      fcos("1.6.0") + "boot_device:\n  layout: s390x-zfcp\n  luks:\n    tpm2: true\n",
			wantErr:  ErrLuksDeviceRequired,
			wantLine: 6, wantCol: 5, wantPath: "$.boot_device.luks.device",
		},
		{
			name:     "s390x-eckd with a SCSI device",
			doc:      fcos("1.6.0") + "boot_device:\n  layout: s390x-eckd\n  luks:\n    tpm2: true\n    device: /dev/sda\n",
			wantErr:  ErrLuksDeviceName,
			wantLine: 7, wantCol: 13, wantPath: "$.boot_device.luks.device",
		},
		{
			name:     "grub user without a hash",
			doc:      fcos("1.5.0") + "grub:\n  users:\n    - name: root\n",
			wantErr:  ErrGrubPassword,
			wantLine: 5, wantCol: 7, wantPath: "$.grub.users.0.password_hash",
		},
		{
			name:     "grub user without a name",
			doc:      header + "grub:\n  users:\n    - password_hash: x\n",
			wantErr:  ErrGrubName,
			wantLine: 5, wantCol: 7, wantPath: "$.grub.users.0.name",
		},
		{
			name:     "grub in flatcar",
			doc:      "variant: flatcar\nversion: 1.1.0\ngrub:\n  users: []\n",
			wantErr:  config.ErrUnknownKey,
			wantSev:  config.SeverityWarning,
			wantLine: 3, wantCol: 1, wantPath: "$.grub",
		},
		{
			name:     "boot_device before fcos 1.3",
			doc:      fcos("1.2.0") + "boot_device:\n  luks: {tpm2: true}\n",
			wantErr:  config.ErrUnknownKey,
			wantSev:  config.SeverityWarning,
			wantLine: 3, wantCol: 1, wantPath: "$.boot_device",
		},
		{
			name:     "trees in fcos 1.0",
			doc:      fcos("1.0.0") + "storage:\n  trees: []\n",
			wantErr:  config.ErrUnknownKey,
			wantSev:  config.SeverityWarning,
			wantLine: 4, wantCol: 3, wantPath: "$.storage.trees",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep := Translate("c.yaml", []byte(tt.doc), Options{FilesDir: testFilesDir})
			sev := tt.wantSev
			if sev != config.SeverityWarning {
				sev = config.SeverityError
			}
			want := fmt.Sprintf("c.yaml:%d:%d %s %s", tt.wantLine, tt.wantCol, sev, tt.wantPath)
			for _, d := range rep {
				if !errors.Is(d.Err, tt.wantErr) {
					continue
				}
				got := fmt.Sprintf("%s:%d:%d %s %s", d.File, d.Line, d.Column, d.Severity, d.Path)
				if got != want {
					t.Errorf("Translate(%q) diagnostic at %s, want %s (%s)", tt.doc, got, want, d)
				}
				return
			}
			t.Errorf("Translate(%q) = %v, want %v at %s", tt.doc, rep, tt.wantErr, want)
		})
	}
}

// TestTreesConfinement checks that a tree never reads outside the files directory: not
// through "..", not through a symlinked root, and not through symlinks inside the tree, which
// become links instead of being followed.
func TestTreesConfinement(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("do not embed"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(os.MkdirAll(filepath.Join(dir, "tree"), 0o755))
	mustDo(os.WriteFile(filepath.Join(dir, "tree", "ok"), []byte("ok"), 0o644))
	mustDo(os.Symlink(secret, filepath.Join(dir, "tree", "leak")))
	mustDo(os.Symlink(outside, filepath.Join(dir, "escape-root")))
	mustDo(os.MkdirAll(filepath.Join(dir, "fifo"), 0o755))
	mustDo(syscall.Mkfifo(filepath.Join(dir, "fifo", "pipe"), 0o644))

	tests := []struct {
		name    string
		local   string
		wantErr error
	}{
		{name: "dot dot", local: "../" + filepath.Base(outside), wantErr: ErrFilesDirEscape},
		{name: "absolute looking", local: "/" + "tree", wantErr: nil},
		{name: "symlinked root", local: "escape-root", wantErr: ErrFilesDirEscape},
		{name: "fifo", local: "fifo", wantErr: ErrTreeFileType},
		{name: "inner symlink is a link", local: "tree", wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := header + "storage:\n  trees:\n    - local: " + tt.local + "\n"
			res, rep := Translate("c.yaml", []byte(doc), Options{FilesDir: dir})
			if tt.wantErr != nil {
				for _, d := range rep {
					if errors.Is(d.Err, tt.wantErr) {
						return
					}
				}
				t.Fatalf("Translate(%q) = %v, want %v", doc, rep, tt.wantErr)
			}
			if rep.HasErrors() {
				t.Fatalf("Translate(%q) = %v, want no error", doc, rep)
			}
			if strings.Contains(string(res.JSON), "embed") {
				t.Errorf("Translate(%q) = %s, embedded a file from outside the files directory", doc, res.JSON)
			}
			links := res.Config.Storage.Links
			if len(links) != 1 || links[0].Path != "/leak" || deref(links[0].Target) != secret {
				t.Errorf("Translate(%q) links = %+v, want /leak -> %s", doc, links, secret)
			}
		})
	}
}

// TestGeneratedLocate checks the position map after generated sugar was merged under the
// user's config: generated entries point at their sugar, the user's entries at themselves even
// where the merge moved them.
func TestGeneratedLocate(t *testing.T) {
	doc := header + `storage:
  filesystems:
    - device: /dev/vdb
      format: ext4
      path: /var/x
      with_mount_unit: true
systemd:
  units:
    - name: other.service
      mask: true
    - name: var-x.mount
      enabled: false
`
	res, rep := Translate("c.yaml", []byte(doc), Options{})
	if res == nil || rep.HasErrors() {
		t.Fatalf("Translate: %v", rep)
	}
	units := res.Config.Systemd.Units
	if len(units) != 2 || units[0].Name != "var-x.mount" || deref(units[0].Enabled) || units[0].Contents == nil {
		t.Fatalf("Translate units = %+v, want the generated var-x.mount adjusted by the user, then other.service", units)
	}
	tests := []struct {
		name     string
		path     config.Path
		wantLine int
		wantCol  int
	}{
		{name: "generated contents", path: config.Path{"systemd", "units", 0, "contents"}, wantLine: 8, wantCol: 24},
		{name: "user's field of a merged unit", path: config.Path{"systemd", "units", 0, "enabled"}, wantLine: 14, wantCol: 16},
		{name: "user's unit moved by the merge", path: config.Path{"systemd", "units", 1, "mask"}, wantLine: 12, wantCol: 13},
		{name: "user's filesystem", path: config.Path{"storage", "filesystems", 0, "path"}, wantLine: 7, wantCol: 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col, ok := res.Positions.Locate(tt.path, false)
			if !ok || line != tt.wantLine || col != tt.wantCol {
				t.Errorf("Locate(%s) = %d:%d %v, want %d:%d", tt.path, line, col, ok, tt.wantLine, tt.wantCol)
			}
		})
	}
}
