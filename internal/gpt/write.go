package gpt

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/google/uuid"
)

// Write writes t to a disk of t.Sectors sectors: the protective MBR's partition records, the
// primary header in sector 1 followed by the entry array, and the backup entry array and header
// in the last sectors of the disk. Only the partition records of sector 0 are written, so boot
// code in the MBR survives. A backup header that Read found away from the end of the disk is
// erased when no partition covers it.
func Write(w io.WriterAt, t *Table) error {
	entries, err := encodeEntries(t)
	if err != nil {
		return err
	}
	ss := uint64(t.SectorSize)
	last := t.Sectors - 1
	es := t.entrySectors()
	array := make([]byte, es*ss)
	copy(array, entries)
	entriesCRC := crc32.ChecksumIEEE(entries)
	backupEntries := last - es

	writes := []struct {
		lba  uint64
		data []byte
	}{
		{2, array},
		{backupEntries, array},
		{last, t.header(last, 1, backupEntries, entriesCRC)},
		{1, t.header(1, last, 2, entriesCRC)},
	}
	for _, wr := range writes {
		if _, err := w.WriteAt(wr.data, int64(wr.lba*ss)); err != nil {
			return fmt.Errorf("writing sector %d: %w", wr.lba, err)
		}
	}
	if _, err := w.WriteAt(t.protectiveRecords(), mbrRecordsOffset); err != nil {
		return fmt.Errorf("writing the protective MBR: %w", err)
	}
	if s := t.staleBackup; s != 0 && s != last && !t.covered(s) {
		if _, err := w.WriteAt(make([]byte, ss), int64(s*ss)); err != nil {
			return fmt.Errorf("erasing the old backup header in sector %d: %w", s, err)
		}
	}
	return nil
}

// covered reports whether a partition of t holds sector s.
func (t *Table) covered(s uint64) bool {
	for _, p := range t.Partitions {
		if p.Start <= s && s <= p.End {
			return true
		}
	}
	return false
}

// check reports what keeps t from being written.
func (t *Table) check() error {
	if err := t.checkGeometry(); err != nil {
		return err
	}
	if t.DiskGUID == uuid.Nil {
		return fmt.Errorf("%w: no disk GUID", ErrHeaderInvalid)
	}
	first, last := t.FirstUsable(), t.LastUsable()
	seen := make(map[int]bool, len(t.Partitions))
	for _, p := range t.Partitions {
		switch {
		case p.Number < 1 || p.Number > int(t.entryCount()):
			return fmt.Errorf("%w: %d (1 to %d)", ErrNumber, p.Number, t.entryCount())
		case seen[p.Number]:
			return fmt.Errorf("%w: partition %d twice", ErrNumber, p.Number)
		case p.Type == uuid.Nil:
			return fmt.Errorf("%w: partition %d has no type GUID", ErrEntryInvalid, p.Number)
		case p.Start > p.End || p.Start < first || p.End > last:
			return fmt.Errorf("%w: partition %d in sectors %d-%d, usable %d-%d",
				ErrOutsideUsable, p.Number, p.Start, p.End, first, last)
		}
		seen[p.Number] = true
	}
	return checkOverlap(t.Partitions)
}

// encodeEntries returns the entry array of t after checking it.
func encodeEntries(t *Table) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	size := int(t.entrySize())
	b := make([]byte, int(t.entryCount())*size)
	le := binary.LittleEndian
	for _, p := range t.Partitions {
		e := b[(p.Number-1)*size:]
		guidToDisk(e[0:], p.Type)
		guidToDisk(e[16:], p.GUID)
		le.PutUint64(e[32:], p.Start)
		le.PutUint64(e[40:], p.End)
		le.PutUint64(e[48:], p.Attributes)
		if err := nameToDisk(e[56:128], p.Name); err != nil {
			return nil, fmt.Errorf("partition %d: %w", p.Number, err)
		}
	}
	return b, nil
}

// header returns the sector holding a header at lba whose entries start at entriesLBA.
func (t *Table) header(lba, alternate, entriesLBA uint64, entriesCRC uint32) []byte {
	b := make([]byte, t.SectorSize)
	le := binary.LittleEndian
	copy(b, Signature)
	le.PutUint32(b[8:], Revision)
	le.PutUint32(b[12:], HeaderSize)
	le.PutUint64(b[24:], lba)
	le.PutUint64(b[32:], alternate)
	le.PutUint64(b[40:], t.FirstUsable())
	le.PutUint64(b[48:], t.LastUsable())
	guidToDisk(b[56:], t.DiskGUID)
	le.PutUint64(b[72:], entriesLBA)
	le.PutUint32(b[80:], t.entryCount())
	le.PutUint32(b[84:], t.entrySize())
	le.PutUint32(b[88:], entriesCRC)
	le.PutUint32(b[16:], crc32.ChecksumIEEE(b[:HeaderSize]))
	return b
}

// protectiveRecords returns bytes 446-511 of the MBR: one 0xEE record covering the disk (or as
// much of it as 32 bits can count), three empty records and the boot signature.
func (t *Table) protectiveRecords() []byte {
	b := make([]byte, 512-mbrRecordsOffset)
	r := b[:16]
	r[1], r[2], r[3] = 0x00, 0x02, 0x00 // CHS of sector 1
	r[4] = mbrTypeGPT
	r[5], r[6], r[7] = 0xFF, 0xFF, 0xFF // CHS beyond what CHS can say
	binary.LittleEndian.PutUint32(r[8:], 1)
	binary.LittleEndian.PutUint32(r[12:], uint32(min(t.Sectors-1, 0xFFFFFFFF)))
	b[len(b)-2], b[len(b)-1] = 0x55, 0xAA
	return b
}
