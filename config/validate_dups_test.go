package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listField is a list somewhere in the type tree, reached through the fields in steps (lists on
// the way hold one entry).
type listField struct {
	steps []*fieldInfo
}

func (l listField) path(last int) Path {
	var p Path
	for i, f := range l.steps {
		p = append(p, f.name)
		if i < len(l.steps)-1 && isList(f) {
			p = append(p, 0)
		}
	}
	return append(p, last)
}

var listFieldTypes = map[*fieldInfo]reflect.Type{}

func isList(f *fieldInfo) bool { return listFieldTypes[f].Kind() == reflect.Slice }

// listFields finds every list in the tree below struct type t.
func listFields(t reflect.Type, prefix []*fieldInfo) []listField {
	var out []listField
	si := infoOf(t)
	for _, f := range si.fields {
		ft := t.FieldByIndex(f.index).Type
		listFieldTypes[f] = ft
		steps := append(append([]*fieldInfo(nil), prefix...), f)
		switch {
		case ft.Kind() == reflect.Slice:
			out = append(out, listField{steps: steps})
			if ft.Elem().Kind() == reflect.Struct {
				out = append(out, listFields(ft.Elem(), steps)...)
			}
		case ft.Kind() == reflect.Struct:
			out = append(out, listFields(ft, steps)...)
		}
	}
	return out
}

// modelLists returns every list of the type tree, failing t when the walk misses some.
func modelLists(t *testing.T) []listField {
	t.Helper()
	lists := listFields(reflect.TypeFor[Config](), nil)
	if len(lists) < 25 {
		t.Fatalf("listFields(Config) found %d lists, want all of them", len(lists))
	}
	return lists
}

// configWithList builds a config in which list l holds two zero entries.
func configWithList(l listField) *Config {
	c := &Config{}
	v := reflect.ValueOf(c).Elem()
	for i, f := range l.steps {
		fv := v.FieldByIndex(f.index)
		if fv.Kind() != reflect.Slice {
			v = fv
			continue
		}
		n := 1
		if i == len(l.steps)-1 {
			n = 2
		}
		fv.Set(reflect.MakeSlice(fv.Type(), n, n))
		v = fv.Index(0)
	}
	return c
}

// TestDupsEveryList puts two equal entries into each list of the type tree in turn: every list
// reports the second one, except the appended lists, which take repeated entries.
func TestDupsEveryList(t *testing.T) {
	for _, l := range modelLists(t) {
		last := l.steps[len(l.steps)-1]
		t.Run(l.path(1).String(), func(t *testing.T) {
			r := &reporter{}
			validateDups(configWithList(l), r)
			var want Report
			if !last.append {
				want = Report{{Severity: SeverityError, Path: l.path(1), Err: ErrDuplicateEntry}}
			}
			if diff := cmp.Diff(want, r.report, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("validateDups(two entries in %s) mismatch (-want +got):\n%s", l.path(1), diff)
			}
		})
	}
}

// TestDupsParse checks duplicates through Parse in every spec version, for the lists with
// special keys, the shared key spaces, and lists whose field came in a later version.
func TestDupsParse(t *testing.T) {
	parts := func(p string) string {
		return `"storage":{"disks":[{"device":"/dev/sda","partitions":[` + p + `]}]}`
	}
	luks := func(f string) string { return `"storage":{"luks":[{"name":"l","device":"/dev/sda"` + f + `}]}` }
	runRuleCases(t, []ruleCase{
		{name: "file then file", body: `"storage":{"files":[{"path":"/a"},{"path":"/b"},{"path":"/a"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.files.2"},
		{name: "directory then file", body: `"storage":{"files":[{"path":"/a"}],"directories":[{"path":"/a"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.files.0"},
		{name: "file then link", body: `"storage":{"files":[{"path":"/a"}],"links":[{"path":"/a","target":"/t"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.links.0"},
		{name: "distinct nodes", body: `"storage":{"files":[{"path":"/a"}],"directories":[{"path":"/b"}],"links":[{"path":"/c","target":"/t"}]}`, err: ErrDuplicateEntry},
		{name: "partition number", body: parts(`{"number":1,"label":"a"},{"number":1,"label":"b"}`), err: ErrDuplicateEntry, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "partition label", body: parts(`{"label":"a"},{"number":0,"label":"a"}`), err: ErrDuplicateEntry, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "partition number and label", body: parts(`{"number":1,"label":"a"},{"label":"b"},{"number":2}`), err: ErrDuplicateEntry},
		{
			name: "partition in two disks",
			body: `"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":1}]},{"device":"/dev/sdb","partitions":[{"number":1}]}]}`,
			err:  ErrDuplicateEntry,
		},
		{name: "disk", body: `"storage":{"disks":[{"device":"/dev/sda"},{"device":"/dev/sda"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.disks.1"},
		{name: "raid devices", body: `"storage":{"raid":[{"name":"md","level":"raid1","devices":["/dev/sda","/dev/sda"]}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.raid.0.devices.1"},
		{name: "raid options appended", body: `"storage":{"raid":[{"name":"md","level":"raid1","devices":["/dev/sda"],"options":["-x","-x"]}]}`, err: ErrDuplicateEntry},
		{name: "filesystem", body: `"storage":{"filesystems":[{"device":"/dev/sda"},{"device":"/dev/sda"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.filesystems.1"},
		{name: "filesystem options appended", body: `"storage":{"filesystems":[{"device":"/dev/sda","format":"ext4","options":["-x","-x"],"mountOptions":["ro","ro"]}]}`, err: ErrDuplicateEntry},
		{name: "file append appended", body: `"storage":{"files":[{"path":"/a","append":[{"source":"data:,a"},{"source":"data:,a"}]}]}`, err: ErrDuplicateEntry},
		{name: "luks", body: `"storage":{"luks":[{"name":"l","device":"/dev/sda"},{"name":"l","device":"/dev/sdb"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.luks.1", in: since("3.2.0")},
		{name: "luks options appended", body: luks(`,"options":["-x","-x"]`), err: ErrDuplicateEntry},
		{name: "luks openOptions", body: luks(`,"openOptions":["-x","-x"]`), err: ErrDuplicateEntry, sev: errS, at: "$.storage.luks.0.openOptions.1", in: since("3.4.0")},
		{name: "tang", body: luks(`,"clevis":{"tang":[{"url":"http://t","thumbprint":"a"},{"url":"http://t","thumbprint":"b"}]}`), err: ErrDuplicateEntry, sev: errS, at: "$.storage.luks.0.clevis.tang.1", in: since("3.2.0")},
		{name: "users", body: `"passwd":{"users":[{"name":"core"},{"name":"core","uid":1000}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.passwd.users.1"},
		{name: "users distinct", body: `"passwd":{"users":[{"name":"core"},{"name":"Core"}],"groups":[{"name":"core"}]}`, err: ErrDuplicateEntry},
		{name: "groups", body: `"passwd":{"groups":[{"name":"g"},{"name":"g"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.passwd.groups.1"},
		{name: "ssh keys", body: `"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k1","k2","k1"]}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.passwd.users.0.sshAuthorizedKeys.2"},
		{name: "user groups", body: `"passwd":{"users":[{"name":"core","groups":["wheel","wheel"]}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.passwd.users.0.groups.1"},
		{name: "kernel argument", body: `"kernelArguments":{"shouldExist":["a","a"]}`, err: ErrDuplicateEntry, sev: errS, at: "$.kernelArguments.shouldExist.1", in: since("3.3.0")},
		{name: "kernel argument both lists", body: `"kernelArguments":{"shouldNotExist":["quiet"],"shouldExist":["quiet"]}`, err: ErrDuplicateEntry, sev: errS, at: "$.kernelArguments.shouldNotExist.0", in: since("3.3.0")},
		{name: "kernel arguments distinct", body: `"kernelArguments":{"shouldExist":["a b"],"shouldNotExist":["a"]}`, err: ErrDuplicateEntry},
		{name: "units", body: `"systemd":{"units":[{"name":"a.service"},{"name":"a.service"}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.systemd.units.1"},
		{name: "dropins", body: `"systemd":{"units":[{"name":"a.service","dropins":[{"name":"b.conf"},{"name":"b.conf"}]}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.systemd.units.0.dropins.1"},
		{name: "dropins in two units", body: `"systemd":{"units":[{"name":"a.service","dropins":[{"name":"b.conf"}]},{"name":"c.service","dropins":[{"name":"b.conf"}]}]}`, err: ErrDuplicateEntry},
		{name: "merge", body: `"ignition":{"version":"IGNORED","config":{"merge":[{"source":"https://h/c"},{"source":"https://h/c"}]}}`, err: ErrDuplicateEntry, sev: errS, at: "$.ignition.config.merge.1"},
		{name: "headers", body: `"storage":{"files":[{"path":"/a","contents":{"source":"https://h/c","httpHeaders":[{"name":"A","value":"1"},{"name":"A","value":"2"}]}}]}`, err: ErrDuplicateEntry, sev: errS, at: "$.storage.files.0.contents.httpHeaders.1", in: since("3.1.0")},
		{name: "no proxy", body: `"ignition":{"version":"IGNORED","proxy":{"noProxy":["h","h"]}}`, err: ErrDuplicateEntry, sev: errS, at: "$.ignition.proxy.noProxy.1", in: since("3.1.0")},
	})
}

func BenchmarkValidateStorage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"ignition":{"version":"3.6.0"},"storage":{"links":[{"path":"/l","target":"/t"}],"files":[`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"path":"/etc/a/b/c/%d","mode":420,"contents":{"source":"data:,x"}}`, i)
	}
	sb.WriteString(`]}}`)
	_, rep := Parse("bench.ign", []byte(sb.String()))
	if rep.HasErrors() {
		b.Fatalf("Parse(bench) = %v", rep)
	}
	data := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		Parse("bench.ign", data)
	}
}
