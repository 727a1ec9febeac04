package passwd

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Settings are the target root's account defaults: /etc/login.defs and
// /etc/default/useradd, with shadow-utils' built-in values (as Debian
// 12's shadow 4.13 has them) for what those files do not set.
type Settings struct {
	UIDMin, UIDMax       int // UID_MIN, UID_MAX
	SysUIDMin, SysUIDMax int // SYS_UID_MIN, SYS_UID_MAX
	GIDMin, GIDMax       int // GID_MIN, GID_MAX
	SysGIDMin, SysGIDMax int // SYS_GID_MIN, SYS_GID_MAX
	// UserGroups is USERGROUPS_ENAB: a new user gets a group of its own
	// name, and userdel removes it again.
	UserGroups bool
	// HomeMode is HOME_MODE, or the permissions UMASK leaves.
	HomeMode fs.FileMode
	// Password ageing of new normal users (PASS_MIN_DAYS, PASS_MAX_DAYS,
	// PASS_WARN_AGE) and INACTIVE; -1 leaves the shadow field empty.
	PassMinDays, PassMaxDays, PassWarnAge, Inactive int
	// MailDir is MAIL_DIR, where userdel --remove finds the mail spool.
	MailDir string
	// From /etc/default/useradd: GROUP (primary gid without a user
	// group), HOME (base of home directories), SHELL, SKEL.
	Group    int
	HomeBase string
	Shell    string
	Skel     string
}

// readSettings reads login.defs and default/useradd under rt; missing
// files leave the built-in defaults.
func readSettings(rt *os.Root) (Settings, error) {
	defs, err := readKeyValues(rt, "etc/login.defs", func(line string) (string, string) {
		f := strings.Fields(line)
		if len(f) < 2 {
			return "", ""
		}
		return f[0], strings.Trim(f[1], `"`)
	})
	if err != nil {
		return Settings{}, err
	}
	dflt, err := readKeyValues(rt, "etc/default/useradd", func(line string) (string, string) {
		k, v, _ := strings.Cut(line, "=")
		return strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
	})
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		UIDMin: number(defs, "UID_MIN", 1000),
		UIDMax: number(defs, "UID_MAX", 60000),
		GIDMin: number(defs, "GID_MIN", 1000),
		GIDMax: number(defs, "GID_MAX", 60000),
	}
	s.SysUIDMin = number(defs, "SYS_UID_MIN", 101)
	s.SysUIDMax = number(defs, "SYS_UID_MAX", s.UIDMin-1)
	s.SysGIDMin = number(defs, "SYS_GID_MIN", 101)
	s.SysGIDMax = number(defs, "SYS_GID_MAX", s.GIDMin-1)
	s.UserGroups = strings.EqualFold(defs["USERGROUPS_ENAB"], "yes")
	umask := number(defs, "UMASK", 0o22)
	s.HomeMode = fs.FileMode(number(defs, "HOME_MODE", 0o777&^umask)) & fs.ModePerm
	s.PassMinDays = number(defs, "PASS_MIN_DAYS", -1)
	s.PassMaxDays = number(defs, "PASS_MAX_DAYS", -1)
	s.PassWarnAge = number(defs, "PASS_WARN_AGE", -1)
	s.MailDir = defs["MAIL_DIR"]
	s.Group = number(dflt, "GROUP", 100)
	s.HomeBase = text(dflt, "HOME", "/home")
	s.Shell = text(dflt, "SHELL", "/bin/bash")
	s.Skel = text(dflt, "SKEL", "/etc/skel")
	s.Inactive = number(dflt, "INACTIVE", -1)
	return s, nil
}

// readKeyValues reads the settings file name; split turns a line that is
// not a comment into its key and value.
func readKeyValues(rt *os.Root, name string, split func(string) (string, string)) (map[string]string, error) {
	m := map[string]string{}
	data, err := rt.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v := split(line); k != "" {
			m[k] = v
		}
	}
	return m, sc.Err()
}

// number reads an integer setting the way shadow-utils does (strtol with
// base 0: 022 is octal, 0x16 hexadecimal); a malformed value counts as
// absent.
func number(m map[string]string, key string, def int) int {
	v, ok := m[key]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		return def
	}
	return int(n)
}

func text(m map[string]string, key, def string) string {
	if v, ok := m[key]; ok && v != "" {
		return v
	}
	return def
}
