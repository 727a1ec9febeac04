package config

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mptr returns a pointer to v, for building configs in merge tests.
func mptr[T any](v T) *T { return &v }

func TestMerge(t *testing.T) {
	tests := []struct {
		name          string
		parent, child Config
		want          Config
	}{
		{
			name: "empty",
		},
		{
			name:   "struct fields merge recursively",
			parent: Config{Ignition: Ignition{Timeouts: Timeouts{HTTPResponseHeaders: mptr(5)}}},
			child:  Config{Ignition: Ignition{Timeouts: Timeouts{HTTPTotal: mptr(30)}}},
			want:   Config{Ignition: Ignition{Timeouts: Timeouts{HTTPResponseHeaders: mptr(5), HTTPTotal: mptr(30)}}},
		},
		{
			name:   "unset child pointer keeps the parent's",
			parent: Config{Ignition: Ignition{Proxy: Proxy{HTTPProxy: mptr("http://p")}}},
			want:   Config{Ignition: Ignition{Proxy: Proxy{HTTPProxy: mptr("http://p")}}},
		},
		{
			name:   "set child pointer wins",
			parent: Config{Ignition: Ignition{Proxy: Proxy{HTTPProxy: mptr("http://p")}}},
			child:  Config{Ignition: Ignition{Proxy: Proxy{HTTPProxy: mptr("http://c")}}},
			want:   Config{Ignition: Ignition{Proxy: Proxy{HTTPProxy: mptr("http://c")}}},
		},
		{
			name:   "child pointer to a zero value wins",
			parent: Config{Ignition: Ignition{Timeouts: Timeouts{HTTPTotal: mptr(30)}, Proxy: Proxy{HTTPSProxy: mptr("http://p")}}},
			child:  Config{Ignition: Ignition{Timeouts: Timeouts{HTTPTotal: mptr(0)}, Proxy: Proxy{HTTPSProxy: mptr("")}}},
			want:   Config{Ignition: Ignition{Timeouts: Timeouts{HTTPTotal: mptr(0)}, Proxy: Proxy{HTTPSProxy: mptr("")}}},
		},
		{
			name:   "child version replaces the parent's",
			parent: Config{Ignition: Ignition{Version: "3.6.0"}},
			child:  Config{Ignition: Ignition{Version: "3.4.0"}},
			want:   Config{Ignition: Ignition{Version: "3.4.0"}},
		},
		{
			// Non-pointer scalars are replaced unconditionally, as in the reference.
			name:   "empty child version replaces the parent's",
			parent: Config{Ignition: Ignition{Version: "3.6.0"}},
			want:   Config{Ignition: Ignition{Version: ""}},
		},
		{
			name: "append lists keep both sides, duplicates too",
			parent: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Options: []string{"--a", "--b"}}},
				Filesystems: []Filesystem{{Device: "/dev/sda1", Options: []string{"-x"}, MountOptions: []string{"ro"}}},
				Luks:        []Luks{{Name: "l", Options: []string{"--o"}}},
				Files:       []File{{Node: Node{Path: "/f"}, Append: []Resource{{Source: mptr("data:,a")}}}},
			}},
			child: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Options: []string{"--b", "--c"}}},
				Filesystems: []Filesystem{{Device: "/dev/sda1", Options: []string{"-x"}, MountOptions: []string{"noatime"}}},
				Luks:        []Luks{{Name: "l", Options: []string{"--o"}}},
				Files:       []File{{Node: Node{Path: "/f"}, Append: []Resource{{Source: mptr("data:,a")}, {Source: mptr("data:,b")}}}},
			}},
			want: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Options: []string{"--a", "--b", "--b", "--c"}}},
				Filesystems: []Filesystem{{Device: "/dev/sda1", Options: []string{"-x", "-x"}, MountOptions: []string{"ro", "noatime"}}},
				Luks:        []Luks{{Name: "l", Options: []string{"--o", "--o"}}},
				Files:       []File{{Node: Node{Path: "/f"}, Append: []Resource{{Source: mptr("data:,a")}, {Source: mptr("data:,a")}, {Source: mptr("data:,b")}}}},
			}},
		},
		{
			name: "keyed entries merge, new child entries follow the parent's in child order",
			parent: Config{Passwd: Passwd{
				Users:  []PasswdUser{{Name: "a", UID: mptr(1), Shell: mptr("/bin/sh")}, {Name: "b", Groups: []string{"x", "y"}}},
				Groups: []PasswdGroup{{Name: "g", Gid: mptr(10)}},
			}},
			child: Config{Passwd: Passwd{
				Users:  []PasswdUser{{Name: "d", SSHAuthorizedKeys: []string{"k1", "k2"}}, {Name: "a", Shell: mptr("/bin/bash")}, {Name: "c"}},
				Groups: []PasswdGroup{{Name: "g", System: mptr(true)}},
			}},
			want: Config{Passwd: Passwd{
				Users:  []PasswdUser{{Name: "a", UID: mptr(1), Shell: mptr("/bin/bash")}, {Name: "b", Groups: []string{"x", "y"}}, {Name: "d", SSHAuthorizedKeys: []string{"k1", "k2"}}, {Name: "c"}},
				Groups: []PasswdGroup{{Name: "g", Gid: mptr(10), System: mptr(true)}},
			}},
		},
		{
			name:   "string lists merge by value",
			parent: Config{Ignition: Ignition{Proxy: Proxy{NoProxy: []string{"a", "b"}}}, Passwd: Passwd{Users: []PasswdUser{{Name: "u", SSHAuthorizedKeys: []string{"k1"}}}}},
			child:  Config{Ignition: Ignition{Proxy: Proxy{NoProxy: []string{"c", "a"}}}, Passwd: Passwd{Users: []PasswdUser{{Name: "u", SSHAuthorizedKeys: []string{"k2", "k1"}}}}},
			want:   Config{Ignition: Ignition{Proxy: Proxy{NoProxy: []string{"a", "b", "c"}}}, Passwd: Passwd{Users: []PasswdUser{{Name: "u", SSHAuthorizedKeys: []string{"k1", "k2"}}}}},
		},
		{
			name: "resources merge by source",
			parent: Config{Ignition: Ignition{
				Config:   IgnitionConfig{Merge: []Resource{{Source: mptr("https://a"), Verification: Verification{Hash: mptr("sha512-1")}}, {Source: mptr("https://b")}}},
				Security: Security{TLS: TLS{CertificateAuthorities: []Resource{{Source: mptr("https://ca")}}}},
			}},
			child: Config{Ignition: Ignition{
				Config:   IgnitionConfig{Merge: []Resource{{Source: mptr("https://a"), Verification: Verification{Hash: mptr("sha512-2")}}, {Source: mptr("https://c")}}},
				Security: Security{TLS: TLS{CertificateAuthorities: []Resource{{Source: mptr("https://ca2")}}}},
			}},
			want: Config{Ignition: Ignition{
				Config:   IgnitionConfig{Merge: []Resource{{Source: mptr("https://a"), Verification: Verification{Hash: mptr("sha512-2")}}, {Source: mptr("https://b")}, {Source: mptr("https://c")}}},
				Security: Security{TLS: TLS{CertificateAuthorities: []Resource{{Source: mptr("https://ca")}, {Source: mptr("https://ca2")}}}},
			}},
		},
		{
			name:   "replace resource merges field by field",
			parent: Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{Source: mptr("https://a"), Compression: mptr("gzip")}}}},
			child:  Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{Source: mptr("https://b")}}}},
			want:   Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{Source: mptr("https://b"), Compression: mptr("gzip")}}}},
		},
		{
			name: "compression is inherited unless the child sets it",
			parent: Config{Storage: Storage{Files: []File{
				{Node: Node{Path: "/inherit"}, Contents: Resource{Source: mptr("data:,x"), Compression: mptr("gzip")}},
				{Node: Node{Path: "/override"}, Contents: Resource{Source: mptr("data:,x"), Compression: mptr("gzip")}},
			}}},
			child: Config{Storage: Storage{Files: []File{
				{Node: Node{Path: "/inherit"}, Contents: Resource{Source: mptr("data:,y")}},
				{Node: Node{Path: "/override"}, Contents: Resource{Source: mptr("data:,y"), Compression: mptr("")}},
			}}},
			want: Config{Storage: Storage{Files: []File{
				{Node: Node{Path: "/inherit"}, Contents: Resource{Source: mptr("data:,y"), Compression: mptr("gzip")}},
				{Node: Node{Path: "/override"}, Contents: Resource{Source: mptr("data:,y"), Compression: mptr("")}},
			}}},
		},
		{
			name: "partitions merge by number, then by label",
			parent: Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sda", Partitions: []Partition{
				{Number: 1, Label: mptr("boot"), SizeMiB: mptr(100)},
				{Label: mptr("data"), SizeMiB: mptr(200)},
				{Number: 3, Label: mptr("swap")},
			}}}}},
			child: Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sda", WipeTable: mptr(true), Partitions: []Partition{
				{Number: 1, Label: mptr("efi")},
				{Label: mptr("data"), Resize: mptr(true)},
				{Label: mptr("swap"), SizeMiB: mptr(8)},
			}}}}},
			want: Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sda", WipeTable: mptr(true), Partitions: []Partition{
				{Number: 1, Label: mptr("efi"), SizeMiB: mptr(100)},
				{Label: mptr("data"), SizeMiB: mptr(200), Resize: mptr(true)},
				{Number: 3, Label: mptr("swap")},
				// Numbered in the parent, not in the child: different keys.
				{Label: mptr("swap"), SizeMiB: mptr(8)},
			}}}}},
		},
		{
			name:   "disks match by device only",
			parent: Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sda", Partitions: []Partition{{Number: 1}}}}}},
			child:  Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sdb", Partitions: []Partition{{Number: 1}}}}}},
			want:   Config{Storage: Storage{Disks: []Disk{{Device: "/dev/sda", Partitions: []Partition{{Number: 1}}}, {Device: "/dev/sdb", Partitions: []Partition{{Number: 1}}}}}},
		},
		{
			name: "raid, filesystems, luks and tang merge by their keys",
			parent: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Level: mptr("raid1"), Devices: []string{"/dev/a", "/dev/b"}}},
				Filesystems: []Filesystem{{Device: "/dev/md0", Format: mptr("ext4")}},
				Luks: []Luks{{Name: "l", Device: mptr("/dev/x"), OpenOptions: []string{"--a"}, Clevis: Clevis{
					Tang: []Tang{{URL: "http://t", Thumbprint: mptr("t1")}},
				}}},
			}},
			child: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Devices: []string{"/dev/b", "/dev/c"}}},
				Filesystems: []Filesystem{{Device: "/dev/md0", Label: mptr("root")}, {Device: "/dev/sdb", Format: mptr("xfs")}},
				Luks: []Luks{{Name: "l", OpenOptions: []string{"--a", "--b"}, Clevis: Clevis{
					Tang:      []Tang{{URL: "http://t", Advertisement: mptr("{}")}, {URL: "http://u"}},
					Threshold: mptr(2),
				}}},
			}},
			want: Config{Storage: Storage{
				Raid:        []Raid{{Name: "md0", Level: mptr("raid1"), Devices: []string{"/dev/a", "/dev/b", "/dev/c"}}},
				Filesystems: []Filesystem{{Device: "/dev/md0", Format: mptr("ext4"), Label: mptr("root")}, {Device: "/dev/sdb", Format: mptr("xfs")}},
				Luks: []Luks{{Name: "l", Device: mptr("/dev/x"), OpenOptions: []string{"--a", "--b"}, Clevis: Clevis{
					Tang:      []Tang{{URL: "http://t", Thumbprint: mptr("t1"), Advertisement: mptr("{}")}, {URL: "http://u"}},
					Threshold: mptr(2),
				}}},
			}},
		},
		{
			name: "units and dropins merge by name",
			parent: Config{Systemd: Systemd{Units: []Unit{{Name: "a.service", Enabled: mptr(true), Dropins: []Dropin{
				{Name: "10.conf", Contents: mptr("x")}, {Name: "20.conf", Contents: mptr("y")},
			}}}}},
			child: Config{Systemd: Systemd{Units: []Unit{{Name: "a.service", Contents: mptr("[Unit]"), Dropins: []Dropin{
				{Name: "20.conf", Contents: mptr("z")}, {Name: "30.conf"},
			}}, {Name: "b.service", Mask: mptr(true)}}}},
			want: Config{Systemd: Systemd{Units: []Unit{{Name: "a.service", Enabled: mptr(true), Contents: mptr("[Unit]"), Dropins: []Dropin{
				{Name: "10.conf", Contents: mptr("x")}, {Name: "20.conf", Contents: mptr("z")}, {Name: "30.conf"},
			}}, {Name: "b.service", Mask: mptr(true)}}}},
		},
		{
			name: "nodes of the same kind and path merge",
			parent: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/f", User: NodeUser{ID: mptr(1)}}, Mode: mptr(0o644)}},
				Directories: []Directory{{Node: Node{Path: "/d"}, Mode: mptr(0o755)}},
				Links:       []Link{{Node: Node{Path: "/l"}, Target: mptr("/t")}},
			}},
			child: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/f", Group: NodeGroup{Name: mptr("g")}}}},
				Directories: []Directory{{Node: Node{Path: "/d", Overwrite: mptr(true)}}},
				Links:       []Link{{Node: Node{Path: "/l"}, Hard: mptr(true)}},
			}},
			want: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/f", User: NodeUser{ID: mptr(1)}, Group: NodeGroup{Name: mptr("g")}}, Mode: mptr(0o644)}},
				Directories: []Directory{{Node: Node{Path: "/d", Overwrite: mptr(true)}, Mode: mptr(0o755)}},
				Links:       []Link{{Node: Node{Path: "/l"}, Target: mptr("/t"), Hard: mptr(true)}},
			}},
		},
		{
			name: "a child node replaces a parent node of another kind at its path",
			parent: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/a"}, Mode: mptr(0o600)}, {Node: Node{Path: "/keep"}}},
				Directories: []Directory{{Node: Node{Path: "/b"}, Mode: mptr(0o700)}},
				Links:       []Link{{Node: Node{Path: "/c"}, Target: mptr("/t")}},
			}},
			child: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/c"}}},
				Directories: []Directory{{Node: Node{Path: "/a"}}},
				Links:       []Link{{Node: Node{Path: "/b"}, Target: mptr("/u")}},
			}},
			want: Config{Storage: Storage{
				Files:       []File{{Node: Node{Path: "/keep"}}, {Node: Node{Path: "/c"}}},
				Directories: []Directory{{Node: Node{Path: "/a"}}},
				Links:       []Link{{Node: Node{Path: "/b"}, Target: mptr("/u")}},
			}},
		},
		{
			name:   "a parent node of another kind is removed even when nothing else is left",
			parent: Config{Storage: Storage{Links: []Link{{Node: Node{Path: "/a"}, Target: mptr("/t")}}}},
			child:  Config{Storage: Storage{Files: []File{{Node: Node{Path: "/a"}, Mode: mptr(0o644)}}}},
			want:   Config{Storage: Storage{Files: []File{{Node: Node{Path: "/a"}, Mode: mptr(0o644)}}}},
		},
		{
			name:   "child shouldNotExist removes the parent's shouldExist",
			parent: Config{KernelArguments: KernelArguments{ShouldExist: []string{"foo", "bar"}}},
			child:  Config{KernelArguments: KernelArguments{ShouldNotExist: []string{"foo"}}},
			want:   Config{KernelArguments: KernelArguments{ShouldExist: []string{"bar"}, ShouldNotExist: []string{"foo"}}},
		},
		{
			name:   "child shouldExist removes the parent's shouldNotExist",
			parent: Config{KernelArguments: KernelArguments{ShouldExist: []string{"a"}, ShouldNotExist: []string{"foo", "baz"}}},
			child:  Config{KernelArguments: KernelArguments{ShouldExist: []string{"foo", "a"}}},
			want:   Config{KernelArguments: KernelArguments{ShouldExist: []string{"a", "foo"}, ShouldNotExist: []string{"baz"}}},
		},
		{
			name: "child header without a value deletes the parent's",
			parent: Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{Source: mptr("https://a"), HTTPHeaders: []HTTPHeader{
				{Name: "X-Del", Value: mptr("1")}, {Name: "X-Keep", Value: mptr("2")}, {Name: "X-Set", Value: mptr("3")},
			}}}}},
			child: Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{HTTPHeaders: []HTTPHeader{
				{Name: "X-Del"}, {Name: "X-Set", Value: mptr("4")},
			}}}}},
			want: Config{Ignition: Ignition{Config: IgnitionConfig{Replace: Resource{Source: mptr("https://a"), HTTPHeaders: []HTTPHeader{
				{Name: "X-Keep", Value: mptr("2")}, {Name: "X-Set", Value: mptr("4")},
			}}}}},
		},
		{
			// It survives, and fails at fetch time (§3.2).
			name:   "child header without a value and without a parent header is kept",
			parent: Config{Storage: Storage{Files: []File{{Node: Node{Path: "/f"}, Contents: Resource{Source: mptr("https://a")}}}}},
			child:  Config{Storage: Storage{Files: []File{{Node: Node{Path: "/f"}, Contents: Resource{HTTPHeaders: []HTTPHeader{{Name: "X"}}}}}}},
			want:   Config{Storage: Storage{Files: []File{{Node: Node{Path: "/f"}, Contents: Resource{Source: mptr("https://a"), HTTPHeaders: []HTTPHeader{{Name: "X"}}}}}}},
		},
		{
			name:   "deleting the only header leaves none",
			parent: Config{Ignition: Ignition{Config: IgnitionConfig{Merge: []Resource{{Source: mptr("https://a"), HTTPHeaders: []HTTPHeader{{Name: "X", Value: mptr("1")}}}}}}},
			child:  Config{Ignition: Ignition{Config: IgnitionConfig{Merge: []Resource{{Source: mptr("https://a"), HTTPHeaders: []HTTPHeader{{Name: "X"}}}}}}},
			want:   Config{Ignition: Ignition{Config: IgnitionConfig{Merge: []Resource{{Source: mptr("https://a")}}}}},
		},
		{
			name:   "duplicate parent keys all merge with the child's entry",
			parent: Config{Systemd: Systemd{Units: []Unit{{Name: "a", Enabled: mptr(true)}, {Name: "a", Mask: mptr(true)}}}},
			child:  Config{Systemd: Systemd{Units: []Unit{{Name: "a", Contents: mptr("c")}}}},
			want:   Config{Systemd: Systemd{Units: []Unit{{Name: "a", Enabled: mptr(true), Contents: mptr("c")}, {Name: "a", Mask: mptr(true), Contents: mptr("c")}}}},
		},
		{
			name:   "duplicate child keys: the last merges, unmatched ones are all kept",
			parent: Config{Systemd: Systemd{Units: []Unit{{Name: "a"}}}},
			child:  Config{Systemd: Systemd{Units: []Unit{{Name: "a", Contents: mptr("1")}, {Name: "b"}, {Name: "a", Contents: mptr("2")}, {Name: "b"}}}},
			want:   Config{Systemd: Systemd{Units: []Unit{{Name: "a", Contents: mptr("2")}, {Name: "b"}, {Name: "b"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Merge(&tt.parent, &tt.child)
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Merge() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeNil(t *testing.T) {
	c := &Config{Ignition: Ignition{Version: "3.6.0"}, Systemd: Systemd{Units: []Unit{{Name: "a.service"}}}}
	tests := []struct {
		name          string
		parent, child *Config
		want          *Config
	}{
		{name: "both", want: &Config{}},
		{name: "parent", child: c, want: c},
		// The version is a non-pointer scalar: the (empty) child's wins.
		{name: "child", parent: c, want: &Config{Systemd: c.Systemd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Merge(tt.parent, tt.child)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeTranscript(t *testing.T) {
	parent := &Config{
		Ignition:        Ignition{Version: "3.5.0", Timeouts: Timeouts{HTTPTotal: mptr(5)}},
		KernelArguments: KernelArguments{ShouldExist: []string{"a", "b"}},
		Storage: Storage{
			Files: []File{
				{Node: Node{Path: "/gone"}},
				{Node: Node{Path: "/f"}, Mode: mptr(0o644), Contents: Resource{Compression: mptr("gzip")}},
			},
			Raid: []Raid{{Name: "md0", Options: []string{"-p"}}},
		},
	}
	child := &Config{
		Ignition:        Ignition{Version: "3.6.0"},
		KernelArguments: KernelArguments{ShouldExist: []string{"c", "a"}},
		Storage: Storage{
			Files: []File{{Node: Node{Path: "/f"}, Contents: Resource{Source: mptr("data:,x")}}},
			Links: []Link{{Node: Node{Path: "/gone"}, Target: mptr("/f")}},
			Raid:  []Raid{{Name: "md0", Options: []string{"-c"}}},
		},
	}
	_, got := Merge(parent, child)
	p := func(from int, out, in Path) Mapping { return Mapping{Out: out, From: from, In: in} }
	want := Transcript{
		p(FromChild, Path{"ignition", "version"}, Path{"ignition", "version"}),
		p(FromParent, Path{"ignition", "timeouts", "httpTotal"}, Path{"ignition", "timeouts", "httpTotal"}),
		p(FromChild, Path{"kernelArguments", "shouldExist", 0}, Path{"kernelArguments", "shouldExist", 1}),
		p(FromParent, Path{"kernelArguments", "shouldExist", 1}, Path{"kernelArguments", "shouldExist", 1}),
		p(FromChild, Path{"kernelArguments", "shouldExist", 2}, Path{"kernelArguments", "shouldExist", 0}),
		p(FromChild, Path{"storage", "raid", 0, "name"}, Path{"storage", "raid", 0, "name"}),
		p(FromParent, Path{"storage", "raid", 0, "options", 0}, Path{"storage", "raid", 0, "options", 0}),
		p(FromChild, Path{"storage", "raid", 0, "options", 1}, Path{"storage", "raid", 0, "options", 0}),
		p(FromChild, Path{"storage", "raid", 0}, Path{"storage", "raid", 0}),
		// /gone is dropped: the child has a link there.
		p(FromChild, Path{"storage", "files", 0, "path"}, Path{"storage", "files", 0, "path"}),
		p(FromParent, Path{"storage", "files", 0, "contents", "compression"}, Path{"storage", "files", 1, "contents", "compression"}),
		p(FromChild, Path{"storage", "files", 0, "contents", "source"}, Path{"storage", "files", 0, "contents", "source"}),
		p(FromParent, Path{"storage", "files", 0, "mode"}, Path{"storage", "files", 1, "mode"}),
		p(FromChild, Path{"storage", "files", 0}, Path{"storage", "files", 0}),
		// Taken whole: one mapping stands for the entry and everything in it.
		p(FromChild, Path{"storage", "links", 0}, Path{"storage", "links", 0}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge() transcript mismatch (-want +got):\n%s", diff)
	}
}

// lookupPath returns the value at JSON path p in v, or false when there is none.
func lookupPath(v reflect.Value, p Path) (reflect.Value, bool) {
	for _, e := range p {
		switch e := e.(type) {
		case string:
			f, ok := infoOf(v.Type()).byName[e]
			if !ok {
				return reflect.Value{}, false
			}
			v = v.FieldByIndex(f.index)
		case int:
			if v.Kind() != reflect.Slice || e >= v.Len() {
				return reflect.Value{}, false
			}
			v = v.Index(e)
		}
	}
	return v, true
}

// walkMerged collects the paths of the set leaves of v (non-nil pointers, non-zero scalars)
// and of its list entries.
func walkMerged(v reflect.Value, p Path, leaves, entries *[]Path) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			*leaves = append(*leaves, p)
		}
	case reflect.Struct:
		for _, f := range infoOf(v.Type()).fields {
			walkMerged(v.FieldByIndex(f.index), p.Append(f.name), leaves, entries)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			*entries = append(*entries, p.Append(i))
			walkMerged(v.Index(i), p.Append(i), leaves, entries)
		}
	default:
		if !v.IsZero() {
			*leaves = append(*leaves, p)
		}
	}
}

// mergeInputs is a pair of configs that exercises every kind of field and rule.
func mergeInputs() (parent, child *Config) {
	res := func(src string) Resource {
		return Resource{Source: mptr(src), Compression: mptr("gzip"), HTTPHeaders: []HTTPHeader{{Name: "A", Value: mptr("1")}, {Name: "B", Value: mptr("2")}}}
	}
	parent = &Config{
		Ignition: Ignition{
			Version:  "3.5.0",
			Config:   IgnitionConfig{Merge: []Resource{res("https://m")}, Replace: res("https://r")},
			Timeouts: Timeouts{HTTPTotal: mptr(1)},
			Security: Security{TLS: TLS{CertificateAuthorities: []Resource{res("https://ca")}}},
			Proxy:    Proxy{HTTPProxy: mptr("http://p"), NoProxy: []string{"a"}},
		},
		KernelArguments: KernelArguments{ShouldExist: []string{"x", "y"}, ShouldNotExist: []string{"z"}},
		Passwd: Passwd{
			Users:  []PasswdUser{{Name: "u", UID: mptr(1), Groups: []string{"g"}, SSHAuthorizedKeys: []string{"k"}}},
			Groups: []PasswdGroup{{Name: "g", Gid: mptr(1)}},
		},
		Storage: Storage{
			Disks:       []Disk{{Device: "/dev/sda", Partitions: []Partition{{Number: 1, Label: mptr("a")}, {Label: mptr("b")}}}},
			Raid:        []Raid{{Name: "md", Devices: []string{"/dev/a"}, Options: []string{"-o"}}},
			Filesystems: []Filesystem{{Device: "/dev/sda1", Format: mptr("ext4"), Options: []string{"-o"}, MountOptions: []string{"ro"}}},
			Files: []File{
				{Node: Node{Path: "/f", User: NodeUser{ID: mptr(1)}}, Contents: res("https://f"), Append: []Resource{res("https://a")}, Mode: mptr(0o644)},
				{Node: Node{Path: "/x"}},
			},
			Directories: []Directory{{Node: Node{Path: "/d", Overwrite: mptr(false)}, Mode: mptr(0o755)}},
			Links:       []Link{{Node: Node{Path: "/l"}, Target: mptr("/t")}},
			Luks: []Luks{{Name: "l", KeyFile: res("https://k"), Options: []string{"-o"}, OpenOptions: []string{"-p"},
				Clevis: Clevis{Tang: []Tang{{URL: "http://t", Thumbprint: mptr("tp")}}, Custom: ClevisCustom{Pin: mptr("tpm2")}}, Cex: Cex{Enabled: mptr(false)}}},
		},
		Systemd: Systemd{Units: []Unit{{Name: "a.service", Enabled: mptr(true), Dropins: []Dropin{{Name: "d.conf", Contents: mptr("c")}}}}},
	}
	child = &Config{
		Ignition: Ignition{
			Version:  "3.6.0",
			Config:   IgnitionConfig{Merge: []Resource{{Source: mptr("https://m"), HTTPHeaders: []HTTPHeader{{Name: "A"}, {Name: "C", Value: mptr("3")}}}, res("https://n")}},
			Timeouts: Timeouts{HTTPResponseHeaders: mptr(2)},
			Proxy:    Proxy{HTTPSProxy: mptr("http://s"), NoProxy: []string{"b", "a"}},
		},
		KernelArguments: KernelArguments{ShouldExist: []string{"z"}, ShouldNotExist: []string{"y"}},
		Passwd: Passwd{
			Users:  []PasswdUser{{Name: "u", Shell: mptr("/bin/sh"), Groups: []string{"h"}}, {Name: "v", Groups: []string{"a", "b"}}},
			Groups: []PasswdGroup{{Name: "h"}},
		},
		Storage: Storage{
			Disks:       []Disk{{Device: "/dev/sda", WipeTable: mptr(true), Partitions: []Partition{{Number: 1, SizeMiB: mptr(5)}, {Label: mptr("b"), Resize: mptr(true)}, {Number: 9}}}},
			Raid:        []Raid{{Name: "md", Devices: []string{"/dev/b"}, Options: []string{"-p"}}},
			Filesystems: []Filesystem{{Device: "/dev/sda1", Label: mptr("L"), Options: []string{"-q"}, MountOptions: []string{"rw"}}},
			Files: []File{
				{Node: Node{Path: "/f", Group: NodeGroup{Name: mptr("g")}}, Contents: Resource{Source: mptr("https://g")}, Append: []Resource{res("https://b")}},
				{Node: Node{Path: "/l"}},
			},
			Directories: []Directory{{Node: Node{Path: "/x"}}},
			Luks: []Luks{{Name: "l", KeyFile: Resource{Verification: Verification{Hash: mptr("sha256-0")}}, Options: []string{"-q"}, OpenOptions: []string{"-r"},
				Clevis: Clevis{Tang: []Tang{{URL: "http://t", Advertisement: mptr("{}")}, {URL: "http://u"}}}, Discard: mptr(true)}},
		},
		Systemd: Systemd{Units: []Unit{{Name: "a.service", Dropins: []Dropin{{Name: "d.conf", Contents: mptr("e")}, {Name: "e.conf"}}}, {Name: "b.service", Mask: mptr(true)}}},
	}
	return parent, child
}

// TestMergeTranscriptComplete checks that every set leaf of a merged config leads, through
// the transcript, to an equal value in the input it names, and every list entry to an entry
// of that input.
func TestMergeTranscriptComplete(t *testing.T) {
	parent, child := mergeInputs()
	got, tr := Merge(parent, child)
	inputs := [2]reflect.Value{reflect.ValueOf(parent).Elem(), reflect.ValueOf(child).Elem()}
	out := reflect.ValueOf(got).Elem()
	idx := tr.Index()
	var leaves, entries []Path
	walkMerged(out, nil, &leaves, &entries)
	if len(leaves) < 50 {
		t.Fatalf("merged config has %d set leaves, want a richer test config", len(leaves))
	}
	for _, l := range leaves {
		from, in, ok := idx.Lookup(l)
		if !ok {
			t.Errorf("Lookup(%s) found no mapping", l)
			continue
		}
		iv, ok := lookupPath(inputs[from], in)
		if !ok {
			t.Errorf("Lookup(%s) = %d, %s: no such path in that input", l, from, in)
			continue
		}
		ov, _ := lookupPath(out, l)
		if diff := cmp.Diff(iv.Interface(), ov.Interface()); diff != "" {
			t.Errorf("result at %s differs from input %d at %s (-in +out):\n%s", l, from, in, diff)
		}
	}
	outs := map[string]bool{}
	for _, m := range tr {
		if outs[m.Out.String()] {
			t.Errorf("transcript maps %s twice", m.Out)
		}
		outs[m.Out.String()] = true
	}
	for _, e := range entries {
		from, in, ok := idx.Lookup(e)
		if !ok {
			t.Errorf("Lookup(%s) found no mapping", e)
			continue
		}
		if _, ok := lookupPath(inputs[from], in); !ok {
			t.Errorf("Lookup(%s) = %d, %s: no such path in that input", e, from, in)
		}
	}
}

func TestTranscriptIndexLookup(t *testing.T) {
	tr := Transcript{
		{Out: Path{"storage", "files", 0}, From: FromChild, In: Path{"storage", "files", 3}},
		{Out: Path{"storage", "files", 0, "mode"}, From: FromParent, In: Path{"storage", "files", 1, "mode"}},
		{Out: Path{"ignition", "version"}, From: FromChild, In: Path{"ignition", "version"}},
	}
	tests := []struct {
		name   string
		out    Path
		from   int
		in     Path
		wantOK bool
	}{
		{name: "exact", out: Path{"storage", "files", 0, "mode"}, from: FromParent, in: Path{"storage", "files", 1, "mode"}, wantOK: true},
		{name: "entry", out: Path{"storage", "files", 0}, from: FromChild, in: Path{"storage", "files", 3}, wantOK: true},
		{name: "through the entry", out: Path{"storage", "files", 0, "contents", "source"}, from: FromChild, in: Path{"storage", "files", 3, "contents", "source"}, wantOK: true},
		{name: "unmapped", out: Path{"storage", "files"}},
		{name: "root", out: nil},
	}
	idx := tr.Index()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, in, ok := idx.Lookup(tt.out)
			if ok != tt.wantOK || from != tt.from || !cmp.Equal(in, tt.in) {
				t.Errorf("Lookup(%s) = %d, %v, %v, want %d, %v, %v", tt.out, from, in, ok, tt.from, tt.in, tt.wantOK)
			}
		})
	}
}

// mutate changes every set value reachable from v.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		for _, f := range infoOf(v.Type()).fields {
			mutate(v.FieldByIndex(f.index))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			mutate(v.Index(i))
		}
	case reflect.String:
		v.SetString(v.String() + "~")
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

func TestMergeLeavesInputsAlone(t *testing.T) {
	parent, child := mergeInputs()
	wantParent, wantChild := mergeInputs()
	got, _ := Merge(parent, child)
	if diff := cmp.Diff(wantParent, parent); diff != "" {
		t.Errorf("Merge() changed the parent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantChild, child); diff != "" {
		t.Errorf("Merge() changed the child (-want +got):\n%s", diff)
	}
	mutate(reflect.ValueOf(got).Elem())
	for i := range got.Storage.Files {
		got.Storage.Files[i].Append = append(got.Storage.Files[i].Append[:0], Resource{})
	}
	if diff := cmp.Diff(wantParent, parent); diff != "" {
		t.Errorf("changing Merge's result changed the parent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantChild, child); diff != "" {
		t.Errorf("changing Merge's result changed the child (-want +got):\n%s", diff)
	}
}

// BenchmarkMerge merges two configs of n files each, half of the child's files merging with
// the parent's and half new; the sizes show that the cost grows linearly.
func BenchmarkMerge(b *testing.B) {
	build := func(first, n int) *Config {
		c := &Config{Ignition: Ignition{Version: "3.6.0"}}
		c.Storage.Files = make([]File, n)
		for i := range c.Storage.Files {
			c.Storage.Files[i] = File{
				Node:     Node{Path: fmt.Sprintf("/etc/f/%d", first+i), Overwrite: mptr(true)},
				Contents: Resource{Source: mptr(fmt.Sprintf("data:,%d", i)), Compression: mptr("")},
				Mode:     mptr(0o644),
			}
		}
		return c
	}
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			parent, child := build(0, n), build(n/2, n)
			b.ReportAllocs()
			for b.Loop() {
				Merge(parent, child)
			}
		})
	}
}
