package passwd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// action is filesystem work an operation queued for Commit. Every path is
// absolute in the target and opened through the root (os.Root), so a
// symbolic link that leads out of it, absolute ones included, is an error
// rather than a way out.
type action interface {
	apply(rt *os.Root) error
}

// specialBits are the mode bits chmod takes besides the permissions.
const specialBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// createHome is useradd --create-home: the directory, owned by the user,
// with the skeleton copied in; an existing directory is left untouched.
type createHome struct {
	home     string
	uid, gid int
	mode     fs.FileMode
	skel     string
}

func (a createHome) apply(rt *os.Root) error {
	home := rel(a.home)
	if _, err := rt.Lstat(home); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err // nil: useradd keeps an existing home as it is
	}
	if err := makeParents(rt, home); err != nil {
		return err
	}
	if err := makeDir(rt, home, a.uid, a.gid, a.mode); err != nil {
		return err
	}
	return copySkel(rt, rel(a.skel), home, path.Clean(a.skel), path.Clean(a.home), a.uid, a.gid)
}

// makeParents creates the missing ancestors of p, 0755 and owned by root.
func makeParents(rt *os.Root, p string) error {
	dir := path.Dir(p)
	if dir == "." {
		return nil
	}
	if _, err := rt.Stat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := makeParents(rt, dir); err != nil {
		return err
	}
	return makeDir(rt, dir, 0, 0, 0o755)
}

// makeDir creates directory p with exactly mode (no umask) and owner.
func makeDir(rt *os.Root, p string, uid, gid int, mode fs.FileMode) error {
	if err := rt.Mkdir(p, 0o700); err != nil {
		return err
	}
	if err := rt.Lchown(p, uid, gid); err != nil {
		return err
	}
	return rt.Chmod(p, mode)
}

// copySkel copies the tree src into the new home dst as useradd does:
// every node owned by the user, modes and times kept, hard links kept,
// symbolic links into the skeleton (by their text starting with srcAbs)
// redirected into the home. FIFOs, sockets and device nodes are skipped.
func copySkel(rt *os.Root, src, dst, srcAbs, dstAbs string, uid, gid int) error {
	info, err := rt.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
		return nil
	}
	if err != nil {
		return err
	}
	type dirTimes struct {
		path string
		st   *syscall.Stat_t
	}
	var dirs []dirTimes
	linked := map[[2]uint64]string{}
	err = fs.WalkDir(rt.FS(), src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == src {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		target := path.Join(dst, strings.TrimPrefix(p, src+"/"))
		switch info.Mode().Type() {
		case fs.ModeDir:
			if err := makeDir(rt, target, uid, gid, info.Mode()&specialBits); err != nil {
				return err
			}
			dirs = append(dirs, dirTimes{target, st})
			return nil
		case fs.ModeSymlink:
			link, err := rt.Readlink(p)
			if err != nil {
				return err
			}
			if strings.HasPrefix(link, srcAbs) {
				link = dstAbs + link[len(srcAbs):]
			}
			if err := rt.Symlink(link, target); err != nil {
				return err
			}
			return rt.Lchown(target, uid, gid)
		case 0:
			key := [2]uint64{st.Dev, st.Ino}
			if st.Nlink > 1 {
				if first, ok := linked[key]; ok {
					return rt.Link(first, target)
				}
				linked[key] = target
			}
			if err := copyFile(rt, p, target, uid, gid, info.Mode()&specialBits); err != nil {
				return err
			}
			return rt.Chtimes(target, statTime(st.Atim), statTime(st.Mtim))
		default:
			return nil
		}
	})
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", srcAbs, dstAbs, err)
	}
	for _, d := range slices.Backward(dirs) {
		if err := rt.Chtimes(d.path, statTime(d.st.Atim), statTime(d.st.Mtim)); err != nil {
			return err
		}
	}
	return nil
}

func statTime(t syscall.Timespec) time.Time { return time.Unix(t.Sec, t.Nsec) }

// copyFile copies the regular file src to the new file dst.
func copyFile(rt *os.Root, src, dst string, uid, gid int, mode fs.FileMode) error {
	in, err := rt.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := rt.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	err = out.Chown(uid, gid)
	if err == nil {
		err = out.Chmod(mode)
	}
	if err == nil {
		_, err = io.Copy(out, in)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// moveHome is usermod --home --move-home: the old home is renamed to the
// new path when it exists as a directory; the new path must not exist.
// Moving across filesystems is not done (usermod copies then).
type moveHome struct{ from, to string }

func (a moveHome) apply(rt *os.Root) error {
	info, err := rt.Lstat(rel(a.from))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := rt.Lstat(rel(a.to)); err == nil {
		return fmt.Errorf("moving %s to %s: %w", a.from, a.to, ErrHomeExists)
	}
	if err := rt.Rename(rel(a.from), rel(a.to)); err != nil {
		return fmt.Errorf("moving home directory: %w", err)
	}
	return nil
}

// chownTree is usermod's change of owner in the home after --uid or
// --gid: nodes owned by the old uid (gid) get the new one; -1 keeps.
type chownTree struct {
	dir                            string
	oldUID, newUID, oldGID, newGID int
}

func (a chownTree) apply(rt *os.Root) error {
	dir := rel(a.dir)
	info, err := rt.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
		return nil
	}
	if err != nil {
		return err
	}
	return fs.WalkDir(rt.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		uid, gid := int(st.Uid), int(st.Gid)
		if a.newUID >= 0 && uid == a.oldUID {
			uid = a.newUID
		}
		if a.newGID >= 0 && gid == a.oldGID {
			gid = a.newGID
		}
		if uid == int(st.Uid) && gid == int(st.Gid) {
			return nil
		}
		mode := info.Mode()
		if err := rt.Lchown(p, uid, gid); err != nil {
			return err
		}
		// chown clears set-id bits; usermod puts them back.
		if mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 && mode.Type()&fs.ModeSymlink == 0 {
			return rt.Chmod(p, mode&specialBits)
		}
		return nil
	})
}

// chownMail gives the mail spool of a user whose uid changed the new uid.
type chownMail struct {
	file           string
	oldUID, newUID int
}

func (a chownMail) apply(rt *os.Root) error {
	info, err := rt.Lstat(rel(a.file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st := info.Sys().(*syscall.Stat_t); int(st.Uid) != a.oldUID || !info.Mode().IsRegular() {
		return nil
	}
	return rt.Lchown(rel(a.file), a.newUID, -1)
}

// removeHome is userdel --remove's removal of the home directory.
type removeHome struct{ dir string }

func (a removeHome) apply(rt *os.Root) error {
	dir := rel(a.dir)
	if dir == "." {
		return fmt.Errorf("not removing the root directory as a home: %w", ErrOtherUserHome)
	}
	return rt.RemoveAll(dir)
}

// removeMail removes a user's mail spool, only when the user owns it
// (userdel leaves someone else's file alone).
type removeMail struct {
	file string
	uid  int
}

func (a removeMail) apply(rt *os.Root) error {
	info, err := rt.Lstat(rel(a.file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st := info.Sys().(*syscall.Stat_t); int(st.Uid) != a.uid {
		return nil
	}
	return rt.Remove(rel(a.file))
}

// authorizedKeys replaces the user's AuthorizedKeysFile with keys, one a
// line. Missing directories from the home down are created 0700 and owned
// by the user; the file is 0600, owned by the user, written atomically.
type authorizedKeys struct {
	home     string
	uid, gid int
	keys     []string
}

func (a authorizedKeys) apply(rt *os.Root) error {
	file := path.Join(rel(a.home), AuthorizedKeysFile)
	if err := makeParents(rt, rel(a.home)); err != nil {
		return err
	}
	for _, dir := range []string{rel(a.home), path.Dir(file)} {
		if _, err := rt.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			err = makeDir(rt, dir, a.uid, a.gid, 0o700)
			if err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	data := []byte(strings.Join(a.keys, "\n") + "\n")
	if err := writeOwned(rt, file, data, a.uid, a.gid, 0o600); err != nil {
		return fmt.Errorf("writing authorized keys for %s: %w", a.home, err)
	}
	return nil
}

// writeOwned replaces file with data atomically, with the given owner and
// mode; the file (the last component) is replaced, never followed.
func writeOwned(rt *os.Root, file string, data []byte, uid, gid int, mode fs.FileMode) error {
	tmp := path.Join(path.Dir(file), "."+path.Base(file)+".flint-tmp")
	rt.Remove(tmp)
	f, err := rt.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	err = f.Chown(uid, gid)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rt.Rename(tmp, file)
	}
	if err != nil {
		rt.Remove(tmp)
	}
	return err
}
