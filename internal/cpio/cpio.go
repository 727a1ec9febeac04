// Package cpio writes and reads the "newc" cpio archives that Linux unpacks into its initramfs,
// so a config can be embedded in a machine's boot (`flint initrd wrap`, the PXE server).
package cpio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ulikunitz/xz"
)

const (
	magic   = "070701"
	trailer = "TRAILER!!!"
	// headerLen is the magic and 13 eight-digit hex fields.
	headerLen = 6 + 13*8
)

// Entry is one member of an archive.
type Entry struct {
	// Name is the path inside the initramfs, without a leading slash.
	Name string
	// Mode holds the file type and permission bits (fs.ModeDir for directories).
	Mode     fs.FileMode
	UID, GID int
	Data     []byte // regular files only
}

// Errors of reading.
var (
	ErrFormat = errors.New("not a newc cpio archive")
	ErrName   = errors.New("invalid member name")
)

// unixMode converts a FileMode to the st_mode bits stored in the archive.
func unixMode(m fs.FileMode) uint32 {
	bits := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	switch {
	case m.IsDir():
		return bits | 0o040000
	case m&fs.ModeSymlink != 0:
		return bits | 0o120000
	default:
		return bits | 0o100000
	}
}

func fileMode(bits uint32) fs.FileMode {
	m := fs.FileMode(bits & 0o777)
	if bits&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if bits&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if bits&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch bits & 0o170000 {
	case 0o040000:
		m |= fs.ModeDir
	case 0o120000:
		m |= fs.ModeSymlink
	}
	return m
}

// Write writes entries as one archive: the missing parent directories first (0755), members
// sorted by name (so parents come before children and output is reproducible), mtime 0, and
// the trailer.
func Write(w io.Writer, entries []Entry) error {
	byName := map[string]Entry{}
	for _, e := range entries {
		name := strings.Trim(path.Clean("/"+e.Name), "/")
		if name == "" || name == trailer {
			return fmt.Errorf("%w: %q", ErrName, e.Name)
		}
		e.Name = name
		byName[name] = e
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := byName[dir]; !ok {
				byName[dir] = Entry{Name: dir, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	for i, n := range names {
		if err := writeEntry(bw, byName[n], i+1); err != nil {
			return err
		}
	}
	if err := writeEntry(bw, Entry{Name: trailer}, 0); err != nil {
		return err
	}
	return bw.Flush()
}

func writeEntry(w *bufio.Writer, e Entry, ino int) error {
	nlink := 1
	if e.Mode.IsDir() {
		nlink = 2
	}
	mode := unixMode(e.Mode)
	if e.Name == trailer {
		mode, nlink = 0, 1
	}
	fields := []int{ino, int(mode), e.UID, e.GID, nlink, 0, len(e.Data), 0, 0, 0, 0, len(e.Name) + 1, 0}
	var hdr bytes.Buffer
	hdr.WriteString(magic)
	for _, f := range fields {
		fmt.Fprintf(&hdr, "%08x", f)
	}
	hdr.WriteString(e.Name)
	hdr.WriteByte(0)
	pad(&hdr, hdr.Len())
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	if _, err := w.Write(e.Data); err != nil {
		return err
	}
	_, err := w.Write(make([]byte, padLen(len(e.Data))))
	return err
}

func padLen(n int) int { return (4 - n%4) % 4 }

func pad(b *bytes.Buffer, n int) { b.Write(make([]byte, padLen(n))) }

// WriteXZ writes the archive xz-compressed with a CRC32 integrity check, the one check type
// every kernel's xz decoder handles.
func WriteXZ(w io.Writer, entries []Entry) error {
	cfg := xz.WriterConfig{CheckSum: xz.CRC32}
	xw, err := cfg.NewWriter(w)
	if err != nil {
		return err
	}
	if err := Write(xw, entries); err != nil {
		return err
	}
	return xw.Close()
}

// Read reads every member of an initramfs image the way the kernel unpacks it: archives
// concatenated, uncompressed or xz-compressed, NUL padding between them; a later member with
// the same name replaces an earlier one. Members come back in archive order.
func Read(data []byte) ([]Entry, error) {
	var out []Entry
	index := map[string]int{}
	for len(data) > 0 {
		switch {
		case data[0] == 0:
			data = data[1:]
		case bytes.HasPrefix(data, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
			// A bytes.Reader is an io.ByteReader, so the decoder reads exactly its one stream.
			// In single-stream mode it then reads one more byte to check for EOF and fails
			// when there is more (the next archive): that byte is given back.
			br := bytes.NewReader(data)
			xr, err := xz.ReaderConfig{SingleStream: true}.NewReader(br)
			if err != nil {
				return nil, err
			}
			plain, err := io.ReadAll(xr)
			rest := br.Len()
			if err != nil {
				if err.Error() != "xz: unexpected data after stream" {
					return nil, err
				}
				rest++
			}
			entries, _, err := readArchive(plain)
			if err != nil {
				return nil, err
			}
			out = merge(out, index, entries)
			data = data[len(data)-rest:]
		default:
			entries, n, err := readArchive(data)
			if err != nil {
				return nil, err
			}
			out = merge(out, index, entries)
			data = data[n:]
		}
	}
	return out, nil
}

func merge(out []Entry, index map[string]int, entries []Entry) []Entry {
	for _, e := range entries {
		if i, ok := index[e.Name]; ok {
			out[i] = e
			continue
		}
		index[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}

// readArchive reads one uncompressed archive up to and including its trailer and returns its
// members and its length in bytes.
func readArchive(data []byte) ([]Entry, int, error) {
	var out []Entry
	off := 0
	for {
		if len(data)-off < headerLen || string(data[off:off+6]) != magic {
			return nil, 0, fmt.Errorf("%w: no header at offset %d", ErrFormat, off)
		}
		var f [13]uint64
		for i := range f {
			s := string(data[off+6+8*i : off+14+8*i])
			v, err := strconv.ParseUint(s, 16, 32)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: field %d at offset %d: %q", ErrFormat, i, off, s)
			}
			f[i] = v
		}
		nameSize, fileSize := int(f[11]), int(f[6])
		nameStart := off + headerLen
		if nameSize < 1 || nameStart+nameSize > len(data) {
			return nil, 0, fmt.Errorf("%w: name out of bounds at offset %d", ErrFormat, off)
		}
		name := string(data[nameStart : nameStart+nameSize-1])
		dataStart := nameStart + nameSize
		dataStart += padLen(dataStart - off)
		if fileSize < 0 || dataStart+fileSize > len(data) {
			return nil, 0, fmt.Errorf("%w: data out of bounds for %q", ErrFormat, name)
		}
		end := dataStart + fileSize
		end += padLen(end - off)
		if end > len(data) {
			end = len(data)
		}
		if name == trailer {
			return out, end, nil
		}
		out = append(out, Entry{Name: name, Mode: fileMode(uint32(f[1])), UID: int(f[2]), GID: int(f[3]),
			Data: bytes.Clone(data[dataStart : dataStart+fileSize])})
		off = end
	}
}
