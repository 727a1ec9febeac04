package fsprobe

import (
	"encoding/binary"
	"fmt"
)

const (
	fat12Max = 0xFF4
	fat16Max = 0xFFF4
	fat32Max = 0x0FFFFFF6

	fatDirEntrySize = 32
	fatAttrVolumeID = 0x08
	fatAttrDir      = 0x10
	fatAttrLongName = 0x0F
	fatEntryFree    = 0xE5
	// fatMaxRootClusters bounds the walk of a FAT32 root directory chain, which a corrupt FAT
	// could make endless.
	fatMaxRootClusters = 100
)

// probeVFAT validates a FAT12/16/32 boot sector and reads its volume serial and label. Like
// blkid, the label is the volume-label entry in the root directory (what Windows and fatlabel
// show), reported even when it is "NO NAME"; the copy in the boot sector is not reported, so a
// volume whose label is only in the boot sector has none.
func probeVFAT(d *device) (Result, bool) {
	bs := d.read(0, 512)
	if bs == nil || !fatValid(bs) {
		return Result{}, false
	}
	le := binary.LittleEndian
	sectorSize := uint64(le.Uint16(bs[11:]))
	clusterSectors := uint64(bs[13])
	reserved := uint64(le.Uint16(bs[14:]))
	fats := uint64(bs[16])
	rootEntries := uint64(le.Uint16(bs[17:]))

	var (
		label  []byte
		serial []byte
	)
	if fat16Length := uint64(le.Uint16(bs[22:])); fat16Length != 0 {
		rootStart := (reserved + fats*fat16Length) * sectorSize
		label = fatSearchLabel(d, int64(rootStart), rootEntries)
		if bs[38] == 0x28 || bs[38] == 0x29 {
			serial = bs[39:43]
		}
	} else {
		fat32Length := uint64(le.Uint32(bs[36:]))
		dataStart := reserved + fats*fat32Length
		entries := fat32Length * sectorSize / 4
		next := uint64(le.Uint32(bs[44:]))
		for i := 0; next >= 2 && next < entries && i < fatMaxRootClusters; i++ {
			off := (dataStart + (next-2)*clusterSectors) * sectorSize
			if label = fatSearchLabel(d, int64(off), clusterSectors*sectorSize/fatDirEntrySize); label != nil {
				break
			}
			e := d.read(int64(reserved*sectorSize+next*4), 4)
			if e == nil {
				break
			}
			next = uint64(le.Uint32(e) & 0x0FFFFFFF)
		}
		serial = bs[67:71]
		if fsinfo := uint64(le.Uint16(bs[48:])); fsinfo != 0 {
			fi := d.read(int64(fsinfo*sectorSize), 512)
			if fi == nil {
				return Result{}, false
			}
			s1, s2 := string(fi[0:4]), string(fi[484:488])
			if s1 != "RRaA" && s1 != "RRdA" && s1 != "\x00\x00\x00\x00" || s2 != "rrAa" && s2 != "\x00\x00\x00\x00" {
				return Result{}, false
			}
		}
	}
	res := Result{Type: "vfat"}
	if label != nil {
		res.Label = cstring(label)
	}
	if serial != nil && string(serial) != "\x00\x00\x00\x00" {
		res.UUID = fmt.Sprintf("%02X%02X-%02X%02X", serial[3], serial[2], serial[1], serial[0])
	}
	return res, true
}

// fatValid applies blkid's checks of a FAT boot sector: a known magic (or a jump instruction
// and the boot signature), then a geometry that adds up.
func fatValid(bs []byte) bool {
	m32, m16 := string(bs[0x52:0x5A]), string(bs[0x36:0x3E])
	switch {
	case m32[:5] == "MSWIN" || m32 == "FAT32   " || m16[:5] == "MSDOS" ||
		m16 == "FAT16   " || m16 == "FAT12   " || m16 == "FAT     ":
	case (bs[0] == 0xEB || bs[0] == 0xE9) && bs[510] == 0x55 && bs[511] == 0xAA:
		// Other filesystems (JFS, HPFS) leave a FAT-like pseudo boot sector.
		if m16 == "JFS     " || m16 == "HPFS    " {
			return false
		}
	default:
		return false
	}
	le := binary.LittleEndian
	sectorSize := uint64(le.Uint16(bs[11:]))
	clusterSectors := uint64(bs[13])
	reserved := uint64(le.Uint16(bs[14:]))
	fats := uint64(bs[16])
	media := bs[21]
	if fats == 0 || reserved == 0 || !(media >= 0xF8 || media == 0xF0) ||
		!pow2In(clusterSectors, 1, 128) || !pow2In(sectorSize, 512, 4096) {
		return false
	}
	sectors := uint64(le.Uint16(bs[19:]))
	if sectors == 0 {
		sectors = uint64(le.Uint32(bs[32:]))
	}
	fat16Length := uint64(le.Uint16(bs[22:]))
	fatLength := fat16Length
	if fatLength == 0 {
		fatLength = uint64(le.Uint32(bs[36:]))
	}
	dirSectors := (uint64(le.Uint16(bs[17:]))*fatDirEntrySize + sectorSize - 1) / sectorSize
	meta := reserved + fatLength*fats + dirSectors
	if sectors < meta {
		return false
	}
	clusters := (sectors - meta) / clusterSectors
	switch {
	case fat16Length == 0 && fatLength != 0:
		return clusters <= fat32Max
	case m16 == "FAT12   ":
		return clusters <= fat12Max
	default:
		return clusters <= fat16Max
	}
}

// fatSearchLabel returns the name of the volume-label entry among n directory entries at off,
// or nil.
func fatSearchLabel(d *device, off int64, n uint64) []byte {
	if n == 0 || n > 1<<16 {
		return nil
	}
	dir := d.read(off, int(n*fatDirEntrySize))
	if dir == nil {
		return nil
	}
	le := binary.LittleEndian
	for i := 0; i+fatDirEntrySize <= len(dir); i += fatDirEntrySize {
		e := dir[i : i+fatDirEntrySize]
		attr := e[11]
		switch {
		case e[0] == 0:
			return nil
		case e[0] == fatEntryFree || le.Uint16(e[20:]) != 0 || le.Uint16(e[26:]) != 0 ||
			attr&0x3F == fatAttrLongName:
			continue
		case attr&(fatAttrVolumeID|fatAttrDir) == fatAttrVolumeID:
			return e[:11]
		}
	}
	return nil
}
