package providers

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf16"
)

// A user-space FAT12/16/32 reader with long file names, for VFAT config drives (OpenStack's
// CONFIG-2, NoCloud cidata on vfat), read without mounting for the same reasons as ISO 9660.
// FAT names compare without case, as the filesystem does.

// fatVolume is a FAT filesystem.
type fatVolume struct {
	r           io.ReaderAt
	bytesPerSec int64
	secPerClus  int64
	fatStart    int64 // byte offset of the first FAT
	dataStart   int64 // byte offset of cluster 2
	rootStart   int64 // byte offset of the FAT12/16 root directory
	rootSize    int64
	rootCluster uint32 // FAT32
	bits        int    // 12, 16 or 32
	clusters    uint32
	fatBytes    int64
}

// isFAT reports whether r starts with a FAT boot sector.
func isFAT(r io.ReaderAt) bool {
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, 0); err != nil {
		return false
	}
	if b[510] != 0x55 || b[511] != 0xAA {
		return false
	}
	return string(b[54:57]) == "FAT" || string(b[82:87]) == "FAT32"
}

// openFAT reads the BIOS parameter block.
func openFAT(r io.ReaderAt) (*fatVolume, error) {
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("%w: fat: %w", ErrFilesystem, err)
	}
	v := &fatVolume{r: r}
	v.bytesPerSec = int64(binary.LittleEndian.Uint16(b[11:]))
	v.secPerClus = int64(b[13])
	reserved := int64(binary.LittleEndian.Uint16(b[14:]))
	numFATs := int64(b[16])
	rootEntries := int64(binary.LittleEndian.Uint16(b[17:]))
	total := int64(binary.LittleEndian.Uint16(b[19:]))
	if total == 0 {
		total = int64(binary.LittleEndian.Uint32(b[32:]))
	}
	fatSize := int64(binary.LittleEndian.Uint16(b[22:]))
	if fatSize == 0 {
		fatSize = int64(binary.LittleEndian.Uint32(b[36:]))
		v.rootCluster = binary.LittleEndian.Uint32(b[44:])
	}
	switch v.bytesPerSec {
	case 512, 1024, 2048, 4096:
	default:
		return nil, fmt.Errorf("%w: fat: %d bytes per sector", ErrFilesystem, v.bytesPerSec)
	}
	if v.secPerClus == 0 || numFATs == 0 || fatSize == 0 || total == 0 {
		return nil, fmt.Errorf("%w: fat: bad parameter block", ErrFilesystem)
	}
	rootSecs := (rootEntries*32 + v.bytesPerSec - 1) / v.bytesPerSec
	dataSec := reserved + numFATs*fatSize + rootSecs
	if dataSec >= total {
		return nil, fmt.Errorf("%w: fat: no data area", ErrFilesystem)
	}
	v.clusters = uint32((total - dataSec) / v.secPerClus)
	switch {
	case v.clusters < 4085:
		v.bits = 12
	case v.clusters < 65525:
		v.bits = 16
	default:
		v.bits = 32
	}
	v.fatStart = reserved * v.bytesPerSec
	v.fatBytes = fatSize * v.bytesPerSec
	v.rootStart = (reserved + numFATs*fatSize) * v.bytesPerSec
	v.rootSize = rootSecs * v.bytesPerSec
	v.dataStart = dataSec * v.bytesPerSec
	if v.bits == 32 && v.rootCluster < 2 {
		return nil, fmt.Errorf("%w: fat32: bad root cluster", ErrFilesystem)
	}
	return v, nil
}

// next returns the cluster after c in its chain.
func (v *fatVolume) next(c uint32) (uint32, error) {
	var off int64
	switch v.bits {
	case 12:
		off = int64(c) + int64(c)/2
	case 16:
		off = int64(c) * 2
	default:
		off = int64(c) * 4
	}
	if off+2 > v.fatBytes {
		return 0, fmt.Errorf("%w: fat: cluster %d outside the table", ErrFilesystem, c)
	}
	var b [4]byte
	if _, err := v.r.ReadAt(b[:], v.fatStart+off); err != nil {
		return 0, fmt.Errorf("%w: fat: %w", ErrFilesystem, err)
	}
	switch v.bits {
	case 12:
		e := uint32(binary.LittleEndian.Uint16(b[:]))
		if c%2 == 1 {
			e >>= 4
		}
		e &= 0xFFF
		if e >= 0xFF8 {
			return 0, nil
		}
		return e, nil
	case 16:
		e := uint32(binary.LittleEndian.Uint16(b[:]))
		if e >= 0xFFF8 {
			return 0, nil
		}
		return e, nil
	default:
		e := binary.LittleEndian.Uint32(b[:]) & 0x0FFFFFFF
		if e >= 0x0FFFFFF8 {
			return 0, nil
		}
		return e, nil
	}
}

// readChain reads the clusters from first on, at most limit bytes.
func (v *fatVolume) readChain(first uint32, limit int64) ([]byte, error) {
	clusterBytes := v.bytesPerSec * v.secPerClus
	var out []byte
	// A chain visits each cluster at most once; more steps mean a loop in the table.
	for c, steps := first, uint32(0); c != 0; steps++ {
		if c < 2 || c >= v.clusters+2 || steps > v.clusters {
			return nil, fmt.Errorf("%w: fat: bad cluster chain", ErrFilesystem)
		}
		if int64(len(out)) >= limit {
			break
		}
		buf := make([]byte, clusterBytes)
		if _, err := v.r.ReadAt(buf, v.dataStart+int64(c-2)*clusterBytes); err != nil && err != io.EOF {
			return nil, fmt.Errorf("%w: fat: %w", ErrFilesystem, err)
		}
		out = append(out, buf...)
		next, err := v.next(c)
		if err != nil {
			return nil, err
		}
		c = next
	}
	return out, nil
}

// fatEntry is a directory entry.
type fatEntry struct {
	name    string
	cluster uint32
	size    uint32
	dir     bool
}

// entries parses directory data, joining long names.
func fatEntries(data []byte) []fatEntry {
	var out []fatEntry
	var lfn []uint16
	for off := 0; off+32 <= len(data); off += 32 {
		e := data[off : off+32]
		switch {
		case e[0] == 0:
			return out
		case e[0] == 0xE5:
			lfn = nil
			continue
		case e[11]&0x3F == 0x0F: // long name part; parts come last first
			var part []uint16
			for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
				for i := r[0]; i < r[1]; i += 2 {
					part = append(part, binary.LittleEndian.Uint16(e[i:]))
				}
			}
			if e[0]&0x40 != 0 {
				lfn = nil
			}
			lfn = append(part, lfn...)
			continue
		case e[11]&0x08 != 0: // volume label
			lfn = nil
			continue
		}
		name := shortName(e)
		if lfn != nil {
			for i, c := range lfn {
				if c == 0 {
					lfn = lfn[:i]
					break
				}
			}
			name = string(utf16.Decode(lfn))
		}
		lfn = nil
		cluster := uint32(binary.LittleEndian.Uint16(e[26:])) | uint32(binary.LittleEndian.Uint16(e[20:]))<<16
		out = append(out, fatEntry{name: name, cluster: cluster, size: binary.LittleEndian.Uint32(e[28:]), dir: e[11]&0x10 != 0})
	}
	return out
}

// shortName renders an 8.3 name, honouring the lower-case flags some tools set.
func shortName(e []byte) string {
	base := strings.TrimRight(string(e[0:8]), " ")
	ext := strings.TrimRight(string(e[8:11]), " ")
	if e[12]&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if e[12]&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// ReadFile returns the contents of the file at name; a missing file is fs.ErrNotExist.
func (v *fatVolume) ReadFile(name string) ([]byte, error) {
	var dir []byte
	var err error
	if v.bits == 32 {
		dir, err = v.readChain(v.rootCluster, maxDirBytes)
	} else {
		dir = make([]byte, v.rootSize)
		_, err = v.r.ReadAt(dir, v.rootStart)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: fat: root directory: %w", ErrFilesystem, err)
	}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for i, part := range parts {
		var found *fatEntry
		for _, e := range fatEntries(dir) {
			if strings.EqualFold(e.name, part) {
				found = &e
				break
			}
		}
		if found == nil {
			return nil, fs.ErrNotExist
		}
		last := i == len(parts)-1
		if last && found.dir {
			return nil, fmt.Errorf("%s: is a directory", name)
		}
		if !last && !found.dir {
			return nil, fs.ErrNotExist
		}
		if last {
			if found.size == 0 {
				return []byte{}, nil
			}
			b, err := v.readChain(found.cluster, int64(found.size))
			if err != nil {
				return nil, err
			}
			if int64(len(b)) < int64(found.size) {
				return nil, fmt.Errorf("%w: fat: %s is truncated", ErrFilesystem, name)
			}
			return b[:found.size], nil
		}
		if dir, err = v.readChain(found.cluster, maxDirBytes); err != nil {
			return nil, err
		}
	}
	return nil, fs.ErrNotExist
}
