package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ruleDoc makes a config of spec v whose top level holds body besides the ignition section. A body
// with its own ignition section has the version written as IGNORED.
func ruleDoc(v Version, body string) []byte {
	if strings.HasPrefix(body, `"ignition"`) {
		return []byte("{" + strings.Replace(body, "IGNORED", v.String(), 1) + "}")
	}
	if body == "" {
		return []byte(fmt.Sprintf(`{"ignition":{"version":%q}}`, v))
	}
	return []byte(fmt.Sprintf(`{"ignition":{"version":%q},%s}`, v, body))
}

// diagsWith returns the diagnostics of rep whose error is err.
func diagsWith(rep Report, err error) []Diagnostic {
	var out []Diagnostic
	for _, d := range rep {
		if errors.Is(d.Err, err) {
			out = append(out, d)
		}
	}
	return out
}

func since(s string) func(Version) bool {
	first := mustVersion(s)
	return func(v Version) bool { return !v.LessThan(first) }
}

func before(s string) func(Version) bool {
	limit := mustVersion(s)
	return func(v Version) bool { return v.LessThan(limit) }
}

func between(from, to string) func(Version) bool {
	a, b := since(from), before(to)
	return func(v Version) bool { return a(v) && b(v) }
}

// ruleCase is one rule applied to one document in every supported spec version. When at is
// empty the document must not draw err in any version (the negative case); otherwise it must
// draw it exactly at at with severity sev in the versions where in holds (default: all), and
// not at all in the others, where the field does not exist or the value is allowed.
type ruleCase struct {
	name string
	body string
	err  error
	sev  Severity
	at   string
	in   func(Version) bool
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		for _, v := range Supported {
			t.Run(tc.name+"/"+v.String(), func(t *testing.T) {
				_, rep := Parse("test.ign", ruleDoc(v, tc.body))
				for _, d := range diagsWith(rep, ErrType) {
					t.Fatalf("Parse(%s) type error, the test document is wrong: %v", tc.body, d)
				}
				got := diagsWith(rep, tc.err)
				want := tc.at != "" && (tc.in == nil || tc.in(v))
				if !want {
					if len(got) != 0 {
						t.Errorf("Parse(%s) = %v, want no %q", tc.body, got, tc.err)
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("Parse(%s) = %v, want one %q at %s", tc.body, rep, tc.err, tc.at)
				}
				if got[0].Path.String() != tc.at || got[0].Severity != tc.sev {
					t.Errorf("Parse(%s) = %s %s at %s, want %s at %s", tc.body, got[0].Severity, got[0].Err, got[0].Path, tc.sev, tc.at)
				}
			})
		}
	}
}

const errS, warnS = SeverityError, SeverityWarning

func TestValidatePaths(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "file path empty", body: `"storage":{"files":[{"path":""}]}`, err: ErrPathNotSpecified, sev: errS, at: "$.storage.files.0.path"},
		{name: "file path relative", body: `"storage":{"files":[{"path":"etc/a"}]}`, err: ErrPathRelative, sev: errS, at: "$.storage.files.0.path"},
		{name: "file path trailing slash", body: `"storage":{"files":[{"path":"/etc/"}]}`, err: ErrPathNotClean, sev: errS, at: "$.storage.files.0.path"},
		{name: "file path dot dot", body: `"storage":{"files":[{"path":"/etc/../a"}]}`, err: ErrPathNotClean, sev: errS, at: "$.storage.files.0.path"},
		{name: "file path clean", body: `"storage":{"files":[{"path":"/etc/a"}]}`, err: ErrPathNotClean},
		{name: "file path absolute", body: `"storage":{"files":[{"path":"/etc/a"}]}`, err: ErrPathRelative},
		{name: "directory path relative", body: `"storage":{"directories":[{"path":"d"}]}`, err: ErrPathRelative, sev: errS, at: "$.storage.directories.0.path"},
		{name: "link path unclean", body: `"storage":{"links":[{"path":"/a//b","target":"/t"}]}`, err: ErrPathNotClean, sev: errS, at: "$.storage.links.0.path"},
		{name: "disk device empty", body: `"storage":{"disks":[{"device":""}]}`, err: ErrDiskDeviceRequired, sev: errS, at: "$.storage.disks.0.device"},
		{name: "disk device set", body: `"storage":{"disks":[{"device":"/dev/sda"}]}`, err: ErrDiskDeviceRequired},
		{name: "disk device relative", body: `"storage":{"disks":[{"device":"sda"}]}`, err: ErrPathRelative, sev: errS, at: "$.storage.disks.0.device"},
		{name: "filesystem device unclean", body: `"storage":{"filesystems":[{"device":"/dev//sda"}]}`, err: ErrPathNotClean, sev: errS, at: "$.storage.filesystems.0.device"},
		{name: "filesystem device empty", body: `"storage":{"filesystems":[{"device":""}]}`, err: ErrPathNotSpecified, sev: errS, at: "$.storage.filesystems.0.device"},
		{name: "filesystem path relative", body: `"storage":{"filesystems":[{"device":"/dev/sda","format":"ext4","path":"mnt"}]}`, err: ErrPathRelative, sev: errS, at: "$.storage.filesystems.0.path"},
		{name: "filesystem path unset", body: `"storage":{"filesystems":[{"device":"/dev/sda","format":"ext4"}]}`, err: ErrPathNotSpecified},
		{name: "raid device relative", body: `"storage":{"raid":[{"name":"md","level":"raid1","devices":["/dev/sda","sdb"]}]}`, err: ErrPathRelative, sev: errS, at: "$.storage.raid.0.devices.1"},
		{name: "luks device empty", body: `"storage":{"luks":[{"name":"l","device":""}]}`, err: ErrDiskDeviceRequired, sev: errS, at: "$.storage.luks.0.device", in: since("3.2.0")},
		{name: "luks device unset", body: `"storage":{"luks":[{"name":"l"}]}`, err: ErrDiskDeviceRequired, sev: errS, at: "$.storage.luks.0.device", in: since("3.2.0")},
		{name: "luks device unclean", body: `"storage":{"luks":[{"name":"l","device":"/dev/sda/"}]}`, err: ErrPathNotClean, sev: errS, at: "$.storage.luks.0.device", in: since("3.2.0")},
		{name: "luks device good", body: `"storage":{"luks":[{"name":"l","device":"/dev/sda"}]}`, err: ErrDiskDeviceRequired},
	})
}

func TestValidatePartitions(t *testing.T) {
	disk := func(parts string) string {
		return `"storage":{"disks":[{"device":"/dev/sda","partitions":[` + parts + `]}]}`
	}
	label37 := strings.Repeat("x", 37)
	runRuleCases(t, []ruleCase{
		{name: "numbers collide", body: disk(`{"number":1},{"number":2},{"number":1,"label":"b"}`), err: ErrPartitionNumbersCollide, sev: errS, at: "$.storage.disks.0.partitions.2"},
		{name: "numbers distinct", body: disk(`{"number":1},{"number":2}`), err: ErrPartitionNumbersCollide},
		{name: "number zero twice", body: disk(`{"label":"a"},{"label":"b"}`), err: ErrPartitionNumbersCollide},
		{name: "labels collide", body: disk(`{"label":"a"},{"number":3,"label":"a"}`), err: ErrPartitionLabelsCollide, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "labels distinct", body: disk(`{"label":"a"},{"label":"b"}`), err: ErrPartitionLabelsCollide},
		{name: "overlap", body: disk(`{"number":1,"startMiB":1,"sizeMiB":10},{"number":2,"startMiB":10,"sizeMiB":10}`), err: ErrPartitionsOverlap, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "overlap straddle", body: disk(`{"number":1,"startMiB":5,"sizeMiB":2},{"number":2,"startMiB":1,"sizeMiB":100}`), err: ErrPartitionsOverlap, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "overlap reported at first other", body: disk(`{"number":1,"startMiB":1,"sizeMiB":1},{"number":2,"startMiB":50,"sizeMiB":10},{"number":3,"startMiB":40,"sizeMiB":20},{"number":4,"startMiB":55,"sizeMiB":1}`), err: ErrPartitionsOverlap, sev: errS, at: "$.storage.disks.0.partitions.2"},
		{name: "adjacent", body: disk(`{"number":1,"startMiB":1,"sizeMiB":10},{"number":2,"startMiB":11,"sizeMiB":10}`), err: ErrPartitionsOverlap},
		{name: "size zero is one MiB", body: disk(`{"number":1,"startMiB":5,"sizeMiB":0},{"number":2,"startMiB":5,"sizeMiB":1}`), err: ErrPartitionsOverlap, sev: errS, at: "$.storage.disks.0.partitions.1"},
		{name: "size zero next to", body: disk(`{"number":1,"startMiB":5,"sizeMiB":0},{"number":2,"startMiB":6,"sizeMiB":1}`), err: ErrPartitionsOverlap},
		{name: "start zero not checked", body: disk(`{"number":1,"startMiB":0,"sizeMiB":10},{"number":2,"startMiB":1,"sizeMiB":10}`), err: ErrPartitionsOverlap},
		{name: "size unset not checked", body: disk(`{"number":1,"startMiB":1},{"number":2,"startMiB":1,"sizeMiB":10}`), err: ErrPartitionsOverlap},
		{name: "shouldExist false with label", body: disk(`{"number":1,"label":"a","shouldExist":false}`), err: ErrShouldNotExistWithOthers, sev: errS, at: "$.storage.disks.0.partitions.0"},
		{name: "shouldExist false with size", body: disk(`{"number":1,"sizeMiB":0,"shouldExist":false}`), err: ErrShouldNotExistWithOthers, sev: errS, at: "$.storage.disks.0.partitions.0"},
		{name: "shouldExist false alone", body: disk(`{"number":1,"shouldExist":false,"wipePartitionEntry":true}`), err: ErrShouldNotExistWithOthers},
		{name: "shouldExist true with label", body: disk(`{"number":1,"label":"a","shouldExist":true}`), err: ErrShouldNotExistWithOthers},
		{name: "no number no label", body: disk(`{"sizeMiB":10}`), err: ErrPartitionNeedsNumberOrLabel, sev: errS, at: "$.storage.disks.0.partitions.0"},
		{name: "label only", body: disk(`{"label":""}`), err: ErrPartitionNeedsNumberOrLabel},
		{name: "label too long", body: disk(`{"number":1,"label":"` + label37 + `"}`), err: ErrPartitionLabelTooLong, sev: errS, at: "$.storage.disks.0.partitions.0.label"},
		{name: "label 36 bytes", body: disk(`{"number":1,"label":"` + label37[1:] + `"}`), err: ErrPartitionLabelTooLong},
		{name: "label colon", body: disk(`{"number":1,"label":"a:b"}`), err: ErrPartitionLabelColon, sev: errS, at: "$.storage.disks.0.partitions.0.label"},
		{name: "guid bad", body: disk(`{"number":1,"guid":"01234567-89AB-CDEF-EDCB-A9876543210"}`), err: ErrGUIDForm, sev: errS, at: "$.storage.disks.0.partitions.0.guid"},
		{name: "typeGuid bad", body: disk(`{"number":1,"typeGuid":"0FC63DAF-8483-4772-8E79_3D69D8477DE4"}`), err: ErrGUIDForm, sev: errS, at: "$.storage.disks.0.partitions.0.typeGuid"},
		{name: "guid not hex", body: disk(`{"number":1,"guid":"0123456g-89AB-CDEF-EDCB-A98765432101"}`), err: ErrGUIDForm, sev: errS, at: "$.storage.disks.0.partitions.0.guid"},
		{name: "guids good", body: disk(`{"number":1,"guid":"01234567-89ab-cdef-EDCB-A98765432101","typeGuid":""}`), err: ErrGUIDForm},
		{name: "resize is not a rule", body: disk(`{"number":1,"resize":true,"shouldExist":false}`), err: ErrShouldNotExistWithOthers},
	})
}

func TestValidateFilesystems(t *testing.T) {
	fs := func(f string) string { return `"storage":{"filesystems":[{"device":"/dev/sda"` + f + `}]}` }
	runRuleCases(t, []ruleCase{
		{name: "format empty with path", body: fs(`,"path":"/var"`), err: ErrFormatEmptyWithOthers, sev: errS, at: "$.storage.filesystems.0.format"},
		{name: "format empty with wipe", body: fs(`,"format":"","wipeFilesystem":true`), err: ErrFormatEmptyWithOthers, sev: errS, at: "$.storage.filesystems.0.format"},
		{name: "format empty with options", body: fs(`,"options":["-b","4096"]`), err: ErrFormatEmptyWithOthers, sev: errS, at: "$.storage.filesystems.0.format"},
		{name: "format empty with mountOptions", body: fs(`,"mountOptions":["ro"]`), err: ErrFormatEmptyWithOthers, sev: errS, at: "$.storage.filesystems.0.format", in: since("3.1.0")},
		{name: "format empty alone", body: fs(`,"wipeFilesystem":false`), err: ErrFormatEmptyWithOthers},
		{name: "format unknown", body: fs(`,"format":"ntfs"`), err: ErrFilesystemFormat, sev: errS, at: "$.storage.filesystems.0.format"},
		{name: "format none", body: fs(`,"format":"none"`), err: ErrFilesystemFormat, sev: errS, at: "$.storage.filesystems.0.format", in: before("3.3.0")},
		{name: "format xfs", body: fs(`,"format":"xfs"`), err: ErrFilesystemFormat},
		{name: "label without format", body: fs(`,"label":"root"`), err: ErrLabelNeedsFormat, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "label with format", body: fs(`,"format":"ext4","label":"root"`), err: ErrLabelNeedsFormat},
		{name: "ext4 label long", body: fs(`,"format":"ext4","label":"` + strings.Repeat("l", 17) + `"`), err: ErrExt4LabelTooLong, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "ext4 label fits", body: fs(`,"format":"ext4","label":"` + strings.Repeat("l", 16) + `"`), err: ErrExt4LabelTooLong},
		{name: "btrfs label long", body: fs(`,"format":"btrfs","label":"` + strings.Repeat("l", 257) + `"`), err: ErrBtrfsLabelTooLong, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "btrfs label fits", body: fs(`,"format":"btrfs","label":"` + strings.Repeat("l", 256) + `"`), err: ErrBtrfsLabelTooLong},
		{name: "xfs label long", body: fs(`,"format":"xfs","label":"` + strings.Repeat("l", 13) + `"`), err: ErrXfsLabelTooLong, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "xfs label fits", body: fs(`,"format":"xfs","label":"` + strings.Repeat("l", 12) + `"`), err: ErrXfsLabelTooLong},
		{name: "swap label long", body: fs(`,"format":"swap","label":"` + strings.Repeat("l", 16) + `"`), err: ErrSwapLabelTooLong, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "swap label fits", body: fs(`,"format":"swap","label":"` + strings.Repeat("l", 15) + `"`), err: ErrSwapLabelTooLong},
		{name: "vfat label long", body: fs(`,"format":"vfat","label":"` + strings.Repeat("l", 12) + `"`), err: ErrVfatLabelTooLong, sev: errS, at: "$.storage.filesystems.0.label"},
		{name: "vfat label fits", body: fs(`,"format":"vfat","label":"` + strings.Repeat("l", 11) + `"`), err: ErrVfatLabelTooLong},
		{
			name: "partitioned device",
			body: `"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":1}]}],"filesystems":[{"device":"/dev/sda","format":"ext4"}]}`,
			err:  ErrPartitionsOverwritten, sev: warnS, at: "$.storage.filesystems.0.device",
		},
		{
			name: "partition of the device",
			body: `"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":1}]}],"filesystems":[{"device":"/dev/sda1","format":"ext4"}]}`,
			err:  ErrPartitionsOverwritten,
		},
		{
			name: "wiped table",
			body: `"storage":{"disks":[{"device":"/dev/sda","wipeTable":true}],"filesystems":[{"device":"/dev/sda","format":"ext4"}]}`,
			err:  ErrFilesystemImplicitWipe, sev: warnS, at: "$.storage.filesystems.0.device",
		},
		{
			name: "wiped table and filesystem",
			body: `"storage":{"disks":[{"device":"/dev/sda","wipeTable":true}],"filesystems":[{"device":"/dev/sda","format":"ext4","wipeFilesystem":true}]}`,
			err:  ErrFilesystemImplicitWipe,
		},
	})
}

func TestValidateNodes(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "file mode too big", body: `"storage":{"files":[{"path":"/f","mode":4096}]}`, err: ErrFileMode, sev: errS, at: "$.storage.files.0.mode"},
		{name: "file mode negative", body: `"storage":{"files":[{"path":"/f","mode":-1}]}`, err: ErrFileMode, sev: errS, at: "$.storage.files.0.mode"},
		{name: "file mode max", body: `"storage":{"files":[{"path":"/f","mode":4095}]}`, err: ErrFileMode},
		{name: "file mode setuid", body: `"storage":{"files":[{"path":"/f","mode":2541}]}`, err: ErrModeSpecialBits, sev: warnS, at: "$.storage.files.0.mode", in: before("3.6.0")},
		{name: "file mode plain", body: `"storage":{"files":[{"path":"/f","mode":420}]}`, err: ErrModeSpecialBits},
		{name: "directory mode too big", body: `"storage":{"directories":[{"path":"/d","mode":8192}]}`, err: ErrFileMode, sev: errS, at: "$.storage.directories.0.mode"},
		{name: "directory mode sticky", body: `"storage":{"directories":[{"path":"/d","mode":1023}]}`, err: ErrModeSpecialBits, sev: warnS, at: "$.storage.directories.0.mode", in: before("3.6.0")},
		{name: "overwrite without source", body: `"storage":{"files":[{"path":"/f","overwrite":true}]}`, err: ErrOverwriteWithoutSource, sev: errS, at: "$.storage.files.0.overwrite"},
		{name: "overwrite with empty source", body: `"storage":{"files":[{"path":"/f","overwrite":true,"contents":{"source":""}}]}`, err: ErrOverwriteWithoutSource},
		{name: "user id and name", body: `"storage":{"files":[{"path":"/f","user":{"id":0,"name":"root"}}]}`, err: ErrBothIDAndName, sev: errS, at: "$.storage.files.0.user"},
		{name: "group id and name", body: `"storage":{"directories":[{"path":"/d","group":{"id":0,"name":"root"}}]}`, err: ErrBothIDAndName, sev: errS, at: "$.storage.directories.0.group"},
		{name: "user id only", body: `"storage":{"files":[{"path":"/f","user":{"id":0},"group":{"name":"root"}}]}`, err: ErrBothIDAndName},
		{name: "file under link", body: `"storage":{"links":[{"path":"/a","target":"/t"}],"files":[{"path":"/a/b/f"}]}`, err: ErrFileUnderLink, sev: errS, at: "$.storage.files.0"},
		{name: "file beside link", body: `"storage":{"links":[{"path":"/a","target":"/t"}],"files":[{"path":"/ab/f"}]}`, err: ErrFileUnderLink},
		{name: "directory under link", body: `"storage":{"links":[{"path":"/a/b","target":"/t"}],"directories":[{"path":"/a/b/c"}]}`, err: ErrDirectoryUnderLink, sev: errS, at: "$.storage.directories.0"},
		{name: "directory above link", body: `"storage":{"links":[{"path":"/a/b","target":"/t"}],"directories":[{"path":"/a"}]}`, err: ErrDirectoryUnderLink},
		{name: "link under link", body: `"storage":{"links":[{"path":"/a/b","target":"/t"},{"path":"/a","target":"/t"}]}`, err: ErrLinkUnderLink, sev: errS, at: "$.storage.links.0"},
		{name: "link target missing", body: `"storage":{"links":[{"path":"/l"}]}`, err: ErrLinkTargetRequired, sev: errS, at: "$.storage.links.0.target"},
		{name: "link target empty", body: `"storage":{"links":[{"path":"/l","target":""}]}`, err: ErrLinkTargetRequired, sev: errS, at: "$.storage.links.0.target"},
		{name: "link target set", body: `"storage":{"links":[{"path":"/l","target":"x"}]}`, err: ErrLinkTargetRequired},
		{name: "hard link to directory", body: `"storage":{"directories":[{"path":"/d"}],"links":[{"path":"/l","target":"/d/","hard":true}]}`, err: ErrHardLinkToDirectory, sev: errS, at: "$.storage.links.0"},
		{name: "hard link relative to directory", body: `"storage":{"directories":[{"path":"/d"}],"links":[{"path":"/l","target":"../d","hard":true}]}`, err: ErrHardLinkToDirectory, sev: errS, at: "$.storage.links.0"},
		{name: "soft link to directory", body: `"storage":{"directories":[{"path":"/d"}],"links":[{"path":"/l","target":"/d"}]}`, err: ErrHardLinkToDirectory},
		{name: "hard link to file", body: `"storage":{"files":[{"path":"/d"}],"links":[{"path":"/l","target":"/d","hard":true}]}`, err: ErrHardLinkToDirectory},
		{name: "hard link user id", body: `"storage":{"links":[{"path":"/l","target":"/t","hard":true,"user":{"id":1}}]}`, err: ErrHardLinkOwner, sev: warnS, at: "$.storage.links.0.user.id"},
		{name: "hard link group name", body: `"storage":{"links":[{"path":"/l","target":"/t","hard":true,"group":{"name":"g"}}]}`, err: ErrHardLinkOwner, sev: warnS, at: "$.storage.links.0.group.name"},
		{name: "soft link owner", body: `"storage":{"links":[{"path":"/l","target":"/t","user":{"id":1}}]}`, err: ErrHardLinkOwner},
		{
			name: "file is a unit",
			body: `"systemd":{"units":[{"name":"a.service","contents":"[Unit]"}]},"storage":{"files":[{"path":"/etc/systemd/system/a.service"}]}`,
			err:  ErrPathConflictsSystemd, sev: errS, at: "$.storage.files.0.path",
		},
		{
			name: "link is a dropin",
			body: `"systemd":{"units":[{"name":"a.service","dropins":[{"name":"b.conf","contents":"[Unit]"}]}]},"storage":{"links":[{"path":"/etc/systemd/system/a.service.d/b.conf","target":"/t"}]}`,
			err:  ErrPathConflictsSystemd, sev: errS, at: "$.storage.links.0.path",
		},
		{
			name: "directory is a unit",
			body: `"systemd":{"units":[{"name":"a.service","contents":"[Unit]"}]},"storage":{"directories":[{"path":"/etc/systemd/system/a.service"}]}`,
			err:  ErrPathConflictsSystemd, sev: errS, at: "$.storage.directories.0.path",
		},
		{
			name: "unit without contents",
			body: `"systemd":{"units":[{"name":"a.service","enabled":true,"dropins":[{"name":"b.conf"}]}]},"storage":{"files":[{"path":"/etc/systemd/system/a.service"},{"path":"/etc/systemd/system/a.service.d/b.conf"}]}`,
			err:  ErrPathConflictsSystemd,
		},
	})
}

func TestValidateRaid(t *testing.T) {
	raid := func(f string) string { return `"storage":{"raid":[{"name":"md0"` + f + `}]}` }
	runRuleCases(t, []ruleCase{
		{name: "level missing", body: raid(`,"devices":["/dev/sda"]`), err: ErrRaidLevelRequired, sev: errS, at: "$.storage.raid.0.level"},
		{name: "level unknown", body: raid(`,"level":"raid7","devices":["/dev/sda"]`), err: ErrRaidLevelUnknown, sev: errS, at: "$.storage.raid.0.level"},
		{name: "level alias", body: raid(`,"level":"mirror","devices":["/dev/sda"]`), err: ErrRaidLevelUnknown},
		{name: "spares on stripe", body: raid(`,"level":"stripe","spares":1,"devices":["/dev/sda"]`), err: ErrRaidSpares, sev: errS, at: "$.storage.raid.0.level"},
		{name: "spares on raid5", body: raid(`,"level":"5","spares":1,"devices":["/dev/sda"]`), err: ErrRaidSpares},
		{name: "no spares on raid0", body: raid(`,"level":"raid0","spares":0,"devices":["/dev/sda"]`), err: ErrRaidSpares},
		{name: "devices missing", body: raid(`,"level":"raid1"`), err: ErrRaidDevicesRequired, sev: errS, at: "$.storage.raid.0.devices"},
		{name: "devices empty", body: raid(`,"level":"raid1","devices":[]`), err: ErrRaidDevicesRequired, sev: errS, at: "$.storage.raid.0.devices"},
		{name: "devices set", body: raid(`,"level":"raid1","devices":["/dev/sda","/dev/sdb"]`), err: ErrRaidDevicesRequired},
	})
}

func TestValidateLuks(t *testing.T) {
	luks := func(f string) string { return `"storage":{"luks":[{"name":"root","device":"/dev/sda"` + f + `}]}` }
	runRuleCases(t, []ruleCase{
		{name: "name with slash", body: `"storage":{"luks":[{"name":"a/b","device":"/dev/sda"}]}`, err: ErrLuksNameSlash, sev: errS, at: "$.storage.luks.0.name", in: since("3.2.0")},
		{name: "name plain", body: luks(``), err: ErrLuksNameSlash},
		{name: "label long", body: luks(`,"label":"` + strings.Repeat("l", 48) + `"`), err: ErrLuksLabelTooLong, sev: errS, at: "$.storage.luks.0.label", in: since("3.2.0")},
		{name: "label fits", body: luks(`,"label":"` + strings.Repeat("l", 47) + `"`), err: ErrLuksLabelTooLong},
		{name: "custom with tpm2", body: luks(`,"clevis":{"tpm2":true,"custom":{"pin":"tpm2","config":"{}"}}`), err: ErrClevisCustomWithOthers, sev: errS, at: "$.storage.luks.0.clevis", in: since("3.2.0")},
		{name: "custom with threshold", body: luks(`,"clevis":{"threshold":2,"custom":{"pin":"sss","config":"{}"}}`), err: ErrClevisCustomWithOthers, sev: errS, at: "$.storage.luks.0.clevis", in: since("3.2.0")},
		{name: "custom alone", body: luks(`,"clevis":{"threshold":0,"custom":{"pin":"tang","config":"{}"}}`), err: ErrClevisCustomWithOthers},
		{name: "custom without pin", body: luks(`,"clevis":{"custom":{"needsNetwork":true,"config":"{}"}}`), err: ErrClevisPinRequired, sev: errS, at: "$.storage.luks.0.clevis.custom.pin", in: since("3.2.0")},
		{name: "custom without config", body: luks(`,"clevis":{"custom":{"pin":"tpm2"}}`), err: ErrClevisConfigRequired, sev: errS, at: "$.storage.luks.0.clevis.custom.config", in: since("3.2.0")},
		{name: "custom unknown pin", body: luks(`,"clevis":{"custom":{"pin":"yubikey","config":"{}"}}`), err: ErrClevisPinUnknown, sev: errS, at: "$.storage.luks.0.clevis.custom.pin", in: since("3.2.0")},
		{name: "custom unset", body: luks(`,"clevis":{"custom":{"needsNetwork":false}}`), err: ErrClevisPinRequired},
		{name: "key file ftp", body: luks(`,"keyFile":{"source":"ftp://h/k"}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: since("3.2.0")},
		{name: "key file bad data url", body: luks(`,"keyFile":{"source":"data:text/plain;base64,%%%"}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: since("3.2.0")},
		{name: "key file arn", body: luks(`,"keyFile":{"source":"arn:aws:s3:::bucket/key"}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: between("3.2.0", "3.4.0")},
		{name: "key file arn without key", body: luks(`,"keyFile":{"source":"arn:aws:s3:::bucket"}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: since("3.2.0")},
		{name: "key file s3 empty version", body: luks(`,"keyFile":{"source":"s3://b/k?versionId="}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: since("3.2.0")},
		{name: "key file good", body: luks(`,"keyFile":{"source":"https://h/k"}`), err: ErrKeyFileSource},
		{name: "key file gs", body: luks(`,"keyFile":{"source":"gs://b/k"}`), err: ErrKeyFileSource},
		{name: "key file data", body: luks(`,"keyFile":{"source":"data:,secret"}`), err: ErrKeyFileSource},
		// The key file check lets a source without a scheme pass; the resource check does not.
		{name: "key file without scheme", body: luks(`,"keyFile":{"source":"/k"}`), err: ErrKeyFileSource},
		{name: "key file without scheme as a resource", body: luks(`,"keyFile":{"source":"/k"}`), err: ErrURLScheme, sev: errS, at: "$.storage.luks.0.keyFile.source", in: since("3.2.0")},
		{name: "key file unparsable", body: luks(`,"keyFile":{"source":"http://h/%zz"}`), err: ErrKeyFileSource, sev: errS, at: "$.storage.luks.0.keys", in: since("3.2.0")},
		{name: "cex with tpm2", body: luks(`,"cex":{"enabled":true},"clevis":{"tpm2":true}`), err: ErrCexWithClevis, sev: errS, at: "$.storage.luks.0.cex", in: since("3.5.0")},
		{name: "cex with key file", body: luks(`,"cex":{"enabled":true},"keyFile":{"source":"data:,k"}`), err: ErrCexWithKeyFile, sev: errS, at: "$.storage.luks.0.cex", in: since("3.5.0")},
		{name: "cex alone", body: luks(`,"cex":{"enabled":true},"clevis":{"tpm2":false}`), err: ErrCexWithClevis},
		{name: "tang scheme", body: luks(`,"clevis":{"tang":[{"url":"ftp://t","thumbprint":"x"}]}`), err: ErrURLScheme, sev: errS, at: "$.storage.luks.0.clevis.tang.0.url", in: since("3.2.0")},
		{name: "tang url empty", body: luks(`,"clevis":{"tang":[{"url":"","thumbprint":"x"}]}`), err: ErrURLScheme, sev: errS, at: "$.storage.luks.0.clevis.tang.0.url", in: since("3.2.0")},
		{name: "tang url unparsable", body: luks(`,"clevis":{"tang":[{"url":"http://h/%zz","thumbprint":"x"}]}`), err: ErrURLUnparsable, sev: errS, at: "$.storage.luks.0.clevis.tang.0.url", in: since("3.2.0")},
		{name: "tang no thumbprint", body: luks(`,"clevis":{"tang":[{"url":"http://t"}]}`), err: ErrTangThumbprintRequired, sev: errS, at: "$.storage.luks.0.clevis.tang.0.thumbprint", in: since("3.2.0")},
		{name: "tang good", body: luks(`,"clevis":{"tang":[{"url":"https://t","thumbprint":"x","advertisement":"{\"payload\":\"\"}"}]}`), err: ErrTangAdvertisement},
		{name: "tang bad advertisement", body: luks(`,"clevis":{"tang":[{"url":"https://t","thumbprint":"x","advertisement":"{"}]}`), err: ErrTangAdvertisement, sev: errS, at: "$.storage.luks.0.clevis.tang.0.advertisement", in: since("3.4.0")},
	})
}

// TestValidateStorageClean checks that a config using every storage feature of its version,
// correctly, draws no diagnostic at all.
func TestValidateStorageClean(t *testing.T) {
	for _, v := range Supported {
		t.Run(v.String(), func(t *testing.T) {
			storage := `"storage":{
				"disks":[{"device":"/dev/sda","wipeTable":true,"partitions":[
					{"number":1,"label":"boot","startMiB":1,"sizeMiB":100,"typeGuid":"0FC63DAF-8483-4772-8E79-3D69D8477DE4"},
					{"label":"root","startMiB":101,"sizeMiB":0}]}],
				"raid":[{"name":"md0","level":"raid1","devices":["/dev/sdb","/dev/sdc"],"options":["--x","--x"]}],
				"filesystems":[{"device":"/dev/disk/by-label/root","format":"xfs","path":"/var","label":"root","options":["-f","-f"]}],
				"files":[{"path":"/etc/a","mode":420,"overwrite":true,"contents":{"source":"data:,a"},"user":{"id":0},"group":{"name":"root"}}],
				"directories":[{"path":"/etc/d","mode":493}],
				"links":[{"path":"/etc/l","target":"/etc/a"},{"path":"/etc/h","target":"a","hard":true}]`
			if !v.LessThan(mustVersion("3.2.0")) {
				storage += `,"luks":[{"name":"data","device":"/dev/md/md0","label":"data","clevis":{"tpm2":true,"tang":[{"url":"https://t","thumbprint":"x"}],"threshold":2}}]`
			}
			body := storage + `},"systemd":{"units":[{"name":"a.service","contents":"[Unit]"}]}`
			_, rep := Parse("clean.ign", ruleDoc(v, body))
			if len(rep) != 0 {
				t.Errorf("Parse(clean config %s) = %v, want no diagnostics", v, rep)
			}
		})
	}
}

// TestValidateStoragePositions checks that storage diagnostics carry the line and column of the
// value (or object) they are about.
func TestValidateStoragePositions(t *testing.T) {
	data := []byte(`{
  "ignition": {"version": "3.6.0"},
  "storage": {
    "links": [{"path": "/a", "target": "/t"}],
    "files": [
      {"path": "/a/f"},
      {"path": "/g", "mode": 70000}
    ],
    "disks": [{"device": "/dev/sda", "partitions": [{"number": 1, "label": "a:b"}]}]
  }
}`)
	_, rep := Parse("pos.ign", data)
	tests := []struct {
		name         string
		err          error
		line, column int
	}{
		{name: "file under link", err: ErrFileUnderLink, line: 6, column: 7},
		{name: "mode", err: ErrFileMode, line: 7, column: 30},
		{name: "partition label", err: ErrPartitionLabelColon, line: 9, column: 76},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := diagsWith(rep, tc.err)
			if len(got) != 1 {
				t.Fatalf("Parse() = %v, want one %q", rep, tc.err)
			}
			if got[0].Line != tc.line || got[0].Column != tc.column || got[0].File != "pos.ign" {
				t.Errorf("Parse() %q at %s:%d:%d, want pos.ign:%d:%d", tc.err, got[0].File, got[0].Line, got[0].Column, tc.line, tc.column)
			}
		})
	}
}
