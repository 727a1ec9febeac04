package vm

import (
	"bytes"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/translate"
)

// The RAID/LUKS scenario's key and file. The key is written into the config, so the
// machine's /etc/luks/secret must hold exactly it.
const (
	raidLuksKey   = "flint-vm-luks-key-0123456789"
	raidLuksHello = "hello from an encrypted mirror"
)

// raidLuksCheck reports what the disks stage built, as the real root sees it on its first
// boot: the array in /proc/mdstat, the unlocked volume and its mount, the file in it, and the
// crypttab and key file the files stage wrote so the real root can unlock it again.
const raidLuksCheck = `#!/bin/sh
# "md127 : active raid1 vdc1[1] vdb1[0]": state, level and the number of member devices.
echo "md=$(awk '/^md/ {print $3, $4, NF-4; exit}' /proc/mdstat)"
echo "md_name=$(readlink /dev/md/data >/dev/null && echo data)"
echo "secret_open=$(cryptsetup status secret 2>&1 | head -n 1)"
echo "secret_mount=$(findmnt -n -o SOURCE,FSTYPE /var/lib/secret | tr -s ' ' ,)"
echo "secret_hello=$(cat /var/lib/secret/hello 2>&1)"
echo "crypttab=$(awk '$1 == "secret" {sub(/=.*/, "=", $2); print $1, $2, $3, $4}' /etc/crypttab 2>&1)"
echo "luks_key=$(stat -c %a /etc/luks/secret 2>&1),$(cat /etc/luks/secret 2>&1)"
echo "cryptsetup_unit=$(systemctl is-active systemd-cryptsetup@secret.service)"
`

// raidLuksConfig is the scenario's config in flint YAML: both extra disks partitioned, a
// RAID1 array over the partitions, a LUKS2 volume on the array with an inline key, and an
// ext4 filesystem on the volume mounted by a generated mount unit, with a file in it.
func raidLuksConfig(t *testing.T) string {
	t.Helper()
	member := func(dev, label string) map[string]any {
		return map[string]any{"device": dev, "wipe_table": true, "partitions": []any{
			map[string]any{"number": 1, "label": label, "size_mib": 0, "type_guid": "A19D880F-05FC-4D3B-A006-743F0F84911E"},
		}}
	}
	doc := map[string]any{
		"variant": "flint",
		"version": "1.0.0",
		"storage": map[string]any{
			"disks": []any{member("/dev/vdb", "md-a"), member("/dev/vdc", "md-b")},
			"raid": []any{map[string]any{
				"name": "data", "level": "raid1",
				"devices": []string{"/dev/disk/by-partlabel/md-a", "/dev/disk/by-partlabel/md-b"},
			}},
			"luks": []any{map[string]any{
				"name": "secret", "device": "/dev/md/data", "wipe_volume": true,
				"key_file": map[string]any{"inline": raidLuksKey},
			}},
			"filesystems": []any{map[string]any{
				"device": "/dev/mapper/secret", "format": "ext4", "label": "SECRET", "wipe_filesystem": true,
				"path": "/var/lib/secret", "with_mount_unit": true,
			}},
			"files": []any{
				map[string]any{"path": "/var/lib/secret/hello", "mode": 0o644, "contents": map[string]any{"inline": raidLuksHello}},
				map[string]any{"path": "/etc/flint-vm/check.d/30-raid-luks", "mode": 0o755, "contents": map[string]any{"inline": raidLuksCheck}},
			},
		},
	}
	y, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, rep := translate.Translate("raidluks.yaml", y, translate.Options{})
	if rep.HasErrors() || res == nil {
		t.Fatalf("translate:\n%s\n%v", y, rep)
	}
	if !bytes.Contains(res.JSON, []byte("var-lib-secret.mount")) {
		t.Fatalf("the translator generated no mount unit for the secret filesystem: %s", res.JSON)
	}
	return string(res.JSON)
}

// TestProvisionRaidLuks builds a RAID1 array over two disks, a LUKS2 volume on it and a
// filesystem in that, all in the initramfs with real mdadm and cryptsetup, and checks on the
// real root's first boot that the array is active, the volume open and mounted, the file the
// files stage wrote is in it, and crypttab and the key file are in place.
func TestProvisionRaidLuks(t *testing.T) {
	a := needApply(t)
	root := a.newDisk(t)
	diskA := emptyDisk(t, "raid-a.img", 256<<20)
	diskB := emptyDisk(t, "raid-b.img", 256<<20)
	config := writeConfig(t, raidLuksConfig(t))

	c := a.boot(t, machine{disks: []string{root, diskA, diskB}, config: config, args: firstBootArgs})
	wantBooted(t, c)
	recordBootTime(t, "first boot, RAID1 and LUKS2 on two disks", c.elapsed)
	wantCheck(t, c, "md", "active raid1 2")
	wantCheck(t, c, "md_name", "data")
	wantCheck(t, c, "secret_open", "/dev/mapper/secret is active and is in use.")
	wantCheck(t, c, "secret_mount", "/dev/mapper/secret,ext4")
	wantCheck(t, c, "secret_hello", raidLuksHello)
	wantCheck(t, c, "crypttab", "secret UUID= /etc/luks/secret luks")
	wantCheck(t, c, "luks_key", "600,"+raidLuksKey)
	wantCheck(t, c, "cryptsetup_unit", "active")
}
