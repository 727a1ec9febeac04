package emulators

import (
	"encoding/binary"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf16"
)

// Config drives are built in user space so that tests need neither root nor a kernel that can
// mount iso9660 or vfat. The builders write the structures a reader needs and nothing
// decorative: no path tables, no timestamps.

// tree is a directory tree of files given by slash-separated paths.
type tree struct {
	dirs  map[string][]string // directory -> sorted child names
	files map[string][]byte
}

func newTree(files map[string][]byte) tree {
	t := tree{dirs: map[string][]string{"": nil}, files: map[string][]byte{}}
	for p, b := range files {
		p = strings.Trim(p, "/")
		t.files[p] = b
		for child := p; child != ""; {
			parent := path.Dir(child)
			if parent == "." {
				parent = ""
			}
			if !contains(t.dirs[parent], path.Base(child)) {
				t.dirs[parent] = append(t.dirs[parent], path.Base(child))
			}
			if _, ok := t.dirs[parent]; !ok {
				t.dirs[parent] = nil
			}
			child = parent
		}
	}
	for d := range t.dirs {
		sort.Strings(t.dirs[d])
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// ISOOptions shape an ISO 9660 image.
type ISOOptions struct {
	// RockRidge records the names in Rock Ridge NM entries; without it only upper-case ISO
	// names (with ";1" on files) are written.
	RockRidge bool
}

const isoSector = 2048

// BuildISO returns an ISO 9660 image labelled label holding files (path -> contents). Each
// directory must fit one sector.
func BuildISO(label string, files map[string][]byte, opts ISOOptions) []byte {
	t := newTree(files)
	// Layout: 16 system sectors, PVD, terminator, then directories, then files.
	next := uint32(18)
	extent := map[string]uint32{}
	size := map[string]uint32{}
	dirs := make([]string, 0, len(t.dirs))
	for d := range t.dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		extent[d], size[d] = next, isoSector
		next++
	}
	names := make([]string, 0, len(t.files))
	for p := range t.files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		extent[p], size[p] = next, uint32(len(t.files[p]))
		next += (uint32(len(t.files[p])) + isoSector - 1) / isoSector
	}
	img := make([]byte, int(next)*isoSector)
	pvd := img[16*isoSector:]
	pvd[0], pvd[6] = 1, 1
	copy(pvd[1:], "CD001")
	copy(pvd[8:40], pad("LINUX", 32))
	copy(pvd[40:72], pad(label, 32))
	bothEndian32(pvd[80:], next)
	bothEndian16(pvd[120:], 1)
	bothEndian16(pvd[124:], 1)
	bothEndian16(pvd[128:], isoSector)
	copy(pvd[156:], isoRecord([]byte{0}, extent[""], isoSector, true, nil))
	pvd[881] = 1
	term := img[17*isoSector:]
	term[0], term[6] = 255, 1
	copy(term[1:], "CD001")
	for _, d := range dirs {
		var recs []byte
		var dotSU []byte
		if opts.RockRidge && d == "" {
			dotSU = []byte{'S', 'P', 7, 1, 0xBE, 0xEF, 0}
		}
		parent := path.Dir(d)
		if parent == "." {
			parent = ""
		}
		recs = append(recs, isoRecord([]byte{0}, extent[d], isoSector, true, dotSU)...)
		recs = append(recs, isoRecord([]byte{1}, extent[parent], isoSector, true, nil)...)
		for _, name := range t.dirs[d] {
			p := join(d, name)
			_, isDir := t.dirs[p]
			id := strings.ToUpper(name)
			if !isDir {
				id += ";1"
			}
			var su []byte
			if opts.RockRidge {
				su = append([]byte{'N', 'M', byte(5 + len(name)), 1, 0}, name...)
			}
			recs = append(recs, isoRecord([]byte(id), extent[p], size[p], isDir, su)...)
		}
		if len(recs) > isoSector {
			panic(fmt.Sprintf("BuildISO: directory %q does not fit one sector", d))
		}
		copy(img[int(extent[d])*isoSector:], recs)
	}
	for _, p := range names {
		copy(img[int(extent[p])*isoSector:], t.files[p])
	}
	return img
}

func isoRecord(id []byte, extent, size uint32, dir bool, su []byte) []byte {
	n := 33 + len(id)
	if len(id)%2 == 0 {
		n++
	}
	n += len(su)
	if n%2 == 1 {
		n++
	}
	r := make([]byte, n)
	r[0] = byte(n)
	bothEndian32(r[2:], extent)
	bothEndian32(r[10:], size)
	if dir {
		r[25] = 2
	}
	bothEndian16(r[28:], 1)
	r[32] = byte(len(id))
	copy(r[33:], id)
	start := 33 + len(id)
	if len(id)%2 == 0 {
		start++
	}
	copy(r[start:], su)
	return r
}

func bothEndian32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func bothEndian16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}

func pad(s string, n int) []byte {
	return []byte(fmt.Sprintf("%-*s", n, s)[:n])
}

// BuildFAT returns a 1 MiB FAT12 image labelled label holding files, every name stored as a
// long file name.
func BuildFAT(label string, files map[string][]byte) []byte {
	const (
		sector      = 512
		total       = 2048
		reserved    = 1
		fatSectors  = 6
		rootEntries = 224
		rootSectors = rootEntries * 32 / sector
		dataStart   = reserved + 2*fatSectors + rootSectors
	)
	t := newTree(files)
	img := make([]byte, total*sector)
	b := img[:sector]
	copy(b, []byte{0xEB, 0x3C, 0x90})
	copy(b[3:], "MSWIN4.1")
	binary.LittleEndian.PutUint16(b[11:], sector)
	b[13] = 1
	binary.LittleEndian.PutUint16(b[14:], reserved)
	b[16] = 2
	binary.LittleEndian.PutUint16(b[17:], rootEntries)
	binary.LittleEndian.PutUint16(b[19:], total)
	b[21] = 0xF8
	binary.LittleEndian.PutUint16(b[22:], fatSectors)
	b[38] = 0x29
	copy(b[43:54], pad(strings.ToUpper(label), 11))
	copy(b[54:62], "FAT12   ")
	b[510], b[511] = 0x55, 0xAA

	fat := make([]uint16, (total-dataStart)+2)
	fat[0], fat[1] = 0xFF8, 0xFFF
	nextCluster := uint16(2)
	alloc := func(n int) uint16 { // a chain of n clusters (n >= 1)
		first := nextCluster
		for i := range n {
			c := nextCluster + uint16(i)
			if i == n-1 {
				fat[c] = 0xFFF
			} else {
				fat[c] = c + 1
			}
		}
		nextCluster += uint16(n)
		return first
	}
	clusterOf := map[string]uint16{}
	var writeDir func(d string, parent uint16) []byte
	writeDir = func(d string, parent uint16) []byte {
		var out []byte
		if d != "" {
			out = append(out, fatShortEntry(".          ", 0x10, clusterOf[d], 0)...)
			out = append(out, fatShortEntry("..         ", 0x10, parent, 0)...)
		} else {
			out = append(out, fatShortEntry(string(pad(strings.ToUpper(label), 11)), 0x08, 0, 0)...)
		}
		for i, name := range t.dirs[d] {
			p := join(d, name)
			short := fmt.Sprintf("F%07d   ", i)
			var e []byte
			if _, isDir := t.dirs[p]; isDir {
				clusterOf[p] = alloc(1)
				e = fatShortEntry(short, 0x10, clusterOf[p], 0)
			} else {
				data := t.files[p]
				var c uint16
				if len(data) > 0 {
					c = alloc((len(data) + sector - 1) / sector)
					copy(img[(dataStart+int(c)-2)*sector:], data)
				}
				e = fatShortEntry(short, 0x20, c, uint32(len(data)))
			}
			out = append(out, fatLongEntries(name, fatChecksum([]byte(short)))...)
			out = append(out, e...)
		}
		for _, name := range t.dirs[d] {
			p := join(d, name)
			if _, isDir := t.dirs[p]; isDir {
				sub := writeDir(p, clusterOf[d])
				if len(sub) > sector {
					panic("BuildFAT: directory larger than a cluster")
				}
				copy(img[(dataStart+int(clusterOf[p])-2)*sector:], sub)
			}
		}
		return out
	}
	root := writeDir("", 0)
	copy(img[(reserved+2*fatSectors)*sector:], root)
	for copyN := range 2 {
		f := img[(reserved+copyN*fatSectors)*sector:]
		for c, v := range fat {
			off := c + c/2
			if c%2 == 0 {
				f[off] = byte(v)
				f[off+1] = f[off+1]&0xF0 | byte(v>>8)&0x0F
			} else {
				f[off] = f[off]&0x0F | byte(v<<4)
				f[off+1] = byte(v >> 4)
			}
		}
	}
	return img
}

func fatShortEntry(name string, attr byte, cluster uint16, size uint32) []byte {
	e := make([]byte, 32)
	copy(e, name)
	e[11] = attr
	binary.LittleEndian.PutUint16(e[26:], cluster)
	binary.LittleEndian.PutUint32(e[28:], size)
	return e
}

func fatChecksum(short []byte) byte {
	var sum byte
	for _, c := range short[:11] {
		sum = (sum>>1 | sum<<7) + c
	}
	return sum
}

// fatLongEntries returns the long-name entries of name, last part first as on disk.
func fatLongEntries(name string, sum byte) []byte {
	u := utf16.Encode([]rune(name))
	u = append(u, 0)
	for len(u)%13 != 0 {
		u = append(u, 0xFFFF)
	}
	n := len(u) / 13
	var out []byte
	for i := n; i >= 1; i-- {
		e := make([]byte, 32)
		e[0] = byte(i)
		if i == n {
			e[0] |= 0x40
		}
		e[11], e[13] = 0x0F, sum
		part := u[(i-1)*13 : i*13]
		slots := []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}
		for j, off := range slots {
			binary.LittleEndian.PutUint16(e[off:], part[j])
		}
		out = append(out, e...)
	}
	return out
}
