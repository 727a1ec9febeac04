package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// doc returns a minimal config of version v with extra top-level JSON members.
func doc(v Version, members string) string {
	if members != "" {
		members = "," + members
	}
	return fmt.Sprintf(`{"ignition":{"version":%q}%s}`, v, members)
}

// findDiag returns the first diagnostic matching err, or nil.
func findDiag(r Report, err error) *Diagnostic {
	for i := range r {
		if errors.Is(r[i].Err, err) {
			return &r[i]
		}
	}
	return nil
}

func TestParseVersions(t *testing.T) {
	for _, v := range Supported {
		t.Run("accepts "+v.String(), func(t *testing.T) {
			p, rep := Parse("c.ign", []byte(doc(v, "")))
			if rep.HasErrors() || p == nil {
				t.Fatalf("Parse(%s) = %v, want no errors", v, rep)
			}
			if !p.Declared.Equal(v) {
				t.Errorf("Declared = %s, want %s", p.Declared, v)
			}
			if p.Config.Ignition.Version != Newest.String() {
				t.Errorf("Config.Ignition.Version = %s, want %s (translated up)", p.Config.Ignition.Version, Newest)
			}
		})
	}
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"experimental", `{"ignition":{"version":"3.7.0-experimental"}}`, ErrVersionUnsupported},
		{"old experimental", `{"ignition":{"version":"3.1.0-experimental"}}`, ErrVersionUnsupported},
		{"future", `{"ignition":{"version":"3.8.0"}}`, ErrVersionUnsupported},
		{"spec 1", `{"ignitionVersion":1}`, ErrVersionUnparsable},
		{"2.4.0", `{"ignition":{"version":"2.4.0"}}`, ErrVersionUnsupported},
		{"garbage", `{"ignition":{"version":"three"}}`, ErrVersionUnparsable},
		{"number", `{"ignition":{"version":3}}`, ErrVersionUnparsable},
		{"missing", `{"storage":{}}`, ErrVersionUnparsable},
		{"empty", ``, ErrEmpty},
		{"cloud-config", "#cloud-config\nusers: []\n", ErrCloudConfig},
		{"script", "#!/bin/sh\necho hi\n", ErrScript},
		{"whitespace", "  \n", ErrSyntax},
		{"not an object", `[1]`, ErrType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep := Parse("c.ign", []byte(tc.in))
			if !rep.HasErrors() {
				t.Fatalf("Parse(%q) has no errors, want %v", tc.in, tc.want)
			}
			if d := findDiag(rep, tc.want); d == nil || d.Severity != SeverityError {
				t.Errorf("Parse(%q) = %v, want an error %v", tc.in, rep, tc.want)
			}
		})
	}
}

func TestParseUnsupportedListsVersions(t *testing.T) {
	_, rep := Parse("c.ign", []byte(`{"ignition":{"version":"9.9.9"}}`))
	if len(rep) != 1 || !strings.Contains(rep[0].Message(), "3.0.0") || !strings.Contains(rep[0].Message(), "3.6.0") {
		t.Errorf("Parse(9.9.9) = %v, want one error listing the supported versions", rep)
	}
	if d := rep[0]; d.Line != 1 || d.Column != 24 {
		t.Errorf("position = %d:%d, want 1:24 (the version value)", d.Line, d.Column)
	}
}

func TestParseSyntaxErrorPosition(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		line, col int
	}{
		{"trailing comma", "{\"ignition\": {\"version\": \"3.0.0\"},\n  \"storage\": [1,}", 2, 17},
		{"unterminated", "{\"ignition\": {", 1, 14},
		{"bad literal", "{\n\n  \"a\": tru }", 3, 11},
		{"number out of range", `{"a": 1e999}`, 1, 7},
		{"multibyte column", "{\"é\": x}", 1, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, rep := Parse("bad.ign", []byte(tc.in))
			if p != nil {
				t.Errorf("Parse returned a config for malformed JSON")
			}
			d := findDiag(rep, ErrSyntax)
			if d == nil {
				t.Fatalf("Parse(%q) = %v, want a syntax error", tc.in, rep)
			}
			if d.File != "bad.ign" || d.Line != tc.line || d.Column != tc.col {
				t.Errorf("syntax error at %s:%d:%d, want bad.ign:%d:%d (%v)", d.File, d.Line, d.Column, tc.line, tc.col, d)
			}
		})
	}
}

func TestParseTypeErrors(t *testing.T) {
	in := "{\"ignition\": {\"version\": \"3.4.0\"},\n" +
		"\"storage\": {\"files\": [{\"path\": \"/a\", \"mode\": \"0644\"}, {\"path\": 5}],\n" +
		"\"disks\": [{\"device\": \"/dev/sda\", \"partitions\": [{\"number\": 1.5}]}]},\n" +
		"\"systemd\": {\"units\": {}}}"
	_, rep := Parse("t.ign", []byte(in))
	want := []struct {
		path      string
		line, col int
	}{
		{"$.storage.files.0.mode", 2, 46},
		{"$.storage.files.1.path", 2, 64},
		{"$.storage.disks.0.partitions.0.number", 3, 60},
		{"$.systemd.units", 4, 22},
	}
	var got []string
	for _, d := range rep {
		if errors.Is(d.Err, ErrType) {
			got = append(got, fmt.Sprintf("%s@%d:%d", d.Path, d.Line, d.Column))
		}
	}
	var wantS []string
	for _, w := range want {
		wantS = append(wantS, fmt.Sprintf("%s@%d:%d", w.path, w.line, w.col))
	}
	if diff := cmp.Diff(wantS, got); diff != "" {
		t.Errorf("type errors (-want +got):\n%s\nreport: %v", diff, rep)
	}
}

func TestParseUnknownKeys(t *testing.T) {
	in := "{\"ignition\": {\"version\": \"3.2.0\", \"extra\": true},\n" +
		" \"storage\": {\"files\": [{\"Path\": \"/etc/x\", \"bogus\": 1}]}}"
	p, rep := Parse("u.ign", []byte(in))
	if rep.HasErrors() {
		t.Fatalf("Parse = %v, want warnings only", rep)
	}
	type pos struct {
		Path      string
		Line, Col int
	}
	var got []pos
	for _, d := range rep {
		if d.Severity == SeverityWarning && errors.Is(d.Err, ErrUnknownKey) {
			got = append(got, pos{d.Path.String(), d.Line, d.Column})
		}
	}
	want := []pos{
		{"$.ignition.extra", 1, 35},
		{"$.storage.files.0.path", 2, 25},
		{"$.storage.files.0.bogus", 2, 43},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unknown-key warnings (-want +got):\n%s", diff)
	}
	// Like the reference, a key that differs only in case still fills the field.
	if got := p.Config.Storage.Files[0].Path; got != "/etc/x" {
		t.Errorf("Files[0].Path = %q, want /etc/x", got)
	}
}

// TestParseFieldGates checks, for every field with a first version, that it is decoded in
// that version and later, and ignored with a warning naming the version before it.
func TestParseFieldGates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string
		since   string
		set     func(*Config) bool
	}{
		{"proxy", `"ignition":{"version":"%s","proxy":{"httpProxy":"http://p"}}`, "3.1.0",
			func(c *Config) bool { return c.Ignition.Proxy.HTTPProxy != nil }},
		{"merge compression", `"ignition":{"version":"%s","config":{"merge":[{"source":"http://a","compression":"gzip"}]}}`, "3.1.0",
			func(c *Config) bool {
				return len(c.Ignition.Config.Merge) == 1 && c.Ignition.Config.Merge[0].Compression != nil
			}},
		{"file contents compression", `"ignition":{"version":"%s"},"storage":{"files":[{"path":"/a","contents":{"compression":"gzip"}}]}`, "3.0.0",
			func(c *Config) bool { return c.Storage.Files[0].Contents.Compression != nil }},
		{"httpHeaders", `"ignition":{"version":"%s"},"storage":{"files":[{"path":"/a","contents":{"source":"http://x","httpHeaders":[{"name":"a","value":"b"}]}}]}`, "3.1.0",
			func(c *Config) bool { return len(c.Storage.Files[0].Contents.HTTPHeaders) == 1 }},
		{"mountOptions", `"ignition":{"version":"%s"},"storage":{"filesystems":[{"device":"/dev/a","format":"ext4","mountOptions":["ro"]}]}`, "3.1.0",
			func(c *Config) bool { return len(c.Storage.Filesystems[0].MountOptions) == 1 }},
		{"resize", `"ignition":{"version":"%s"},"storage":{"disks":[{"device":"/dev/a","partitions":[{"number":1,"resize":true}]}]}`, "3.2.0",
			func(c *Config) bool { return c.Storage.Disks[0].Partitions[0].Resize != nil }},
		{"luks", `"ignition":{"version":"%s"},"storage":{"luks":[{"name":"a","device":"/dev/a"}]}`, "3.2.0",
			func(c *Config) bool { return len(c.Storage.Luks) == 1 }},
		{"user shouldExist", `"ignition":{"version":"%s"},"passwd":{"users":[{"name":"a","shouldExist":false}]}`, "3.2.0",
			func(c *Config) bool { return c.Passwd.Users[0].ShouldExist != nil }},
		{"kernelArguments", `"ignition":{"version":"%s"},"kernelArguments":{"shouldExist":["a"]}`, "3.3.0",
			func(c *Config) bool { return len(c.KernelArguments.ShouldExist) == 1 }},
		{"discard", `"ignition":{"version":"%s"},"storage":{"luks":[{"name":"a","device":"/dev/a","discard":true}]}`, "3.4.0",
			func(c *Config) bool { return len(c.Storage.Luks) == 1 && c.Storage.Luks[0].Discard != nil }},
		{"cex", `"ignition":{"version":"%s"},"storage":{"luks":[{"name":"a","device":"/dev/a","cex":{"enabled":true}}]}`, "3.5.0",
			func(c *Config) bool { return len(c.Storage.Luks) == 1 && c.Storage.Luks[0].Cex.Enabled != nil }},
	} {
		since := mustVersion(tc.since)
		for _, v := range Supported {
			t.Run(tc.name+" in "+v.String(), func(t *testing.T) {
				in := "{" + fmt.Sprintf(tc.members, v) + "}"
				p, rep := Parse("g.ign", []byte(in))
				if p == nil {
					t.Fatalf("Parse(%s) = nil, %v", in, rep)
				}
				tooNew := findDiag(rep, ErrFieldTooNew)
				if v.LessThan(since) {
					if tooNew == nil || tooNew.Severity != SeverityWarning {
						t.Errorf("Parse(%s) = %v, want a warning that the field needs %s", in, rep, since)
					} else if !namesNewerVersion(tooNew.Message(), v) {
						t.Errorf("warning %q does not name a version newer than %s", tooNew.Message(), v)
					}
					if tc.set(&p.Config) {
						t.Errorf("field decoded in %s, want it ignored (first version %s)", v, since)
					}
					if rep.Strict().HasErrors() == false {
						t.Errorf("Strict() of %v has no errors", rep)
					}
					return
				}
				if tooNew != nil {
					t.Errorf("Parse(%s) warns %v, want the field accepted", in, tooNew)
				}
				if !tc.set(&p.Config) {
					t.Errorf("field not decoded in %s", v)
				}
			})
		}
	}
}

func TestParseNullAndDuplicateKeys(t *testing.T) {
	in := `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/a","mode":null,"overwrite":false,"overwrite":true,"contents":{"source":"data:,a"}}]}}`
	p, rep := Parse("n.ign", []byte(in))
	if p == nil || rep.HasErrors() {
		t.Fatalf("Parse = %v", rep)
	}
	f := p.Config.Storage.Files[0]
	if f.Mode != nil {
		t.Errorf("Mode = %d, want unset for null", *f.Mode)
	}
	if f.Overwrite == nil || !*f.Overwrite {
		t.Errorf("Overwrite = %v, want true (the later duplicate key wins)", f.Overwrite)
	}
}

func TestParseModeBitsTranslatedUp(t *testing.T) {
	in := func(v Version) string {
		return doc(v, `"storage":{"files":[{"path":"/a","mode":2541}],"directories":[{"path":"/d","mode":1517}]}`)
	}
	for _, v := range Supported {
		t.Run(v.String(), func(t *testing.T) {
			p, _ := Parse("m.ign", []byte(in(v)))
			if p == nil {
				t.Fatal("Parse returned nil")
			}
			wantFile, wantDir := 0o4755, 0o2755
			if v.LessThan(mustVersion("3.6.0")) {
				wantFile, wantDir = 0o755, 0o755
			}
			if got := *p.Config.Storage.Files[0].Mode; got != wantFile {
				t.Errorf("file mode = %o, want %o", got, wantFile)
			}
			if got := *p.Config.Storage.Directories[0].Mode; got != wantDir {
				t.Errorf("directory mode = %o, want %o", got, wantDir)
			}
		})
	}
}

// namesNewerVersion reports whether msg names a supported version newer than v (the field's,
// or that of an enclosing field that is itself too new).
func namesNewerVersion(msg string, v Version) bool {
	for _, s := range Supported {
		if v.LessThan(s) && strings.Contains(msg, "spec "+s.String()) {
			return true
		}
	}
	return false
}
