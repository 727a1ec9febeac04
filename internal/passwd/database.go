// Package passwd creates, changes and removes users and groups in a target
// root the way Debian's shadow-utils (useradd, usermod, userdel, groupadd,
// groupmod, groupdel with --root) do, without running them: the initramfs
// that applies a config should not need shadow-utils, and the result on disk
// must be the same files.
//
// The work is split in two. Load reads /etc/passwd, shadow, group and
// gshadow (and the settings in login.defs and default/useradd) of the
// target root; EnsureGroup, EnsureUser and SetAuthorizedKeys change that
// in-memory database and queue the filesystem work they imply (home
// directories, mail spools, authorized keys); Commit writes the four files
// atomically and then performs the queued work, every path opened inside
// the root so that no symbolic link can lead out of it.
//
// Decisions, where flint and shadow-utils could differ:
//   - Backups: like shadow-utils, each rewritten file's previous contents
//     are kept as "<file>-", but once per Commit, not once per operation.
//   - A rewritten file keeps the mode and owner of the file it replaces
//     (Debian: passwd and group 0644 root:root, shadow and gshadow 0640
//     root:shadow); a missing shadow or gshadow is not created.
//   - Symbolic links in home paths are followed only while they stay in the
//     root; an absolute link (which useradd, being chrooted, would resolve
//     inside the root) is refused.
//   - Not done: /etc/subuid and /etc/subgid ranges, lastlog and faillog
//     records, CREATE_MAIL_SPOOL, moving a home across filesystems, and
//     copying FIFOs or device nodes from the skeleton.
package passwd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files of the database, relative to the root.
const (
	passwdFile  = "etc/passwd"
	shadowFile  = "etc/shadow"
	groupFile   = "etc/group"
	gshadowFile = "etc/gshadow"
	lockFile    = "etc/.pwd.lock"
)

// record is one line of a database file. A line that does not parse
// (comment, NIS "+" entry, too few fields) keeps fields nil and is written
// back verbatim.
type record struct {
	raw     string
	fields  []string
	deleted bool
}

func (r *record) name() string { return r.fields[0] }

// id returns the numeric field i (uid, gid), or -1 when it is not a number.
func (r *record) id(i int) int {
	n, err := strconv.Atoi(r.fields[i])
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// table is one database file in memory, in file order, with a name index.
type table struct {
	path    string
	present bool
	dirty   bool
	data    []byte // contents as read, for the backup file
	records []*record
	byName  map[string]*record
}

// parseTable splits data into records; lines with fewer than minFields
// colon-separated fields are kept verbatim.
func parseTable(file string, data []byte, minFields int) *table {
	t := &table{path: file, present: true, data: data, byName: map[string]*record{}}
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return t
	}
	for line := range strings.SplitSeq(text, "\n") {
		r := &record{raw: line}
		if line != "" && line[0] != '#' && line[0] != '+' && line[0] != '-' {
			if f := strings.Split(line, ":"); len(f) >= minFields && f[0] != "" {
				r.fields = f
				if _, dup := t.byName[f[0]]; !dup {
					t.byName[f[0]] = r
				}
			}
		}
		t.records = append(t.records, r)
	}
	return t
}

// bytes renders the table as the file it will be written to.
func (t *table) bytes() []byte {
	var b bytes.Buffer
	for _, r := range t.records {
		switch {
		case r.deleted:
			continue
		case r.fields != nil:
			b.WriteString(strings.Join(r.fields, ":"))
		default:
			b.WriteString(r.raw)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (t *table) lookup(name string) *record {
	if t == nil || !t.present {
		return nil
	}
	return t.byName[name]
}

func (t *table) add(fields []string) {
	r := &record{fields: fields}
	t.records = append(t.records, r)
	t.byName[fields[0]] = r
	t.dirty = true
}

func (t *table) remove(name string) {
	if r := t.lookup(name); r != nil {
		r.deleted = true
		delete(t.byName, name)
		t.dirty = true
	}
}

// live calls f for every parsed, not deleted record in file order.
func (t *table) live(f func(r *record)) {
	if t == nil || !t.present {
		return
	}
	for _, r := range t.records {
		if r.fields != nil && !r.deleted {
			f(r)
		}
	}
}

// Database is the users and groups of one target root, in memory.
type Database struct {
	// Settings read from the root's login.defs and default/useradd.
	Settings Settings
	// Now gives the time written as the day of the last password change;
	// time.Now unless a caller (a test, a reproducible build) sets it.
	Now func() time.Time

	root                           string
	passwd, shadow, group, gshadow *table
	actions                        []action
}

// Load reads the database of the target root dir. /etc/passwd and
// /etc/group must exist; a missing shadow or gshadow is tolerated and then,
// as shadow-utils does, not created: passwords go to passwd and group.
func Load(root string) (*Database, error) {
	rt, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	db := &Database{root: root, Now: time.Now}
	load := func(file string, minFields int, required bool) (*table, error) {
		data, err := rt.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) && !required {
			return &table{path: file, byName: map[string]*record{}}, nil
		}
		if err != nil {
			return nil, err
		}
		return parseTable(file, data, minFields), nil
	}
	if db.passwd, err = load(passwdFile, 7, true); err != nil {
		return nil, err
	}
	if db.shadow, err = load(shadowFile, 2, false); err != nil {
		return nil, err
	}
	if db.group, err = load(groupFile, 4, true); err != nil {
		return nil, err
	}
	if db.gshadow, err = load(gshadowFile, 4, false); err != nil {
		return nil, err
	}
	if db.Settings, err = readSettings(rt); err != nil {
		return nil, err
	}
	return db, nil
}

// UserID returns the uid of the user name in the target root.
func (db *Database) UserID(name string) (int, bool) {
	r := db.passwd.lookup(name)
	if r == nil || r.id(2) < 0 {
		return 0, false
	}
	return r.id(2), true
}

// GroupID returns the gid of the group name in the target root.
func (db *Database) GroupID(name string) (int, bool) {
	r := db.group.lookup(name)
	if r == nil || r.id(2) < 0 {
		return 0, false
	}
	return r.id(2), true
}

// Commit writes the changed database files and then performs the queued
// filesystem work (home directories, mail spools, authorized keys), in the
// order the operations were made. Like shadow-utils it holds the lock on
// /etc/.pwd.lock while writing, keeps each previous file as "<file>-" and
// gives the new file the mode and owner of the one it replaces.
func (db *Database) Commit() error {
	rt, err := os.OpenRoot(db.root)
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := db.writeTables(rt); err != nil {
		return err
	}
	actions := db.actions
	db.actions = nil
	for _, a := range actions {
		if err := a.apply(rt); err != nil {
			return err
		}
	}
	return nil
}

func (db *Database) writeTables(rt *os.Root) error {
	tables := []*table{db.passwd, db.shadow, db.group, db.gshadow}
	dirty := false
	for _, t := range tables {
		dirty = dirty || (t.present && t.dirty)
	}
	if !dirty {
		return nil
	}
	lock, err := rt.OpenFile(lockFile, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.FcntlFlock(lock.Fd(), syscall.F_SETLKW, &syscall.Flock_t{Type: syscall.F_WRLCK}); err != nil {
		return fmt.Errorf("locking %s: %w", lockFile, err)
	}
	for _, t := range tables {
		if !t.present || !t.dirty {
			continue
		}
		info, err := rt.Stat(t.path)
		if err != nil {
			return err
		}
		if err := writeAtomic(rt, t.path+"-", t.data, info); err != nil {
			return err
		}
		data := t.bytes()
		if err := writeAtomic(rt, t.path, data, info); err != nil {
			return err
		}
		t.data, t.dirty = data, false
	}
	return nil
}

// writeAtomic replaces file with data (through a synced temporary file in
// the same directory) with the mode and owner of like.
func writeAtomic(rt *os.Root, file string, data []byte, like fs.FileInfo) error {
	st := like.Sys().(*syscall.Stat_t)
	if err := writeOwned(rt, file, data, int(st.Uid), int(st.Gid), like.Mode().Perm()); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
