package fsprobe

import (
	"encoding/binary"
	"hash/crc32"
)

const (
	btrfsSuperOffset = 64 << 10
	btrfsSuperSize   = 4096
	btrfsCsumCRC32C  = 0
)

// probeBtrfs reads the primary superblock at 64 KiB. Only CRC32C checksums (the default) are
// verified; superblocks with other checksum types are accepted on their magic.
func probeBtrfs(d *device) (Result, bool) {
	sb := d.read(btrfsSuperOffset, btrfsSuperSize)
	if sb == nil || string(sb[64:72]) != "_BHRfS_M" {
		return Result{}, false
	}
	le := binary.LittleEndian
	if le.Uint64(sb[48:]) != btrfsSuperOffset { // bytenr: where this copy believes it is
		return Result{}, false
	}
	if le.Uint16(sb[196:]) == btrfsCsumCRC32C {
		if le.Uint32(sb[0:]) != crc32.Checksum(sb[32:], castagnoli) {
			return Result{}, false
		}
	}
	return Result{Type: "btrfs", UUID: formatUUID(sb[32:48]), Label: cstring(sb[299 : 299+256])}, true
}
