package fsprobe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testUUID = []byte{0x0b, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x4a, 0x69, 0x87, 0x78, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1}

const testUUIDText = "0b1f2e3d-4c5b-4a69-8778-96a5b4c3d2e1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// putExt writes an ext superblock with the given feature words into img.
func putExt(img []byte, compat, incompat, roCompat uint32, label string) {
	sb := img[extSuperOffset : extSuperOffset+1024]
	le := binary.LittleEndian
	le.PutUint16(sb[0x38:], extMagic)
	le.PutUint32(sb[0x5C:], compat)
	le.PutUint32(sb[0x60:], incompat)
	le.PutUint32(sb[0x64:], roCompat)
	copy(sb[0x68:], testUUID)
	copy(sb[0x78:0x88], label)
	if roCompat&0x400 != 0 { // metadata_csum
		le.PutUint32(sb[0x3FC:], ^crc32.Checksum(sb[:0x3FC], castagnoli))
	}
}

// putBtrfs writes a btrfs superblock with a valid CRC32C.
func putBtrfs(img []byte, label string) {
	sb := img[btrfsSuperOffset : btrfsSuperOffset+btrfsSuperSize]
	copy(sb[32:], testUUID)
	binary.LittleEndian.PutUint64(sb[48:], btrfsSuperOffset)
	copy(sb[64:], "_BHRfS_M")
	copy(sb[299:], label)
	binary.LittleEndian.PutUint32(sb[0:], crc32.Checksum(sb[32:], castagnoli))
}

// putMDv1 writes an md 1.x superblock at off with a valid checksum.
func putMDv1(img []byte, off int, name string) {
	sb := img[off : off+4096]
	le := binary.LittleEndian
	le.PutUint32(sb[0:], mdMagic)
	le.PutUint32(sb[4:], 1)
	copy(sb[16:], testUUID)
	copy(sb[32:64], name)
	le.PutUint64(sb[144:], uint64(off)/512)
	le.PutUint32(sb[220:], 3) // max_dev, an odd count to exercise the 16-bit tail of the sum
	le.PutUint32(sb[216:], mdV1Checksum(sb[:mdSuperV1Size+3*2]))
}

// mdV1Checksum sums the superblock as little-endian words with the checksum field taken as
// zero, and folds the carry back in, as the md driver does.
func mdV1Checksum(sb []byte) uint32 {
	var sum uint64
	n := len(sb)
	for i := 0; i+4 <= n; i += 4 {
		if i == 216 {
			continue
		}
		sum += uint64(binary.LittleEndian.Uint32(sb[i:]))
	}
	if n%4 == 2 {
		sum += uint64(binary.LittleEndian.Uint16(sb[n-2:]))
	}
	return uint32(sum&0xffffffff + sum>>32)
}

func TestProbeSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		build func(img []byte)
		// onDevice: blkid ignores RAID signatures in regular files, so compare on a loop device.
		onDevice bool
		want     Result
		wantErr  error
	}{
		{name: "zeros", size: 1 << 20, build: func([]byte) {}, want: Result{}},
		{name: "too small for anything", size: 100, build: func([]byte) {}, want: Result{}},
		{name: "ext2", size: 1 << 20,
			build: func(img []byte) { putExt(img, 0x38, 0x2, 0x3, "boot") },
			want:  Result{Type: "ext2", UUID: testUUIDText, Label: "boot"}},
		{name: "ext3", size: 1 << 20,
			build: func(img []byte) { putExt(img, 0x3C, 0x2, 0x3, "") },
			want:  Result{Type: "ext3", UUID: testUUIDText}},
		{name: "ext4 with metadata_csum", size: 1 << 20,
			build: func(img []byte) { putExt(img, 0x3C, 0x2C2, 0x46B, "root") },
			want:  Result{Type: "ext4", UUID: testUUIDText, Label: "root"}},
		{name: "ext4 bad checksum still seen", size: 1 << 20,
			build: func(img []byte) {
				putExt(img, 0x3C, 0x2C2, 0x46B, "root")
				img[extSuperOffset+0x78] = 'R'
			},
			want: Result{Type: "ext4", UUID: testUUIDText, Label: "Root"}},
		{name: "ext journal device", size: 1 << 20,
			build: func(img []byte) { putExt(img, 0, extIncompatJournalDev, 0, "") },
			want:  Result{Type: "jbd", UUID: testUUIDText}},
		{name: "btrfs", size: 1 << 20,
			build: func(img []byte) { putBtrfs(img, "data") },
			want:  Result{Type: "btrfs", UUID: testUUIDText, Label: "data"}},
		{name: "btrfs bad checksum still seen", size: 1 << 20,
			build: func(img []byte) {
				putBtrfs(img, "data")
				img[btrfsSuperOffset+299] = 'D'
			},
			want: Result{Type: "btrfs", UUID: testUUIDText, Label: "Data"}},
		{name: "swap v1", size: 1 << 20,
			build: func(img []byte) {
				copy(img[4096-10:], "SWAPSPACE2")
				binary.LittleEndian.PutUint32(img[1024:], 1)
				binary.LittleEndian.PutUint32(img[1028:], 255)
				copy(img[1036:], testUUID)
				copy(img[1052:], "swap0")
			},
			want: Result{Type: "swap", UUID: testUUIDText, Label: "swap0"}},
		{name: "swap v1 64k pages", size: 1 << 20,
			build: func(img []byte) {
				copy(img[65536-10:], "SWAPSPACE2")
				binary.LittleEndian.PutUint32(img[1024:], 1)
				binary.LittleEndian.PutUint32(img[1028:], 15)
			},
			want: Result{Type: "swap"}},
		{name: "swap without last page", size: 1 << 20,
			build: func(img []byte) {
				copy(img[4096-10:], "SWAPSPACE2")
				binary.LittleEndian.PutUint32(img[1024:], 1)
			},
			want: Result{}},
		{name: "md 1.2", size: 4 << 20, onDevice: true,
			build: func(img []byte) { putMDv1(img, 4096, "any:md0") },
			want:  Result{Type: "linux_raid_member", UUID: testUUIDText, Label: "any:md0"}},
		{name: "md 1.0 at the end", size: 4 << 20, onDevice: true,
			build: func(img []byte) { putMDv1(img, 4<<20-8192, "md1") },
			want:  Result{Type: "linux_raid_member", UUID: testUUIDText, Label: "md1"}},
		{name: "md 1.2 bad checksum still seen", size: 4 << 20, onDevice: true,
			build: func(img []byte) {
				putMDv1(img, 4096, "md0")
				img[4096+32] = 'M'
			},
			want: Result{Type: "linux_raid_member", UUID: testUUIDText, Label: "Md0"}},
		{name: "md 1.2 at the wrong offset", size: 4 << 20, onDevice: true,
			build: func(img []byte) {
				putMDv1(img, 4096, "md0")
				binary.LittleEndian.PutUint64(img[4096+144:], 0)
			},
			want: Result{}},
		{name: "md member hides the filesystem on it", size: 4 << 20, onDevice: true,
			build: func(img []byte) {
				putExt(img, 0x3C, 0x2C2, 0x46B, "root")
				putMDv1(img, 4<<20-8192, "md1")
			},
			want: Result{Type: "linux_raid_member", UUID: testUUIDText, Label: "md1"}},
		{name: "md 0.90 at the end", size: 4 << 20, onDevice: true,
			build: func(img []byte) {
				sb := img[4<<20-64<<10:]
				le := binary.LittleEndian
				le.PutUint32(sb[0:], mdMagic)
				le.PutUint32(sb[8:], 90)
				copy(sb[20:24], testUUID[:4])
				copy(sb[52:64], testUUID[4:])
			},
			want: Result{Type: "linux_raid_member", UUID: "3d2e1f0b-694a-5b4c-a596-7887e1d2c3b4"}},
		{name: "md on a floppy-sized image is ignored", size: 1 << 20,
			build: func(img []byte) { putMDv1(img, 4096, "md0") },
			want:  Result{}},
		{name: "luks2 secondary header only", size: 1 << 20,
			build: func(img []byte) {
				h := img[16<<10:]
				copy(h, luks2Magic2)
				binary.BigEndian.PutUint16(h[6:], 2)
				copy(h[24:], "secret")
				copy(h[168:], testUUIDText)
				binary.BigEndian.PutUint64(h[256:], 16<<10)
			},
			want: Result{Type: "crypto_LUKS", UUID: testUUIDText, Label: "secret"}},
		{name: "ext and btrfs on a floppy-sized image: the first wins", size: 1 << 20,
			build: func(img []byte) {
				putExt(img, 0x3C, 0x2C2, 0x46B, "root")
				putBtrfs(img, "data")
			},
			want: Result{Type: "ext4", UUID: testUUIDText, Label: "root"}},
		{name: "ext and btrfs are ambiguous", size: 4 << 20,
			build: func(img []byte) {
				putExt(img, 0x3C, 0x2C2, 0x46B, "root")
				putBtrfs(img, "data")
			},
			want:    Result{Type: "ext4", UUID: testUUIDText, Label: "root"},
			wantErr: ErrAmbiguous},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := make([]byte, tc.size)
			tc.build(img)
			got, err := Probe(bytes.NewReader(img), int64(len(img)))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Probe(%s) error = %v, want %v", tc.name, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Probe(%s) (-want +got):\n%s", tc.name, diff)
			}
			// The same image through blkid, where it is installed: the synthetic images must
			// look to blkid as they look to us.
			if _, err := exec.LookPath("blkid"); err != nil {
				t.Skip("skipping blkid comparison: blkid (util-linux) not installed")
			}
			path := filepath.Join(t.TempDir(), "img")
			if err := os.WriteFile(path, img, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.wantErr == ErrAmbiguous {
				// blkid exits 8 on an "ambivalent result".
				err := exec.Command("blkid", "-p", path).Run()
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 8 {
					t.Errorf("blkid -p on %s: %v, want exit status 8 (ambivalent)", tc.name, err)
				}
				return
			}
			if tc.onDevice {
				path = readOnlyLoop(t, path)
			}
			if diff := cmp.Diff(blkid(t, path), got); diff != "" {
				t.Errorf("Probe(%s) differs from blkid -p (-blkid +probe):\n%s", tc.name, diff)
			}
		})
	}
}

func TestProbeAll(t *testing.T) {
	img := make([]byte, 1<<20)
	putExt(img, 0x3C, 0x2C2, 0x46B, "root")
	putBtrfs(img, "data")
	got := ProbeAll(bytes.NewReader(img), int64(len(img)))
	want := []Result{
		{Type: "ext4", UUID: testUUIDText, Label: "root"},
		{Type: "btrfs", UUID: testUUIDText, Label: "data"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProbeAll(ext4+btrfs) (-want +got):\n%s", diff)
	}
}

func TestReusable(t *testing.T) {
	str := func(s string) *string { return &s }
	ext4 := Result{Type: "ext4", UUID: testUUIDText, Label: "root"}
	vfat := Result{Type: "vfat", UUID: "1A2B-3C4D", Label: "EFI"}
	for _, tc := range []struct {
		name   string
		found  Result
		format string
		label  *string
		uuid   *string
		want   bool
	}{
		{"type only", ext4, "ext4", nil, nil, true},
		{"other type", ext4, "xfs", nil, nil, false},
		{"label equal", ext4, "ext4", str("root"), nil, true},
		{"label differs", ext4, "ext4", str("ROOT"), nil, false},
		{"empty label requested", ext4, "ext4", str(""), nil, false},
		{"uuid upper case", ext4, "ext4", nil, str("0B1F2E3D-4C5B-4A69-8778-96A5B4C3D2E1"), true},
		{"uuid differs", ext4, "ext4", nil, str("0b1f2e3d-4c5b-4a69-8778-96a5b4c3d2e2"), false},
		{"vfat uuid without dash", vfat, "vfat", str("EFI"), str("1a2b3c4d"), true},
		{"vfat uuid with dash", vfat, "vfat", nil, str("1a2b-3c4d"), true},
		{"vfat uuid differs", vfat, "vfat", nil, str("1a2b3c4e"), false},
		{"none on empty device", Result{}, "none", nil, nil, true},
		{"none on a filesystem", ext4, "none", nil, nil, false},
		{"format on empty device", Result{}, "ext4", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.found.Reusable(tc.format, tc.label, tc.uuid); got != tc.want {
				t.Errorf("%+v.Reusable(%q, %v, %v) = %v, want %v", tc.found, tc.format, tc.label, tc.uuid, got, tc.want)
			}
		})
	}
}

func TestCanonicalUUID(t *testing.T) {
	for _, tc := range []struct{ name, typ, in, want string }{
		{"vfat dash removed", "vfat", "ABCD-1234", "abcd1234"},
		{"vfat without dash", "vfat", "ABCD1234", "abcd1234"},
		{"ext4 keeps dashes", "ext4", "0B1F2E3D-4C5B-4A69-8778-96A5B4C3D2E1", "0b1f2e3d-4c5b-4a69-8778-96a5b4c3d2e1"},
		{"other type keeps the vfat form", "ext4", "ABCD-1234", "abcd-1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanonicalUUID(tc.typ, tc.in); got != tc.want {
				t.Errorf("CanonicalUUID(%q, %q) = %q, want %q", tc.typ, tc.in, got, tc.want)
			}
		})
	}
}

// FuzzProbe checks that no image makes Probe panic or read out of bounds, and that Probe and
// ProbeAll agree on the first match.
func FuzzProbe(f *testing.F) {
	ext := make([]byte, 4096)
	putExt(ext, 0x3C, 0x2C2, 0x46B, "root")
	f.Add(ext)
	btrfs := make([]byte, btrfsSuperOffset+btrfsSuperSize)
	putBtrfs(btrfs, "data")
	f.Add(btrfs)
	md := make([]byte, 8192)
	putMDv1(md, 4096, "md0")
	f.Add(md)
	fat := make([]byte, 4096)
	copy(fat, "\xEB\x3C\x90mkfs.fat\x00\x02\x04\x01\x00\x02\x00\x02\x00\x08\xF8\x01\x00")
	copy(fat[0x36:], "FAT12   ")
	fat[510], fat[511] = 0x55, 0xAA
	f.Add(fat)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, img []byte) {
		res, err := Probe(bytes.NewReader(img), int64(len(img)))
		all := ProbeAll(bytes.NewReader(img), int64(len(img)))
		if err == nil && res.Type != "" && (len(all) == 0 || all[0] != res) {
			t.Errorf("Probe = %+v, ProbeAll = %+v: first matches differ", res, all)
		}
	})
}

// readOnlyLoop attaches img to a read-only loop device for the test's duration, or skips the
// test when that is not possible.
func readOnlyLoop(t *testing.T, img string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping blkid comparison: blkid ignores RAID members in files and loop devices need root")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("skipping blkid comparison: no /dev/loop-control")
	}
	out, err := exec.Command("losetup", "--find", "--show", "--read-only", img).Output()
	if err != nil {
		t.Skipf("skipping blkid comparison: losetup: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return dev
}
