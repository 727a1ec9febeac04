// Package benchdata generates the large configs that flint's benchmarks measure, the same
// each time, so that figures in docs/benchmarks.md can be reproduced.
package benchdata

import (
	"bytes"
	"fmt"
)

// IgnitionJSON returns a spec 3.6.0 config with the given numbers of files (inline data URL
// contents, mode, owner) and units (with contents and a drop-in). 10,000 files and 1,000
// units make about 1.1 MB, the size in the design's budget table.
func IgnitionJSON(files, units int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"ignition":{"version":"3.6.0"},"storage":{"files":[`)
	for i := 0; i < files; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"path":"/etc/flint/f%05d.conf","mode":420,`+
			`"contents":{"source":"data:,id%%3D%05d%%0A"}}`, i, i)
	}
	b.WriteString(`]},"systemd":{"units":[`)
	for i := 0; i < units; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"worker-%04d.service","enabled":true,"contents":"[Unit]\nDescription=worker %d\n\n[Service]\nExecStart=/usr/bin/worker --id %d\n\n[Install]\nWantedBy=multi-user.target\n",`+
			`"dropins":[{"name":"10-env.conf","contents":"[Service]\nEnvironment=ID=%d\n"}]}`, i, i, i, i)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// ApplyJSON returns the agent benchmark's reference config: files (inline contents, half
// owned by a configured user), units with an [Install] section, and users, all written into a
// target root; with a disk, also the design's disk layout — 4 partitions, 3 filesystems, two
// of them mounted in the target — and every tenth file lands on the mounted /var.
func ApplyJSON(disk string, files, units, users int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"ignition":{"version":"3.6.0"},"storage":{`)
	if disk != "" {
		fmt.Fprintf(&b, `"disks":[{"device":%q,"wipeTable":true,"partitions":[`+
			`{"number":1,"label":"EFI","sizeMiB":32,"typeGuid":"C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},`+
			`{"number":2,"label":"boot","sizeMiB":64},{"number":3,"label":"var","sizeMiB":320},{"number":4,"label":"spare"}]}],`+
			`"filesystems":[{"device":"%sp1","format":"vfat","label":"EFI"},`+
			`{"device":"%sp2","format":"ext4","label":"boot","path":"/boot"},`+
			`{"device":"%sp3","format":"xfs","label":"var","path":"/var"}],`, disk, disk, disk, disk)
	}
	b.WriteString(`"files":[`)
	for i := 0; i < files; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		dir := "/etc/app"
		if i%10 == 0 {
			dir = "/var/lib/app"
		}
		owner := ""
		if i%2 == 0 && users > 0 {
			owner = fmt.Sprintf(`,"user":{"name":"user%02d"}`, i%users)
		}
		fmt.Fprintf(&b, `{"path":"%s/d%02d/f%05d.conf","mode":420%s,"contents":{"source":"data:,setting%%3D%05d%%0A"}}`, dir, i%50, i, owner, i)
	}
	b.WriteString(`]},"systemd":{"units":[`)
	for i := 0; i < units; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"app-%03d.service","enabled":true,"contents":"[Service]\nExecStart=/usr/bin/app %d\n[Install]\nWantedBy=multi-user.target\n"}`, i, i)
	}
	b.WriteString(`]},"passwd":{"users":[`)
	for i := 0; i < users; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"user%02d","sshAuthorizedKeys":["ssh-ed25519 AAAAC3Nza user%02d"]}`, i, i)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// FlintYAML returns a flint-variant YAML config with files (inline contents, every tenth a
// longer one that compresses well) and units with a drop-in. 5,000 files and 500 units make
// about 0.9 MB, the size in the design's budget table.
func FlintYAML(files, units int) []byte {
	var s bytes.Buffer
	s.WriteString("variant: flint\nversion: 1.0.0\nstorage:\n  files:\n")
	for i := range files {
		fmt.Fprintf(&s, "    - path: /etc/bench/f-%05d.conf\n      mode: 0644\n      contents:\n        inline: |\n", i)
		fmt.Fprintf(&s, "          key=value-%d\n", i)
		if i%10 == 0 {
			for j := range 6 {
				fmt.Fprintf(&s, "          line %d of a longer file that compresses well\n", j)
			}
		}
	}
	s.WriteString("systemd:\n  units:\n")
	for i := range units {
		fmt.Fprintf(&s, "    - name: bench-%04d.service\n      enabled: true\n      contents: |\n", i)
		fmt.Fprintf(&s, "        [Unit]\n        Description=Benchmark unit %d\n\n        [Service]\n        Type=oneshot\n        ExecStart=/usr/bin/true\n\n        [Install]\n        WantedBy=multi-user.target\n", i)
		fmt.Fprintf(&s, "      dropins:\n        - name: 10-env.conf\n          contents: |\n            [Service]\n            Environment=N=%d\n", i)
	}
	return s.Bytes()
}
