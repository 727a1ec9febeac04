package passwd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// The platform's SSH keys (cloud metadata) live in a marked block of the user's
// authorized_keys, refreshed at every boot, beside the keys the config wrote.
const (
	platformKeysBegin = "# BEGIN platform SSH keys (flint metadata; replaced at every boot)"
	platformKeysEnd   = "# END platform SSH keys"
)

// InstallPlatformKeys puts keys in user's authorized_keys inside the target root, replacing
// the block a previous call wrote and keeping every other line. Missing directories are made
// 0700 and the file 0600, owned by the user; paths never leave the root.
func InstallPlatformKeys(root, user string, keys []string) error {
	db, err := Load(root)
	if err != nil {
		return err
	}
	r := db.passwd.lookup(user)
	if r == nil {
		return fmt.Errorf("%w: %s", ErrNoUser, user)
	}
	rt, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer rt.Close()
	file := path.Join(rel(r.fields[5]), AuthorizedKeysFile)
	old, err := rt.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	text := replaceBlock(string(old), keys)
	a := authorizedKeys{home: r.fields[5], uid: r.id(2), gid: r.id(3)}
	a.keys = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	return a.apply(rt)
}

// replaceBlock drops the old platform block from an authorized_keys text and appends the new
// one (none when keys is empty).
func replaceBlock(text string, keys []string) string {
	var out []string
	in := false
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case l == platformKeysBegin:
			in = true
		case l == platformKeysEnd:
			in = false
		case !in && (l != "" || len(out) > 0):
			out = append(out, l)
		}
	}
	if len(keys) > 0 {
		out = append(out, platformKeysBegin)
		out = append(out, keys...)
		out = append(out, platformKeysEnd)
	}
	return strings.Join(out, "\n") + "\n"
}
