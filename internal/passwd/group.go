package passwd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of the operations, worded after the shadow-utils messages.
var (
	ErrInvalidName   = errors.New("invalid user or group name")
	ErrIDInUse       = errors.New("ID is not unique")
	ErrNoFreeID      = errors.New("can't get unique ID")
	ErrNoGroup       = errors.New("group does not exist")
	ErrNoUser        = errors.New("user does not exist")
	ErrGroupExists   = errors.New("group exists - if you want to add this user to that group, use -g")
	ErrPrimaryGroup  = errors.New("cannot remove the primary group of a user")
	ErrHomeExists    = errors.New("home directory already exists")
	ErrOtherUserHome = errors.New("not removing directory: it is the home of another user")
)

// GroupSpec is the wanted state of one group (config.PasswdGroup).
type GroupSpec struct {
	Name         string
	GID          *int
	PasswordHash *string
	// ShouldExist false removes the group; nil means true.
	ShouldExist *bool
	System      bool
}

// EnsureGroup creates, changes or removes a group as groupadd, groupmod
// and groupdel do for it.
func (db *Database) EnsureGroup(g GroupSpec) error {
	if err := checkName(g.Name); err != nil {
		return err
	}
	existing := db.group.lookup(g.Name)
	switch {
	case g.ShouldExist != nil && !*g.ShouldExist:
		if existing == nil {
			return nil
		}
		return db.deleteGroup(g.Name, existing)
	case existing != nil:
		return db.modifyGroup(existing, g)
	default:
		return db.addGroup(g)
	}
}

func (db *Database) addGroup(g GroupSpec) error {
	var gid int
	if g.GID != nil {
		gid = *g.GID
		if db.gidInUse(gid) {
			return fmt.Errorf("GID '%d' already exists: %w", gid, ErrIDInUse)
		}
	} else {
		var err error
		if gid, err = db.newGID(g.System, -1); err != nil {
			return fmt.Errorf("group %s: %w", g.Name, err)
		}
	}
	pass := "x"
	if g.PasswordHash != nil {
		pass = *g.PasswordHash
	}
	if db.gshadow.present {
		spass := "!"
		if g.PasswordHash != nil {
			spass = *g.PasswordHash
		}
		pass = "x"
		db.gshadow.add([]string{g.Name, spass, "", ""})
	}
	db.group.add([]string{g.Name, pass, strconv.Itoa(gid), ""})
	return nil
}

func (db *Database) gidInUse(gid int) bool {
	found := false
	db.group.live(func(r *record) { found = found || r.id(2) == gid })
	return found
}

func (db *Database) modifyGroup(r *record, g GroupSpec) error {
	if g.GID != nil && *g.GID != r.id(2) {
		if db.gidInUse(*g.GID) {
			return fmt.Errorf("GID '%d' already exists: %w", *g.GID, ErrIDInUse)
		}
		old := r.fields[2]
		r.fields[2] = strconv.Itoa(*g.GID)
		db.group.dirty = true
		// groupmod moves the users whose primary group this was along.
		db.passwd.live(func(u *record) {
			if u.fields[3] == old {
				u.fields[3] = r.fields[2]
				db.passwd.dirty = true
			}
		})
	}
	if g.PasswordHash != nil {
		if s := db.gshadow.lookup(g.Name); s != nil {
			s.fields[1] = *g.PasswordHash
			r.fields[1] = "x"
			db.gshadow.dirty = true
		} else {
			r.fields[1] = *g.PasswordHash
		}
		db.group.dirty = true
	}
	return nil
}

func (db *Database) deleteGroup(name string, r *record) error {
	gid := r.fields[2]
	var owner string
	db.passwd.live(func(u *record) {
		if owner == "" && u.fields[3] == gid {
			owner = u.name()
		}
	})
	if owner != "" {
		return fmt.Errorf("group %s is the primary group of user %s: %w", name, owner, ErrPrimaryGroup)
	}
	db.group.remove(name)
	db.gshadow.remove(name)
	return nil
}

// checkName rejects names that would break the files' syntax or read as
// options; shadow-utils (as Debian builds it) accepts anything else.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || name[0] == '-' || name[0] == '+' ||
		strings.ContainsAny(name, ":,\n\t /") {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// members splits a member list field.
func members(field string) []string {
	if field == "" {
		return nil
	}
	return strings.Split(field, ",")
}

// setMember adds (in) or removes (!in) user in the member list of field i
// of r and reports whether it changed.
func setMember(r *record, i int, user string, in bool) bool {
	list := members(r.fields[i])
	for k, m := range list {
		if m == user {
			if in {
				return false
			}
			r.fields[i] = strings.Join(append(list[:k:k], list[k+1:]...), ",")
			return true
		}
	}
	if !in {
		return false
	}
	r.fields[i] = strings.Join(append(list, user), ",")
	return true
}
