package fsprobe

import "encoding/binary"

const (
	luksHeaderSize = 512
	luksMagic      = "LUKS\xba\xbe"
	luks2Magic2    = "SKUL\xba\xbe"
)

// Offsets where LUKS2 may keep its secondary header; blkid reads one when the primary is
// damaged.
var luks2SecondaryOffsets = []int64{
	16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20,
}

// probeLUKS reads a LUKS1 or LUKS2 header; the UUID is stored as text, the label (LUKS2 only)
// in the binary header.
func probeLUKS(d *device) (Result, bool) {
	if hdr := d.read(0, luksHeaderSize); hdr != nil && string(hdr[:6]) == luksMagic {
		return luksResult(hdr)
	}
	for _, off := range luks2SecondaryOffsets {
		hdr := d.read(off, luksHeaderSize)
		if hdr == nil {
			break
		}
		if string(hdr[:6]) == luks2Magic2 && binary.BigEndian.Uint64(hdr[256:]) == uint64(off) {
			return luksResult(hdr)
		}
	}
	return Result{}, false
}

func luksResult(hdr []byte) (Result, bool) {
	res := Result{Type: "crypto_LUKS", UUID: cstring(hdr[168:208])}
	switch binary.BigEndian.Uint16(hdr[6:]) {
	case 1:
	case 2:
		res.Label = cstring(hdr[24:72])
	default:
		return Result{}, false
	}
	return res, true
}
