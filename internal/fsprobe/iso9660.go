package fsprobe

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

const (
	isoSectorSize  = 2048
	isoFirstVD     = 16 * isoSectorSize
	isoMaxVD       = 16
	isoTypePrimary = 1
	isoTypeSupp    = 2
	isoTypeEnd     = 255
)

// probeISO9660 reads the volume descriptors of a CD image (the config drives of OpenStack and
// cloud-init). The label is the volume id, from the Joliet descriptor when there is one (it keeps
// the case), and the UUID is made of the volume's modification (or creation) time, as blkid does.
func probeISO9660(d *device) (Result, bool) {
	var pvd, joliet []byte
	for i := int64(0); i < isoMaxVD; i++ {
		vd := d.read(isoFirstVD+i*isoSectorSize, isoSectorSize)
		if vd == nil || string(vd[1:6]) != "CD001" {
			break
		}
		switch vd[0] {
		case isoTypePrimary:
			if pvd == nil {
				pvd = vd
			}
		case isoTypeSupp:
			if esc := string(vd[88:91]); joliet == nil && (esc == "%/@" || esc == "%/C" || esc == "%/E") {
				joliet = vd
			}
		}
		if vd[0] == isoTypeEnd {
			break
		}
	}
	if pvd == nil {
		return Result{}, false
	}
	res := Result{Type: "iso9660", Label: cstring(pvd[40:72])}
	if joliet != nil {
		res.Label = isoMergeLabel(joliet[40:72], pvd[40:72])
	}
	if res.UUID = isoDateUUID(pvd[830:847]); res.UUID == "" {
		res.UUID = isoDateUUID(pvd[813:830])
	}
	return res, true
}

// isoMergeLabel combines the Joliet volume id (16 UCS-2 characters) with the 32-character ISO
// one: the Joliet characters first, then the ISO characters beyond them when the two agree.
func isoMergeLabel(jolietID, asciiID []byte) string {
	units := make([]uint16, len(jolietID)/2)
	for i := range units {
		units[i] = binary.BigEndian.Uint16(jolietID[2*i:])
	}
	jol := []rune(string(utf16.Decode(units)))
	for i, r := range jol {
		if r < 0x80 && !strings.EqualFold(string(r), string(rune(asciiID[i]))) {
			return cstring([]byte(string(jol)))
		}
	}
	return cstring([]byte(string(jol) + string(asciiID[len(jol):])))
}

// isoDateUUID turns a 17-byte ISO date ("YYYYMMDDHHMMSSCC" and a zone byte) into
// "YYYY-MM-DD-HH-MM-SS-CC", or "" when the date is unset.
func isoDateUUID(date []byte) string {
	digits := string(date[:16])
	if strings.Count(digits, "0") == 16 && date[16] == 0 || strings.Count(digits, "\x00") == 16 {
		return ""
	}
	return digits[0:4] + "-" + digits[4:6] + "-" + digits[6:8] + "-" + digits[8:10] + "-" +
		digits[10:12] + "-" + digits[12:14] + "-" + digits[14:16]
}
