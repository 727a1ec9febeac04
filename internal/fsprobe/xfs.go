package fsprobe

import "encoding/binary"

const xfsVersion5 = 5

// probeXFS reads the primary superblock at offset 0 (big-endian) and checks its geometry, so
// random "XFSB" bytes are not taken for a filesystem. The v5 CRC is not verified, for the reason
// given at probeExt.
func probeXFS(d *device) (Result, bool) {
	sb := d.read(0, 512)
	if sb == nil || string(sb[:4]) != "XFSB" {
		return Result{}, false
	}
	be := binary.BigEndian
	blockSize := be.Uint32(sb[4:])
	agBlocks, agCount := be.Uint32(sb[84:]), be.Uint32(sb[88:])
	version := be.Uint16(sb[100:])
	sectSize := be.Uint16(sb[102:])
	inodeSize := be.Uint16(sb[104:])
	if !pow2In(uint64(blockSize), 512, 65536) || !pow2In(uint64(sectSize), 512, 32768) ||
		!pow2In(uint64(inodeSize), 256, 2048) || agCount == 0 || agBlocks == 0 ||
		sb[120] != log2(uint64(blockSize)) || sb[121] != log2(uint64(sectSize)) ||
		sb[126] != 0 { // sb_inprogress: mkfs did not finish
		return Result{}, false
	}
	if v := version & 0xF; v < 1 || v > xfsVersion5 {
		return Result{}, false
	}
	return Result{Type: "xfs", UUID: formatUUID(sb[32:48]), Label: cstring(sb[108:120])}, true
}

// pow2In reports whether v is a power of two within [lo, hi].
func pow2In(v, lo, hi uint64) bool {
	return v >= lo && v <= hi && v&(v-1) == 0
}

// log2 of a power of two.
func log2(v uint64) uint8 {
	var n uint8
	for v > 1 {
		v >>= 1
		n++
	}
	return n
}
