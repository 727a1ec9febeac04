package fsprobe

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

const (
	udfVRSStart    = 32768
	udfAnchorBlock = 256
	udfTagPVD      = 1
	udfTagAnchor   = 2
	udfTagLVD      = 6
	udfTagTerm     = 8
	udfMaxVDS      = 64
)

// probeUDF checks the volume recognition sequence for an NSR descriptor, follows the anchor to
// the main volume descriptor sequence, and reports the logical volume id as the label and the
// start of the volume set id as the UUID, as blkid does.
func probeUDF(d *device) (Result, bool) {
	nsr := false
	for i := int64(0); i < 64; i++ {
		vsd := d.read(udfVRSStart+i*2048, 8)
		if vsd == nil || vsd[1] == 0 {
			break
		}
		// ISO 9660 descriptors come first in the bridge images that config drives use.
		id := string(vsd[1:6])
		if id == "NSR02" || id == "NSR03" {
			nsr = true
			break
		}
		if id != "BEA01" && id != "CD001" && id != "BOOT2" && id != "CDW02" && id != "TEA03" {
			break
		}
	}
	if !nsr {
		return Result{}, false
	}
	le := binary.LittleEndian
	for _, bs := range []int64{2048, 512, 1024, 4096} {
		anchor := d.read(udfAnchorBlock*bs, 32)
		if anchor == nil || le.Uint16(anchor[0:]) != udfTagAnchor || le.Uint32(anchor[12:]) != udfAnchorBlock {
			continue
		}
		length, loc := int64(le.Uint32(anchor[16:])), int64(le.Uint32(anchor[20:]))
		res := Result{Type: "udf"}
		var volID string
		for b := int64(0); b < length/bs && b < udfMaxVDS; b++ {
			vd := d.read((loc+b)*bs, 512)
			if vd == nil || le.Uint32(vd[12:]) != uint32(loc+b) {
				break
			}
			tag := le.Uint16(vd[0:])
			switch tag {
			case udfTagPVD:
				volID = udfDString(vd[24:56])
				res.UUID = udfVolSetUUID(vd[72:200])
			case udfTagLVD:
				res.Label = udfDString(vd[84:212])
			}
			if tag == udfTagTerm || tag == 0 {
				break
			}
		}
		if res.Label == "" {
			res.Label = volID
		}
		return res, true
	}
	return Result{}, false
}

// udfDecode decodes the OSTA compressed Unicode in a dstring: the first byte says 8 or 16 bits
// per character, the last byte holds the used length.
func udfDecode(ds []byte) string {
	n := int(ds[len(ds)-1])
	if n == 0 || n > len(ds)-1 {
		return ""
	}
	body := ds[1:n]
	switch ds[0] {
	case 8:
		r := make([]rune, len(body))
		for i, c := range body {
			r[i] = rune(c)
		}
		return string(r)
	case 16:
		units := make([]uint16, len(body)/2)
		for i := range units {
			units[i] = binary.BigEndian.Uint16(body[2*i:])
		}
		return string(utf16.Decode(units))
	}
	return ""
}

// udfDString decodes a dstring label, trailing white space removed.
func udfDString(ds []byte) string {
	return cstring([]byte(udfDecode(ds)))
}

// udfVolSetUUID derives blkid's UUID from the volume set id, whose first 16 characters are
// meant to be unique hex digits; characters that are not hex digits are shown as hex bytes.
func udfVolSetUUID(ds []byte) string {
	s := udfDecode(ds)
	if ds[0] == 16 {
		// blkid converts UCS-2 to UTF-8 first; keep the bytes as it would see them.
		s = string([]byte(s))
	}
	b := []byte(s)
	if len(b) < 8 {
		return ""
	}
	if len(b) > 16 {
		b = b[:16]
	}
	hexPrefix := len(b)
	for i, c := range b {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c)) {
			hexPrefix = i
			break
		}
	}
	var uuid string
	switch {
	case hexPrefix < 8:
		uuid = fmt.Sprintf("%x", b[:8])
	case hexPrefix < 16:
		uuid = string(b[:8]) + fmt.Sprintf("%x", b[8:min(12, len(b))])
	default:
		uuid = string(b[:16])
	}
	return strings.ToLower(uuid)
}
