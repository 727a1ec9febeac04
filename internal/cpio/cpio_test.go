package cpio

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var sample = []Entry{
	{Name: "config.ign", Mode: 0o600, Data: []byte(`{"ignition":{"version":"3.6.0"}}`)},
	{Name: "etc/flint/base.d/10-a.ign", Mode: 0o644, Data: []byte("{}\n")},
	{Name: "usr/bin/tool", Mode: 0o755 | fs.ModeSetuid, UID: 1, GID: 2, Data: []byte("abc")},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer, []Entry) error
	}{
		{"plain", func(b *bytes.Buffer, e []Entry) error { return Write(b, e) }},
		{"xz", func(b *bytes.Buffer, e []Entry) error { return WriteXZ(b, e) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf, sample); err != nil {
				t.Fatal(err)
			}
			got, err := Read(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			want := []Entry{
				sample[0],
				{Name: "etc", Mode: fs.ModeDir | 0o755, Data: []byte{}},
				{Name: "etc/flint", Mode: fs.ModeDir | 0o755, Data: []byte{}},
				{Name: "etc/flint/base.d", Mode: fs.ModeDir | 0o755, Data: []byte{}},
				sample[1],
				{Name: "usr", Mode: fs.ModeDir | 0o755, Data: []byte{}},
				{Name: "usr/bin", Mode: fs.ModeDir | 0o755, Data: []byte{}},
				sample[2],
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Read(Write(entries)) (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcatenated reads an initramfs made of an uncompressed archive, NUL padding and an xz
// archive whose member replaces one of the first, as the kernel unpacks it.
func TestConcatenated(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []Entry{{Name: "config.ign", Mode: 0o600, Data: []byte("old")}, {Name: "init", Mode: 0o755, Data: []byte("#!")}}); err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, 512))
	if err := WriteXZ(&buf, []Entry{{Name: "config.ign", Mode: 0o600, Data: []byte("new")}}); err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, 3))
	got, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "config.ign" || string(got[0].Data) != "new" || got[1].Name != "init" {
		t.Errorf("Read = %+v, want config.ign=new then init", got)
	}
}

func TestWriteRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "/", "TRAILER!!!", "../.."} {
		if err := Write(&bytes.Buffer{}, []Entry{{Name: name}}); !errors.Is(err, ErrName) {
			t.Errorf("Write(name %q) = %v, want ErrName", name, err)
		}
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	for _, in := range []string{"hello", "070701zzzzzzzz", "070701" + strings.Repeat("0", 104)} {
		if _, err := Read([]byte(in)); !errors.Is(err, ErrFormat) {
			t.Errorf("Read(%q) = %v, want ErrFormat", in, err)
		}
	}
}

// TestGNUCpioReadsIt checks the archives with the real cpio and xz tools.
func TestGNUCpioReadsIt(t *testing.T) {
	cpioBin, err1 := exec.LookPath("cpio")
	xzBin, err2 := exec.LookPath("xz")
	if err1 != nil || err2 != nil {
		t.Skip("cpio or xz not installed (apt-get install cpio xz-utils): cannot check against GNU cpio")
	}
	var buf bytes.Buffer
	if err := WriteXZ(&buf, sample); err != nil {
		t.Fatal(err)
	}
	// xz -t checks the integrity check type too.
	test := exec.Command(xzBin, "-t", "-v")
	test.Stdin = bytes.NewReader(buf.Bytes())
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("xz -t: %v\n%s", err, out)
	}
	dir := t.TempDir()
	unxz := exec.Command(xzBin, "-dc")
	unxz.Stdin = bytes.NewReader(buf.Bytes())
	plain, err := unxz.Output()
	if err != nil {
		t.Fatal(err)
	}
	tlist := exec.Command(cpioBin, "-t", "--quiet")
	tlist.Stdin = bytes.NewReader(plain)
	out, err := tlist.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	want := "config.ign\netc\netc/flint\netc/flint/base.d\netc/flint/base.d/10-a.ign\nusr\nusr/bin\nusr/bin/tool\n"
	if string(out) != want {
		t.Errorf("cpio -t = %q, want %q", out, want)
	}
	extract := exec.Command(cpioBin, "-i", "-d", "--quiet", "--no-absolute-filenames")
	extract.Dir = dir
	extract.Stdin = bytes.NewReader(plain)
	if out, err := extract.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.ign"))
	if err != nil || string(b) != string(sample[0].Data) {
		t.Errorf("extracted config.ign = %q, %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "config.ign"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("extracted mode = %v, %v, want 0600", fi.Mode(), err)
	}
}

func FuzzRead(f *testing.F) {
	var a, b bytes.Buffer
	Write(&a, sample)
	WriteXZ(&b, sample[:1])
	f.Add(a.Bytes())
	f.Add(b.Bytes())
	f.Add([]byte("070701"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Read(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, entries); err != nil {
			return // names read from arbitrary archives may be invalid to write
		}
		if _, err := Read(out.Bytes()); err != nil {
			t.Fatalf("re-reading a written archive: %v", err)
		}
	})
}
