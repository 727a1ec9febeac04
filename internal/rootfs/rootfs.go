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

	"golang.org/x/sys/unix"
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
	st  *state
}

// state is what a Root learns while writing: the directories it knows exist (so that thousands
// of files in a few directories do not resolve and stat the same parents again) and the
// directories whose new entries still need to be made durable.
type state struct {
	dirs    map[string]bool // resolved in-root paths known to be real directories
	dirty   map[string]bool // host directories with renamed-in entries not yet synced
	pending []pendingFile   // staged files waiting for Sync to rename them into place
}

// pendingFile is a file written under a temporary name, to be renamed over final.
type pendingFile struct{ tmp, final, dir string }

// New returns the Root at dir.
func New(dir string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, err
	}
	return Root{dir: filepath.Clean(abs), st: &state{dirs: map[string]bool{}, dirty: map[string]bool{}}}, nil
}

// Forget drops what the Root knows about directories; call it after removing anything.
func (r Root) Forget() { clear(r.st.dirs) }

// Sync makes everything written since the last Sync durable and puts staged files in place:
// the staged files' data is flushed (one syncfs per filesystem rather than one fsync per file),
// then they are renamed over their paths — so a crash leaves each old file or its new one,
// never a mix — and each changed directory is synced once to make the renames durable.
func (r Root) Sync() error {
	if len(r.st.pending) > 0 {
		if err := syncFilesystems(r.st.pending); err != nil {
			return err
		}
		for _, p := range r.st.pending {
			// unix.Rename, not os.Rename, which stats the destination first.
			if err := unix.Rename(p.tmp, p.final); err != nil {
				return &os.LinkError{Op: "rename", Old: p.tmp, New: p.final, Err: err}
			}
			r.st.dirty[p.dir] = true
		}
		r.st.pending = r.st.pending[:0]
	}
	for dir := range r.st.dirty {
		if err := syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		delete(r.st.dirty, dir)
	}
	return nil
}

// Abort removes the staged files that Sync has not put in place (after a failure).
func (r Root) Abort() {
	for _, p := range r.st.pending {
		os.Remove(p.tmp)
	}
	r.st.pending = r.st.pending[:0]
}

// syncFilesystems flushes the filesystems that hold the staged files, once each.
func syncFilesystems(files []pendingFile) error {
	seen := map[uint64]bool{}
	for _, p := range files {
		var st unix.Stat_t
		if err := unix.Stat(p.dir, &st); err != nil {
			return err
		}
		if seen[st.Dev] {
			continue
		}
		seen[st.Dev] = true
		fd, err := unix.Open(p.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		err = unix.Syncfs(fd)
		unix.Close(fd)
		if err != nil {
			return err
		}
	}
	return nil
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
		if r.st != nil && r.st.dirs[next] {
			cur = next // a directory this Root made or checked: no symlink to follow
			continue
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
	if r.st.dirs[p] {
		return p, nil // resolved and known to be a directory
	}
	res, err := r.ResolveAll(p)
	if err != nil {
		return "", err
	}
	if res == "/" {
		return res, nil
	}
	defer func() {
		if res == p {
			r.st.dirs[p] = true
		}
	}()
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
// symlink at p is replaced, never written through. The rename is made durable by the next
// Sync.
func (r Root) WriteFile(p string, data []byte, perm fs.FileMode, uid, gid int) error {
	tmp, final, dir, err := r.writeTemp(p, data, perm, uid, gid, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	r.st.dirty[dir] = true
	return nil
}

// StageFile is WriteFile for many files at once: the file is written under a temporary name
// with its owner and mode, and the next Sync flushes and renames every staged file together.
// Until then p does not have the new contents.
func (r Root) StageFile(p string, data []byte, perm fs.FileMode, uid, gid int) error {
	tmp, final, dir, err := r.writeTemp(p, data, perm, uid, gid, false)
	if err != nil {
		return err
	}
	r.st.pending = append(r.st.pending, pendingFile{tmp: tmp, final: final, dir: dir})
	return nil
}

// writeTemp writes data to a new temporary file beside the in-root path p, optionally synced,
// and returns its host path, p's host path and their directory.
func (r Root) writeTemp(p string, data []byte, perm fs.FileMode, uid, gid int, sync bool) (tmp, final, dir string, err error) {
	res, err := r.Resolve(p)
	if err != nil {
		return "", "", "", err
	}
	d, err := r.MkdirAll(path.Dir(res), 0o755)
	if err != nil {
		return "", "", "", err
	}
	dir = r.Host(d)
	f, err := os.CreateTemp(dir, ".flint-*")
	if err != nil {
		return "", "", "", err
	}
	tmp = f.Name()
	fail := func(err error) (string, string, string, error) {
		f.Close()
		os.Remove(tmp)
		return "", "", "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Chown(uid, gid); err != nil && !errors.Is(err, syscall.EPERM) {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", "", "", err
	}
	return tmp, r.Host(res), dir, nil
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

// WriteHostFile writes a file of the host (not of a target root) through a temporary file in
// the same directory, fsync and rename, so a reader or a crash never sees half of it. Missing
// parent directories are created 0755.
func WriteHostFile(p string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".flint-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}
