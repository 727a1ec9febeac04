package passwd

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// epoch is the clock of both sides: SOURCE_DATE_EPOCH for shadow-utils,
// Database.Now for flint, so even the last-change day must agree.
const epoch = 1700000000

// step is one config entry of a differential scenario: a group or a user.
type step struct {
	group *GroupSpec
	user  *UserSpec
}

func ptr[T any](v T) *T { return &v }

// ignitionArgv is the shadow-utils command Ignition runs for s in root
// (reference §13.1), or nil when it runs none.
func ignitionArgv(t *testing.T, root string, s step) []string {
	t.Helper()
	db, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if g := s.group; g != nil {
		_, exists := db.GroupID(g.Name)
		if g.ShouldExist != nil && !*g.ShouldExist {
			if !exists {
				return nil
			}
			return []string{"groupdel", "--root", root, g.Name}
		}
		argv := []string{"groupadd", "--root", root}
		if exists {
			argv[0] = "groupmod"
		}
		if g.GID != nil {
			argv = append(argv, "--gid", strconv.Itoa(*g.GID))
		}
		if g.PasswordHash != nil {
			argv = append(argv, "--password", *g.PasswordHash)
		}
		if g.System && !exists {
			argv = append(argv, "--system")
		}
		return append(argv, g.Name)
	}
	u := s.user
	_, exists := db.UserID(u.Name)
	if u.ShouldExist != nil && !*u.ShouldExist {
		if !exists {
			return nil
		}
		return []string{"userdel", "--root", root, "--remove", u.Name}
	}
	var argv []string
	if exists {
		argv = []string{"usermod", "--root", root}
		if u.HomeDir != nil {
			argv = append(argv, "--home", *u.HomeDir, "--move-home")
		}
		if u.PasswordHash != nil {
			argv = append(argv, "--password", password(u.PasswordHash))
		}
	} else {
		argv = []string{"useradd", "--root", root}
		if u.HomeDir != nil {
			argv = append(argv, "--home-dir", *u.HomeDir)
		}
		if u.NoCreateHome {
			argv = append(argv, "--no-create-home")
		} else {
			argv = append(argv, "--create-home")
		}
		if u.NoUserGroup {
			argv = append(argv, "--no-user-group")
		}
		if u.System {
			argv = append(argv, "--system")
		}
		if u.NoLogInit {
			argv = append(argv, "--no-log-init")
		}
		argv = append(argv, "--password", password(u.PasswordHash))
	}
	if u.UID != nil {
		argv = append(argv, "--uid", strconv.Itoa(*u.UID))
	}
	if u.Gecos != nil {
		argv = append(argv, "--comment", *u.Gecos)
	}
	if u.PrimaryGroup != nil {
		argv = append(argv, "--gid", *u.PrimaryGroup)
	}
	if len(u.Groups) > 0 {
		argv = append(argv, "--groups", strings.Join(u.Groups, ","))
	}
	if u.Shell != nil {
		argv = append(argv, "--shell", *u.Shell)
	}
	return append(argv, u.Name)
}

// makeTargetRoot builds a minimal target root from the host's account
// files and login.defs, with a skeleton holding each kind of node useradd
// copies.
func makeTargetRoot(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc/default", "etc/skel/.config/sub", "etc/skel/private", "proc"} {
		must(os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	for _, f := range []string{"passwd", "group", "shadow", "gshadow", "login.defs", "default/useradd"} {
		src := filepath.Join("/etc", f)
		info, err := os.Stat(src)
		if err != nil {
			t.Skipf("host has no %s to copy into the target root: %v", src, err)
		}
		data, err := os.ReadFile(src)
		must(err)
		dst := filepath.Join(dir, "etc", f)
		must(os.WriteFile(dst, data, 0o600))
		st := info.Sys().(*syscall.Stat_t)
		must(os.Chown(dst, int(st.Uid), int(st.Gid)))
		must(os.Chmod(dst, info.Mode().Perm()))
	}
	skel := filepath.Join(dir, "etc/skel")
	must(os.WriteFile(filepath.Join(skel, ".bashrc"), []byte("# bashrc\n"), 0o644))
	must(os.WriteFile(filepath.Join(skel, ".profile"), []byte("# profile\n"), 0o640))
	must(os.Chmod(filepath.Join(skel, ".profile"), 0o640))
	must(os.WriteFile(filepath.Join(skel, ".config/sub/conf"), []byte("x=1\n"), 0o600))
	must(os.Chmod(filepath.Join(skel, "private"), 0o750))
	must(os.Symlink(".bashrc", filepath.Join(skel, "relative-link")))
	must(os.Symlink("/etc/skel/.profile", filepath.Join(skel, "skel-link")))
	must(os.Symlink("/etc/hostname", filepath.Join(skel, "outside-link")))
	must(os.Link(filepath.Join(skel, ".bashrc"), filepath.Join(skel, "hard-link")))
}

// node is what the comparison sees of one file in a root.
type node struct {
	Mode     string
	UID, GID uint32
	Content  string
}

// snapshot describes every node under root except the lock, the backup
// copies (flint writes one backup per Commit, shadow-utils one per
// command) and proc.
func snapshot(t *testing.T, root string) map[string]node {
	t.Helper()
	nodes := map[string]node{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(root, p)
		switch {
		case name == "proc":
			return filepath.SkipDir
		case name == "etc/.pwd.lock", strings.HasPrefix(name, "etc/") && strings.HasSuffix(name, "-"):
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		n := node{Mode: info.Mode().String(), UID: st.Uid, GID: st.Gid}
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.Content = string(data)
			if st.Nlink > 1 {
				n.Content += fmt.Sprintf(" (%d links)", st.Nlink)
			}
		case info.Mode()&fs.ModeSymlink != 0:
			n.Content, err = os.Readlink(p)
		}
		nodes[name] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// runShadow runs argv with /proc of the host bound into the target root
// in a private mount namespace: shadow 4.13 sets the mode of copied
// skeleton directories through /proc/self/fd and silently stops copying
// without it.
func runShadow(root string, argv []string) error {
	script := `mount --bind /proc "$0/proc" && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "sh", "-c", script, root}, argv...)...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.Itoa(epoch), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out.String())
	}
	return nil
}

func TestDifferentialShadowUtils(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("differential test against shadow-utils needs root (useradd --root chroots)")
	}
	for _, tool := range []string{"useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "unshare", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				t.Skipf("%s not installed (apt-get install passwd util-linux mount)", tool)
			}
		}
	}
	user := func(u UserSpec) step { return step{user: &u} }
	group := func(g GroupSpec) step { return step{group: &g} }
	no := ptr(false)
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "new users",
			steps: []step{
				group(GroupSpec{Name: "staff2"}),
				group(GroupSpec{Name: "wheel2", GID: ptr(4100)}),
				user(UserSpec{Name: "plain"}),
				user(UserSpec{Name: "withuid", UID: ptr(3000)}),
				user(UserSpec{Name: "lowuid", UID: ptr(500)}),
				user(UserSpec{Name: "sysuser", System: true}),
				user(UserSpec{Name: "sysnohome", System: true, NoCreateHome: true}),
				user(UserSpec{Name: "nogroup1", NoUserGroup: true}),
				user(UserSpec{Name: "primname", PrimaryGroup: ptr("staff2")}),
				user(UserSpec{Name: "primid", PrimaryGroup: ptr("4100")}),
				user(UserSpec{Name: "member", Groups: []string{"staff2", "wheel2"}}),
				user(UserSpec{Name: "shell", Shell: ptr("/bin/zsh")}),
				user(UserSpec{Name: "elsewhere", HomeDir: ptr("/srv/people/elsewhere")}),
				user(UserSpec{Name: "homeless", NoCreateHome: true}),
				user(UserSpec{Name: "gecos", Gecos: ptr("Gecos Person,,,")}),
				user(UserSpec{Name: "hashed", PasswordHash: ptr("$6$salt$hash")}),
				user(UserSpec{Name: "emptyhash", PasswordHash: ptr("")}),
				user(UserSpec{Name: "all", UID: ptr(3100), Gecos: ptr("All"), HomeDir: ptr("/home/all-home"),
					PrimaryGroup: ptr("wheel2"), Groups: []string{"staff2"}, Shell: ptr("/bin/sh"),
					PasswordHash: ptr("$y$j9T$abc"), NoLogInit: true}),
			},
		},
		{
			name: "groups",
			steps: []step{
				group(GroupSpec{Name: "plain"}),
				group(GroupSpec{Name: "withgid", GID: ptr(4200)}),
				group(GroupSpec{Name: "system", System: true}),
				group(GroupSpec{Name: "system2", System: true}),
				group(GroupSpec{Name: "hashed", PasswordHash: ptr("$6$g$hash")}),
				user(UserSpec{Name: "owner", PrimaryGroup: ptr("withgid"), NoCreateHome: true}),
				group(GroupSpec{Name: "withgid", GID: ptr(4300)}),
				group(GroupSpec{Name: "plain", PasswordHash: ptr("$6$new$hash")}),
				group(GroupSpec{Name: "system", ShouldExist: no}),
				group(GroupSpec{Name: "never", ShouldExist: no}),
				group(GroupSpec{Name: "after"}),
			},
		},
		{
			name: "existing user modified",
			steps: []step{
				group(GroupSpec{Name: "g1"}),
				group(GroupSpec{Name: "g2"}),
				group(GroupSpec{Name: "g3"}),
				user(UserSpec{Name: "mod", Groups: []string{"g1", "g2"}}),
				user(UserSpec{Name: "mod", HomeDir: ptr("/home/moved"), UID: ptr(3500), Gecos: ptr("Moved"),
					PrimaryGroup: ptr("g3"), Groups: []string{"g2", "g3"}, Shell: ptr("/bin/sh"),
					PasswordHash: ptr("$6$mod$hash")}),
				user(UserSpec{Name: "same"}),
				user(UserSpec{Name: "same", Gecos: ptr("only the comment")}),
			},
		},
		{
			name: "user removed",
			steps: []step{
				group(GroupSpec{Name: "shared"}),
				user(UserSpec{Name: "gone", Groups: []string{"shared"}}),
				user(UserSpec{Name: "stays", Groups: []string{"shared"}}),
				user(UserSpec{Name: "gone2", NoUserGroup: true}),
				user(UserSpec{Name: "gone", ShouldExist: no}),
				user(UserSpec{Name: "gone2", ShouldExist: no}),
				user(UserSpec{Name: "never", ShouldExist: no}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shadowRoot, flintRoot := t.TempDir(), t.TempDir()
			makeTargetRoot(t, shadowRoot)
			makeTargetRoot(t, flintRoot)
			for _, s := range tt.steps {
				if argv := ignitionArgv(t, shadowRoot, s); argv != nil {
					if err := runShadow(shadowRoot, argv); err != nil {
						t.Fatal(err)
					}
				}
			}
			db, err := Load(flintRoot)
			if err != nil {
				t.Fatal(err)
			}
			db.Now = func() time.Time { return time.Unix(epoch, 0) }
			for _, s := range tt.steps {
				if s.group != nil {
					err = db.EnsureGroup(*s.group)
				} else {
					err = db.EnsureUser(*s.user)
				}
				if err != nil {
					t.Fatalf("step %+v %+v: %v", s.group, s.user, err)
				}
			}
			if err := db.Commit(); err != nil {
				t.Fatalf("Commit() = %v", err)
			}
			if diff := cmp.Diff(snapshot(t, shadowRoot), snapshot(t, flintRoot)); diff != "" {
				t.Errorf("target root after flint differs from after shadow-utils (-shadow +flint):\n%s", diff)
			}
		})
	}
}
