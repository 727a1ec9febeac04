package fsprobe

import "encoding/binary"

const (
	mdMagic        = 0xa92b4efc
	mdSuperV1Size  = 256
	md090Reserved  = 64 << 10
	md090UUIDWord0 = 5 * 4
)

// probeMD finds an md RAID member: metadata 1.2 (4 KiB from the start), 1.1 (at the start),
// 1.0 (8 KiB before the end, 4 KiB aligned) and 0.90 (in the last 64 KiB-aligned 64 KiB).
// The label is the array name, the UUID the array's, shared by all members. The checksum is not
// verified, for the reason given at probeExt: a damaged member must not look like free space.
func probeMD(d *device) (Result, bool) {
	for _, off := range []int64{4096, 0, (d.size - 8192) &^ 4095} {
		if res, ok := probeMDv1(d, off); ok {
			return res, true
		}
	}
	return probeMD090(d)
}

func probeMDv1(d *device, off int64) (Result, bool) {
	sb := d.read(off, mdSuperV1Size)
	le := binary.LittleEndian
	if sb == nil || le.Uint32(sb[0:]) != mdMagic || le.Uint32(sb[4:]) != 1 {
		return Result{}, false
	}
	if le.Uint64(sb[144:]) != uint64(off)/512 { // super_offset, in sectors
		return Result{}, false
	}
	return Result{Type: "linux_raid_member", UUID: formatUUID(sb[16:32]), Label: cstring(sb[32:64])}, true
}

// probeMD090 reads the old 0.90 superblock, written in the host's byte order (read as
// little-endian here); its UUID is four words scattered through the header.
func probeMD090(d *device) (Result, bool) {
	if d.size < 2*md090Reserved {
		return Result{}, false
	}
	off := d.size&^(md090Reserved-1) - md090Reserved
	sb := d.read(off, 4096)
	if sb == nil {
		return Result{}, false
	}
	le := binary.LittleEndian
	if le.Uint32(sb[0:]) != mdMagic || le.Uint32(sb[4:]) != 0 || le.Uint32(sb[8:]) < 90 {
		return Result{}, false
	}
	// The UUID words are host-order integers; blkid prints each one's bytes most significant
	// first.
	words := [][]byte{sb[md090UUIDWord0 : md090UUIDWord0+4], sb[13*4 : 14*4], sb[14*4 : 15*4], sb[15*4 : 16*4]}
	uuid := make([]byte, 16)
	for i, w := range words {
		uuid[4*i], uuid[4*i+1], uuid[4*i+2], uuid[4*i+3] = w[3], w[2], w[1], w[0]
	}
	return Result{Type: "linux_raid_member", UUID: formatUUID(uuid)}, true
}
