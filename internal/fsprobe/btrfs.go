package fsprobe

import "encoding/binary"

const (
	btrfsSuperOffset = 64 << 10
	btrfsSuperSize   = 4096
)

// probeBtrfs reads the primary superblock at 64 KiB. Its checksum is not verified, for the
// reason given at probeExt.
func probeBtrfs(d *device) (Result, bool) {
	sb := d.read(btrfsSuperOffset, btrfsSuperSize)
	if sb == nil || string(sb[64:72]) != "_BHRfS_M" {
		return Result{}, false
	}
	le := binary.LittleEndian
	if le.Uint64(sb[48:]) != btrfsSuperOffset { // bytenr: where this copy believes it is
		return Result{}, false
	}
	return Result{Type: "btrfs", UUID: formatUUID(sb[32:48]), Label: cstring(sb[299 : 299+256])}, true
}
