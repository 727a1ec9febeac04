package gpt

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

// fuzzDisk is a disk image given by the three places Read looks at: the start of the disk
// (MBR, primary header and entries), the backup entry array in its usual place, and the last
// sector. Everything else reads as zeros, so seeds stay small and mutations land where they matter.
type fuzzDisk struct {
	size    int64
	regions []fuzzRegion
}

type fuzzRegion struct {
	off  int64
	data []byte
}

func newFuzzDisk(head, backupEntries, backupHeader []byte, extra uint16, big bool) fuzzDisk {
	ss, sectors := int64(512), int64(128)
	if big {
		ss, sectors = 4096, 16
	}
	size := (sectors + int64(extra)) * ss
	clip := func(b []byte, n int64) []byte { return b[:min(int64(len(b)), n)] }
	return fuzzDisk{size: size, regions: []fuzzRegion{
		{0, clip(head, size)},
		{size - ss - minEntryArrayBytes, clip(backupEntries, minEntryArrayBytes)},
		{size - ss, clip(backupHeader, ss)},
	}}
}

func (d fuzzDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= d.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), d.size-off))
	clear(p[:n])
	for _, r := range d.regions {
		if lo, hi := max(off, r.off), min(off+int64(n), r.off+int64(len(r.data))); lo < hi {
			copy(p[lo-off:hi-off], r.data[lo-r.off:hi-r.off])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, head, backupEntries, backupHeader []byte, extra uint16, big bool) {
		d := newFuzzDisk(head, backupEntries, backupHeader, extra, big)
		ss := 512
		if big {
			ss = 4096
		}
		tab, err := Read(d, d.size, ss)
		if err != nil {
			return
		}
		if err := checkOverlap(tab.Partitions); err != nil {
			t.Fatalf("Read() returned overlapping partitions: %v", err)
		}
		for i, p := range tab.Partitions {
			if p.Start > p.End || p.End >= tab.Sectors || (i > 0 && tab.Partitions[i-1].Number >= p.Number) {
				t.Fatalf("Read() returned a bad partition list: %+v", tab.Partitions)
			}
		}
		// Whatever Read accepts and Write can write must read back the same.
		img := make(memDisk, d.size)
		if tab.DiskGUID == uuid.Nil || Write(img, tab) != nil {
			return
		}
		again, err := Read(img, d.size, ss)
		if err != nil || again.Damage != nil {
			t.Fatalf("Read(Write(Read())) = %v, damage %v", err, again.Damage)
		}
		if diff := cmp.Diff(tab.Partitions, again.Partitions); diff != "" {
			t.Fatalf("Read(Write(Read())) partitions (-first +second):\n%s", diff)
		}
	})
}

// fuzzSeeds are the committed seeds of FuzzRead: sound tables of both sector sizes, a corrupt
// primary, a missing backup, and an MBR-only disk.
func fuzzSeeds(t *testing.T) map[string][]any {
	seed := func(big bool, damage func(img memDisk, ss int)) []any {
		ss, sectors := 512, 128
		if big {
			ss, sectors = 4096, 16
		}
		tab, err := New(int64(sectors*ss), ss, uuid.UUID{0: 0x6a, 15: 0x60})
		if err != nil {
			t.Fatal(err)
		}
		first, last := tab.FirstUsable(), tab.LastUsable()
		tab.Partitions = []Partition{
			{Number: 1, Start: first, End: first + 1, Type: uuid.MustParse(espType), GUID: uuid.UUID{0: 1}, Name: "EFI-SYSTEM", Attributes: 1},
			{Number: 3, Start: first + 2, End: last, Type: LinuxFilesystem, GUID: uuid.UUID{0: 3}, Name: "root"},
		}
		img := writeImage(t, tab)
		damage(img, ss)
		size := len(img)
		trim := func(b []byte) []byte { return bytes.TrimRight(b, "\x00") }
		return []any{
			trim(img[:2*ss+minEntryArrayBytes]),
			trim(img[size-ss-minEntryArrayBytes : size-ss]),
			trim(img[size-ss:]),
			uint16(0),
			big,
		}
	}
	none := func(memDisk, int) {}
	return map[string][]any{
		"sound-512":       seed(false, none),
		"sound-4096":      seed(true, none),
		"corrupt-primary": seed(false, func(img memDisk, ss int) { img[ss+40]++ }),
		"no-backup":       seed(false, func(img memDisk, ss int) { clear(img[len(img)-ss:]) }),
		"mbr-only":        seed(false, func(img memDisk, ss int) { clear(img[ss:]); img[450] = 0x83 }),
	}
}

// TestFuzzCorpus keeps the committed seed corpus of FuzzRead current (go test -update rewrites it)
// and checks that each seed is what it says: the sound ones read without damage.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	for name, args := range fuzzSeeds(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				switch v := a.(type) {
				case []byte:
					fmt.Fprintf(&b, "[]byte(%q)\n", v)
				default:
					fmt.Fprintf(&b, "%T(%v)\n", v, v)
				}
			}
			path := filepath.Join(dir, name)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, b.Bytes()) {
				t.Errorf("%s is stale or missing (%v); run go test -update", path, err)
			}
			d := newFuzzDisk(args[0].([]byte), args[1].([]byte), args[2].([]byte), args[3].(uint16), args[4].(bool))
			ss := 512
			if args[4].(bool) {
				ss = 4096
			}
			tab, err := Read(d, d.size, ss)
			switch name {
			case "sound-512", "sound-4096":
				if err != nil || tab.Damage != nil || len(tab.Partitions) != 2 {
					t.Errorf("Read(%s) = %+v, %v; want two partitions and no damage", name, tab, err)
				}
			case "corrupt-primary", "no-backup":
				if err != nil || tab.Damage == nil {
					t.Errorf("Read(%s) = %+v, %v; want damage", name, tab, err)
				}
			case "mbr-only":
				if err == nil {
					t.Errorf("Read(%s) = %+v, want an error", name, tab)
				}
			}
		})
	}
}
