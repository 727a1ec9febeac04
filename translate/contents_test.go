package translate

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
)

// decodeDataURL reverses dataURL, so tests check what a reader of the output gets back.
func decodeDataURL(t *testing.T, u string, gzipped bool) []byte {
	t.Helper()
	var data []byte
	switch {
	case strings.HasPrefix(u, percentPrefix):
		s, err := url.PathUnescape(strings.TrimPrefix(u, percentPrefix))
		if err != nil {
			t.Fatalf("unescape %q: %v", u, err)
		}
		data = []byte(s)
	case strings.HasPrefix(u, base64Prefix):
		var err error
		if data, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(u, base64Prefix)); err != nil {
			t.Fatalf("base64 %q: %v", u, err)
		}
	default:
		t.Fatalf("not a data URL: %q", u)
	}
	if gzipped {
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

func TestDataURL(t *testing.T) {
	binary := make([]byte, 64)
	for i := range binary {
		binary[i] = byte(200 + i%50)
	}
	tests := []struct {
		name        string
		data        []byte
		percentOnly bool
		mayCompress bool
		wantPrefix  string
		wantGzip    bool
	}{
		{name: "empty", data: nil, mayCompress: true, wantPrefix: percentPrefix},
		{name: "short text", data: []byte("hello world\n"), mayCompress: true, wantPrefix: percentPrefix},
		{name: "binary prefers base64", data: binary, wantPrefix: base64Prefix},
		{name: "repetitive text is gzipped", data: bytes.Repeat([]byte("abcd"), 100), mayCompress: true, wantPrefix: base64Prefix, wantGzip: true},
		{name: "no compression when not allowed", data: bytes.Repeat([]byte("abcd"), 100), wantPrefix: percentPrefix},
		{name: "percent only", data: binary, percentOnly: true, mayCompress: true, wantPrefix: percentPrefix},
		{name: "all unreserved characters stay", data: []byte("az-AZ_09.!~*'()"), wantPrefix: percentPrefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, gz := dataURL(tt.data, tt.percentOnly, tt.mayCompress)
			if !strings.HasPrefix(u, tt.wantPrefix) || gz != tt.wantGzip {
				t.Errorf("dataURL(%q) = %q, %v, want prefix %q, gzip %v", tt.data, u, gz, tt.wantPrefix, tt.wantGzip)
			}
			if got := decodeDataURL(t, u, gz); !bytes.Equal(got, tt.data) {
				t.Errorf("dataURL(%q) decodes to %q", tt.data, got)
			}
		})
	}
	if u, _ := dataURL([]byte("az-AZ_09.!~*'()"), false, false); u != "data:,az-AZ_09.!~*'()" {
		t.Errorf("dataURL(unreserved) = %q, want them unescaped", u)
	}
	if u, _ := dataURL([]byte("a b/\n"), false, false); u != "data:,a%20b%2F%0A" {
		t.Errorf("dataURL(reserved) = %q, want data:,a%%20b%%2F%%0A", u)
	}
}

// TestDataURLSmallest checks the rule on lengths: the smallest form wins, and gzip only when
// it beats the others by more than the length of "gzip".
func TestDataURLSmallest(t *testing.T) {
	inputs := [][]byte{[]byte("x"), bytes.Repeat([]byte("\x00\x01"), 40), bytes.Repeat([]byte("a"), 30),
		bytes.Repeat([]byte("a"), 60), bytes.Repeat([]byte("hello world "), 8), []byte(strings.Repeat("é", 20))}
	for _, in := range inputs {
		pct := percentURL(in, percentLen(in))
		b64 := base64URL(in)
		gz := base64URL(gzipBytes(in))
		u, gzipped := dataURL(in, false, true)
		best := min(len(pct), len(b64))
		switch {
		case gzipped && !(len(gz)+gzipOverhead < best):
			t.Errorf("dataURL(%q) gzipped (%d) although plain is %d", in, len(gz), best)
		case !gzipped && len(gz)+gzipOverhead < best:
			t.Errorf("dataURL(%q) = %d bytes, gzip would be %d", in, len(u), len(gz))
		case !gzipped && len(u) != best:
			t.Errorf("dataURL(%q) = %d bytes, want the smaller plain form, %d", in, len(u), best)
		}
	}
}

func TestDecimalMode(t *testing.T) {
	tests := []struct {
		name string
		mode int
		dir  bool
		want bool
	}{
		{name: "644 meant as 0644", mode: 644, want: true},
		{name: "755 meant as 0755", mode: 755, want: true},
		{name: "600 meant as 0600", mode: 600, want: true},
		{name: "0644 as written", mode: 0o644, want: false},
		{name: "0755 as written", mode: 0o755, want: false},
		{name: "0600 as written", mode: 0o600, want: false},
		{name: "zero", mode: 0, want: false},
		{name: "digit above 7", mode: 648, want: false},
		{name: "too large", mode: 17777, want: false},
		{name: "directory 755", mode: 755, dir: true, want: true},
		{name: "directory 644 is not typical either way", mode: 644, dir: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decimalMode(tt.mode, tt.dir); got != tt.want {
				t.Errorf("decimalMode(%d, %v) = %v, want %v", tt.mode, tt.dir, got, tt.want)
			}
		})
	}
}

func TestTypicalMode(t *testing.T) {
	tests := []struct {
		name string
		mode int
		dir  bool
		want bool
	}{
		{name: "0644 file", mode: 0o644, want: true},
		{name: "0755 dir", mode: 0o755, dir: true, want: true},
		{name: "0644 dir", mode: 0o644, dir: true, want: false},
		{name: "group wider than user", mode: 0o464, want: false},
		{name: "write without read", mode: 0o200, want: false},
		{name: "setuid executable", mode: 0o4755, want: true},
		{name: "setuid not executable", mode: 0o4644, want: false},
		{name: "setuid world writable", mode: 0o4777, want: false},
		{name: "sticky file", mode: 0o1644, want: false},
		{name: "sticky writable dir", mode: 0o1777, dir: true, want: true},
		{name: "setuid dir", mode: 0o4755, dir: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := typicalMode(tt.mode, tt.dir); got != tt.want {
				t.Errorf("typicalMode(%#o, %v) = %v, want %v", tt.mode, tt.dir, got, tt.want)
			}
		})
	}
}

// translateOne translates doc and fails the test on errors.
func translateOne(t *testing.T, doc string, opts Options) *Result {
	t.Helper()
	res, rep := Translate("c.yaml", []byte(doc), opts)
	if res == nil || rep.HasErrors() {
		t.Fatalf("Translate(%q): %v", doc, rep.Err())
	}
	return res
}

func TestInline(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		res := translateOne(t, header+"storage:\n  files:\n    - path: /a\n      contents:\n        inline: \"hi there\\n\"\n", Options{})
		c := res.Config.Storage.Files[0].Contents
		if *c.Source != "data:,hi%20there%0A" || c.Compression == nil || *c.Compression != "" {
			t.Errorf("inline = source %q, compression %v, want data:,hi%%20there%%0A and an explicit empty compression", *c.Source, c.Compression)
		}
	})
	t.Run("user compression is kept, never recompressed", func(t *testing.T) {
		long := strings.Repeat("z", 300)
		res := translateOne(t, header+"storage:\n  files:\n    - path: /a\n      contents:\n        compression: gzip\n        inline: "+long+"\n", Options{})
		c := res.Config.Storage.Files[0].Contents
		if *c.Compression != "gzip" || decodeDataURL(t, *c.Source, false) == nil || string(decodeDataURL(t, *c.Source, false)) != long {
			t.Errorf("inline with compression = %q, %q, want the text as given", *c.Compression, *c.Source)
		}
	})
	t.Run("append entries", func(t *testing.T) {
		res := translateOne(t, header+"storage:\n  files:\n    - path: /a\n      append:\n        - inline: one\n        - inline: two\n", Options{})
		a := res.Config.Storage.Files[0].Append
		if len(a) != 2 || *a[0].Source != "data:,one" || *a[1].Source != "data:,two" {
			t.Errorf("append = %+v, want two data URLs", a)
		}
	})
	t.Run("fcos 1.0 only in files", func(t *testing.T) {
		doc := "variant: fcos\nversion: 1.0.0\nignition:\n  config:\n    replace:\n      inline: x\n"
		res, rep := Translate("c.yaml", []byte(doc), Options{})
		if res == nil || res.Config.Ignition.Config.Replace.Source != nil || len(rep) != 1 || !errors.Is(rep[0].Err, config.ErrUnknownKey) {
			t.Errorf("Translate(%q) = %v, want inline unknown in replace", doc, rep)
		}
	})
	t.Run("merge inline in spec 3.0.0 has no compression", func(t *testing.T) {
		doc := header + "ignition:\n  config:\n    merge:\n      - inline: " + strings.Repeat("y", 200) + "\n"
		res := translateOne(t, doc, Options{Spec: spec("3.0.0")})
		m := res.Config.Ignition.Config.Merge[0]
		if m.Compression != nil || string(decodeDataURL(t, *m.Source, false)) != strings.Repeat("y", 200) {
			t.Errorf("merge inline in 3.0.0 = %v, %q, want an uncompressed source", m.Compression, *m.Source)
		}
	})
}

func TestLocal(t *testing.T) {
	res := translateOne(t, header+"storage:\n  files:\n    - path: /a\n      contents:\n        local: units/10-greeting.conf\n", Options{FilesDir: testFilesDir})
	want, err := os.ReadFile(filepath.Join(testFilesDir, "units/10-greeting.conf"))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config.Storage.Files[0].Contents
	gz := c.Compression != nil && *c.Compression == "gzip"
	if got := decodeDataURL(t, *c.Source, gz); !bytes.Equal(got, want) {
		t.Errorf("local = %q, want %q", got, want)
	}
}

func TestContentsLocal(t *testing.T) {
	doc := header + "systemd:\n  units:\n    - name: hello.service\n      contents_local: units/hello.service\n      dropins:\n        - name: 10-greeting.conf\n          contents_local: units/10-greeting.conf\n"
	res := translateOne(t, doc, Options{FilesDir: testFilesDir})
	u := res.Config.Systemd.Units[0]
	unit, _ := os.ReadFile(filepath.Join(testFilesDir, "units/hello.service"))
	dropin, _ := os.ReadFile(filepath.Join(testFilesDir, "units/10-greeting.conf"))
	if u.Contents == nil || *u.Contents != string(unit) || u.Dropins[0].Contents == nil || *u.Dropins[0].Contents != string(dropin) {
		t.Errorf("contents_local = %+v, want the files' text", u)
	}
	t.Run("with contents", func(t *testing.T) {
		doc := header + "systemd:\n  units:\n    - name: a.service\n      contents: x\n      contents_local: units/hello.service\n"
		_, rep := Translate("c.yaml", []byte(doc), Options{FilesDir: testFilesDir})
		if len(rep) != 1 || !errors.Is(rep[0].Err, ErrTooManySources) || rep[0].Line != 7 {
			t.Errorf("Translate(%q) = %v, want one error at line 7", doc, rep)
		}
	})
	t.Run("not in fcos 1.4", func(t *testing.T) {
		doc := "variant: fcos\nversion: 1.4.0\nsystemd:\n  units:\n    - name: a.service\n      contents_local: units/hello.service\n"
		res, rep := Translate("c.yaml", []byte(doc), Options{FilesDir: testFilesDir})
		if res == nil || res.Config.Systemd.Units[0].Contents != nil || len(rep) != 1 || !errors.Is(rep[0].Err, config.ErrUnknownKey) {
			t.Errorf("Translate(%q) = %v, want contents_local unknown", doc, rep)
		}
	})
}

func TestSSHKeysLocal(t *testing.T) {
	doc := header + "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: [inline-key]\n      ssh_authorized_keys_local: [core.pub]\n"
	res := translateOne(t, doc, Options{FilesDir: testFilesDir})
	got := res.Config.Passwd.Users[0].SSHAuthorizedKeys
	want := []string{"inline-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlint core@example", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ core@backup"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ssh_authorized_keys_local = %q, want %q", got, want)
	}
	if line, _, _ := res.Positions.Locate(config.Path{"passwd", "users", 0, "sshAuthorizedKeys", 2}, false); line != 7 {
		t.Errorf("Locate(key from file) line = %d, want 7", line)
	}
}

// TestFilesDir checks that local paths stay inside the files directory.
func TestFilesDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "files")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "secret"), []byte("outside"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "ok"), []byte("inside"), 0o644))
	must(os.Symlink("../secret", filepath.Join(dir, "out-link")))
	must(os.Symlink(filepath.Join(root, "secret"), filepath.Join(dir, "abs-link")))
	must(os.Symlink("sub/ok", filepath.Join(dir, "in-link")))
	must(os.Symlink("../..", filepath.Join(dir, "sub", "up")))
	tests := []struct {
		name    string
		dir     string
		local   string
		want    string
		wantErr error
	}{
		{name: "plain", dir: dir, local: "sub/ok", want: "inside"},
		{name: "symlink inside", dir: dir, local: "in-link", want: "inside"},
		{name: "dot dot inside", dir: dir, local: "sub/../sub/ok", want: "inside"},
		{name: "dot dot escape", dir: dir, local: "../secret", wantErr: ErrFilesDirEscape},
		{name: "deep dot dot escape", dir: dir, local: "sub/../../secret", wantErr: ErrFilesDirEscape},
		{name: "relative symlink out", dir: dir, local: "out-link", wantErr: ErrFilesDirEscape},
		{name: "absolute symlink out", dir: dir, local: "abs-link", wantErr: ErrFilesDirEscape},
		{name: "symlinked directory out", dir: dir, local: "sub/up/secret", wantErr: ErrFilesDirEscape},
		{name: "absolute path is inside", dir: dir, local: "/sub/ok", want: "inside"},
		{name: "missing file", dir: dir, local: "nope", wantErr: ErrLocalRead},
		{name: "no files dir", dir: "", local: "sub/ok", wantErr: ErrNoFilesDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := &filesDir{dir: tt.dir}
			got, err := fd.read(tt.local)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("read(%q) = %q, %v, want %q, %v", tt.local, got, err, tt.want, tt.wantErr)
			}
			// The same through a whole translation: the error is positioned at the local value.
			doc := header + "storage:\n  files:\n    - path: /a\n      contents:\n        local: \"" + tt.local + "\"\n"
			_, rep := Translate("c.yaml", []byte(doc), Options{FilesDir: tt.dir})
			if tt.wantErr == nil {
				if rep.HasErrors() {
					t.Errorf("Translate(local %q) = %v, want no error", tt.local, rep)
				}
				return
			}
			if len(rep) != 1 || !errors.Is(rep[0].Err, tt.wantErr) || rep[0].Line != 7 || rep[0].Column != 16 {
				t.Errorf("Translate(local %q) = %v, want %v at 7:16", tt.local, rep, tt.wantErr)
			}
		})
	}
}

// TestSpecGates translates, for every spec version, configs that use a field introduced in a
// later one: the translation succeeds exactly when the field exists in the requested spec,
// and otherwise the error points at the field's key.
func TestSpecGates(t *testing.T) {
	// gate is a key and the first spec that has it; a doc's gates are listed outermost first,
	// and the error for a version is at the outermost key that the version lacks.
	type gate struct {
		since     string
		line, col int
	}
	fields := []struct {
		name  string
		doc   string
		gates []gate
	}{
		{name: "http_headers", gates: []gate{{"3.1.0", 8, 9}},
			doc: "storage:\n  files:\n    - path: /a\n      contents:\n        source: https://x/y\n        http_headers: [{name: A, value: b}]\n"},
		{name: "proxy", gates: []gate{{"3.1.0", 4, 3}}, doc: "ignition:\n  proxy:\n    http_proxy: http://p\n"},
		{name: "merge compression", gates: []gate{{"3.1.0", 7, 9}},
			doc: "ignition:\n  config:\n    merge:\n      - source: https://x/y\n        compression: gzip\n"},
		{name: "luks", gates: []gate{{"3.2.0", 4, 3}}, doc: "storage:\n  luks:\n    - name: a\n      device: /dev/vdb\n"},
		{name: "should_exist", gates: []gate{{"3.2.0", 6, 7}}, doc: "passwd:\n  users:\n    - name: a\n      should_exist: false\n"},
		{name: "kernel_arguments", gates: []gate{{"3.3.0", 3, 1}}, doc: "kernel_arguments:\n  should_exist: [a]\n"},
		{name: "discard", gates: []gate{{"3.2.0", 4, 3}, {"3.4.0", 7, 7}},
			doc: "storage:\n  luks:\n    - name: a\n      device: /dev/vdb\n      discard: true\n"},
		{name: "cex", gates: []gate{{"3.2.0", 4, 3}, {"3.5.0", 7, 7}},
			doc: "storage:\n  luks:\n    - name: a\n      device: /dev/vdb\n      cex: {enabled: true}\n"},
	}
	for _, f := range fields {
		for _, v := range config.Supported {
			t.Run(f.name+"/"+v.String(), func(t *testing.T) {
				doc := header + f.doc
				res, rep := Translate("c.yaml", []byte(doc), Options{Spec: v})
				var missing *gate
				for i := range f.gates {
					if v.LessThan(spec(f.gates[i].since)) {
						missing = &f.gates[i]
						break
					}
				}
				if missing == nil {
					if rep.HasErrors() || res == nil || res.JSON == nil {
						t.Fatalf("Translate(%q, spec %s) = %v, want success", doc, v, rep)
					}
					if !bytes.Contains(res.JSON, []byte(`"version":"`+v.String()+`"`)) {
						t.Errorf("Translate(%q, spec %s) = %s, want that version", doc, v, res.JSON)
					}
					return
				}
				errs := rep.Errors()
				if len(errs) != 1 || !errors.Is(errs[0].Err, config.ErrFieldTooNew) || res.JSON != nil {
					t.Fatalf("Translate(%q, spec %s) = %v, want one too-new error", doc, v, rep)
				}
				if errs[0].Line != missing.line || errs[0].Column != missing.col {
					t.Errorf("Translate(%q, spec %s) error at %d:%d, want %d:%d", doc, v, errs[0].Line, errs[0].Column, missing.line, missing.col)
				}
			})
		}
	}
}

// TestButaneVariantGates: a Butane variant knows only its own spec's fields; newer keys are
// warned about and left out, in every variant version.
func TestButaneVariantGates(t *testing.T) {
	for _, vr := range Variants {
		t.Run(vr.Name+" "+vr.Version, func(t *testing.T) {
			doc := "variant: " + vr.Name + "\nversion: " + vr.Version + "\nkernel_arguments:\n  should_exist: [a]\n"
			res, rep := Translate("c.yaml", []byte(doc), Options{})
			if res == nil || rep.HasErrors() {
				t.Fatalf("Translate(%q) = %v", doc, rep)
			}
			has := len(res.Config.KernelArguments.ShouldExist) == 1
			if want := !vr.Spec.LessThan(spec("3.3.0")); has != want {
				t.Errorf("Translate(%q) kernel arguments kept = %v, want %v", doc, has, want)
			}
			if warned := len(rep) == 1 && errors.Is(rep[0].Err, config.ErrFieldTooNew); warned == has {
				t.Errorf("Translate(%q) = %v, want a too-new warning exactly when dropped", doc, rep)
			}
		})
	}
}
