package passwd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixture is a small target root: users and groups of each kind.
var fixture = map[string]string{
	"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
		"# a comment stays\n" +
		"+nisuser\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
		"sysold:x:990:990::/var/lib/sysold:/usr/sbin/nologin\n" +
		"alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"etc/shadow": "root:*:19000:0:99999:7:::\n" +
		"daemon:*:19000:0:99999:7:::\n" +
		"sysold:!:19000::::::\n" +
		"alice:$6$a:19000:0:99999:7:::\n" +
		"nobody:*:19000:0:99999:7:::\n",
	"etc/group": "root:x:0:\n" +
		"daemon:x:1:\n" +
		"sysold:x:990:\n" +
		"alice:x:1000:\n" +
		"staff:x:50:alice\n" +
		"nogroup:x:65534:\n",
	"etc/gshadow": "root:*::\n" +
		"daemon:*::\n" +
		"sysold:!::\n" +
		"alice:!::\n" +
		"staff:!:alice:alice\n" +
		"nogroup:*::\n",
	"etc/login.defs": "# comment\nUID_MIN 1000\nUID_MAX\t60000\nGID_MIN 1000\nGID_MAX 60000\n" +
		"USERGROUPS_ENAB yes\nUMASK 022\nPASS_MAX_DAYS 99999\nPASS_MIN_DAYS 0\nPASS_WARN_AGE 7\nMAIL_DIR /var/mail\n",
	"etc/default/useradd": "SHELL=/bin/sh\n",
}

func writeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func loadFixture(t *testing.T, files map[string]string) *Database {
	t.Helper()
	db, err := Load(writeRoot(t, files))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	db.Now = func() time.Time { return time.Unix(20000*86400+3600, 0) }
	return db
}

// without returns fixture without the named files.
func without(names ...string) map[string]string {
	m := map[string]string{}
	for k, v := range fixture {
		m[k] = v
	}
	for _, n := range names {
		delete(m, n)
	}
	return m
}

// tail returns the records after the first n lines of t, as text.
func tail(t *table, n int) string {
	var s string
	for i, line := range splitLines(t.bytes()) {
		if i >= n {
			s += line + "\n"
		}
	}
	return s
}

func splitLines(b []byte) []string {
	var lines []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			lines = append(lines, string(b[start:i]))
			start = i + 1
		}
	}
	return lines
}

func TestParseTableRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "fixture passwd", in: fixture["etc/passwd"], want: fixture["etc/passwd"]},
		{name: "short and odd lines kept", in: "root:x:0:0::/root:/bin/sh\nbroken:x:1\n\n-minus\n:x:2:2::/:/bin/sh\n", want: "root:x:0:0::/root:/bin/sh\nbroken:x:1\n\n-minus\n:x:2:2::/:/bin/sh\n"},
		{name: "extra fields kept", in: "a:x:5:5::/a:/bin/sh:extra\n", want: "a:x:5:5::/a:/bin/sh:extra\n"},
		{name: "missing final newline added", in: "a:x:5:5::/a:/bin/sh", want: "a:x:5:5::/a:/bin/sh\n"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(parseTable("etc/passwd", []byte(tt.in), 7).bytes()); got != tt.want {
				t.Errorf("parseTable(%q).bytes() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFreeID(t *testing.T) {
	set := func(ids ...int) map[int]bool {
		m := map[int]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	tests := []struct {
		name     string
		used     map[int]bool
		min, max int
		system   bool
		want     int
		wantErr  error
	}{
		{name: "normal empty range", used: set(0, 65534), min: 1000, max: 60000, want: 1000},
		{name: "normal after highest", used: set(1000, 1001, 1500), min: 1000, max: 60000, want: 1501},
		{name: "normal hole below highest not used", used: set(1000, 1500), min: 1000, max: 60000, want: 1501},
		{name: "normal wraps to lowest free", used: set(1000, 1002, 1003), min: 1000, max: 1003, want: 1001},
		{name: "normal full", used: set(1, 2, 3), min: 1, max: 3, wantErr: ErrNoFreeID},
		{name: "system empty range", used: set(0, 1000), min: 101, max: 999, system: true, want: 999},
		{name: "system below lowest", used: set(999, 998, 500), min: 101, max: 999, system: true, want: 499},
		{name: "system wraps to highest free", used: set(101, 103), min: 101, max: 103, system: true, want: 102},
		{name: "system full", used: set(1, 2), min: 1, max: 2, system: true, wantErr: ErrNoFreeID},
		{name: "empty range", min: 10, max: 9, wantErr: ErrNoFreeID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := freeID(tt.used, tt.min, tt.max, tt.system)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && got != tt.want) {
				t.Errorf("freeID(%v, %d, %d, %v) = %d, %v, want %d, %v", tt.used, tt.min, tt.max, tt.system, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadSettings(t *testing.T) {
	defaults := Settings{
		UIDMin: 1000, UIDMax: 60000, SysUIDMin: 101, SysUIDMax: 999,
		GIDMin: 1000, GIDMax: 60000, SysGIDMin: 101, SysGIDMax: 999,
		HomeMode: 0o755, PassMinDays: -1, PassMaxDays: -1, PassWarnAge: -1, Inactive: -1,
		Group: 100, HomeBase: "/home", Shell: "/bin/bash", Skel: "/etc/skel",
	}
	tests := []struct {
		name  string
		files map[string]string
		want  func(s *Settings)
	}{
		{name: "no files", want: func(s *Settings) {}},
		{
			name: "login.defs values",
			files: map[string]string{"etc/login.defs": "UID_MIN 2000\nGID_MIN\t0x7d0\nSYS_UID_MIN 200\nUSERGROUPS_ENAB yes\n" +
				"UMASK 077\nPASS_MAX_DAYS 90\nMAIL_DIR /var/spool/mail\n# HOME_MODE 0700\n"},
			want: func(s *Settings) {
				s.UIDMin, s.SysUIDMax, s.GIDMin, s.SysGIDMax, s.SysUIDMin = 2000, 1999, 2000, 1999, 200
				s.UserGroups, s.HomeMode, s.PassMaxDays, s.MailDir = true, 0o700, 90, "/var/spool/mail"
			},
		},
		{
			name:  "HOME_MODE wins over UMASK",
			files: map[string]string{"etc/login.defs": "UMASK 077\nHOME_MODE 0750\n"},
			want:  func(s *Settings) { s.HomeMode = 0o750 },
		},
		{
			name:  "malformed number is absent",
			files: map[string]string{"etc/login.defs": "UID_MIN many\n"},
			want:  func(s *Settings) {},
		},
		{
			name:  "default/useradd",
			files: map[string]string{"etc/default/useradd": "# x\nSHELL=/bin/zsh\nGROUP=1000\nHOME=/users\nSKEL=/etc/skel2\nINACTIVE=30\n"},
			want: func(s *Settings) {
				s.Shell, s.Group, s.HomeBase, s.Skel, s.Inactive = "/bin/zsh", 1000, "/users", "/etc/skel2", 30
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := os.OpenRoot(writeRoot(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			got, err := readSettings(rt)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("readSettings() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnsureGroup(t *testing.T) {
	no := ptr(false)
	tests := []struct {
		name        string
		files       map[string]string
		spec        GroupSpec
		wantGroup   string // records after the fixture's six
		wantGshadow string
		wantPasswd  string // alice's passwd line, when it should change
		wantErr     error
	}{
		{name: "new", spec: GroupSpec{Name: "dev"}, wantGroup: "dev:x:1001:\n", wantGshadow: "dev:!::\n"},
		{name: "new with gid and hash", spec: GroupSpec{Name: "dev", GID: ptr(5000), PasswordHash: ptr("$6$h")}, wantGroup: "dev:x:5000:\n", wantGshadow: "dev:$6$h::\n"},
		{name: "new system", spec: GroupSpec{Name: "svc", System: true}, wantGroup: "svc:x:989:\n", wantGshadow: "svc:!::\n"},
		{name: "gid in use", spec: GroupSpec{Name: "dev", GID: ptr(50)}, wantErr: ErrIDInUse},
		{name: "invalid name", spec: GroupSpec{Name: "a:b"}, wantErr: ErrInvalidName},
		{name: "modify gid moves primary users", spec: GroupSpec{Name: "alice", GID: ptr(7000)}, wantPasswd: "alice:x:1000:7000:Alice:/home/alice:/bin/bash"},
		{name: "modify gid in use", spec: GroupSpec{Name: "alice", GID: ptr(50)}, wantErr: ErrIDInUse},
		{name: "remove primary group", spec: GroupSpec{Name: "alice", ShouldExist: no}, wantErr: ErrPrimaryGroup},
		{name: "remove absent", spec: GroupSpec{Name: "absent", ShouldExist: no}},
		{
			name:  "new without gshadow",
			files: without("etc/gshadow"), spec: GroupSpec{Name: "dev", PasswordHash: ptr("$6$h")},
			wantGroup: "dev:$6$h:1001:\n",
		},
		{name: "new without gshadow or hash", files: without("etc/gshadow"), spec: GroupSpec{Name: "dev"}, wantGroup: "dev:x:1001:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files
			if files == nil {
				files = fixture
			}
			db := loadFixture(t, files)
			err := db.EnsureGroup(tt.spec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EnsureGroup(%+v) = %v, want %v", tt.spec, err, tt.wantErr)
			}
			if got := tail(db.group, 6); got != tt.wantGroup {
				t.Errorf("EnsureGroup(%+v): new group records %q, want %q", tt.spec, got, tt.wantGroup)
			}
			if got := tail(db.gshadow, 6); got != tt.wantGshadow {
				t.Errorf("EnsureGroup(%+v): new gshadow records %q, want %q", tt.spec, got, tt.wantGshadow)
			}
			if tt.wantPasswd != "" && string(db.passwd.byName["alice"].fields[3]) != "7000" {
				t.Errorf("EnsureGroup(%+v): alice = %q, want %q", tt.spec, db.passwd.byName["alice"].fields, tt.wantPasswd)
			}
		})
	}

	t.Run("modify password and remove", func(t *testing.T) {
		db := loadFixture(t, fixture)
		if err := db.EnsureGroup(GroupSpec{Name: "nogroup", PasswordHash: ptr("$6$new")}); err != nil {
			t.Fatal(err)
		}
		if err := db.EnsureGroup(GroupSpec{Name: "staff", ShouldExist: no}); err != nil {
			t.Fatal(err)
		}
		wantGroup := "root:x:0:\ndaemon:x:1:\nsysold:x:990:\nalice:x:1000:\nnogroup:x:65534:\n"
		wantGshadow := "root:*::\ndaemon:*::\nsysold:!::\nalice:!::\nnogroup:$6$new::\n"
		if got := string(db.group.bytes()); got != wantGroup {
			t.Errorf("group = %q, want %q", got, wantGroup)
		}
		if got := string(db.gshadow.bytes()); got != wantGshadow {
			t.Errorf("gshadow = %q, want %q", got, wantGshadow)
		}
	})
}

func TestEnsureUser(t *testing.T) {
	no := ptr(false)
	tests := []struct {
		name                   string
		files                  map[string]string
		spec                   UserSpec
		wantPasswd, wantShadow string // records after the fixture's
		wantGroup, wantGshadow string
		wantErr                error
		wantActions            []action
	}{
		{
			name:        "defaults",
			spec:        UserSpec{Name: "bob"},
			wantPasswd:  "bob:x:1001:1001::/home/bob:/bin/sh\n",
			wantShadow:  "bob:*:20000:0:99999:7:::\n",
			wantGroup:   "bob:x:1001:\n",
			wantGshadow: "bob:!::\n",
			wantActions: []action{createHome{home: "/home/bob", uid: 1001, gid: 1001, mode: 0o755, skel: "/etc/skel"}},
		},
		{
			name:        "system user without home",
			spec:        UserSpec{Name: "svc", System: true, NoCreateHome: true, PasswordHash: ptr("")},
			wantPasswd:  "svc:x:989:989::/home/svc:/bin/sh\n",
			wantShadow:  "svc:*:20000::::::\n",
			wantGroup:   "svc:x:989:\n",
			wantGshadow: "svc:!::\n",
		},
		{
			name: "every field",
			spec: UserSpec{Name: "bob", UID: ptr(4000), Gecos: ptr("Bob"), HomeDir: ptr("/srv/bob"), PrimaryGroup: ptr("50"),
				Groups: []string{"staff", "daemon"}, Shell: ptr("/bin/zsh"), PasswordHash: ptr("$6$b"), SSHAuthorizedKeys: []string{"ssh-ed25519 AAAA"}},
			wantPasswd: "bob:x:4000:50:Bob:/srv/bob:/bin/zsh\n",
			wantShadow: "bob:$6$b:20000:0:99999:7:::\n",
			wantActions: []action{
				createHome{home: "/srv/bob", uid: 4000, gid: 50, mode: 0o755, skel: "/etc/skel"},
				authorizedKeys{home: "/srv/bob", uid: 4000, gid: 50, keys: []string{"ssh-ed25519 AAAA"}},
			},
		},
		{
			name:       "no user group",
			spec:       UserSpec{Name: "bob", NoUserGroup: true, NoCreateHome: true},
			wantPasswd: "bob:x:1001:100::/home/bob:/bin/sh\n",
			wantShadow: "bob:*:20000:0:99999:7:::\n",
		},
		{
			name:        "uid outside the range gets the next gid",
			spec:        UserSpec{Name: "bob", UID: ptr(500), NoCreateHome: true},
			wantPasswd:  "bob:x:500:1001::/home/bob:/bin/sh\n",
			wantShadow:  "bob:*:20000:0:99999:7:::\n",
			wantGroup:   "bob:x:1001:\n",
			wantGshadow: "bob:!::\n",
		},
		{
			name:       "without shadow files",
			files:      without("etc/shadow", "etc/gshadow"),
			spec:       UserSpec{Name: "bob", NoCreateHome: true, PasswordHash: ptr("$6$b")},
			wantPasswd: "bob:$6$b:1001:1001::/home/bob:/bin/sh\n",
			wantGroup:  "bob:!:1001:\n",
		},
		{name: "uid in use", spec: UserSpec{Name: "bob", UID: ptr(1000)}, wantErr: ErrIDInUse},
		{name: "missing primary group", spec: UserSpec{Name: "bob", PrimaryGroup: ptr("4242")}, wantErr: ErrNoGroup},
		{name: "missing group", spec: UserSpec{Name: "bob", Groups: []string{"nope"}}, wantErr: ErrNoGroup},
		{name: "user group exists", spec: UserSpec{Name: "staff"}, wantErr: ErrGroupExists},
		{name: "invalid name", spec: UserSpec{Name: "-bob"}, wantErr: ErrInvalidName},
		{
			name:        "remove",
			spec:        UserSpec{Name: "alice", ShouldExist: no},
			wantActions: []action{removeHome{dir: "/home/alice"}, removeMail{file: "/var/mail/alice", uid: 1000}},
		},
		{name: "remove absent", spec: UserSpec{Name: "absent", ShouldExist: no}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files
			if files == nil {
				files = fixture
			}
			db := loadFixture(t, files)
			err := db.EnsureUser(tt.spec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EnsureUser(%+v) = %v, want %v", tt.spec, err, tt.wantErr)
			}
			if tt.wantErr != nil || tt.spec.ShouldExist != nil {
				return
			}
			for _, c := range []struct {
				file string
				t    *table
				skip int
				want string
			}{
				{"passwd", db.passwd, 7, tt.wantPasswd},
				{"shadow", db.shadow, 5, tt.wantShadow},
				{"group", db.group, 6, tt.wantGroup},
				{"gshadow", db.gshadow, 6, tt.wantGshadow},
			} {
				if got := tail(c.t, c.skip); got != c.want {
					t.Errorf("EnsureUser(%+v): new %s records %q, want %q", tt.spec, c.file, got, c.want)
				}
			}
			if diff := cmp.Diff(tt.wantActions, db.actions, cmp.AllowUnexported(createHome{}, authorizedKeys{}, removeHome{}, removeMail{})); diff != "" {
				t.Errorf("EnsureUser(%+v) queued actions (-want +got):\n%s", tt.spec, diff)
			}
		})
	}

	t.Run("remove", func(t *testing.T) {
		db := loadFixture(t, fixture)
		if err := db.EnsureUser(UserSpec{Name: "alice", ShouldExist: no}); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"passwd":  "root:x:0:0:root:/root:/bin/bash\n# a comment stays\n+nisuser\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsysold:x:990:990::/var/lib/sysold:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
			"shadow":  "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nsysold:!:19000::::::\nnobody:*:19000:0:99999:7:::\n",
			"group":   "root:x:0:\ndaemon:x:1:\nsysold:x:990:\nstaff:x:50:\nnogroup:x:65534:\n",
			"gshadow": "root:*::\ndaemon:*::\nsysold:!::\nstaff:!::\nnogroup:*::\n",
		}
		got := map[string]string{"passwd": string(db.passwd.bytes()), "shadow": string(db.shadow.bytes()),
			"group": string(db.group.bytes()), "gshadow": string(db.gshadow.bytes())}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after removing alice (-want +got):\n%s", diff)
		}
	})

	t.Run("modify", func(t *testing.T) {
		db := loadFixture(t, fixture)
		spec := UserSpec{Name: "alice", UID: ptr(1500), PrimaryGroup: ptr("staff"), HomeDir: ptr("/home/al"),
			Gecos: ptr("Al"), Shell: ptr("/bin/zsh"), Groups: []string{"daemon"}, PasswordHash: ptr("$6$n"),
			NoUserGroup: true, System: true}
		if err := db.EnsureUser(spec); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"passwd":  "alice:x:1500:50:Al:/home/al:/bin/zsh",
			"shadow":  "alice:$6$n:20000:0:99999:7:::",
			"staff":   "staff:x:50:",
			"daemon":  "daemon:x:1:alice",
			"gstaff":  "staff:!:alice:",
			"gdaemon": "daemon:*::alice",
		}
		line := func(t *table, name string) string { return joinFields(t.byName[name]) }
		got := map[string]string{
			"passwd": line(db.passwd, "alice"), "shadow": line(db.shadow, "alice"),
			"staff": line(db.group, "staff"), "daemon": line(db.group, "daemon"),
			"gstaff": line(db.gshadow, "staff"), "gdaemon": line(db.gshadow, "daemon"),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EnsureUser(%+v) (-want +got):\n%s", spec, diff)
		}
		wantActions := []action{
			moveHome{from: "/home/alice", to: "/home/al"},
			chownTree{dir: "/home/al", oldUID: 1000, newUID: 1500, oldGID: 1000, newGID: 50},
			chownMail{file: "/var/mail/alice", oldUID: 1000, newUID: 1500},
		}
		if diff := cmp.Diff(wantActions, db.actions, cmp.AllowUnexported(moveHome{}, chownTree{}, chownMail{})); diff != "" {
			t.Errorf("EnsureUser(%+v) queued actions (-want +got):\n%s", spec, diff)
		}
	})

	t.Run("other user's home is not removed", func(t *testing.T) {
		files := without()
		files["etc/passwd"] += "twin:x:1001:1000::/home/alice:/bin/sh\n"
		db := loadFixture(t, files)
		if err := db.EnsureUser(UserSpec{Name: "twin", ShouldExist: no}); !errors.Is(err, ErrOtherUserHome) {
			t.Errorf("EnsureUser(remove twin) = %v, want %v", err, ErrOtherUserHome)
		}
	})
}

func joinFields(r *record) string {
	if r == nil {
		return "<missing>"
	}
	s := r.fields[0]
	for _, f := range r.fields[1:] {
		s += ":" + f
	}
	return s
}

func TestLookup(t *testing.T) {
	db := loadFixture(t, fixture)
	tests := []struct {
		name   string
		lookup func(string) (int, bool)
		arg    string
		want   int
		wantOK bool
	}{
		{name: "user", lookup: db.UserID, arg: "alice", want: 1000, wantOK: true},
		{name: "missing user", lookup: db.UserID, arg: "nisuser"},
		{name: "group", lookup: db.GroupID, arg: "staff", want: 50, wantOK: true},
		{name: "missing group", lookup: db.GroupID, arg: "wheel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.lookup(tt.arg); got != tt.want || ok != tt.wantOK {
				t.Errorf("lookup(%q) = %d, %v, want %d, %v", tt.arg, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCommit(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	root := writeRoot(t, fixture)
	if err := os.Chmod(filepath.Join(root, "etc/shadow"), 0o640); err != nil {
		t.Fatal(err)
	}
	writeFile := func(name, content string, mode fs.FileMode) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("etc/skel/.profile", "profile\n", 0o640)
	writeFile("var/mail/alice", "mail\n", 0o600)
	writeFile("home/alice/.bashrc", "rc\n", 0o644)
	// userdel removes a mail spool only when the user owns it; without
	// root the file stays someone else's and must stay.
	mailGone := uid == 0
	if mailGone {
		if err := os.Chown(filepath.Join(root, "var/mail/alice"), 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	steps := []UserSpec{
		{Name: "bob", UID: ptr(uid + 7000), PrimaryGroup: ptr(strconv.Itoa(gid)), SSHAuthorizedKeys: []string{"ssh-ed25519 A", "ssh-rsa B"}},
		{Name: "alice", ShouldExist: ptr(false)},
	}
	if uid != 0 {
		// Without root only the caller's own uid can own files.
		steps[0].UID = ptr(uid)
	}
	for _, s := range steps {
		if err := db.EnsureUser(s); err != nil {
			t.Fatalf("EnsureUser(%+v) = %v", s, err)
		}
	}
	if err := db.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	bobUID := *steps[0].UID
	type node struct {
		Mode     fs.FileMode
		UID, GID int
		Content  string
	}
	stat := func(name string) *node {
		info, err := os.Lstat(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		n := &node{Mode: info.Mode(), UID: int(st.Uid), GID: int(st.Gid)}
		if info.Mode().IsRegular() {
			data, _ := os.ReadFile(filepath.Join(root, name))
			n.Content = string(data)
		}
		return n
	}
	var mail *node
	if !mailGone {
		mail = &node{Mode: 0o600, UID: uid, GID: gid, Content: "mail\n"}
	}
	want := map[string]*node{
		"home/bob":                      {Mode: fs.ModeDir | 0o755, UID: bobUID, GID: gid},
		"home/bob/.profile":             {Mode: 0o640, UID: bobUID, GID: gid, Content: "profile\n"},
		"home/bob/.ssh":                 {Mode: fs.ModeDir | 0o700, UID: bobUID, GID: gid},
		"home/bob/.ssh/authorized_keys": {Mode: 0o600, UID: bobUID, GID: gid, Content: "ssh-ed25519 A\nssh-rsa B\n"},
		"home/alice":                    nil,
		"var/mail/alice":                mail,
		"etc/shadow": {Mode: 0o640, UID: uid, GID: gid, Content: "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n" +
			"sysold:!:19000::::::\nnobody:*:19000:0:99999:7:::\nbob:*:" + strconv.FormatInt(time.Now().Unix()/86400, 10) + ":0:99999:7:::\n"},
		"etc/shadow-": {Mode: 0o640, UID: uid, GID: gid, Content: fixture["etc/shadow"]},
	}
	got := map[string]*node{}
	for name := range want {
		got[name] = stat(name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target root after Commit() (-want +got):\n%s", diff)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(root, "etc/.*flint-tmp")); len(leftovers) != 0 {
		t.Errorf("Commit() left temporary files %v", leftovers)
	}
}

func TestSymlinksOutOfRoot(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid = 7000 // root may own files for any uid, but 0 is taken
	}
	tests := []struct {
		name string
		link string // target of <root>/home
		spec UserSpec
	}{
		{name: "absolute link, new home", link: "OUTSIDE", spec: UserSpec{Name: "bob", UID: ptr(uid), PrimaryGroup: ptr(strconv.Itoa(gid))}},
		{name: "relative link, new home", link: "../../OUTSIDE", spec: UserSpec{Name: "bob", UID: ptr(uid), PrimaryGroup: ptr(strconv.Itoa(gid))}},
		{name: "absolute link, keys", link: "OUTSIDE", spec: UserSpec{Name: "bob", UID: ptr(uid), PrimaryGroup: ptr(strconv.Itoa(gid)), NoCreateHome: true, SSHAuthorizedKeys: []string{"k"}}},
		{name: "absolute link, removal", link: "OUTSIDE", spec: UserSpec{Name: "alice", ShouldExist: ptr(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeRoot(t, fixture)
			outside := t.TempDir()
			if err := os.WriteFile(filepath.Join(outside, "keep"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(outside, "alice"), 0o755); err != nil {
				t.Fatal(err)
			}
			link := tt.link
			if link == "OUTSIDE" {
				link = outside
			} else {
				rel, _ := filepath.Rel(root, outside)
				link = filepath.Join("..", rel)
			}
			if err := os.Symlink(link, filepath.Join(root, "home")); err != nil {
				t.Fatal(err)
			}
			db, err := Load(root)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.EnsureUser(tt.spec); err != nil {
				t.Fatal(err)
			}
			if err := db.Commit(); err == nil {
				t.Errorf("Commit() with /home -> %s = nil, want an error", link)
			} else {
				t.Log(err)
			}
			entries, _ := os.ReadDir(outside)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if diff := cmp.Diff([]string{"alice", "keep"}, names); diff != "" {
				t.Errorf("directory outside the root changed (-want +got):\n%s", diff)
			}
		})
	}
}
