package stages

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// minimalAccounts gives a test root the account files of a fresh Debian.
func minimalAccounts(t *testing.T, env *Env) {
	t.Helper()
	put(t, env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
	put(t, env, "etc/group", "root:x:0:\nusers:x:100:\n")
	put(t, env, "etc/shadow", "root:*:19000:0:99999:7:::\n")
	put(t, env, "etc/gshadow", "root:*::\nusers:*::\n")
	put(t, env, "etc/login.defs", "UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB yes\n")
}

func TestFilesUsersAndOwners(t *testing.T) {
	env := testEnv(t, `{"ignition":{"version":"3.6.0"},
		"passwd":{"groups":[{"name":"ops","gid":1500}],
			"users":[{"name":"core","groups":["ops"],"sshAuthorizedKeys":["ssh-ed25519 AAAA one","ssh-ed25519 AAAA two"]}]},
		"storage":{"files":[{"path":"/home/core/notes","contents":{"source":"data:,hi"},"user":{"name":"core"},"group":{"name":"ops"}}],
			"directories":[{"path":"/srv/ops","group":{"name":"ops"},"mode":1528}]}}`)
	minimalAccounts(t, env)
	if err := runFiles(t, env); err != nil {
		t.Fatal(err)
	}
	if got := read(t, env, "etc/passwd"); !strings.Contains(got, "core:x:1000:1000::/home/core:") {
		t.Errorf("/etc/passwd = %q, want core with uid 1000", got)
	}
	if got := read(t, env, "etc/group"); !strings.Contains(got, "ops:x:1500:core") {
		t.Errorf("/etc/group = %q, want ops:1500 with member core", got)
	}
	if got := read(t, env, "home/core/.ssh/authorized_keys"); got != "ssh-ed25519 AAAA one\nssh-ed25519 AAAA two\n" {
		t.Errorf("authorized_keys = %q", got)
	}
	for _, tc := range []struct {
		rel      string
		uid, gid uint32
	}{{"home/core/notes", 1000, 1500}, {"srv/ops", 0, 1500}, {"home/core/.ssh/authorized_keys", 1000, 1000}} {
		fi, err := os.Lstat(filepath.Join(env.Root.Dir(), tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != tc.uid || st.Gid != tc.gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", tc.rel, st.Uid, st.Gid, tc.uid, tc.gid)
		}
	}
	if got := modeOf(t, env, "srv/ops"); got != os.ModeDir|os.ModeSetgid|0o770 {
		t.Errorf("srv/ops mode = %v, want setgid 0770", got)
	}
}

func TestFilesUnknownOwnerWritesNothing(t *testing.T) {
	for _, owner := range []string{`"user":{"name":"nobody-here"}`, `"group":{"name":"nogroup-here"}`} {
		t.Run(owner, func(t *testing.T) {
			env := testEnv(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},
				"passwd":{"users":[{"name":"core"}]},
				"storage":{"files":[{"path":"/etc/a","contents":{"source":"data:,a"}},{"path":"/etc/b",%s}]}}`, owner))
			minimalAccounts(t, env)
			before := snapshot(t, env.Root.Dir())
			err := runFiles(t, env)
			if !errors.Is(err, ErrOwnerNotFound) {
				t.Fatalf("files stage = %v, want ErrOwnerNotFound", err)
			}
			var se *StepError
			if !errors.As(err, &se) || se.Path.String() != "$.storage.files.1" {
				t.Errorf("error %v, want it to name $.storage.files.1", err)
			}
			if after := snapshot(t, env.Root.Dir()); after != before {
				t.Errorf("the root changed although planning failed")
			}
		})
	}
}
