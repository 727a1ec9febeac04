package gpt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// These tests check Read and Write against GPT fdisk's sgdisk, a GPT implementation that owes
// nothing to this one, on sparse image files (and, for 4096-byte sectors, on a loop device).

func sgdisk(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("sgdisk")
	if err != nil {
		t.Skip("sgdisk is not installed (apt-get install gdisk): the cross-check against a real GPT tool does not run")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sgdisk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// image returns a sparse image file of sizeMiB.
func image(t *testing.T, sizeMiB int64) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(name, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(name, sizeMiB*MiB); err != nil {
		t.Fatal(err)
	}
	return name
}

func writeFile(t *testing.T, name string, tab *Table) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(f, tab); err != nil {
		t.Fatalf("Write() = %v", err)
	}
}

func readFile(t *testing.T, name string, ss int) *Table {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	if fi.Mode()&os.ModeDevice != 0 {
		if size, err = f.Seek(0, 2); err != nil {
			t.Fatal(err)
		}
	}
	tab, err := Read(f, size, ss)
	if err != nil {
		t.Fatalf("Read(%s) = %v", name, err)
	}
	return tab
}

// sgdiskVerify fails unless sgdisk -v finds nothing wrong with the disk.
func sgdiskVerify(t *testing.T, name string) {
	t.Helper()
	out := sgdisk(t, "-v", name)
	if !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v %s:\n%s", name, out)
	}
}

var (
	sgdiskField = regexp.MustCompile(`(?m)^(Partition GUID code|Partition unique GUID|First sector|Last sector|Attribute flags|Partition name): (.*)$`)
	sgdiskDisk  = regexp.MustCompile(`(?m)^Disk identifier \(GUID\): (\S+)$`)
)

// sgdiskTable reads the disk's partitions numbered 1 to n as sgdisk -p and -i report them.
func sgdiskTable(t *testing.T, name string, numbers ...int) (uuid.UUID, []Partition) {
	t.Helper()
	m := sgdiskDisk.FindStringSubmatch(sgdisk(t, "-p", name))
	if m == nil {
		t.Fatalf("sgdisk -p %s: no disk GUID", name)
	}
	diskGUID := uuid.MustParse(m[1])
	var parts []Partition
	for _, n := range numbers {
		p := Partition{Number: n}
		for _, f := range sgdiskField.FindAllStringSubmatch(sgdisk(t, "-i", strconv.Itoa(n), name), -1) {
			v := f[2]
			var err error
			switch f[1] {
			case "Partition GUID code":
				p.Type, err = uuid.Parse(strings.Fields(v)[0])
			case "Partition unique GUID":
				p.GUID, err = uuid.Parse(v)
			case "First sector":
				p.Start, err = strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			case "Last sector":
				p.End, err = strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			case "Attribute flags":
				p.Attributes, err = strconv.ParseUint(v, 16, 64)
			case "Partition name":
				p.Name = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
			}
			if err != nil {
				t.Fatalf("sgdisk -i %d: %s: %v", n, f[0], err)
			}
		}
		parts = append(parts, p)
	}
	return diskGUID, parts
}

// bmpTable is sampleTable with names sgdisk prints faithfully (it does not decode surrogate pairs).
func bmpTable(t *testing.T, sizeMiB int64, ss int) *Table {
	tab := sampleTable(t, sizeMiB, ss)
	tab.Partitions[1].Name = "bööt"
	return tab
}

func TestSgdiskReadsWrite(t *testing.T) {
	name := image(t, 64)
	want := bmpTable(t, 64, 512)
	writeFile(t, name, want)
	sgdiskVerify(t, name)
	diskGUID, got := sgdiskTable(t, name, 1, 2, 4)
	if diskGUID != want.DiskGUID {
		t.Errorf("sgdisk disk GUID = %v, want %v", diskGUID, want.DiskGUID)
	}
	if diff := cmp.Diff(want.Partitions, got); diff != "" {
		t.Errorf("sgdisk's view of Write() (-want +got):\n%s", diff)
	}
}

func TestReadReadsSgdisk(t *testing.T) {
	name := image(t, 64)
	sgdisk(t, "-o", "-n", "1:0:+10M", "-c", "1:EFI-SYSTEM", "-t", "1:EF00", "-u", "1:"+someGUID, "-A", "1:set:0",
		"-n", "3:0:+1M", "-c", "3:bööt", "-n", "2:0:0", "-c", "2:root", name)
	tab := readFile(t, name, 512)
	if tab.Damage != nil {
		t.Errorf("Read() damage = %v, want none", tab.Damage)
	}
	diskGUID, want := sgdiskTable(t, name, 1, 2, 3)
	if tab.DiskGUID != diskGUID {
		t.Errorf("Read() disk GUID = %v, want %v", tab.DiskGUID, diskGUID)
	}
	if diff := cmp.Diff(want, tab.Partitions); diff != "" {
		t.Errorf("Read() of sgdisk's table (-sgdisk +Read):\n%s", diff)
	}
}

// TestSgdiskEnlarged: sgdisk sees the moved backup header of a grown image as sound.
func TestSgdiskEnlarged(t *testing.T) {
	name := image(t, 32)
	writeFile(t, name, bmpTable(t, 32, 512))
	if err := os.Truncate(name, 64*MiB); err != nil {
		t.Fatal(err)
	}
	if out := sgdisk(t, "-v", name); strings.Contains(out, "No problems found") {
		t.Fatalf("sgdisk -v finds no problem with a misplaced backup header; the test proves nothing:\n%s", out)
	}
	tab := readFile(t, name, 512)
	if _, err := tab.Grow(4); err != nil {
		t.Fatal(err)
	}
	writeFile(t, name, tab)
	sgdiskVerify(t, name)
	_, got := sgdiskTable(t, name, 4)
	if want := uint64(64*2048 - 34); got[0].End != want {
		t.Errorf("sgdisk: partition 4 ends at %d, want %d", got[0].End, want)
	}
}

// TestPlanPlacesLikeSgdisk: start 0 and size 0 resolve to what sgdisk --new does with 0.
func TestPlanPlacesLikeSgdisk(t *testing.T) {
	name := image(t, 100)
	tab := disk(part(1, 1, 10, "a"), part(2, 40, 10, "b"))
	writeFile(t, name, tab)
	plan, err := PlanTable(tab, Request{Partitions: []PartitionSpec{
		{Number: 3, SizeMiB: ptr(5)}, {Number: 4, StartMiB: ptr(0)}, {Number: 5, SizeMiB: ptr(3)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sgdisk(t, "-n", "3:0:+5M", "-n", "4:0:0", "-n", "5:0:+3M", name)
	got := readFile(t, name, 512)
	for i := range got.Partitions {
		got.Partitions[i].GUID = uuid.Nil
	}
	want := plan.Table.Clone()
	for i := range want.Partitions {
		want.Partitions[i].GUID = uuid.Nil
	}
	if diff := cmp.Diff(want.Partitions, got.Partitions); diff != "" {
		t.Errorf("PlanTable() placement (-plan +sgdisk):\n%s", diff)
	}
}

// TestSgdisk4K writes a table for 4096-byte sectors onto a loop device with that sector size, the
// only way sgdisk sees such sectors, and reads sgdisk's own table back.
func TestSgdisk4K(t *testing.T) {
	if _, err := exec.LookPath("sgdisk"); err != nil {
		t.Skip("sgdisk is not installed (apt-get install gdisk): the cross-check against a real GPT tool does not run")
	}
	if os.Geteuid() != 0 {
		t.Skip("4096-byte sectors need a loop device, which needs root")
	}
	name := image(t, 64)
	out, err := exec.Command("losetup", "--find", "--show", "--sector-size", "4096", name).CombinedOutput()
	if err != nil {
		t.Skipf("no loop device for 4096-byte sectors: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})

	want := bmpTable(t, 64, 4096)
	writeFile(t, dev, want)
	sgdiskVerify(t, dev)
	diskGUID, got := sgdiskTable(t, dev, 1, 2, 4)
	if diskGUID != want.DiskGUID {
		t.Errorf("sgdisk disk GUID = %v, want %v", diskGUID, want.DiskGUID)
	}
	if diff := cmp.Diff(want.Partitions, got); diff != "" {
		t.Errorf("sgdisk's view of Write() on 4096-byte sectors (-want +got):\n%s", diff)
	}

	sgdisk(t, "-o", "-n", "1:0:+10M", "-c", "1:boot", "-n", "2:0:0", dev)
	tab := readFile(t, dev, 4096)
	_, want2 := sgdiskTable(t, dev, 1, 2)
	if diff := cmp.Diff(want2, tab.Partitions); diff != "" {
		t.Errorf("Read() of sgdisk's 4096-byte-sector table (-sgdisk +Read):\n%s", diff)
	}
	if first := fmt.Sprint(tab.Header.FirstUsable); first != "6" {
		t.Errorf("first usable sector = %s, want 6", first)
	}
}
