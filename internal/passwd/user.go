package passwd

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// UserSpec is the wanted state of one user (config.PasswdUser). Optional
// fields are pointers: nil leaves an existing user's value as it is.
type UserSpec struct {
	Name string
	// PasswordHash is the crypt(3) hash; nil or "" disables password
	// login ("*").
	PasswordHash      *string
	SSHAuthorizedKeys []string
	UID               *int
	Gecos             *string
	HomeDir           *string
	// PrimaryGroup is a group name or gid; nil gives a new user its own
	// group (when USERGROUPS_ENAB) or GROUP from default/useradd.
	PrimaryGroup *string
	// Groups are the supplementary groups; for an existing user a non-empty
	// list replaces its memberships.
	Groups []string
	Shell  *string
	// ShouldExist false removes the user, its home and mail spool; nil
	// means true.
	ShouldExist *bool
	// Creation only: no home directory, no user group, a system account.
	NoCreateHome bool
	NoUserGroup  bool
	System       bool
	// NoLogInit is accepted for completeness: flint never writes lastlog
	// or faillog records (a zeroed record, what useradd writes, reads the
	// same as none).
	NoLogInit bool
}

// AuthorizedKeysFile is where a user's sshAuthorizedKeys are written,
// relative to the home directory. It is the file every OpenSSH reads by
// default (Debian's sshd has no authorized_keys.d drop-in directory), so
// the keys work without configuring sshd; the file is replaced, as
// Ignition replaces its fragment, so it holds exactly the configured keys.
const AuthorizedKeysFile = ".ssh/authorized_keys"

// EnsureUser creates, changes or removes a user as useradd, usermod and
// userdel --remove do for the flags Ignition passes them, and queues the
// home directory and authorized keys work for Commit.
func (db *Database) EnsureUser(u UserSpec) error {
	if err := checkName(u.Name); err != nil {
		return err
	}
	existing := db.passwd.lookup(u.Name)
	var err error
	switch {
	case u.ShouldExist != nil && !*u.ShouldExist:
		if existing != nil {
			err = db.deleteUser(existing)
		}
		return err
	case existing != nil:
		err = db.modifyUser(existing, u)
	default:
		err = db.addUser(u)
	}
	if err != nil || len(u.SSHAuthorizedKeys) == 0 {
		return err
	}
	r := db.passwd.lookup(u.Name)
	db.actions = append(db.actions, authorizedKeys{home: r.fields[5], uid: r.id(2), gid: r.id(3), keys: u.SSHAuthorizedKeys})
	return nil
}

// resolveGroup finds a group by name, or else by gid.
func (db *Database) resolveGroup(name string) (*record, error) {
	if r := db.group.lookup(name); r != nil {
		return r, nil
	}
	if gid, err := strconv.Atoi(name); err == nil {
		var found *record
		db.group.live(func(r *record) {
			if found == nil && r.id(2) == gid {
				found = r
			}
		})
		if found != nil {
			return found, nil
		}
	}
	return nil, fmt.Errorf("group '%s': %w", name, ErrNoGroup)
}

func (db *Database) resolveGroups(names []string) ([]*record, error) {
	groups := make([]*record, 0, len(names))
	for _, n := range names {
		g, err := db.resolveGroup(n)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func (db *Database) uidInUse(uid int) bool {
	found := false
	db.passwd.live(func(r *record) { found = found || r.id(2) == uid })
	return found
}

// today is the day number shadow records as the last password change;
// day 0 is written as empty, as shadow-utils does.
func (db *Database) today() string {
	d := db.Now().Unix() / 86400
	if d <= 0 {
		return ""
	}
	return strconv.FormatInt(d, 10)
}

func ageField(n int) string {
	if n < 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func password(hash *string) string {
	if hash == nil || *hash == "" {
		return "*"
	}
	return *hash
}

func (db *Database) addUser(u UserSpec) error {
	s := db.Settings
	var primary *record
	if u.PrimaryGroup != nil {
		var err error
		if primary, err = db.resolveGroup(*u.PrimaryGroup); err != nil {
			return err
		}
	}
	groups, err := db.resolveGroups(u.Groups)
	if err != nil {
		return err
	}
	userGroup := s.UserGroups && !u.NoUserGroup && primary == nil
	if userGroup && db.group.lookup(u.Name) != nil {
		return fmt.Errorf("group %s: %w", u.Name, ErrGroupExists)
	}
	home := path.Join(s.HomeBase, u.Name)
	if u.HomeDir != nil {
		home = *u.HomeDir
	}
	if !path.IsAbs(home) {
		return fmt.Errorf("invalid home directory '%s'", home)
	}
	var uid int
	if u.UID != nil {
		uid = *u.UID
		if db.uidInUse(uid) {
			return fmt.Errorf("UID %d: %w", uid, ErrIDInUse)
		}
	} else if uid, err = db.newUID(u.System); err != nil {
		return fmt.Errorf("user %s: %w", u.Name, err)
	}
	gid := s.Group
	switch {
	case userGroup:
		if gid, err = db.newGID(u.System, uid); err != nil {
			return fmt.Errorf("group %s: %w", u.Name, err)
		}
	case primary != nil:
		gid = primary.id(2)
	}
	shell := s.Shell
	if u.Shell != nil {
		shell = *u.Shell
	}
	gecos := ""
	if u.Gecos != nil {
		gecos = *u.Gecos
	}
	pass := password(u.PasswordHash)
	if db.shadow.present {
		spent := []string{u.Name, pass, db.today(), "", "", "", "", "", ""}
		if !u.System {
			spent[3], spent[4], spent[5] = ageField(s.PassMinDays), ageField(s.PassMaxDays), ageField(s.PassWarnAge)
			spent[6] = ageField(s.Inactive)
		}
		db.shadow.add(spent)
		pass = "x"
	}
	db.passwd.add([]string{u.Name, pass, strconv.Itoa(uid), strconv.Itoa(gid), gecos, home, shell})
	if userGroup {
		gpass := "!"
		if db.gshadow.present {
			gpass = "x"
			db.gshadow.add([]string{u.Name, "!", "", ""})
		}
		db.group.add([]string{u.Name, gpass, strconv.Itoa(gid), ""})
	}
	for _, g := range groups {
		db.setMembership(g, u.Name, true)
	}
	if !u.NoCreateHome {
		db.actions = append(db.actions, createHome{home: home, uid: uid, gid: gid, mode: s.HomeMode, skel: s.Skel})
	}
	return nil
}

// setMembership adds or removes user in the member lists of group g, in
// group and in gshadow.
func (db *Database) setMembership(g *record, user string, in bool) {
	if setMember(g, 3, user, in) {
		db.group.dirty = true
	}
	if sg := db.gshadow.lookup(g.name()); sg != nil && setMember(sg, 3, user, in) {
		db.gshadow.dirty = true
	}
}

func (db *Database) modifyUser(r *record, u UserSpec) error {
	var primary *record
	if u.PrimaryGroup != nil {
		var err error
		if primary, err = db.resolveGroup(*u.PrimaryGroup); err != nil {
			return err
		}
	}
	groups, err := db.resolveGroups(u.Groups)
	if err != nil {
		return err
	}
	if u.HomeDir != nil && !path.IsAbs(*u.HomeDir) {
		return fmt.Errorf("invalid home directory '%s'", *u.HomeDir)
	}
	oldUID, oldGID := r.id(2), r.id(3)
	newUID, newGID := -1, -1
	if u.UID != nil && *u.UID != oldUID {
		if db.uidInUse(*u.UID) {
			return fmt.Errorf("UID %d: %w", *u.UID, ErrIDInUse)
		}
		newUID = *u.UID
		r.fields[2] = strconv.Itoa(newUID)
	}
	if primary != nil && primary.id(2) != oldGID {
		newGID = primary.id(2)
		r.fields[3] = primary.fields[2]
	}
	if u.Gecos != nil {
		r.fields[4] = *u.Gecos
	}
	home := r.fields[5]
	if u.HomeDir != nil && *u.HomeDir != home {
		db.actions = append(db.actions, moveHome{from: home, to: *u.HomeDir})
		home = *u.HomeDir
		r.fields[5] = home
	}
	if u.Shell != nil {
		r.fields[6] = *u.Shell
	}
	if u.PasswordHash != nil {
		if sp := db.shadow.lookup(u.Name); sp != nil {
			sp.fields[1] = password(u.PasswordHash)
			if len(sp.fields) > 2 {
				sp.fields[2] = db.today()
			}
			db.shadow.dirty = true
		} else {
			r.fields[1] = password(u.PasswordHash)
		}
	}
	db.passwd.dirty = true
	if len(u.Groups) > 0 {
		want := make(map[string]bool, len(groups))
		for _, g := range groups {
			want[g.name()] = true
		}
		db.group.live(func(g *record) { db.setMembership(g, u.Name, want[g.name()]) })
	}
	if newUID >= 0 || newGID >= 0 {
		db.actions = append(db.actions, chownTree{dir: home, oldUID: oldUID, newUID: newUID, oldGID: oldGID, newGID: newGID})
		if newUID >= 0 && db.Settings.MailDir != "" {
			db.actions = append(db.actions, chownMail{file: path.Join(db.Settings.MailDir, u.Name), oldUID: oldUID, newUID: newUID})
		}
	}
	return nil
}

func (db *Database) deleteUser(r *record) error {
	name, uid, gid, home := r.name(), r.id(2), r.fields[3], r.fields[5]
	var other string
	db.passwd.live(func(o *record) {
		if other == "" && o != r && o.fields[5] == home {
			other = o.name()
		}
	})
	if other != "" {
		return fmt.Errorf("%s (home of user %s): %w", home, other, ErrOtherUserHome)
	}
	db.passwd.remove(name)
	db.shadow.remove(name)
	db.group.live(func(g *record) { db.setMembership(g, name, false) })
	db.gshadow.live(func(sg *record) {
		if setMember(sg, 2, name, false) {
			db.gshadow.dirty = true
		}
	})
	if g := db.group.lookup(name); db.Settings.UserGroups && g != nil && g.fields[2] == gid && g.fields[3] == "" {
		shared := false
		db.passwd.live(func(o *record) { shared = shared || o.fields[3] == gid })
		if !shared {
			db.group.remove(name)
			db.gshadow.remove(name)
		}
	}
	db.actions = append(db.actions, removeHome{dir: home})
	if db.Settings.MailDir != "" {
		db.actions = append(db.actions, removeMail{file: path.Join(db.Settings.MailDir, name), uid: uid})
	}
	return nil
}

// rel turns an absolute path in the target into one relative to its root.
func rel(p string) string {
	r := strings.TrimPrefix(path.Clean("/"+p), "/")
	if r == "" {
		return "."
	}
	return r
}
