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
