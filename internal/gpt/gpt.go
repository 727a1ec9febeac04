// Package gpt reads, plans and writes GUID partition tables.
//
// It works on an io.ReaderAt / io.WriterAt and never talks to the kernel:
// telling the kernel about a changed table is the caller's job. Read checks
// both headers and their CRCs and falls back to the backup header; Write lays
// down the protective MBR, both headers and both entry arrays; PlanTable
// decides, without touching anything, what a config's partitions do to an
// existing table.
package gpt

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf16"

	"github.com/google/uuid"
)

// On-disk constants of the UEFI specification.
const (
	// Signature opens every GPT header.
	Signature = "EFI PART"
	// Revision is the header revision written (1.0).
	Revision = 0x00010000
	// HeaderSize is the size of the header fields written.
	HeaderSize = 92
	// DefaultEntryCount is the number of entries in a new table.
	DefaultEntryCount = 128
	// DefaultEntrySize is the size of one entry in a new table.
	DefaultEntrySize = 128
	// MaxNameLen is the longest partition name, in UTF-16 code units.
	MaxNameLen = 36
	// MiB is the unit of the config's partition starts and sizes, and the alignment of new partitions.
	MiB = 1 << 20

	// minEntryArrayBytes is the space UEFI reserves for an entry array, however few entries it holds.
	minEntryArrayBytes = 16384
	// maxEntryArrayBytes bounds an entry array read from a disk, so that a damaged header cannot make
	// Read allocate gigabytes.
	maxEntryArrayBytes = 1 << 20
)

// LinuxFilesystem is the type GUID of a partition created without one (sgdisk's 8300).
var LinuxFilesystem = uuid.MustParse("0FC63DAF-8483-4772-8E79-3D69D8477DE4")

// Partition is one used entry of the table.
type Partition struct {
	// Number is the entry's index in the entry array plus one.
	Number int
	// Start and End are the first and last logical block (sector) of the partition, inclusive.
	Start, End uint64
	// Type is the partition type GUID; never the zero GUID, which marks an unused entry.
	Type uuid.UUID
	// GUID is the unique partition GUID.
	GUID uuid.UUID
	// Name is the partition name (the config's label), at most MaxNameLen UTF-16 code units.
	Name string
	// Attributes are the entry's attribute flags, kept as read.
	Attributes uint64
}

// Size returns the partition's length in sectors.
func (p Partition) Size() uint64 { return p.End - p.Start + 1 }

// Header is a GPT header as found on disk.
type Header struct {
	Revision     uint32
	HeaderSize   uint32
	HeaderCRC    uint32
	MyLBA        uint64
	AlternateLBA uint64
	FirstUsable  uint64
	LastUsable   uint64
	DiskGUID     uuid.UUID
	EntriesLBA   uint64
	EntryCount   uint32
	EntrySize    uint32
	EntriesCRC   uint32
}

// Table is a partition table and the geometry of the disk it belongs to.
type Table struct {
	// SectorSize is the logical block size: 512 or 4096.
	SectorSize int
	// Sectors is the size of the whole disk in sectors; the backup header goes in the last one.
	Sectors uint64
	// DiskGUID identifies the disk.
	DiskGUID uuid.UUID
	// EntryCount and EntrySize describe the entry array; zero means DefaultEntryCount and DefaultEntrySize.
	EntryCount, EntrySize uint32
	// Partitions are the used entries, sorted by Number.
	Partitions []Partition

	// Header is the header Read took the table from; zero for a table made by New.
	Header Header
	// UsedBackup is set by Read when the primary header or its entries were unusable and the
	// table came from the backup.
	UsedBackup bool
	// Damage is what Read found wrong and worked around (a corrupt header, a backup header that is
	// not at the end of the disk, a missing protective MBR); nil for a sound table. Write repairs it.
	Damage error

	// staleBackup is the sector of a backup header that Read found away from the end of the disk
	// (an enlarged disk image), so that Write can erase it; 0 when there is none.
	staleBackup uint64
}

// New returns an empty table for a disk of size bytes.
func New(size int64, sectorSize int, diskGUID uuid.UUID) (*Table, error) {
	if err := checkSectorSize(sectorSize); err != nil {
		return nil, err
	}
	t := &Table{SectorSize: sectorSize, Sectors: uint64(size) / uint64(sectorSize), DiskGUID: diskGUID}
	if err := t.checkGeometry(); err != nil {
		return nil, err
	}
	return t, nil
}

// Clone returns a deep copy of t.
func (t *Table) Clone() *Table {
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	return &c
}

// Partition returns the partition with the given number.
func (t *Table) Partition(number int) (Partition, bool) {
	i, ok := slices.BinarySearchFunc(t.Partitions, number, func(p Partition, n int) int { return p.Number - n })
	if !ok {
		return Partition{}, false
	}
	return t.Partitions[i], true
}

func (t *Table) entryCount() uint32 {
	if t.EntryCount == 0 {
		return DefaultEntryCount
	}
	return t.EntryCount
}

func (t *Table) entrySize() uint32 {
	if t.EntrySize == 0 {
		return DefaultEntrySize
	}
	return t.EntrySize
}

// entrySectors is the number of sectors reserved for one copy of the entry array.
func (t *Table) entrySectors() uint64 {
	n := max(uint64(t.entryCount())*uint64(t.entrySize()), minEntryArrayBytes)
	ss := uint64(t.SectorSize)
	return (n + ss - 1) / ss
}

// FirstUsable returns the first sector a partition may use: after the MBR, the primary header and
// the primary entry array.
func (t *Table) FirstUsable() uint64 { return 2 + t.entrySectors() }

// LastUsable returns the last sector a partition may use: before the backup entry array and header
// at the end of the disk, wherever Read found them.
func (t *Table) LastUsable() uint64 { return t.Sectors - 2 - t.entrySectors() }

// Alignment returns the sector multiple on which new partitions start (1 MiB).
func (t *Table) Alignment() uint64 { return MiB / uint64(t.SectorSize) }

func checkSectorSize(ss int) error {
	if ss != 512 && ss != 4096 {
		return fmt.Errorf("%w: %d", ErrSectorSize, ss)
	}
	return nil
}

// checkGeometry reports whether the disk can hold the table and at least one usable sector.
func (t *Table) checkGeometry() error {
	if err := checkSectorSize(t.SectorSize); err != nil {
		return err
	}
	es, ec := t.entrySize(), t.entryCount()
	if es < DefaultEntrySize || es&(es-1) != 0 || uint64(es)*uint64(ec) > maxEntryArrayBytes {
		return fmt.Errorf("%w: %d entries of %d bytes", ErrEntryArray, ec, es)
	}
	if t.Sectors < 3+2*t.entrySectors()+1 {
		return fmt.Errorf("%w: %d sectors", ErrDiskTooSmall, t.Sectors)
	}
	return nil
}

// guidFromDisk converts a GUID in the on-disk mixed-endian layout (the first three fields little
// endian) to its RFC 4122 form.
func guidFromDisk(b []byte) uuid.UUID {
	var u uuid.UUID
	copy(u[:], b[:16])
	u[0], u[1], u[2], u[3] = b[3], b[2], b[1], b[0]
	u[4], u[5] = b[5], b[4]
	u[6], u[7] = b[7], b[6]
	return u
}

// guidToDisk is the inverse of guidFromDisk.
func guidToDisk(b []byte, u uuid.UUID) {
	copy(b[:16], u[:])
	b[0], b[1], b[2], b[3] = u[3], u[2], u[1], u[0]
	b[4], b[5] = u[5], u[4]
	b[6], b[7] = u[7], u[6]
}

// nameFromDisk decodes a UTF-16LE name that ends at the first NUL or at the end of b.
func nameFromDisk(b []byte) string {
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.LittleEndian.Uint16(b[i:])
		if u == 0 {
			break
		}
		units = append(units, u)
	}
	return string(utf16.Decode(units))
}

// nameToDisk encodes name as UTF-16LE into b (2*MaxNameLen bytes).
func nameToDisk(b []byte, name string) error {
	units := utf16.Encode([]rune(name))
	if len(units) > MaxNameLen {
		return fmt.Errorf("%w: %q", ErrNameTooLong, name)
	}
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return nil
}
