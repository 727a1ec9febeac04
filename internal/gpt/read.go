package gpt

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/google/uuid"
)

// mbrKind is what the first sector says about the disk's partitioning.
type mbrKind int

const (
	mbrNone       mbrKind = iota // no boot signature, or no partition records
	mbrProtective                // a 0xEE record: protective or hybrid MBR
	mbrLegacy                    // partition records and no 0xEE record: an MBR-partitioned disk
)

const (
	mbrRecordsOffset = 446
	mbrTypeGPT       = 0xEE
)

func classifyMBR(b []byte) mbrKind {
	if b[510] != 0x55 || b[511] != 0xAA {
		return mbrNone
	}
	kind := mbrNone
	for i := range 4 {
		switch b[mbrRecordsOffset+16*i+4] {
		case 0:
		case mbrTypeGPT:
			return mbrProtective
		default:
			kind = mbrLegacy
		}
	}
	return kind
}

// Read reads the partition table of a disk of size bytes with the given logical sector size.
//
// The primary header and entries are used when sound; otherwise the backup, which is looked for
// where the primary header says (or, when the primary header is unusable, in the last sector).
// A backup header that is sound but not in the last sector (a disk image that was enlarged) is
// used as found. What was wrong is reported in Table.Damage. Read fails with ErrNoTable when
// neither header exists, ErrLegacyMBR for an MBR-partitioned disk, and ErrCorrupt when headers
// exist but neither can be used.
func Read(r io.ReaderAt, size int64, sectorSize int) (*Table, error) {
	if err := checkSectorSize(sectorSize); err != nil {
		return nil, err
	}
	sectors := uint64(size) / uint64(sectorSize)
	if size < 0 || sectors < 3 {
		return nil, fmt.Errorf("%w: %d bytes", ErrDiskTooSmall, size)
	}
	d := sectorReader{r: r, ss: uint64(sectorSize), sectors: sectors}
	mbr, err := d.sector(0)
	if err != nil {
		return nil, err
	}
	kind := classifyMBR(mbr)
	if kind == mbrLegacy {
		return nil, ErrLegacyMBR
	}

	last := sectors - 1
	primary, pParts, pErr := d.load(1)
	backupLBA := last
	if primary != nil {
		backupLBA = primary.AlternateLBA
	}
	backup, bParts, bErr := d.load(backupLBA)
	if pErr != nil && bErr != nil {
		if errors.Is(pErr, ErrSignature) && errors.Is(bErr, ErrSignature) {
			return nil, ErrNoTable
		}
		return nil, fmt.Errorf("%w: primary header: %w; backup header: %w", ErrCorrupt, pErr, bErr)
	}

	var damage []error
	if kind == mbrNone {
		damage = append(damage, ErrNoProtectiveMBR)
	}
	if pErr != nil {
		damage = append(damage, fmt.Errorf("primary header: %w", pErr))
	}
	if bErr != nil {
		damage = append(damage, fmt.Errorf("backup header at sector %d: %w", backupLBA, bErr))
	}
	t := &Table{SectorSize: sectorSize, Sectors: sectors}
	h, parts := primary, pParts
	if pErr != nil {
		h, parts = backup, bParts
		t.UsedBackup = true
	}
	if bErr == nil {
		if backupLBA != last {
			damage = append(damage, fmt.Errorf("%w: found in sector %d of %d", ErrBackupMisplaced, backupLBA, sectors))
			t.staleBackup = backupLBA
		}
		if pErr == nil && !agree(primary, backup) {
			damage = append(damage, ErrHeadersDiffer)
		}
	}
	t.Header = *h
	t.DiskGUID = h.DiskGUID
	t.EntryCount, t.EntrySize = h.EntryCount, h.EntrySize
	t.Partitions = parts
	t.Damage = errors.Join(damage...)
	return t, nil
}

// agree reports whether a sound primary and backup header describe the same table.
func agree(p, b *Header) bool {
	return p.DiskGUID == b.DiskGUID && p.EntriesCRC == b.EntriesCRC && p.EntryCount == b.EntryCount &&
		p.EntrySize == b.EntrySize && p.FirstUsable == b.FirstUsable && p.LastUsable == b.LastUsable &&
		b.AlternateLBA == p.MyLBA
}

type sectorReader struct {
	r       io.ReaderAt
	ss      uint64
	sectors uint64
}

// read reads n whole sectors from lba on.
func (d sectorReader) read(lba, n uint64) ([]byte, error) {
	b := make([]byte, n*d.ss)
	got, err := d.r.ReadAt(b, int64(lba*d.ss))
	if got == len(b) {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading sector %d: %w", lba, err)
}

func (d sectorReader) sector(lba uint64) ([]byte, error) { return d.read(lba, 1) }

// load reads and checks the header at lba, then its entry array. The header is returned whenever
// it is sound, even if its entries are not, because it still tells where the other header is.
func (d sectorReader) load(lba uint64) (*Header, []Partition, error) {
	b, err := d.sector(lba)
	if err != nil {
		return nil, nil, err
	}
	h, err := d.parseHeader(b, lba)
	if err != nil {
		return nil, nil, err
	}
	n := uint64(h.EntryCount) * uint64(h.EntrySize)
	raw, err := d.read(h.EntriesLBA, (n+d.ss-1)/d.ss)
	if err != nil {
		return h, nil, err
	}
	raw = raw[:n]
	if crc32.ChecksumIEEE(raw) != h.EntriesCRC {
		return h, nil, ErrEntriesCRC
	}
	parts, err := parseEntries(raw, h)
	if err != nil {
		return h, nil, err
	}
	return h, parts, nil
}

func (d sectorReader) parseHeader(b []byte, lba uint64) (*Header, error) {
	if string(b[:8]) != Signature {
		return nil, ErrSignature
	}
	le := binary.LittleEndian
	h := &Header{
		Revision:     le.Uint32(b[8:]),
		HeaderSize:   le.Uint32(b[12:]),
		HeaderCRC:    le.Uint32(b[16:]),
		MyLBA:        le.Uint64(b[24:]),
		AlternateLBA: le.Uint64(b[32:]),
		FirstUsable:  le.Uint64(b[40:]),
		LastUsable:   le.Uint64(b[48:]),
		DiskGUID:     guidFromDisk(b[56:]),
		EntriesLBA:   le.Uint64(b[72:]),
		EntryCount:   le.Uint32(b[80:]),
		EntrySize:    le.Uint32(b[84:]),
		EntriesCRC:   le.Uint32(b[88:]),
	}
	if h.HeaderSize < HeaderSize || uint64(h.HeaderSize) > d.ss {
		return nil, fmt.Errorf("%w: header size %d", ErrHeaderInvalid, h.HeaderSize)
	}
	sum := bytes.Clone(b[:h.HeaderSize])
	clear(sum[16:20])
	if crc32.ChecksumIEEE(sum) != h.HeaderCRC {
		return nil, ErrHeaderCRC
	}
	if err := d.checkHeader(h, lba); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeaderInvalid, err)
	}
	return h, nil
}

// checkHeader checks that the header's regions lie on the disk and do not overlap.
func (d sectorReader) checkHeader(h *Header, lba uint64) error {
	inUsable := func(s uint64) bool { return s >= h.FirstUsable && s <= h.LastUsable }
	switch {
	case h.Revision>>16 != 1:
		return fmt.Errorf("revision %#x", h.Revision)
	case h.MyLBA != lba:
		return fmt.Errorf("header in sector %d says it is in sector %d", lba, h.MyLBA)
	case h.FirstUsable < 2 || h.FirstUsable > h.LastUsable || h.LastUsable >= d.sectors:
		return fmt.Errorf("usable sectors %d-%d on a disk of %d sectors", h.FirstUsable, h.LastUsable, d.sectors)
	case inUsable(h.MyLBA):
		return fmt.Errorf("header in sector %d inside the usable area", h.MyLBA)
	case h.AlternateLBA == 0 || h.AlternateLBA == h.MyLBA || h.AlternateLBA >= d.sectors || inUsable(h.AlternateLBA):
		return fmt.Errorf("other header in sector %d", h.AlternateLBA)
	case h.EntrySize < DefaultEntrySize || h.EntrySize&(h.EntrySize-1) != 0 || h.EntryCount == 0 ||
		uint64(h.EntryCount)*uint64(h.EntrySize) > maxEntryArrayBytes:
		return fmt.Errorf("%w: %d entries of %d bytes", ErrEntryArray, h.EntryCount, h.EntrySize)
	}
	n := (uint64(h.EntryCount)*uint64(h.EntrySize) + d.ss - 1) / d.ss
	first, last := h.EntriesLBA, h.EntriesLBA+n-1
	if first == 0 || last >= d.sectors || (first <= h.MyLBA && h.MyLBA <= last) ||
		(first <= h.LastUsable && h.FirstUsable <= last) {
		return fmt.Errorf("entry array in sectors %d-%d", first, last)
	}
	return nil
}

// parseEntries decodes the used entries and checks that they lie in the usable area and do not overlap.
func parseEntries(raw []byte, h *Header) ([]Partition, error) {
	le := binary.LittleEndian
	var parts []Partition
	for i := range int(h.EntryCount) {
		e := raw[i*int(h.EntrySize):]
		typ := guidFromDisk(e[0:])
		if typ == uuid.Nil {
			continue
		}
		p := Partition{
			Number:     i + 1,
			Type:       typ,
			GUID:       guidFromDisk(e[16:]),
			Start:      le.Uint64(e[32:]),
			End:        le.Uint64(e[40:]),
			Attributes: le.Uint64(e[48:]),
			Name:       nameFromDisk(e[56:128]),
		}
		if p.Start > p.End || p.Start < h.FirstUsable || p.End > h.LastUsable {
			return nil, fmt.Errorf("%w: partition %d in sectors %d-%d, usable %d-%d",
				ErrEntryInvalid, p.Number, p.Start, p.End, h.FirstUsable, h.LastUsable)
		}
		parts = append(parts, p)
	}
	if err := checkOverlap(parts); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEntryInvalid, err)
	}
	return parts, nil
}

// checkOverlap reports the first two partitions that share a sector.
func checkOverlap(parts []Partition) error {
	byStart := slices.SortedFunc(slices.Values(parts), func(a, b Partition) int { return cmp.Compare(a.Start, b.Start) })
	for i := 1; i < len(byStart); i++ {
		if a, b := byStart[i-1], byStart[i]; b.Start <= a.End {
			return fmt.Errorf("%w: partition %d (sectors %d-%d) and partition %d (sectors %d-%d)",
				ErrOverlap, a.Number, a.Start, a.End, b.Number, b.Start, b.End)
		}
	}
	return nil
}
