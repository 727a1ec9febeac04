package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// updateLegacy rewrites the golden files of testdata/legacy: go test ./config -update. The flag
// is registered here only if no other test file of the package has registered it already.
var updateLegacy = new(bool)

func init() {
	if flag.Lookup("update") == nil {
		flag.BoolVar(updateLegacy, "update", false, "rewrite golden files")
	}
}

func legacyUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// legacyDoc builds a 2.x document of version v; body is the rest of the top-level object.
func legacyDoc(v, body string) []byte {
	if body == "" {
		return fmt.Appendf(nil, `{"ignition": {"version": %q}}`, v)
	}
	return fmt.Appendf(nil, `{"ignition": {"version": %q}, %s}`, v, body)
}

// findLegacyDiag returns the diagnostic at p that matches want, if any.
func findLegacyDiag(rep Report, p Path, want error) (Diagnostic, bool) {
	for _, d := range rep {
		if errors.Is(d.Err, want) && d.Path.String() == p.String() {
			return d, true
		}
	}
	return Diagnostic{}, false
}

func TestParseLegacyGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "legacy", "*.ign"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".ign")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			p, rep := Parse(in, data)
			if rep.HasErrors() || p == nil {
				t.Fatalf("Parse(%s) has errors:\n%v", in, rep.Err())
			}
			if p.Declared.Major != 2 {
				t.Errorf("Parse(%s).Declared = %s, want a 2.x version", in, p.Declared)
			}
			got, err := Marshal(&p.Config, Newest, true)
			if err != nil {
				t.Fatalf("Marshal(%s) = %v", in, err)
			}
			golden := strings.TrimSuffix(in, ".ign") + ".json"
			if legacyUpdating() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("translation of %s differs from %s (-want +got):\n%s", in, golden, diff)
			}
			// The translation is a 3.x document that flint reads back without errors.
			if _, rep := Parse(golden, got); rep.HasErrors() {
				t.Errorf("Parse(%s) of the translation has errors:\n%v", golden, rep.Err())
			}
		})
	}
}

// legacyCase is a 2.x document (body, in a config of version) that must report want at path.
type legacyCase struct {
	name    string
	version string
	body    string
	path    Path
	want    error
}

// runLegacyCases parses the document of each case and checks that it reports tc.want at
// tc.path with severity sev. An error must be positioned in the 2.x input and leave no
// translation; a document with a warning must have no errors.
func runLegacyCases(t *testing.T, tests []legacyCase, sev Severity) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := legacyDoc(tc.version, tc.body)
			if strings.HasPrefix(tc.body, `"ignition"`) {
				doc = []byte("{" + tc.body + "}")
			}
			p, rep := Parse("in.ign", doc)
			if sev == SeverityWarning && rep.HasErrors() {
				t.Fatalf("Parse(%s) has errors:\n%v", doc, rep.Err())
			}
			d, ok := findLegacyDiag(rep, tc.path, tc.want)
			if !ok {
				t.Fatalf("Parse(%s) = %v, want %q at %s", doc, rep, tc.want, tc.path)
			}
			if d.Severity != sev {
				t.Errorf("Parse(%s) severity of %q = %s, want %s", doc, tc.want, d.Severity, sev)
			}
			if sev != SeverityError {
				return
			}
			if d.Line == 0 {
				t.Errorf("Parse(%s) diagnostic %v has no position in the 2.x input", doc, d)
			}
			if p == nil || p.Config.Ignition.Version != "" {
				t.Errorf("Parse(%s) of an invalid config returned a translation", doc)
			}
		})
	}
}

func TestParseLegacyErrors(t *testing.T) {
	tests := []legacyCase{
		// 2.x validation, rules shared with 3.x.
		{"relative file path", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "etc/x"}]}`,
			Path{"storage", "files", 0, "path"}, ErrPathRelative},
		{"relative disk device", "2.0.0", `"storage": {"disks": [{"device": "sda"}]}`,
			Path{"storage", "disks", 0, "device"}, ErrPathRelative},
		{"relative mount device", "2.0.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "sdb", "format": "ext4"}}]}`,
			Path{"storage", "filesystems", 0, "mount", "device"}, ErrPathRelative},
		{"relative filesystem path", "2.0.0", `"storage": {"filesystems": [{"name": "d", "path": "mnt"}]}`,
			Path{"storage", "filesystems", 0, "path"}, ErrPathRelative},
		{"relative raid device", "2.0.0", `"storage": {"raid": [{"name": "md", "level": "raid1", "devices": ["sda"]}]}`,
			Path{"storage", "raid", 0, "devices", 0}, ErrPathRelative},
		{"node without filesystem", "2.1.0", `"storage": {"links": [{"path": "/a", "target": "/b"}]}`,
			Path{"storage", "links", 0, "filesystem"}, ErrLegacyNoFilesystem},
		{"file mode too large", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 4096}]}`,
			Path{"storage", "files", 0, "mode"}, ErrFileMode},
		{"negative directory mode", "2.1.0", `"storage": {"directories": [{"filesystem": "root", "path": "/a", "mode": -1}]}`,
			Path{"storage", "directories", 0, "mode"}, ErrFileMode},
		{"user id and name", "2.1.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "user": {"id": 1, "name": "x"}}]}`,
			Path{"storage", "files", 0, "user"}, ErrBothIDAndName},
		{"group id and name", "2.1.0", `"storage": {"directories": [{"filesystem": "root", "path": "/a", "group": {"id": 1, "name": "x"}}]}`,
			Path{"storage", "directories", 0, "group"}, ErrBothIDAndName},
		{"unparsable url", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "http://[::1"}}]}`,
			Path{"storage", "files", 0, "contents", "source"}, ErrURLUnparsable},
		{"url scheme", "2.0.0", `"ignition": {"version": "2.0.0", "config": {"append": [{"source": "ftp://x/y"}]}}`,
			Path{"ignition", "config", "append", 0, "source"}, ErrURLScheme},
		{"gs scheme is 3.x only", "2.3.0", `"ignition": {"version": "2.3.0", "config": {"replace": {"source": "gs://b/o"}}}`,
			Path{"ignition", "config", "replace", "source"}, ErrURLScheme},
		{"bad data url", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "data:nocomma"}}]}`,
			Path{"storage", "files", 0, "contents", "source"}, ErrLegacyDataURL},
		{"bad data url as in 3.x", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "data:nocomma"}}]}`,
			Path{"storage", "files", 0, "contents", "source"}, ErrDataURL},
		{"hash without dash", "2.2.0", `"ignition": {"version": "2.2.0", "security": {"tls": {"certificateAuthorities": [{"source": "https://x/ca", "verification": {"hash": "abc"}}]}}}`,
			Path{"ignition", "security", "tls", "certificateAuthorities", 0, "verification", "hash"}, ErrHashMalformed},
		{"sha256 is 3.x only", "2.3.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "https://x/a", "verification": {"hash": "sha256-` + strings.Repeat("a", 64) + `"}}}]}`,
			Path{"storage", "files", 0, "contents", "verification", "hash"}, ErrHashFunction},
		{"hash size", "2.0.0", `"ignition": {"version": "2.0.0", "config": {"append": [{"source": "https://x/c", "verification": {"hash": "sha512-aa"}}]}}`,
			Path{"ignition", "config", "append", 0, "verification", "hash"}, ErrHashSize},
		{"compression", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "data:,x", "compression": "xz"}}]}`,
			Path{"storage", "files", 0, "contents", "compression"}, ErrCompression},
		{"partition label length", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"label": "` + strings.Repeat("l", 37) + `"}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "label"}, ErrPartitionLabelTooLong},
		{"type guid", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "typeGuid": "linux"}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "typeGuid"}, ErrGUIDForm},
		{"partition guid", "2.1.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "guid": "0FC63DAF-8483-4772-8E79-3D69D8477DEZ"}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "guid"}, ErrGUIDForm},
		{"partition numbers", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1}, {"number": 2}, {"number": 1}]}]}`,
			Path{"storage", "disks", 0, "partitions", 2}, ErrPartitionNumbersCollide},
		{"partitions overlap in sectors", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "start": 2048, "size": 4096}, {"number": 2, "start": 4096, "size": 2048}]}]}`,
			Path{"storage", "disks", 0, "partitions", 1}, ErrPartitionsOverlap},
		{"partitions overlap in MiB", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "startMiB": 10, "sizeMiB": 0}, {"number": 2, "startMiB": 1, "sizeMiB": 10}]}]}`,
			Path{"storage", "disks", 0, "partitions", 1}, ErrPartitionsOverlap},
		{"filesystem format", "2.0.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "ext3"}}]}`,
			Path{"storage", "filesystems", 0, "mount", "format"}, ErrFilesystemFormat},
		{"filesystem format missing", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb"}}]}`,
			Path{"storage", "filesystems", 0, "mount", "format"}, ErrFilesystemFormat},
		{"filesystem label length", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "xfs", "label": "thirteenchars"}}]}`,
			Path{"storage", "filesystems", 0, "mount", "label"}, ErrXfsLabelTooLong},
		{"unit extension", "2.0.0", `"systemd": {"units": [{"name": "foo.txt"}]}`,
			Path{"systemd", "units", 0, "name"}, ErrUnitExtension},
		{"dropin extension", "2.0.0", `"systemd": {"units": [{"name": "foo.service", "dropins": [{"name": "a.txt"}]}]}`,
			Path{"systemd", "units", 0, "dropins", 0, "name"}, ErrDropinExtension},
		{"networkd extension", "2.0.0", `"networkd": {"units": [{"name": "eth0.service", "contents": "x"}]}`,
			Path{"networkd", "units", 0, "name"}, ErrLegacyNetworkdExtension},
		{"networkd dropin extension", "2.2.0", `"networkd": {"units": [{"name": "eth0.network", "dropins": [{"name": "x.network"}]}]}`,
			Path{"networkd", "units", 0, "dropins", 0, "name"}, ErrLegacyNetworkdDropin},
		{"raid level", "2.0.0", `"storage": {"raid": [{"name": "md", "level": "raid7", "devices": ["/dev/sda"]}]}`,
			Path{"storage", "raid", 0, "level"}, ErrRaidLevelUnknown},

		// 2.x-only rules.
		{"append and overwrite", "2.2.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "append": true, "overwrite": true}]}`,
			Path{"storage", "files", 0, "overwrite"}, ErrLegacyAppendAndOverwrite},
		{"filesystem without mount or path", "2.0.0", `"storage": {"filesystems": [{"name": "d"}]}`,
			Path{"storage", "filesystems", 0}, ErrLegacyFilesystemNoMount},
		{"filesystem with mount and path", "2.0.0", `"storage": {"filesystems": [{"name": "d", "path": "/mnt", "mount": {"device": "/dev/sdb", "format": "ext4"}}]}`,
			Path{"storage", "filesystems", 0}, ErrLegacyFilesystemBoth},
		{"create and options", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "ext4", "options": ["-b"], "create": {"options": ["-c"]}}}]}`,
			Path{"storage", "filesystems", 0, "mount", "options"}, ErrLegacyCreateAndOptions},
		{"create and wipeFilesystem", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "ext4", "wipeFilesystem": true, "create": {"force": true}}}]}`,
			Path{"storage", "filesystems", 0, "mount", "wipeFilesystem"}, ErrLegacyCreateAndWipe},
		{"sectors and MiB", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "size": 2048}, {"number": 2, "sizeMiB": 1}]}]}`,
			Path{"storage", "disks", 0, "partitions"}, ErrLegacyMixedUnits},
		{"delete with zero start", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "shouldExist": false}, {"number": 2, "startMiB": 0, "sizeMiB": 5}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "shouldExist"}, ErrLegacyShouldNotExistZero},
		{"misaligned start", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "start": 34}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "start"}, ErrLegacyMisaligned},
		{"spares on raid0", "2.0.0", `"storage": {"raid": [{"name": "md", "level": "raid0", "devices": ["/dev/sda"], "spares": 1}]}`,
			Path{"storage", "raid", 0, "spares"}, ErrLegacySpares},
		{"create and flat shell", "2.1.0", `"passwd": {"users": [{"name": "u", "shell": "/bin/sh", "create": {"shell": "/bin/bash"}}]}`,
			Path{"passwd", "users", 0, "shell"}, ErrLegacyUserCreateAndField},
		{"create and flat uid", "2.3.0", `"passwd": {"users": [{"name": "u", "uid": 5, "create": {"uid": 6}}]}`,
			Path{"passwd", "users", 0, "uid"}, ErrLegacyUserCreateAndField},

		// Translation refusals.
		{"node on a mount filesystem", "2.1.0", `"storage": {"filesystems": [{"name": "data", "mount": {"device": "/dev/sdb", "format": "ext4"}}], "directories": [{"filesystem": "data", "path": "/d"}]}`,
			Path{"storage", "directories", 0, "filesystem"}, ErrLegacyNoMountPath},
		{"node on an undefined filesystem", "2.0.0", `"storage": {"files": [{"filesystem": "elsewhere", "path": "/a"}]}`,
			Path{"storage", "files", 0, "filesystem"}, ErrLegacyUndefinedFS},
		{"size not whole MiB", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "start": 2048, "size": 1000}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "size"}, ErrLegacySectors},
		{"oem contents", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "oem:///a"}}]}`,
			Path{"storage", "files", 0, "contents", "source"}, ErrLegacyOEMScheme},
		{"oem config", "2.2.0", `"ignition": {"version": "2.2.0", "config": {"append": [{"source": "oem:///base.ign"}]}}`,
			Path{"ignition", "config", "append", 0, "source"}, ErrLegacyOEMScheme},
	}
	runLegacyCases(t, tests, SeverityError)
}

func TestParseLegacyWarnings(t *testing.T) {
	tests := []legacyCase{
		{"label with colon", "2.0.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "label": "a:b"}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "label"}, ErrPartitionLabelColon},
		{"shadowed filesystem", "2.0.0", `"storage": {"filesystems": [{"name": "d", "path": "/a"}, {"name": "d", "path": "/b"}]}`,
			Path{"storage", "filesystems", 1, "name"}, ErrLegacyShadowedFilesystem},
		{"sector size deprecated", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "size": 2048}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "size"}, ErrLegacySizeDeprecated},
		{"sector start deprecated", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "start": 2048}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "start"}, ErrLegacyStartDeprecated},
		{"networkd becomes files", "2.0.0", `"networkd": {"units": [{"name": "a.network", "contents": "[Match]\n"}]}`,
			Path{"networkd", "units", 0}, ErrLegacyNetworkdAsFiles},
		{"file replaced by later file", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a"}, {"filesystem": "root", "path": "/b/../a"}]}`,
			Path{"storage", "files", 0}, ErrLegacyNodeReplaced},
		{"file replaced by link", "2.1.0", `"storage": {"links": [{"filesystem": "root", "path": "/a", "target": "/b"}], "files": [{"filesystem": "root", "path": "/a"}]}`,
			Path{"storage", "files", 0}, ErrLegacyNodeReplaced},
		{"unknown key", "2.0.0", `"storage": {"files": [{"filesystem": "root", "path": "/a", "owner": "x"}]}`,
			Path{"storage", "files", 0, "owner"}, ErrUnknownKey},
		{"case-insensitive key", "2.0.0", `"storage": {"files": [{"Filesystem": "root", "path": "/a"}]}`,
			Path{"storage", "files", 0, "filesystem"}, ErrUnknownKey},
	}
	runLegacyCases(t, tests, SeverityWarning)
}

// TestLegacyErrorsMatch3x checks that a mistake the two spec generations share is reported with
// one sentinel in both, so that errors.Is finds it whatever the config's version.
func TestLegacyErrorsMatch3x(t *testing.T) {
	tests := []struct {
		name   string
		v2, v3 string
		path2  Path
		path3  Path
		want   error
	}{
		{"file mode",
			`"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 4096}]}`,
			`"storage": {"files": [{"path": "/a", "mode": 4096}]}`,
			Path{"storage", "files", 0, "mode"}, Path{"storage", "files", 0, "mode"}, ErrFileMode},
		{"url scheme",
			`"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "ftp://h/a"}}]}`,
			`"storage": {"files": [{"path": "/a", "contents": {"source": "ftp://h/a"}}]}`,
			Path{"storage", "files", 0, "contents", "source"}, Path{"storage", "files", 0, "contents", "source"}, ErrURLScheme},
		{"filesystem label length",
			`"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "vfat", "label": "twelve_chars"}}]}`,
			`"storage": {"filesystems": [{"device": "/dev/sdb", "format": "vfat", "label": "twelve_chars"}]}`,
			Path{"storage", "filesystems", 0, "mount", "label"}, Path{"storage", "filesystems", 0, "label"}, ErrVfatLabelTooLong},
		{"unit extension",
			`"systemd": {"units": [{"name": "a.txt"}]}`,
			`"systemd": {"units": [{"name": "a.txt"}]}`,
			Path{"systemd", "units", 0, "name"}, Path{"systemd", "units", 0, "name"}, ErrUnitExtension},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, doc := range []struct {
				data []byte
				path Path
			}{{legacyDoc("2.3.0", tc.v2), tc.path2}, {legacyDoc("3.6.0", tc.v3), tc.path3}} {
				_, rep := Parse("in.ign", doc.data)
				if _, ok := findLegacyDiag(rep, doc.path, tc.want); !ok {
					t.Errorf("Parse(%s) = %v, want %q at %s", doc.data, rep, tc.want, doc.path)
				}
			}
		})
	}
}

// TestParseLegacyRulesByVersion checks the warnings that exist from a 2.x version on, in every
// 2.x version, both ways.
func TestParseLegacyRulesByVersion(t *testing.T) {
	tests := []struct {
		name  string
		since string
		body  string
		path  Path
		want  error
	}{
		{"unset file mode", "2.2.0", `"storage": {"files": [{"filesystem": "root", "path": "/a"}]}`,
			Path{"storage", "files", 0, "mode"}, ErrLegacyModeUnset},
		{"mount create", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "ext4", "create": {"force": true}}}]}`,
			Path{"storage", "filesystems", 0, "mount", "create"}, ErrLegacyMountCreateDeprecated},
		{"user create", "2.1.0", `"passwd": {"users": [{"name": "u", "create": {"shell": "/bin/sh"}}]}`,
			Path{"passwd", "users", 0, "create"}, ErrLegacyUserCreateDeprecated},
		{"unit enable", "2.1.0", `"systemd": {"units": [{"name": "a.service", "enable": true}]}`,
			Path{"systemd", "units", 0, "enable"}, ErrLegacyEnableDeprecated},
	}
	for _, tc := range tests {
		since := mustVersion(tc.since)
		for _, v := range SupportedLegacy {
			t.Run(tc.name+"/"+v.String(), func(t *testing.T) {
				doc := legacyDoc(v.String(), tc.body)
				_, rep := Parse("in.ign", doc)
				_, got := findLegacyDiag(rep, tc.path, tc.want)
				if want := !v.LessThan(since); got != want {
					t.Errorf("Parse(%s) reports %q at %s: %t, want %t (rule since %s)\n%v", doc, tc.want, tc.path, got, want, since, rep)
				}
			})
		}
	}
}

// TestParseLegacyFieldVersions checks that a 2.x field is read from the version that introduced
// it on, and ignored with a warning before, in every 2.x version.
func TestParseLegacyFieldVersions(t *testing.T) {
	tests := []struct {
		name    string
		since   string
		body    string
		path    Path
		applied func(c *Config) bool
	}{
		{"timeouts", "2.1.0", `"ignition": {"version": "%s", "timeouts": {"httpTotal": 5}}`,
			Path{"ignition", "timeouts"}, func(c *Config) bool { return c.Ignition.Timeouts.HTTPTotal != nil }},
		{"certificate authorities", "2.2.0", `"ignition": {"version": "%s", "security": {"tls": {"certificateAuthorities": [{"source": "https://x/ca"}]}}}`,
			Path{"ignition", "security"}, func(c *Config) bool { return len(c.Ignition.Security.TLS.CertificateAuthorities) == 1 }},
		{"directories", "2.1.0", `"storage": {"directories": [{"filesystem": "root", "path": "/d", "mode": 493}]}`,
			Path{"storage", "directories"}, func(c *Config) bool { return len(c.Storage.Directories) == 1 }},
		{"links", "2.1.0", `"storage": {"links": [{"filesystem": "root", "path": "/l", "target": "/t"}]}`,
			Path{"storage", "links"}, func(c *Config) bool { return len(c.Storage.Links) == 1 }},
		{"file append", "2.2.0", `"storage": {"files": [{"filesystem": "root", "path": "/f", "mode": 420, "append": true}]}`,
			Path{"storage", "files", 0, "append"}, func(c *Config) bool { return len(c.Storage.Files[0].Append) == 1 }},
		{"node overwrite", "2.2.0", `"storage": {"files": [{"filesystem": "root", "path": "/f", "mode": 420, "overwrite": false}]}`,
			Path{"storage", "files", 0, "overwrite"}, func(c *Config) bool { return c.Storage.Files[0].Overwrite == nil }},
		{"owner name", "2.1.0", `"storage": {"files": [{"filesystem": "root", "path": "/f", "mode": 420, "user": {"name": "core"}}]}`,
			Path{"storage", "files", 0, "user", "name"}, func(c *Config) bool { return c.Storage.Files[0].User.Name != nil }},
		{"partition guid", "2.1.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "guid": "8A5D0E51-1F4B-4F46-8E38-5A7E4C7F0B11"}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "guid"}, func(c *Config) bool { return c.Storage.Disks[0].Partitions[0].GUID != nil }},
		{"partition sizeMiB", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "sizeMiB": 8}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "sizeMiB"}, func(c *Config) bool { return c.Storage.Disks[0].Partitions[0].SizeMiB != nil }},
		{"partition shouldExist", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "shouldExist": true}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "shouldExist"}, func(c *Config) bool { return c.Storage.Disks[0].Partitions[0].ShouldExist != nil }},
		{"wipePartitionEntry", "2.3.0", `"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "wipePartitionEntry": true}]}]}`,
			Path{"storage", "disks", 0, "partitions", 0, "wipePartitionEntry"}, func(c *Config) bool { return c.Storage.Disks[0].Partitions[0].WipePartitionEntry != nil }},
		{"mount label", "2.1.0", `"storage": {"filesystems": [{"name": "d", "mount": {"device": "/dev/sdb", "format": "ext4", "label": "L"}}]}`,
			Path{"storage", "filesystems", 0, "mount", "label"}, func(c *Config) bool { return c.Storage.Filesystems[0].Label != nil }},
		{"raid options", "2.2.0", `"storage": {"raid": [{"name": "md", "level": "raid1", "devices": ["/dev/sda"], "options": ["-x"]}]}`,
			Path{"storage", "raid", 0, "options"}, func(c *Config) bool { return len(c.Storage.Raid[0].Options) == 1 }},
		{"unit enabled", "2.1.0", `"systemd": {"units": [{"name": "a.service", "enabled": true}]}`,
			Path{"systemd", "units", 0, "enabled"}, func(c *Config) bool { return c.Systemd.Units[0].Enabled != nil }},
		{"networkd dropins", "2.2.0", `"networkd": {"units": [{"name": "a.network", "dropins": [{"name": "d.conf", "contents": "x"}]}]}`,
			Path{"networkd", "units", 0, "dropins"}, func(c *Config) bool { return len(c.Storage.Files) == 1 }},
		{"flat user fields", "2.1.0", `"passwd": {"users": [{"name": "u", "uid": 7}]}`,
			Path{"passwd", "users", 0, "uid"}, func(c *Config) bool { return c.Passwd.Users[0].UID != nil }},
	}
	for _, tc := range tests {
		since := mustVersion(tc.since)
		for _, v := range SupportedLegacy {
			t.Run(tc.name+"/"+v.String(), func(t *testing.T) {
				doc := legacyDoc(v.String(), tc.body)
				if strings.HasPrefix(tc.body, `"ignition"`) {
					doc = fmt.Appendf(nil, "{"+tc.body+"}", v)
				}
				p, rep := Parse("in.ign", doc)
				if rep.HasErrors() {
					t.Fatalf("Parse(%s) has errors:\n%v", doc, rep.Err())
				}
				old := v.LessThan(since)
				if _, warned := findLegacyDiag(rep, tc.path, ErrFieldTooNew); warned != old {
					t.Errorf("Parse(%s) warns %q at %s: %t, want %t\n%v", doc, ErrFieldTooNew, tc.path, warned, old, rep)
				}
				if got := tc.applied(&p.Config); got == old {
					t.Errorf("Parse(%s) translated the field: %t, want %t", doc, got, !old)
				}
			})
		}
	}
}

func TestParseLegacyTranslation(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want func(c *Config) any
		val  any
	}{
		{"root path joined", `{"ignition": {"version": "2.0.0"}, "storage": {"files": [{"filesystem": "root", "path": "/etc/a/"}]}}`,
			func(c *Config) any { return c.Storage.Files[0].Path }, "/etc/a"},
		{"oem filesystem", `{"ignition": {"version": "2.1.0"}, "storage": {"filesystems": [{"name": "OEM", "mount": {"device": "/dev/sda6", "format": "btrfs"}}], "links": [{"filesystem": "OEM", "path": "/l", "target": "/t"}]}}`,
			func(c *Config) any { return [2]string{*c.Storage.Filesystems[0].Path, c.Storage.Links[0].Path} },
			[2]string{"/usr/share/oem", "/usr/share/oem/l"}},
		{"path filesystem under sysroot", `{"ignition": {"version": "2.0.0"}, "storage": {"filesystems": [{"name": "var", "path": "/sysroot/var"}], "files": [{"filesystem": "var", "path": "/lib/x"}]}}`,
			func(c *Config) any { return c.Storage.Files[0].Path }, "/var/lib/x"},
		{"path filesystem elsewhere", `{"ignition": {"version": "2.0.0"}, "storage": {"filesystems": [{"name": "m", "path": "/mnt/m"}], "files": [{"filesystem": "m", "path": "/x"}]}}`,
			func(c *Config) any { return c.Storage.Files[0].Path }, "/mnt/m/x"},
		{"root filesystem has no path", `{"ignition": {"version": "2.1.0"}, "storage": {"filesystems": [{"name": "root", "mount": {"device": "/dev/sda9", "format": "ext4"}}]}}`,
			func(c *Config) any { return c.Storage.Filesystems[0].Path == nil }, true},
		{"sectors to MiB", `{"ignition": {"version": "2.0.0"}, "storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "start": 4096, "size": 20480}]}]}}`,
			func(c *Config) any {
				p := c.Storage.Disks[0].Partitions[0]
				return [2]int{*p.StartMiB, *p.SizeMiB}
			}, [2]int{2, 10}},
		{"file overwrite default", `{"ignition": {"version": "2.0.0"}, "storage": {"files": [{"filesystem": "root", "path": "/a"}]}}`,
			func(c *Config) any { f := c.Storage.Files[0]; return [2]any{*f.Overwrite, *f.Contents.Source} }, [2]any{true, ""}},
		{"append after write", `{"ignition": {"version": "2.2.0"}, "storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420, "contents": {"source": "data:,1"}}, {"filesystem": "root", "path": "/a", "append": true, "mode": 420, "contents": {"source": "data:,2"}}]}}`,
			func(c *Config) any { return [2]int{len(c.Storage.Files), len(c.Storage.Files[0].Append)} }, [2]int{1, 1}},
		{"enable and enabled false", `{"ignition": {"version": "2.1.0"}, "systemd": {"units": [{"name": "a.service", "enable": true, "enabled": false}]}}`,
			func(c *Config) any { return *c.Systemd.Units[0].Enabled }, true},
		{"networkd dropin file", `{"ignition": {"version": "2.2.0"}, "networkd": {"units": [{"name": "a.network", "dropins": [{"name": "b.conf", "contents": "[Network]\nDNS=1.1.1.1\n"}]}]}}`,
			func(c *Config) any { f := c.Storage.Files[0]; return [3]any{f.Path, *f.Mode, *f.Contents.Source} },
			[3]any{"/etc/systemd/network/a.network.d/b.conf", 0o644, "data:,%5BNetwork%5D%0ADNS%3D1.1.1.1%0A"}},
		{"version is the newest", `{"ignition": {"version": "2.3.0"}}`,
			func(c *Config) any { return c.Ignition.Version }, Newest.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, rep := Parse("in.ign", []byte(tc.doc))
			if rep.HasErrors() {
				t.Fatalf("Parse(%s) has errors:\n%v", tc.doc, rep.Err())
			}
			if diff := cmp.Diff(tc.val, tc.want(&p.Config)); diff != "" {
				t.Errorf("Parse(%s) translation (-want +got):\n%s", tc.doc, diff)
			}
		})
	}
}

// FuzzParseLegacy feeds 2.x documents through the whole pipeline: no input may panic, and a
// translation without errors must be writable as the newest spec.
func FuzzParseLegacy(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "legacy", "*.ign"))
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rep := Parse("fuzz.ign", data)
		if p == nil || rep.HasErrors() || p.Declared.Major != 2 {
			return
		}
		if _, err := Marshal(&p.Config, Newest, false); err != nil {
			t.Errorf("Marshal(translation of %q) = %v", data, err)
		}
	})
}
