package fsprobe

import "encoding/binary"

// ext2/3/4 superblock: 1024 bytes at offset 1024.
const (
	extSuperOffset = 1024
	extMagic       = 0xEF53

	extCompatHasJournal   = 0x0004
	extIncompatJournalDev = 0x0008
	extFlagsTestFS        = 0x0004

	// Features ext2 and ext3 drivers understand; anything beyond them makes an ext4.
	ext2IncompatSupp = 0x0002 | 0x0010          // filetype, meta_bg
	ext3IncompatSupp = 0x0002 | 0x0004 | 0x0010 // filetype, recover, meta_bg
	ext3RoCompatSupp = 0x0001 | 0x0002 | 0x0004 // sparse_super, large_file, btree_dir
)

// probeExt tells ext2, ext3 and ext4 apart by their feature flags, as blkid does: a journal
// makes ext3, any feature an ext3 driver does not know makes ext4.
//
// The superblock checksum is deliberately not verified (blkid 2.38 does not either): a damaged
// filesystem must still be seen, so that the disks stage refuses to reuse or format over it
// instead of taking the device for empty and running mkfs on someone's data.
func probeExt(d *device) (Result, bool) {
	sb := d.read(extSuperOffset, 1024)
	if sb == nil || binary.LittleEndian.Uint16(sb[0x38:]) != extMagic {
		return Result{}, false
	}
	le := binary.LittleEndian
	compat, incompat, roCompat := le.Uint32(sb[0x5C:]), le.Uint32(sb[0x60:]), le.Uint32(sb[0x64:])
	var typ string
	switch {
	case incompat&extIncompatJournalDev != 0:
		typ = "jbd"
	case roCompat&^ext3RoCompatSupp != 0 || incompat&^ext3IncompatSupp != 0:
		typ = "ext4"
		if le.Uint32(sb[0x160:])&extFlagsTestFS != 0 {
			typ = "ext4dev"
		}
	case compat&extCompatHasJournal != 0:
		typ = "ext3"
	case incompat&^ext2IncompatSupp != 0:
		// recover without a journal: nothing blkid names.
		return Result{}, false
	default:
		typ = "ext2"
	}
	return Result{Type: typ, UUID: formatUUID(sb[0x68:0x78]), Label: cstring(sb[0x78:0x88])}, true
}
