package gpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
)

// memDisk is a disk image in memory.
type memDisk []byte

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, fmt.Errorf("write of %d bytes at %d past the end of a %d-byte disk", len(p), off, len(m))
	}
	return copy(m[off:], p), nil
}

// sampleTable returns a table on a disk of sizeMiB with three partitions, for either sector size.
func sampleTable(t *testing.T, sizeMiB int64, ss int) *Table {
	t.Helper()
	tab, err := New(sizeMiB*MiB, ss, uuid.MustParse("6A4E0F6C-2B5E-4F0C-9C4C-1D2E3F405060"))
	if err != nil {
		t.Fatal(err)
	}
	per := uint64(MiB / ss)
	tab.Partitions = []Partition{
		{Number: 1, Start: per, End: 3*per - 1, Type: uuid.MustParse(espType), GUID: uuid.MustParse(someGUID), Name: "EFI-SYSTEM", Attributes: 1},
		{Number: 2, Start: 3 * per, End: 4*per - 1, Type: LinuxFilesystem, GUID: uuid.MustParse("ABCDEF01-2345-6789-ABCD-EF0123456789"), Name: "bööt 🚀"},
		{Number: 4, Start: 4 * per, End: tab.LastUsable(), Type: LinuxFilesystem, GUID: uuid.MustParse("00112233-4455-6677-8899-AABBCCDDEEFF"), Name: "root"},
	}
	return tab
}

func writeImage(t *testing.T, tab *Table) memDisk {
	t.Helper()
	img := make(memDisk, tab.Sectors*uint64(tab.SectorSize))
	if err := Write(img, tab); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	return img
}

var tableOpts = cmp.Options{
	cmpopts.IgnoreFields(Table{}, "Header", "Damage", "UsedBackup"),
	cmp.AllowUnexported(Table{}),
}

func TestRoundTrip(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprint(ss), func(t *testing.T) {
			want := sampleTable(t, 16, ss)
			img := writeImage(t, want)
			got, err := Read(img, int64(len(img)), ss)
			if err != nil {
				t.Fatalf("Read() = %v", err)
			}
			want.EntryCount, want.EntrySize = DefaultEntryCount, DefaultEntrySize
			if diff := cmp.Diff(want, got, tableOpts); diff != "" {
				t.Errorf("Read(Write(t)) (-want +got):\n%s", diff)
			}
			if got.Damage != nil || got.UsedBackup {
				t.Errorf("Read() damage = %v, used backup = %v, want none", got.Damage, got.UsedBackup)
			}
			if got.Header.FirstUsable != want.FirstUsable() || got.Header.AlternateLBA != want.Sectors-1 {
				t.Errorf("Read() header = %+v, want first usable %d, alternate %d", got.Header, want.FirstUsable(), want.Sectors-1)
			}
			// The first usable sector for 128 entries: 34 for 512-byte sectors, 6 for 4096.
			if wantFirst := map[int]uint64{512: 34, 4096: 6}[ss]; got.Header.FirstUsable != wantFirst {
				t.Errorf("FirstUsable = %d, want %d", got.Header.FirstUsable, wantFirst)
			}
		})
	}
}

func TestWriteKeepsBootCode(t *testing.T) {
	tab := sampleTable(t, 8, 512)
	img := make(memDisk, 8*MiB)
	for i := range 440 {
		img[i] = byte(i)
	}
	if err := Write(img, tab); err != nil {
		t.Fatal(err)
	}
	for i := range 440 {
		if img[i] != byte(i) {
			t.Fatalf("Write() changed MBR byte %d", i)
		}
	}
	if img[450] != 0xEE || img[510] != 0x55 || img[511] != 0xAA {
		t.Errorf("Write() MBR type %#x, signature %#x %#x, want 0xee, 0x55 0xaa", img[450], img[510], img[511])
	}
	if got := binary.LittleEndian.Uint32(img[458:]); got != uint32(tab.Sectors-1) {
		t.Errorf("protective MBR size = %d, want %d", got, tab.Sectors-1)
	}
}

// fixCRCs recomputes the entries CRC and the header CRC of the header in sector lba.
func fixCRCs(img memDisk, ss int, lba uint64) {
	h := img[lba*uint64(ss):]
	le := binary.LittleEndian
	entries := img[le.Uint64(h[72:])*uint64(ss):][:le.Uint32(h[80:])*le.Uint32(h[84:])]
	le.PutUint32(h[88:], crc32.ChecksumIEEE(entries))
	clear(h[16:20])
	le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:HeaderSize]))
}

func TestReadDamage(t *testing.T) {
	const ss = 512
	base := sampleTable(t, 8, ss)
	last := base.Sectors - 1
	backupEntries := last - 32
	tests := []struct {
		name       string
		damage     func(img memDisk)
		wantBackup bool
		wantDamage []error
	}{
		{"sound", func(memDisk) {}, false, nil},
		{"primary header CRC", func(img memDisk) { img[ss+40]++ }, true, []error{ErrHeaderCRC}},
		{"primary signature", func(img memDisk) { img[ss] = 'X' }, true, []error{ErrSignature}},
		{"primary entries CRC", func(img memDisk) { img[2*ss+56]++ }, true, []error{ErrEntriesCRC}},
		{"primary header in the wrong place", func(img memDisk) { img[ss+24] = 7; fixCRCs(img, ss, 1) }, true, []error{ErrHeaderInvalid}},
		{"primary entries overlap", func(img memDisk) {
			binary.LittleEndian.PutUint64(img[2*ss+128+32:], 2048) // partition 2 starts inside partition 1
			fixCRCs(img, ss, 1)
		}, true, []error{ErrEntryInvalid, ErrOverlap}},
		{"backup header CRC", func(img memDisk) { img[last*ss+40]++ }, false, []error{ErrHeaderCRC}},
		{"backup entries CRC", func(img memDisk) { img[backupEntries*ss+56]++ }, false, []error{ErrEntriesCRC}},
		{"no protective MBR", func(img memDisk) { clear(img[:ss]) }, false, []error{ErrNoProtectiveMBR}},
		{"entries differ", func(img memDisk) { img[backupEntries*ss+56]++; fixCRCs(img, ss, last) }, false, []error{ErrHeadersDiffer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := writeImage(t, base)
			tt.damage(img)
			got, err := Read(img, int64(len(img)), ss)
			if err != nil {
				t.Fatalf("Read() = %v", err)
			}
			if got.UsedBackup != tt.wantBackup {
				t.Errorf("Read() UsedBackup = %v, want %v", got.UsedBackup, tt.wantBackup)
			}
			if tt.wantDamage == nil && got.Damage != nil {
				t.Errorf("Read() Damage = %v, want nil", got.Damage)
			}
			for _, want := range tt.wantDamage {
				if !errors.Is(got.Damage, want) {
					t.Errorf("Read() Damage = %v, want %v", got.Damage, want)
				}
			}
			if diff := cmp.Diff(base.Partitions, got.Partitions); tt.name != "entries differ" && diff != "" {
				t.Errorf("Read() partitions (-want +got):\n%s", diff)
			}
			// Writing the table back repairs it.
			if err := Write(img, got); err != nil {
				t.Fatal(err)
			}
			if again, err := Read(img, int64(len(img)), ss); err != nil || again.Damage != nil {
				t.Errorf("Read(Write(Read())) = %v, damage %v; want a sound table", err, again.Damage)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	const ss = 512
	base := sampleTable(t, 8, ss)
	last := base.Sectors - 1
	tests := []struct {
		name    string
		img     func() memDisk
		ss      int
		wantErr error
	}{
		{"blank disk", func() memDisk { return make(memDisk, 8*MiB) }, ss, ErrNoTable},
		{"both headers corrupt", func() memDisk {
			img := writeImage(t, base)
			img[ss+40]++
			img[last*ss+40]++
			return img
		}, ss, ErrCorrupt},
		{"both headers' CRCs", func() memDisk {
			img := writeImage(t, base)
			img[ss+40]++
			img[last*ss+40]++
			return img
		}, ss, ErrHeaderCRC},
		{"legacy MBR", func() memDisk {
			img := writeImage(t, base)
			img[450] = 0x83
			return img
		}, ss, ErrLegacyMBR},
		{"bad sector size", func() memDisk { return make(memDisk, 8*MiB) }, 1024, ErrSectorSize},
		{"tiny disk", func() memDisk { return make(memDisk, 1024) }, ss, ErrDiskTooSmall},
		{"disk shrunk", func() memDisk { return writeImage(t, base)[:4*MiB] }, ss, ErrCorrupt},
		{"short read", func() memDisk { return writeImage(t, base)[:ss+100] }, 512, ErrDiskTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.img()
			if _, err := Read(img, int64(len(img)), tt.ss); !errors.Is(err, tt.wantErr) {
				t.Errorf("Read() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestEnlargedImage is the root-grow case: an image is written, then the disk grows; Read finds
// the backup header where it was, Grow extends the last partition and Write moves the backup.
func TestEnlargedImage(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprint(ss), func(t *testing.T) {
			small := sampleTable(t, 8, ss)
			img := writeImage(t, small)
			oldBackup := small.Sectors - 1
			img = append(img, make(memDisk, 8*MiB)...)

			tab, err := Read(img, int64(len(img)), ss)
			if err != nil {
				t.Fatalf("Read() = %v", err)
			}
			if !errors.Is(tab.Damage, ErrBackupMisplaced) || tab.UsedBackup {
				t.Errorf("Read() damage = %v, used backup %v; want %v from the primary", tab.Damage, tab.UsedBackup, ErrBackupMisplaced)
			}
			if want := 2 * small.Sectors; tab.Sectors != want {
				t.Errorf("Read() Sectors = %d, want %d", tab.Sectors, want)
			}
			grown, err := tab.Grow(4)
			if err != nil || !grown {
				t.Fatalf("Grow(4) = %v, %v, want true, nil", grown, err)
			}
			if p, _ := tab.Partition(4); p.End != tab.LastUsable() {
				t.Errorf("Grow(4): end %d, want %d", p.End, tab.LastUsable())
			}
			if err := Write(img, tab); err != nil {
				t.Fatal(err)
			}
			again, err := Read(img, int64(len(img)), ss)
			if err != nil || again.Damage != nil {
				t.Fatalf("Read() after Write = %v, damage %v", err, again.Damage)
			}
			if diff := cmp.Diff(tab.Partitions, again.Partitions); diff != "" {
				t.Errorf("partitions after Write (-want +got):\n%s", diff)
			}
			if again.Header.AlternateLBA != again.Sectors-1 || again.Header.LastUsable != tab.LastUsable() {
				t.Errorf("header after Write = %+v, want the backup at %d", again.Header, again.Sectors-1)
			}
			// The old backup header is inside the grown partition: left alone for the filesystem.
			if !bytes.HasPrefix(img[oldBackup*uint64(ss):], []byte(Signature)) {
				t.Errorf("Write() erased the old backup header inside partition 4")
			}
		})
	}
}

func TestEnlargedImageErasesOldBackup(t *testing.T) {
	small := sampleTable(t, 8, 512)
	small.Partitions = small.Partitions[:2]
	img := writeImage(t, small)
	oldBackup := (small.Sectors - 1) * 512
	img = append(img, make(memDisk, 8*MiB)...)
	tab, err := Read(img, int64(len(img)), 512)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(img, tab); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img[oldBackup:oldBackup+512], make([]byte, 512)) {
		t.Errorf("Write() left the old backup header in free space")
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Table)
		wantErr error
	}{
		{"overlap", func(t *Table) { t.Partitions[1].Start = t.Partitions[0].End }, ErrOverlap},
		{"before the usable area", func(t *Table) { t.Partitions[0].Start = 33 }, ErrOutsideUsable},
		{"after the usable area", func(t *Table) { t.Partitions[2].End = t.LastUsable() + 1 }, ErrOutsideUsable},
		{"number twice", func(t *Table) { t.Partitions[1].Number = 1 }, ErrNumber},
		{"number too large", func(t *Table) { t.Partitions[2].Number = 129 }, ErrNumber},
		{"no type", func(t *Table) { t.Partitions[0].Type = uuid.Nil }, ErrEntryInvalid},
		{"name too long", func(t *Table) { t.Partitions[0].Name = "0123456789012345678901234567890123456" }, ErrNameTooLong},
		{"no disk GUID", func(t *Table) { t.DiskGUID = uuid.Nil }, ErrHeaderInvalid},
		{"sector size", func(t *Table) { t.SectorSize = 1024 }, ErrSectorSize},
		{"disk too small", func(t *Table) { t.Sectors = 60; t.Partitions = nil }, ErrDiskTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := sampleTable(t, 8, 512)
			tt.change(tab)
			img := make(memDisk, 8*MiB)
			if err := Write(img, tab); !errors.Is(err, tt.wantErr) {
				t.Errorf("Write() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestGUIDLayout(t *testing.T) {
	// The EFI system partition type GUID as it is stored on disk.
	onDisk := []byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}
	if got := guidFromDisk(onDisk); got != uuid.MustParse(espType) {
		t.Errorf("guidFromDisk(%x) = %v, want %v", onDisk, got, espType)
	}
	b := make([]byte, 16)
	guidToDisk(b, uuid.MustParse(espType))
	if !bytes.Equal(b, onDisk) {
		t.Errorf("guidToDisk(%v) = %x, want %x", espType, b, onDisk)
	}
}
