package stages

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const unitsDoc = `{"ignition":{"version":"3.6.0"},"systemd":{"units":%s}}`

// links lists the symlinks under dir/etc/systemd/system as "path -> target".
func links(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	base := filepath.Join(dir, "etc/systemd/system")
	err := filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out = append(out, strings.TrimPrefix(p, dir)+" -> "+target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// vendorUnits puts units in the target's /lib/systemd/system, as a distribution ships them.
func vendorUnits(t *testing.T, dir string) {
	t.Helper()
	for name, text := range map[string]string{
		"getty@.service":   "[Service]\nExecStart=/sbin/agetty %I\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
		"sshd.service":     "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=ssh.service\nAlso=sshd.socket\n",
		"sshd.socket":      "[Socket]\nListenStream=22\n[Install]\nWantedBy=sockets.target\n",
		"static.service":   "[Service]\nExecStart=/bin/true\n",
		"required.service": "[Service]\nExecStart=/bin/true\n[Install]\nRequiredBy=local-fs.target\n",
	} {
		p := filepath.Join(dir, "lib/systemd/system", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var unitsCases = []struct {
	name  string
	units string
}{
	{"config unit", `[{"name":"hello.service","enabled":true,"contents":"[Service]\nExecStart=/bin/echo\n[Install]\nWantedBy=multi-user.target\n"}]`},
	{"vendor unit with alias and also", `[{"name":"sshd.service","enabled":true}]`},
	{"template default instance", `[{"name":"getty@.service","enabled":true}]`},
	{"template instance", `[{"name":"getty@ttyS0.service","enabled":true}]`},
	{"required by", `[{"name":"required.service","enabled":true}]`},
	{"no install section", `[{"name":"static.service","enabled":true}]`},
	{"missing unit", `[{"name":"nothere.service","enabled":true}]`},
}

func TestUnitsEnable(t *testing.T) {
	want := map[string][]string{
		"config unit": {"/etc/systemd/system/multi-user.target.wants/hello.service -> /etc/systemd/system/hello.service"},
		"vendor unit with alias and also": {
			"/etc/systemd/system/multi-user.target.wants/sshd.service -> /lib/systemd/system/sshd.service",
			"/etc/systemd/system/sockets.target.wants/sshd.socket -> /lib/systemd/system/sshd.socket",
			"/etc/systemd/system/ssh.service -> /lib/systemd/system/sshd.service",
		},
		"template default instance": {"/etc/systemd/system/getty.target.wants/getty@tty1.service -> /lib/systemd/system/getty@.service"},
		"template instance":         {"/etc/systemd/system/getty.target.wants/getty@ttyS0.service -> /lib/systemd/system/getty@.service"},
		"required by":               {"/etc/systemd/system/local-fs.target.requires/required.service -> /lib/systemd/system/required.service"},
	}
	for _, tc := range unitsCases {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, fmt.Sprintf(unitsDoc, tc.units))
			vendorUnits(t, env.Root.Dir())
			if err := runFiles(t, env); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[tc.name], links(t, env.Root.Dir())); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnitsEnableMatchesSystemctl compares flint's links with those of the real
// `systemctl --root DIR enable` on the same trees.
func TestUnitsEnableMatchesSystemctl(t *testing.T) {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		t.Skip("systemctl not installed: the differential check against systemd cannot run (apt-get install systemd)")
	}
	for _, tc := range unitsCases {
		if tc.name == "missing unit" || tc.name == "no install section" {
			continue // systemctl fails or warns; flint only writes the preset
		}
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, fmt.Sprintf(unitsDoc, tc.units))
			vendorUnits(t, env.Root.Dir())
			if err := runFiles(t, env); err != nil {
				t.Fatal(err)
			}
			got := links(t, env.Root.Dir())

			ref := t.TempDir()
			vendorUnits(t, ref)
			unit := env.Config.Systemd.Units[0]
			if unit.Contents != nil {
				p := filepath.Join(ref, "etc/systemd/system", unit.Name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(*unit.Contents), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := exec.Command(systemctl, "--root", ref, "enable", unit.Name).CombinedOutput()
			if err != nil {
				t.Fatalf("systemctl enable: %v\n%s", err, out)
			}
			if diff := cmp.Diff(links(t, ref), got); diff != "" {
				t.Errorf("flint and systemctl differ (-systemctl +flint):\n%s", diff)
			}
		})
	}
}

func TestUnitsDisableMaskPresets(t *testing.T) {
	env := testEnv(t, fmt.Sprintf(unitsDoc, `[
		{"name":"sshd.service","enabled":false},
		{"name":"getty@ttyS0.service","enabled":true},
		{"name":"getty@ttyS1.service","enabled":true},
		{"name":"bad.service","mask":true},
		{"name":"old.service","mask":false},
		{"name":"a.service","contents":"[Service]\nExecStart=/bin/a\n","dropins":[{"name":"10-x.conf","contents":"[Service]\nNice=5\n"},{"name":"20-empty.conf"}]}]`))
	dir := env.Root.Dir()
	vendorUnits(t, dir)
	for p, target := range map[string]string{
		"etc/systemd/system/multi-user.target.wants/sshd.service":  "/lib/systemd/system/sshd.service",
		"etc/systemd/system/ssh.service":                           "/lib/systemd/system/sshd.service",
		"etc/systemd/system/old.service":                           "/dev/null",
		"etc/systemd/system/multi-user.target.wants/other.service": "/lib/systemd/system/other.service",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, env, "etc/systemd/system/bad.service", "[Service]\n")
	if err := runFiles(t, env); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/systemd/system/bad.service -> /dev/null",
		"/etc/systemd/system/getty.target.wants/getty@ttyS0.service -> /lib/systemd/system/getty@.service",
		"/etc/systemd/system/getty.target.wants/getty@ttyS1.service -> /lib/systemd/system/getty@.service",
		"/etc/systemd/system/multi-user.target.wants/other.service -> /lib/systemd/system/other.service",
	}
	if diff := cmp.Diff(want, links(t, dir)); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	wantPreset := "# Written by flint from the provisioning config.\nenable getty@.service ttyS0 ttyS1\ndisable sshd.service\n"
	if got := read(t, env, "etc/systemd/system-preset/20-flint.preset"); got != wantPreset {
		t.Errorf("preset file = %q, want %q", got, wantPreset)
	}
	if got := read(t, env, "etc/systemd/system/a.service.d/10-x.conf"); got != "[Service]\nNice=5\n" {
		t.Errorf("drop-in = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/systemd/system/a.service.d/20-empty.conf")); !os.IsNotExist(err) {
		t.Errorf("a drop-in without contents was written: %v", err)
	}
}

func TestMetadataUnitInstalled(t *testing.T) {
	for _, tc := range []struct {
		name, units string
		want        bool
	}{
		{"a drop-in requires it", `[{"name":"etcd-member.service","contents":"[Service]\nExecStart=/usr/bin/etcd\n","dropins":[{"name":"20-flint-metadata.conf","contents":"[Unit]\nRequires=flint-metadata.service\n"}]}]`, true},
		{"drop-ins for it", `[{"name":"flint-metadata.service","dropins":[{"name":"10-ssh-keys.conf","contents":"[Service]\nExecStart=\nExecStart=/usr/local/bin/flint metadata --ssh-user core\n"}]}]`, true},
		{"nothing uses it", `[{"name":"a.service","contents":"[Service]\nExecStart=/bin/true\n"}]`, false},
		{"the config brings its own", `[{"name":"flint-metadata.service","contents":"[Service]\nExecStart=/bin/mine\n"},{"name":"b.service","contents":"[Unit]\nAfter=flint-metadata.service\n"}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, fmt.Sprintf(unitsDoc, tc.units))
			if err := runFiles(t, env); err != nil {
				t.Fatal(err)
			}
			unit, err := os.ReadFile(filepath.Join(env.Root.Dir(), "etc/systemd/system/flint-metadata.service"))
			installed := err == nil && strings.Contains(string(unit), "/usr/local/bin/flint metadata")
			if installed != tc.want {
				t.Fatalf("flint-metadata.service installed = %v (%q), want %v", installed, unit, tc.want)
			}
			if !tc.want {
				return
			}
			fi, err := os.Stat(filepath.Join(env.Root.Dir(), "usr/local/bin/flint"))
			if err != nil || fi.Mode().Perm() != 0o755 || fi.Size() == 0 {
				t.Errorf("/usr/local/bin/flint = %v, %v; want the executable, 0755", fi, err)
			}
		})
	}
}
