// Package rootfs reads and writes paths inside a target root directory as if the process were
// chrooted into it: absolute symlinks are resolved against the root and ".." stops at the
// root, so no path or symlink in a config can lead out of it.
package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds symlink resolution, as the kernel's ELOOP limit does.
const maxLinks = 40

// Errors of path resolution.
var (
	ErrNotAbsolute  = errors.New("path is not absolute")
	ErrTooManyLinks = errors.New("too many levels of symbolic links")
	ErrNotDir       = errors.New("a non-directory stands where a directory is needed")
)

// Root is a target root directory.
type Root struct {
	dir string // absolute, clean host path
}

// New returns the Root at dir.
func New(dir string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, err
	}
	return Root{dir: filepath.Clean(abs)}, nil
}

// Dir is the host path of the root.
func (r Root) Dir() string { return r.dir }

// Host returns the host path of an already resolved in-root path.
func (r Root) Host(resolved string) string {
	if resolved == "/" {
		return r.dir
	}
	if r.dir == "/" {
		return resolved
	}
	return r.dir + resolved
}

// Resolve returns the in-root path that p names, following symlinks in every component but the
// last (the last is never followed: an entry at p acts on the link itself). Components that do
// not exist are kept literally.
func (r Root) Resolve(p string) (string, error) {
	return r.resolve(p, false)
}

// ResolveAll is Resolve that also follows a symlink in the last component.
func (r Root) ResolveAll(p string) (string, error) {
	return r.resolve(p, true)
}

func (r Root) resolve(p string, followLast bool) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%w: %q", ErrNotAbsolute, p)
	}
	rest := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	if len(rest) == 1 && rest[0] == "" {
		return "/", nil
	}
	cur := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		next := path.Join(cur, c) // Clean: ".." never climbs above "/"
		if len(rest) == 0 && !followLast {
			return next, nil
		}
		fi, err := os.Lstat(r.Host(next))
		if errors.Is(err, fs.ErrNotExist) {
			// Nothing exists below here, so no more links can be met.
			return path.Join(append([]string{next}, rest...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !fi.IsDir() {
				return "", fmt.Errorf("%w: %s", ErrNotDir, next)
			}
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%w: %s", ErrTooManyLinks, p)
		}
		target, err := os.Readlink(r.Host(next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		tparts := strings.Split(strings.Trim(path.Clean(target), "/"), "/")
		if len(tparts) == 1 && tparts[0] == "" {
			tparts = nil
		}
		rest = append(tparts, rest...)
	}
	return cur, nil
}

// MkdirAll creates the in-root directory p with mode perm and its missing parents with 0755,
// following symlinks as if chrooted, and returns the resolved path. Existing directories are
// left as they are; new ones belong to the process's user (root in the initramfs).
func (r Root) MkdirAll(p string, perm fs.FileMode) (string, error) {
	res, err := r.ResolveAll(p)
	if err != nil {
		return "", err
	}
	if res == "/" {
		return res, nil
	}
	fi, err := os.Lstat(r.Host(res))
	if err == nil {
		if !fi.IsDir() {
			return "", fmt.Errorf("%w: %s", ErrNotDir, res)
		}
		return res, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if _, err := r.MkdirAll(path.Dir(res), 0o755); err != nil { // parents are always 0755
		return "", err
	}
	if err := os.Mkdir(r.Host(res), perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	// Mkdir applies the umask; the mode asked for is the mode wanted.
	return res, os.Chmod(r.Host(res), perm)
}

// WriteFile writes data to the in-root path p atomically: a temporary file in the same
// directory, written, synced, given its owner and mode, then renamed over p. Missing parent
// directories are created 0755 and owned by root. p's last component is not followed: a
// symlink at p is replaced, never written through.
func (r Root) WriteFile(p string, data []byte, perm fs.FileMode, uid, gid int) error {
	res, err := r.Resolve(p)
	if err != nil {
		return err
	}
	dir, err := r.MkdirAll(path.Dir(res), 0o755)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(r.Host(dir), ".flint-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chown(uid, gid); err != nil && !errors.Is(err, syscall.EPERM) {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, r.Host(res)); err != nil {
		return err
	}
	ok = true
	return syncDir(r.Host(dir))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
