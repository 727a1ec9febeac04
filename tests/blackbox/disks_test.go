package blackbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/stages"
)

const espType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

// referenceConfig is the design's reference shape: one disk, 4 partitions, 3 filesystems
// (two mounted in the target: the kernels these tests run on may lack vfat), files written
// into them, users and units.
func referenceConfig(dev string) string {
	return fmt.Sprintf(`{"ignition":{"version":"3.6.0"},
	"storage":{
		"disks":[{"device":%[1]q,"wipeTable":true,"partitions":[
			{"number":1,"label":"EFI-SYSTEM","sizeMiB":32,"typeGuid":%[2]q},
			{"number":2,"label":"boot","sizeMiB":64},
			{"number":3,"label":"var","sizeMiB":320},
			{"number":4,"label":"spare","sizeMiB":0}]}],
		"filesystems":[
			{"device":%[3]q,"format":"vfat","label":"EFI"},
			{"device":%[4]q,"format":"ext4","label":"boot","path":"/boot"},
			{"device":%[5]q,"format":"xfs","label":"var","path":"/var","mountOptions":["noatime"]}],
		"files":[
			{"path":"/boot/loader.conf","overwrite":true,"contents":{"source":"data:,timeout%%203%%0A"}},
			{"path":"/var/lib/app/state","overwrite":true,"contents":{"source":"data:,ready"},"user":{"name":"core"},"mode":384},
			{"path":"/etc/hostname","overwrite":true,"contents":{"source":"data:,node1%%0A"}}],
		"directories":[{"path":"/var/log/app","mode":488}]},
	"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA core"]}]},
	"systemd":{"units":[{"name":"app.service","enabled":true,"contents":"[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]}}`,
		dev, espType, dev+"p1", dev+"p2", dev+"p3")
}

func TestProvisionReferenceDisk(t *testing.T) {
	needRoot(t, "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "sgdisk", "blkid", "wipefs")
	d := newDisk(t, 512)
	root := target(t)
	cfg := writeConfig(t, referenceConfig(d.dev))
	if _, err := apply(t, root, cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	// The table, as sgdisk sees it.
	if out := run(t, "sgdisk", "-v", d.dev); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	info := run(t, "sgdisk", "-i", "1", d.dev)
	if !strings.Contains(info, espType) || !strings.Contains(info, "'EFI-SYSTEM'") {
		t.Errorf("sgdisk -i 1:\n%s", info)
	}
	if info := run(t, "sgdisk", "-i", "4", d.dev); !strings.Contains(info, "'spare'") {
		t.Errorf("partition 4 (size 0 = the rest):\n%s", info)
	}
	// The filesystems, as blkid sees them.
	for n, want := range map[int][2]string{1: {"vfat", "EFI"}, 2: {"ext4", "boot"}, 3: {"xfs", "var"}} {
		got := blkid(t, d.part(n))
		if got["TYPE"] != want[0] || got["LABEL"] != want[1] {
			t.Errorf("blkid %s = %v, want %s labelled %s", d.part(n), got, want[0], want[1])
		}
	}
	// What the files stage wrote landed inside the mounted filesystems, and the umount stage
	// unmounted them.
	if got := mountRead(t, d.part(2), "ext4", "loader.conf"); got != "timeout 3\n" {
		t.Errorf("loader.conf on the boot filesystem = %q", got)
	}
	if got := mountRead(t, d.part(3), "xfs", "lib/app/state"); got != "ready" {
		t.Errorf("state on the var filesystem = %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/app/state")); err == nil {
		t.Errorf("var/lib/app/state is in the root directory: the var filesystem was not mounted")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/hostname")); string(b) != "node1\n" {
		t.Errorf("/etc/hostname = %q", b)
	}
	if target, err := os.Readlink(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/app.service")); target != "/etc/systemd/system/app.service" {
		t.Errorf("app.service enablement link = %q, %v", target, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "home/core/.ssh/authorized_keys")); string(b) != "ssh-ed25519 AAAA core\n" {
		t.Errorf("authorized_keys = %q", b)
	}

	// A second run with the same config keeps everything: the partitions match and every
	// filesystem is reused (same UUIDs), and the files are there.
	before := map[int]string{}
	for n := 1; n <= 3; n++ {
		before[n] = blkid(t, d.part(n))["UUID"]
	}
	cfgKeep := writeConfig(t, strings.Replace(referenceConfig(d.dev), `"wipeTable":true`, `"wipeTable":false`, 1))
	if _, err := apply(t, target(t), cfgKeep); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	for n := 1; n <= 3; n++ {
		if got := blkid(t, d.part(n))["UUID"]; got != before[n] {
			t.Errorf("partition %d UUID %s -> %s: the filesystem was recreated", n, before[n], got)
		}
	}
	if got := mountRead(t, d.part(3), "xfs", "lib/app/state"); got != "ready" {
		t.Errorf("state after the second run = %q", got)
	}
}

// TestFailuresLeaveDisksUntouched: a config with an error, a bad hash, a missing device or a
// filesystem in the way stops the run and leaves the disk byte for byte as it was.
func TestFailuresLeaveDisksUntouched(t *testing.T) {
	needRoot(t, "mkfs.ext4", "sgdisk", "wipefs")
	d := newDisk(t, 128)
	run(t, "sgdisk", "-n", "1:2048:+32M", "-c", "1:data", "-n", "2:0:+32M", "-c", "2:logs", d.dev)
	d.detach()
	d.attach(t)
	run(t, "mkfs.ext4", "-q", "-L", "data", d.part(1))
	run(t, "mkfs.ext4", "-q", "-L", "logs", d.part(2))
	want := d.hash(t)

	sum := "sha512-" + strings.Repeat("0", 128)
	for _, tc := range []struct {
		name string
		cfg  string
		err  error
	}{
		{"invalid config", `{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"%[1]s","wipeTable":true}],"files":[{"path":"relative"}]}}`,
			stages.ErrConfigInvalid},
		{"bad hash", `{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"%[1]s","wipeTable":true}],"files":[{"path":"/a","contents":{"source":"data:,x","verification":{"hash":"` + sum + `"}}}]}}`,
			resource.ErrHashMismatch},
		{"missing device", `{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"%[1]s","wipeTable":true},{"device":"/dev/flint-missing","wipeTable":true}]}}`,
			stages.ErrDeviceMissing},
		{"filesystem in the way", `{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"%[1]s","partitions":[{"number":3,"sizeMiB":16}]}],"filesystems":[{"device":"%[1]sp1","format":"xfs"}]}}`,
			stages.ErrFilesystemFound},
		{"partition mismatch", `{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"%[1]s","partitions":[{"number":3,"sizeMiB":16},{"number":1,"sizeMiB":64}]}]}}`,
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := apply(t, target(t), writeConfig(t, fmt.Sprintf(tc.cfg, d.dev)))
			if err == nil {
				t.Fatalf("apply succeeded, want it to fail")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("apply = %v, want %v", err, tc.err)
			}
			var se *stages.StepError
			if errors.As(err, &se) && se.Stage == "disks" && len(se.Path) == 0 {
				t.Errorf("disks error %v names no config entry", err)
			}
			if got := d.hash(t); got != want {
				t.Errorf("the disk changed")
			}
		})
	}
}

// TestPartitionByLabel checks flint's fix for number 0: a partition found by its label is
// reused, never created a second time.
func TestPartitionByLabel(t *testing.T) {
	needRoot(t, "sgdisk")
	d := newDisk(t, 128)
	cfg := writeConfig(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":%q,"partitions":[
		{"label":"data","sizeMiB":32},{"label":"logs","sizeMiB":16}]}]}}`, d.dev))
	for i := 0; i < 2; i++ {
		if _, err := apply(t, target(t), cfg); err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
	}
	out := run(t, "sgdisk", "-p", d.dev)
	if n := strings.Count(out, " data"); n != 1 {
		t.Errorf("%d partitions labelled data after two runs, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "8300"); n != 2 {
		t.Errorf("want exactly 2 partitions:\n%s", out)
	}
}

// TestGrowRoot puts a small root partition at the start of a disk that is larger than the
// image it came from; the disks stage extends the partition and the mount stage the ext4 in it.
func TestGrowRoot(t *testing.T) {
	needRoot(t, "mkfs.ext4", "sgdisk", "resize2fs")
	d := newDisk(t, 64)
	run(t, "sgdisk", "-n", "1:2048:+40M", "-c", "1:ROOT", d.dev)
	d.detach()
	if err := os.Truncate(d.file, 160<<20); err != nil { // the image written to a larger disk
		t.Fatal(err)
	}
	d.attach(t)
	run(t, "mkfs.ext4", "-q", "-L", "ROOT", d.part(1))
	root := t.TempDir()
	cfg := writeConfig(t, `{"ignition":{"version":"3.6.0"}}`)
	env, err := applyWithRoot(t, root, cfg, d.part(1), "fetch-offline", "disks")
	if err != nil {
		t.Fatalf("disks: %v", err)
	}
	if out := run(t, "sgdisk", "-v", d.dev); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v after growing:\n%s", out)
	}
	info := run(t, "sgdisk", "-i", "1", d.dev)
	if !strings.Contains(info, "Last sector: 327646") {
		t.Errorf("root partition does not reach the end of the 160 MiB disk:\n%s", info)
	}
	// The initramfs mounts the root before the mount stage.
	mountAt(t, d.part(1), "ext4", root)
	if err := stages.Run(t.Context(), env, []string{"mount"}); err != nil {
		t.Fatalf("mount stage: %v", err)
	}
	if size := fsSize(t, root); size < 140<<20 {
		t.Errorf("root filesystem is %d MiB after growing, want about 158", size>>20)
	}
}

// TestFilesystemFormats creates each format on a partition, then checks the reuse rules: the
// same config keeps it, a different format without wipeFilesystem fails with the disk
// unchanged, and wipeFilesystem replaces it.
func TestFilesystemFormats(t *testing.T) {
	needRoot(t, "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat", "mkswap", "wipefs", "blkid")
	d := newDisk(t, 400)
	run(t, "sgdisk", "-n", "1:2048:+320M", d.dev)
	d.detach()
	d.attach(t)
	part := d.part(1)
	fsConfig := func(format, label string, wipe bool) string {
		return writeConfig(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},"storage":{"filesystems":[
			{"device":%q,"format":%q,"label":%q,"wipeFilesystem":%v}]}}`, part, format, label, wipe))
	}
	blkidType := map[string]string{"ext4": "ext4", "xfs": "xfs", "btrfs": "btrfs", "vfat": "vfat", "swap": "swap"}
	prev := ""
	for _, format := range []string{"ext4", "xfs", "btrfs", "vfat", "swap"} {
		t.Run(format, func(t *testing.T) {
			label := "fl" + format
			if prev != "" {
				// Something else is there: without wipeFilesystem the run fails and the
				// filesystem stays (TestFailuresLeaveDisksUntouched hashes whole disks).
				before := blkid(t, part)
				if _, err := apply(t, target(t), fsConfig(format, label, false), "fetch-offline", "disks"); !errors.Is(err, stages.ErrFilesystemFound) {
					t.Fatalf("apply over %s without wipe = %v, want ErrFilesystemFound", prev, err)
				}
				if after := blkid(t, part); after["UUID"] != before["UUID"] || after["TYPE"] != before["TYPE"] {
					t.Fatalf("a refused run changed the filesystem: %v -> %v", before, after)
				}
			}
			if _, err := apply(t, target(t), fsConfig(format, label, true), "fetch-offline", "disks"); err != nil {
				t.Fatalf("apply with wipe: %v", err)
			}
			got := blkid(t, part)
			if got["TYPE"] != blkidType[format] || got["LABEL"] != label {
				t.Fatalf("blkid = %v, want %s labelled %s", got, format, label)
			}
			// The same config again keeps the filesystem: same UUID.
			if _, err := apply(t, target(t), fsConfig(format, label, false), "fetch-offline", "disks"); err != nil {
				t.Fatalf("second apply: %v", err)
			}
			if again := blkid(t, part); again["UUID"] != got["UUID"] {
				t.Errorf("UUID %s -> %s: the filesystem was recreated", got["UUID"], again["UUID"])
			}
			prev = format
		})
	}
	t.Run("none", func(t *testing.T) {
		cfg := writeConfig(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},"storage":{"filesystems":[{"device":%q,"format":"none","wipeFilesystem":true}]}}`, part))
		if _, err := apply(t, target(t), cfg, "fetch-offline", "disks"); err != nil {
			t.Fatalf("apply none: %v", err)
		}
		if got := blkid(t, part); got["TYPE"] != "" {
			t.Errorf("after format none with wipe, blkid still finds %v", got)
		}
	})
}

// TestDiskByLink names the disk and its new partition through /dev/disk/by-id style links, as
// configs for real fleets do. The partition's link does not exist yet (udev makes such links
// after the disks stage lets go of the disk), so the stage must find the partition itself.
func TestDiskByLink(t *testing.T) {
	needRoot(t, "mkfs.ext4", "blkid")
	d := newDisk(t, 64)
	links := t.TempDir()
	link := filepath.Join(links, "virtio-flint-test")
	if err := os.Symlink(d.dev, link); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},"storage":{
		"disks":[{"device":%q,"wipeTable":true,"partitions":[{"number":1,"label":"data"}]}],
		"filesystems":[{"device":%q,"format":"ext4","label":"linked"}]}}`, link, link+"-part1"))
	if _, err := apply(t, target(t), cfg, "fetch-offline", "disks"); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := blkid(t, d.part(1)); got["TYPE"] != "ext4" || got["LABEL"] != "linked" {
		t.Errorf("blkid %s = %v, want ext4 labelled linked", d.part(1), got)
	}
}
