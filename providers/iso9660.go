package providers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf16"
)

// A user-space ISO 9660 reader, enough to read one file of a config drive (OpenStack
// config-2, NoCloud cidata, the Azure Stack provisioning CD) without mounting it: the kernel
// of an initramfs or a container may lack iso9660, and tests build images in user space.
// Names come from Rock Ridge (NM entries) when present, else from the Joliet tree, else from
// the plain ISO names compared without case and without the ";1" version.

// ErrFilesystem is a drive whose filesystem is damaged or not understood.
var ErrFilesystem = errors.New("unreadable filesystem")

const isoSector = 2048

// maxDirBytes bounds a directory read: config drives hold a handful of entries.
const maxDirBytes = 16 << 20

// isoVolume is an ISO 9660 image.
type isoVolume struct {
	r         io.ReaderAt
	root      isoRecord // primary root
	joliet    *isoRecord
	rockRidge bool
	suspSkip  int
}

// isoRecord is one directory record's extent.
type isoRecord struct {
	extent, size uint32
	dir          bool
}

// isISO9660 reports whether r holds an ISO 9660 primary volume descriptor.
func isISO9660(r io.ReaderAt) bool {
	var id [5]byte
	_, err := r.ReadAt(id[:], 16*isoSector+1)
	return err == nil && string(id[:]) == "CD001"
}

// openISO9660 reads the volume descriptors.
func openISO9660(r io.ReaderAt) (*isoVolume, error) {
	v := &isoVolume{r: r}
	var havePrimary bool
	for i := int64(16); i < 16+64; i++ {
		d := make([]byte, isoSector)
		if _, err := r.ReadAt(d, i*isoSector); err != nil {
			return nil, fmt.Errorf("%w: iso9660 volume descriptor %d: %w", ErrFilesystem, i, err)
		}
		if string(d[1:6]) != "CD001" {
			return nil, fmt.Errorf("%w: iso9660: bad volume descriptor %d", ErrFilesystem, i)
		}
		switch d[0] {
		case 1:
			if !havePrimary {
				v.root = parseISORecord(d[156:190])
				havePrimary = true
			}
		case 2:
			esc := d[88:91]
			if esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E') {
				root := parseISORecord(d[156:190])
				v.joliet = &root
			}
		case 255:
			if !havePrimary {
				return nil, fmt.Errorf("%w: iso9660: no primary volume descriptor", ErrFilesystem)
			}
			v.detectRockRidge()
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: iso9660: no volume descriptor terminator", ErrFilesystem)
}

func parseISORecord(rec []byte) isoRecord {
	return isoRecord{
		extent: binary.LittleEndian.Uint32(rec[2:]),
		size:   binary.LittleEndian.Uint32(rec[10:]),
		dir:    rec[25]&2 != 0,
	}
}

// detectRockRidge looks for the SUSP "SP" entry in the root's "." record.
func (v *isoVolume) detectRockRidge() {
	d := make([]byte, isoSector)
	if _, err := v.r.ReadAt(d, int64(v.root.extent)*isoSector); err != nil {
		return
	}
	n := int(d[0])
	if n < 34 || n > len(d) {
		return
	}
	su := systemUse(d[:n])
	if len(su) >= 7 && string(su[:2]) == "SP" && su[4] == 0xBE && su[5] == 0xEF {
		v.rockRidge = true
		v.suspSkip = int(su[6])
	}
}

// systemUse returns the system use area of a directory record.
func systemUse(rec []byte) []byte {
	idLen := int(rec[32])
	start := 33 + idLen
	if idLen%2 == 0 {
		start++ // padding byte
	}
	if start > len(rec) {
		return nil
	}
	return rec[start:]
}

// rockRidgeName returns the NM name in a system use area, or "".
func rockRidgeName(su []byte) string {
	var name strings.Builder
	for len(su) >= 4 {
		l := int(su[2])
		if l < 4 || l > len(su) {
			break
		}
		if string(su[:2]) == "NM" && l >= 5 {
			flags := su[4]
			if flags&6 == 0 { // not "." or ".."
				name.Write(su[5:l])
			}
		}
		if string(su[:2]) == "ST" {
			break
		}
		su = su[l:]
	}
	return name.String()
}

// ReadFile returns the contents of the file at name ("openstack/latest/user_data"); a
// missing file is fs.ErrNotExist.
func (v *isoVolume) ReadFile(name string) ([]byte, error) {
	rec, err := v.lookup(v.root, name, false)
	if errors.Is(err, fs.ErrNotExist) && v.joliet != nil {
		rec, err = v.lookup(*v.joliet, name, true)
	}
	if err != nil {
		return nil, err
	}
	if rec.dir {
		return nil, fmt.Errorf("%s: is a directory", name)
	}
	return v.read(rec, 1<<30)
}

func (v *isoVolume) read(rec isoRecord, limit uint32) ([]byte, error) {
	if rec.size > limit {
		return nil, fmt.Errorf("%w: iso9660: extent of %d bytes", ErrFilesystem, rec.size)
	}
	b := make([]byte, rec.size)
	if _, err := v.r.ReadAt(b, int64(rec.extent)*isoSector); err != nil {
		return nil, fmt.Errorf("%w: iso9660: %w", ErrFilesystem, err)
	}
	return b, nil
}

// lookup walks name from dir.
func (v *isoVolume) lookup(dir isoRecord, name string, joliet bool) (isoRecord, error) {
	for _, part := range strings.Split(strings.Trim(name, "/"), "/") {
		if part == "" || part == "." {
			continue
		}
		if !dir.dir {
			return isoRecord{}, fs.ErrNotExist
		}
		next, err := v.find(dir, part, joliet)
		if err != nil {
			return isoRecord{}, err
		}
		dir = next
	}
	return dir, nil
}

// find returns the entry called part in dir.
func (v *isoVolume) find(dir isoRecord, part string, joliet bool) (isoRecord, error) {
	data, err := v.read(dir, maxDirBytes)
	if err != nil {
		return isoRecord{}, err
	}
	for off := 0; off < len(data); {
		n := int(data[off])
		if n == 0 { // records do not cross sectors: go to the next one
			off = (off/isoSector + 1) * isoSector
			continue
		}
		if n < 34 || off+n > len(data) {
			return isoRecord{}, fmt.Errorf("%w: iso9660: bad directory record", ErrFilesystem)
		}
		rec := data[off : off+n]
		off += n
		idLen := int(rec[32])
		if 33+idLen > len(rec) {
			return isoRecord{}, fmt.Errorf("%w: iso9660: bad file identifier", ErrFilesystem)
		}
		id := rec[33 : 33+idLen]
		if idLen == 1 && (id[0] == 0 || id[0] == 1) {
			continue // "." and ".."
		}
		if v.matches(rec, id, part, joliet) {
			return parseISORecord(rec), nil
		}
	}
	return isoRecord{}, fs.ErrNotExist
}

// matches compares a record's name with part.
func (v *isoVolume) matches(rec, id []byte, part string, joliet bool) bool {
	if joliet {
		u := make([]uint16, len(id)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(id[2*i:])
		}
		return plainISOName(string(utf16.Decode(u))) == part
	}
	if v.rockRidge {
		su := systemUse(rec)
		if v.suspSkip < len(su) {
			if nm := rockRidgeName(su[v.suspSkip:]); nm != "" {
				return nm == part
			}
		}
	}
	return strings.EqualFold(plainISOName(string(id)), part)
}

// plainISOName drops the ";1" version and the trailing dot of a name without extension.
func plainISOName(s string) string {
	if i := strings.LastIndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
