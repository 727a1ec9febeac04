package config

import (
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must not panic or hang, must position
// every syntax error inside the input, and whatever it accepts must survive a round trip
// through Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"ignition":{"version":"3.6.0"}}`,
		`{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/a","mode":420,"contents":{"source":"data:,x"}}]}}`,
		`{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"https://x/y","httpHeaders":[{"name":"a"}]}]}},` +
			`"storage":{"disks":[{"device":"/dev/vda","partitions":[{"number":1,"sizeMiB":100,"label":"ROOT"}]}],` +
			`"filesystems":[{"device":"/dev/vda1","format":"ext4","path":"/var"}],"luks":[{"name":"a","device":"/dev/vdb","clevis":{"tpm2":true}}]},` +
			`"systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Service]\nExecStart=/bin/true\n"}]},` +
			`"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]},"kernelArguments":{"shouldExist":["quiet"]}}`,
		`{"ignition":{"version":"2.3.0"},"storage":{"files":[{"filesystem":"root","path":"/b"}]}}`,
		`{"ignition":{"version":"3.1.0"},"Storage":{"x":[1,2,{"y":null}]}}`,
		`{"ignition":{"version":"3.6.0"}, "storage": [1,}`,
		"\xef\xbb\xbf{}",
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rep := Parse("fuzz.ign", data)
		for _, d := range rep {
			if d.Line < 0 || d.Column < 0 || d.Err == nil {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		if p == nil || rep.HasErrors() {
			return
		}
		out, err := Marshal(&p.Config, Newest, false)
		if err != nil {
			t.Fatalf("Marshal of an accepted config: %v", err)
		}
		p2, rep2 := Parse("again.ign", out)
		if p2 == nil || rep2.HasErrors() {
			t.Fatalf("re-Parse of Marshal output %s: %v", out, rep2)
		}
		out2, err := Marshal(&p2.Config, Newest, false)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("round trip changed the config:\n%s\n%s", out, out2)
		}
	})
}
