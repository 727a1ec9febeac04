package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// tree builds a root with links that try to lead out of it.
func tree(t *testing.T) Root {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc/ssh"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "usr/lib"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/hosts"), []byte("x"), 0o644))
	must(os.Symlink("/etc", filepath.Join(dir, "abs-etc")))              // absolute: re-rooted
	must(os.Symlink("../../..", filepath.Join(dir, "usr/lib/up")))       // climbs past the root
	must(os.Symlink("/", filepath.Join(dir, "slash")))                   // the root itself
	must(os.Symlink("loop2", filepath.Join(dir, "loop1")))               // a cycle
	must(os.Symlink("loop1", filepath.Join(dir, "loop2")))               //
	must(os.Symlink("/etc/hosts", filepath.Join(dir, "hostlink")))       // to a file
	must(os.Symlink("../usr/lib", filepath.Join(dir, "etc/rel")))        // relative
	must(os.Symlink("/nonexistent/deeper", filepath.Join(dir, "dangl"))) // dangling
	r, err := New(dir)
	must(err)
	return r
}

func TestResolve(t *testing.T) {
	r := tree(t)
	for _, tc := range []struct {
		name, in, want string
		all            bool
		err            error
	}{
		{name: "plain", in: "/etc/hosts", want: "/etc/hosts"},
		{name: "root", in: "/", want: "/"},
		{name: "absolute link re-rooted", in: "/abs-etc/ssh/sshd_config", want: "/etc/ssh/sshd_config"},
		{name: "last component not followed", in: "/abs-etc", want: "/abs-etc"},
		{name: "last component followed with ResolveAll", in: "/abs-etc", all: true, want: "/etc"},
		{name: "dotdot link stops at root", in: "/usr/lib/up/etc/passwd", want: "/etc/passwd"},
		{name: "slash link", in: "/slash/slash/etc/x", want: "/etc/x"},
		{name: "relative link", in: "/etc/rel/x", want: "/usr/lib/x"},
		{name: "dangling link continues literally", in: "/dangl/x/y", want: "/nonexistent/deeper/x/y"},
		{name: "missing parents", in: "/var/lib/flint/x", want: "/var/lib/flint/x"},
		{name: "dotdot in path", in: "/../../etc/../etc/hosts", want: "/etc/hosts"},
		{name: "cycle", in: "/loop1/x", err: ErrTooManyLinks},
		{name: "file as directory", in: "/etc/hosts/x", err: ErrNotDir},
		{name: "file link as directory", in: "/hostlink/x", err: ErrNotDir},
		{name: "relative input", in: "etc/hosts", err: ErrNotAbsolute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resolve := r.Resolve
			if tc.all {
				resolve = r.ResolveAll
			}
			got, err := resolve(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("Resolve(%q) = %q, %v, want error %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestWriteFileStaysInside(t *testing.T) {
	r := tree(t)
	outside := t.TempDir()
	// A link whose target is an absolute host path must still land inside the root.
	if err := os.Symlink(outside, filepath.Join(r.Dir(), "escape")); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile("/escape/pwned", []byte("data"), 0o600, os.Getuid(), os.Getgid()); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
		t.Fatalf("WriteFile wrote outside the root")
	}
	got, err := os.ReadFile(filepath.Join(r.Dir(), outside, "pwned"))
	if err != nil || string(got) != "data" {
		t.Errorf("file inside the root = %q, %v, want data", got, err)
	}
	fi, err := os.Stat(filepath.Join(r.Dir(), outside, "pwned"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v, want 0600", fi.Mode(), err)
	}
	// Created parents are 0755.
	fi, err = os.Stat(filepath.Join(r.Dir(), outside))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("created parent mode = %v, %v, want 0755", fi.Mode(), err)
	}
}

func TestWriteFileReplacesSymlink(t *testing.T) {
	r := tree(t)
	if err := r.WriteFile("/hostlink", []byte("new"), 0o644, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(r.Dir(), "hostlink"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("hostlink = %v, %v, want a regular file", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(filepath.Join(r.Dir(), "etc/hosts")); string(b) != "x" {
		t.Errorf("etc/hosts = %q: written through the link", b)
	}
	if m, _ := filepath.Glob(filepath.Join(r.Dir(), ".flint-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
