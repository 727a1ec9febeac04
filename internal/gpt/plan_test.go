package gpt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

const (
	diskMiB  = 100
	sectors  = diskMiB * 2048 // 512-byte sectors
	lastUse  = sectors - 34   // last usable sector of a 128-entry table
	espType  = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	someGUID = "11111111-2222-3333-4444-555555555555"
)

func ptr[T any](v T) *T { return &v }

// mib converts MiB to 512-byte sectors.
func mib(n uint64) uint64 { return n * 2048 }

// part is an existing partition of n MiB at start MiB, with a GUID derived from its number.
func part(number int, start, size uint64, name string) Partition {
	return Partition{
		Number: number, Start: mib(start), End: mib(start+size) - 1,
		Type: LinuxFilesystem, GUID: uuid.UUID{0: byte(number)}, Name: name,
	}
}

// newGUIDs returns a deterministic GUID source: 00..01, 00..02, ...
func newGUIDs() func() uuid.UUID {
	n := byte(0)
	return func() uuid.UUID {
		n++
		return uuid.UUID{15: n}
	}
}

func disk(parts ...Partition) *Table {
	return &Table{SectorSize: 512, Sectors: sectors, DiskGUID: uuid.UUID{0: 0xdd}, Partitions: parts}
}

type step struct {
	Kind   ActionKind
	Number int
}

func TestPlanTable(t *testing.T) {
	tests := []struct {
		name      string
		table     *Table
		wipeTable bool
		specs     []PartitionSpec
		want      []step
		wantParts []Partition // nil: the table is checked only when want is given
		wantErr   error
	}{
		// The decision matrix, row by row.
		{
			name:      "absent and not found",
			table:     disk(part(1, 1, 10, "a")),
			specs:     []PartitionSpec{{Number: 3, ShouldExist: ptr(false)}},
			want:      []step{{Absent, 3}},
			wantParts: []Partition{part(1, 1, 10, "a")},
		},
		{
			name:  "create",
			table: disk(),
			specs: []PartitionSpec{{Number: 1, Label: ptr("boot"), SizeMiB: ptr(10), TypeGUID: ptr(espType), GUID: ptr(someGUID)}},
			want:  []step{{Create, 1}},
			wantParts: []Partition{{Number: 1, Start: mib(1), End: mib(11) - 1,
				Type: uuid.MustParse(espType), GUID: uuid.MustParse(someGUID), Name: "boot"}},
		},
		{
			name:      "create takes the default type and a new GUID",
			table:     disk(),
			specs:     []PartitionSpec{{Number: 2, StartMiB: ptr(10), SizeMiB: ptr(5)}},
			want:      []step{{Create, 2}},
			wantParts: []Partition{{Number: 2, Start: mib(10), End: mib(15) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:    "exists, should not, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, ShouldExist: ptr(false)}},
			wantErr: ErrExistsNotWiped,
		},
		{
			name:      "exists, should not, wipe",
			table:     disk(part(1, 1, 10, "a"), part(2, 11, 10, "b")),
			specs:     []PartitionSpec{{Number: 1, ShouldExist: ptr(false), WipePartitionEntry: ptr(true)}},
			want:      []step{{Delete, 1}},
			wantParts: []Partition{part(2, 11, 10, "b")},
		},
		{
			name:  "exists and matches",
			table: disk(part(1, 1, 10, "a")),
			specs: []PartitionSpec{{Number: 1, Label: ptr("a"), StartMiB: ptr(1), SizeMiB: ptr(10),
				TypeGUID: ptr("0fc63daf-8483-4772-8e79-3d69d8477de4"), GUID: ptr("01000000-0000-0000-0000-000000000000")}},
			want:      []step{{Keep, 1}},
			wantParts: []Partition{part(1, 1, 10, "a")},
		},
		{
			name:      "exists and matches, nothing specified",
			table:     disk(part(1, 1, 10, "a")),
			specs:     []PartitionSpec{{Number: 1, WipePartitionEntry: ptr(false)}},
			want:      []step{{Keep, 1}},
			wantParts: []Partition{part(1, 1, 10, "a")},
		},
		{
			name:    "mismatched size, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, SizeMiB: ptr(20)}},
			wantErr: ErrSizeMismatch,
		},
		{
			name:    "mismatched start, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, StartMiB: ptr(2), SizeMiB: ptr(10)}},
			wantErr: ErrStartMismatch,
		},
		{
			name:    "mismatched GUID, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, GUID: ptr(someGUID)}},
			wantErr: ErrGUIDMismatch,
		},
		{
			name:    "mismatched type GUID, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, TypeGUID: ptr(espType)}},
			wantErr: ErrTypeGUIDMismatch,
		},
		{
			name:    "mismatched label, no wipe",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, Label: ptr("b")}},
			wantErr: ErrLabelMismatch,
		},
		{
			name:      "mismatch with wipe recreates",
			table:     disk(part(1, 1, 10, "a")),
			specs:     []PartitionSpec{{Number: 1, Label: ptr("b"), SizeMiB: ptr(20), WipePartitionEntry: ptr(true)}},
			want:      []step{{Recreate, 1}},
			wantParts: []Partition{{Number: 1, Start: mib(1), End: mib(21) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}, Name: "b"}},
		},
		{
			name:      "resize grows into the space after",
			table:     disk(part(1, 1, 10, "a"), part(2, 50, 10, "b")),
			specs:     []PartitionSpec{{Number: 1, SizeMiB: ptr(30), Resize: ptr(true)}},
			want:      []step{{Resize, 1}},
			wantParts: []Partition{part(1, 1, 30, "a"), part(2, 50, 10, "b")},
		},
		{
			name:      "resize shrinks",
			table:     disk(part(1, 1, 10, "a")),
			specs:     []PartitionSpec{{Number: 1, Label: ptr("a"), SizeMiB: ptr(4), Resize: ptr(true)}},
			want:      []step{{Resize, 1}},
			wantParts: []Partition{part(1, 1, 4, "a")},
		},
		{
			name:  "resize with size 0 takes the rest of the disk",
			table: disk(part(1, 1, 10, "a"), part(2, 11, 10, "b")),
			specs: []PartitionSpec{{Number: 2, SizeMiB: ptr(0), Resize: ptr(true)}},
			want:  []step{{Resize, 2}},
			wantParts: []Partition{part(1, 1, 10, "a"),
				{Number: 2, Start: mib(11), End: lastUse, Type: LinuxFilesystem, GUID: uuid.UUID{0: 2}, Name: "b"}},
		},
		{
			name:    "resize into another partition",
			table:   disk(part(1, 1, 10, "a"), part(2, 11, 10, "b")),
			specs:   []PartitionSpec{{Number: 1, SizeMiB: ptr(20), Resize: ptr(true)}},
			wantErr: ErrOverlap,
		},
		{
			name:    "resize needs everything else to match",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, Label: ptr("b"), SizeMiB: ptr(20), Resize: ptr(true)}},
			wantErr: ErrLabelMismatch,
		},
		{
			name:    "resize off the end of the disk",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, SizeMiB: ptr(diskMiB), Resize: ptr(true)}},
			wantErr: ErrOutsideUsable,
		},

		// Resolving 0 and unspecified starts and sizes.
		{
			name:  "start 0 is the largest free block, not the first",
			table: disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")),
			specs: []PartitionSpec{{Number: 3, StartMiB: ptr(0), SizeMiB: ptr(5)}},
			want:  []step{{Create, 3}},
			wantParts: []Partition{part(1, 1, 10, "a"), part(2, 40, 10, "b"),
				{Number: 3, Start: mib(50), End: mib(55) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:  "size 0 reaches the end of the largest free block",
			table: disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")),
			specs: []PartitionSpec{{Number: 3}},
			want:  []step{{Create, 3}},
			wantParts: []Partition{part(1, 1, 10, "a"), part(2, 40, 10, "b"),
				{Number: 3, Start: mib(50), End: lastUse, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:  "size 0 from a start inside the largest block",
			table: disk(part(1, 1, 10, "a")),
			specs: []PartitionSpec{{Number: 2, StartMiB: ptr(20), SizeMiB: ptr(0)}},
			want:  []step{{Create, 2}},
			wantParts: []Partition{part(1, 1, 10, "a"),
				{Number: 2, Start: mib(20), End: lastUse, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:    "size 0 from a start outside the largest block",
			table:   disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")),
			specs:   []PartitionSpec{{Number: 3, StartMiB: ptr(20), SizeMiB: ptr(0)}},
			wantErr: ErrNotInLargest,
		},
		{
			name:  "start 0 is aligned to 1 MiB",
			table: disk(Partition{Number: 1, Start: 34, End: mib(1) + 99, Type: LinuxFilesystem, GUID: uuid.UUID{0: 1}}),
			specs: []PartitionSpec{{Number: 2, SizeMiB: ptr(1)}},
			want:  []step{{Create, 2}},
			wantParts: []Partition{{Number: 1, Start: 34, End: mib(1) + 99, Type: LinuxFilesystem, GUID: uuid.UUID{0: 1}},
				{Number: 2, Start: mib(2), End: mib(3) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:    "explicit overlap",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 2, StartMiB: ptr(5), SizeMiB: ptr(10)}},
			wantErr: ErrOverlap,
		},
		{
			name:    "two requests overlap",
			table:   disk(),
			specs:   []PartitionSpec{{Number: 1, StartMiB: ptr(1), SizeMiB: ptr(10)}, {Number: 2, StartMiB: ptr(10), SizeMiB: ptr(10)}},
			wantErr: ErrOverlap,
		},
		{
			name:    "past the end of the disk",
			table:   disk(),
			specs:   []PartitionSpec{{Number: 1, StartMiB: ptr(95), SizeMiB: ptr(10)}},
			wantErr: ErrOutsideUsable,
		},
		{
			name:    "disk full",
			table:   disk(Partition{Number: 1, Start: 34, End: lastUse, Type: LinuxFilesystem, GUID: uuid.UUID{0: 1}}),
			specs:   []PartitionSpec{{Number: 2}},
			wantErr: ErrNoSpace,
		},
		{
			name:  "unspecified start and size keep the existing ones",
			table: disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")),
			specs: []PartitionSpec{{Number: 2, Label: ptr("b")}, {Number: 3, SizeMiB: ptr(1)}},
			want:  []step{{Keep, 2}, {Create, 3}},
			wantParts: []Partition{part(1, 1, 10, "a"), part(2, 40, 10, "b"),
				{Number: 3, Start: mib(50), End: mib(51) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:  "unspecified start and size with wipe move to the largest block",
			table: disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")),
			specs: []PartitionSpec{{Number: 1, Label: ptr("c"), WipePartitionEntry: ptr(true)}},
			want:  []step{{Recreate, 1}},
			wantParts: []Partition{{Number: 1, Start: mib(50), End: lastUse, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}, Name: "c"},
				part(2, 40, 10, "b")},
		},
		{
			name:    "size 0 of an existing partition is the rest of the block, and a mismatch",
			table:   disk(part(1, 1, 10, "a")),
			specs:   []PartitionSpec{{Number: 1, SizeMiB: ptr(0)}},
			wantErr: ErrSizeMismatch,
		},

		// Number 0.
		{
			name:      "number 0 finds its partition by label",
			table:     disk(part(1, 1, 10, "boot"), part(2, 11, 10, "data")),
			specs:     []PartitionSpec{{Number: 0, Label: ptr("data"), SizeMiB: ptr(10)}},
			want:      []step{{Keep, 2}},
			wantParts: []Partition{part(1, 1, 10, "boot"), part(2, 11, 10, "data")},
		},
		{
			name:    "number 0 by label still has to match",
			table:   disk(part(1, 1, 10, "boot"), part(2, 11, 10, "data")),
			specs:   []PartitionSpec{{Number: 0, Label: ptr("data"), SizeMiB: ptr(20)}},
			wantErr: ErrSizeMismatch,
		},
		{
			name:      "number 0 by label resizes",
			table:     disk(part(1, 1, 10, "boot"), part(2, 11, 10, "data")),
			specs:     []PartitionSpec{{Number: 0, Label: ptr("data"), SizeMiB: ptr(20), Resize: ptr(true)}},
			want:      []step{{Resize, 2}},
			wantParts: []Partition{part(1, 1, 10, "boot"), part(2, 11, 20, "data")},
		},
		{
			name:  "number 0 with a new label takes the lowest free number",
			table: disk(part(1, 1, 10, "boot"), part(3, 11, 10, "data")),
			specs: []PartitionSpec{{Number: 0, Label: ptr("new"), SizeMiB: ptr(5)}, {Number: 4, SizeMiB: ptr(5)}},
			want:  []step{{Create, 4}, {Create, 2}},
			wantParts: []Partition{part(1, 1, 10, "boot"),
				{Number: 2, Start: mib(26), End: mib(31) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 2}, Name: "new"},
				part(3, 11, 10, "data"),
				{Number: 4, Start: mib(21), End: mib(26) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name:    "number 0 with a label that several partitions have",
			table:   disk(part(1, 1, 10, "data"), part(2, 11, 10, "data")),
			specs:   []PartitionSpec{{Number: 0, Label: ptr("data")}},
			wantErr: ErrLabelAmbiguous,
		},
		{
			name:  "number 0 takes the number of a deleted partition",
			table: disk(part(1, 1, 10, "root"), part(2, 11, 10, "b")),
			specs: []PartitionSpec{
				{Number: 0, Label: ptr("root"), SizeMiB: ptr(10)},
				{Number: 1, ShouldExist: ptr(false), WipePartitionEntry: ptr(true)},
			},
			want: []step{{Delete, 1}, {Create, 1}},
			wantParts: []Partition{{Number: 1, Start: mib(21), End: mib(31) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}, Name: "root"},
				part(2, 11, 10, "b")},
		},
		{
			name:    "number 0 does not duplicate the label of a partition a numbered request keeps",
			table:   disk(part(1, 1, 10, "root")),
			specs:   []PartitionSpec{{Number: 1}, {Number: 0, Label: ptr("root")}},
			wantErr: ErrDuplicateLabel,
		},
		{
			name:    "a numbered partition does not duplicate an existing label",
			table:   disk(part(1, 1, 10, "root")),
			specs:   []PartitionSpec{{Number: 2, Label: ptr("root")}},
			wantErr: ErrDuplicateLabel,
		},
		{
			name:  "number 0 with an empty label never matches unnamed partitions",
			table: disk(part(1, 1, 10, "")),
			specs: []PartitionSpec{{Number: 0, Label: ptr(""), SizeMiB: ptr(1)}},
			want:  []step{{Create, 2}},
			wantParts: []Partition{part(1, 1, 10, ""),
				{Number: 2, Start: mib(11), End: mib(12) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}}},
		},
		{
			name: "number 0 with no entry left",
			table: &Table{SectorSize: 512, Sectors: sectors, DiskGUID: uuid.UUID{0: 0xdd}, EntryCount: 4,
				Partitions: []Partition{part(1, 1, 1, "a"), part(2, 2, 1, "b"), part(3, 3, 1, "c"), part(4, 4, 1, "d")}},
			specs:   []PartitionSpec{{Number: 0, Label: ptr("e")}},
			wantErr: ErrNoFreeNumber,
		},

		// wipeTable.
		{
			name:      "wipeTable starts from an empty table",
			table:     disk(part(1, 1, 10, "a"), part(2, 11, 10, "data")),
			wipeTable: true,
			specs:     []PartitionSpec{{Number: 0, Label: ptr("data"), SizeMiB: ptr(5)}, {Number: 2, ShouldExist: ptr(false)}},
			want:      []step{{Absent, 2}, {Create, 1}},
			wantParts: []Partition{{Number: 1, Start: mib(1), End: mib(6) - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 2}, Name: "data"}},
		},

		// Requests the config validation would reject.
		{name: "number 0 without a label", table: disk(), specs: []PartitionSpec{{}}, wantErr: ErrInvalidSpec},
		{name: "number 0 to delete", table: disk(), specs: []PartitionSpec{{Label: ptr("a"), ShouldExist: ptr(false)}}, wantErr: ErrInvalidSpec},
		{name: "numbers collide", table: disk(), specs: []PartitionSpec{{Number: 1}, {Number: 1}}, wantErr: ErrInvalidSpec},
		{name: "number too large", table: disk(), specs: []PartitionSpec{{Number: 129}}, wantErr: ErrInvalidSpec},
		{name: "negative size", table: disk(), specs: []PartitionSpec{{Number: 1, SizeMiB: ptr(-1)}}, wantErr: ErrInvalidSpec},
		{name: "bad GUID", table: disk(), specs: []PartitionSpec{{Number: 1, GUID: ptr("nope")}}, wantErr: ErrInvalidSpec},
		{name: "label too long", table: disk(), specs: []PartitionSpec{{Number: 1, Label: ptr("0123456789012345678901234567890123456")}}, wantErr: ErrInvalidSpec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.table.Clone()
			plan, err := PlanTable(tt.table, Request{WipeTable: tt.wipeTable, Partitions: tt.specs, NewGUID: newGUIDs()})
			if diff := cmp.Diff(before, tt.table, cmp.AllowUnexported(Table{})); diff != "" {
				t.Errorf("PlanTable changed its input (-before +after):\n%s", diff)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("PlanTable() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("PlanTable() error = %v", err)
			}
			var got []step
			for _, a := range plan.Actions {
				got = append(got, step{a.Kind, a.Number})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PlanTable() actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantParts, plan.Table.Partitions); diff != "" {
				t.Errorf("PlanTable() partitions (-want +got):\n%s", diff)
			}
			if err := plan.Table.check(); err != nil {
				t.Errorf("PlanTable() table does not check: %v", err)
			}
		})
	}
}

func TestPlanTableMessages(t *testing.T) {
	tests := []struct {
		name  string
		specs []PartitionSpec
		want  string
	}{
		{"size", []PartitionSpec{{Number: 1, SizeMiB: ptr(20)}}, "partition 1 didn't match: size did not match (specified 40960, got 20480)"},
		{"start", []PartitionSpec{{Number: 1, StartMiB: ptr(2)}}, "partition 1 didn't match: starting sector did not match (specified 4096, got 2048)"},
		{"GUID", []PartitionSpec{{Number: 1, GUID: ptr(someGUID)}},
			`partition 1 didn't match: GUID did not match (specified "` + someGUID + `", got "01000000-0000-0000-0000-000000000000")`},
		{"type GUID", []PartitionSpec{{Number: 1, TypeGUID: ptr(espType)}},
			`partition 1 didn't match: type GUID did not match (specified "` + espType + `", got "0FC63DAF-8483-4772-8E79-3D69D8477DE4")`},
		{"label", []PartitionSpec{{Number: 1, Label: ptr("b")}}, `partition 1 didn't match: label did not match (specified "b", got "a")`},
		{"not wiped", []PartitionSpec{{Number: 1, ShouldExist: ptr(false)}},
			"partition 1 exists but is specified as nonexistant and wipePartitionEntry is false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PlanTable(disk(part(1, 1, 10, "a")), Request{Partitions: tt.specs})
			if err == nil || err.Error() != tt.want {
				t.Errorf("PlanTable() error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestPlanTableSpecIndex(t *testing.T) {
	specs := []PartitionSpec{{Number: 2, Label: ptr("b")}, {Number: 1, SizeMiB: ptr(20)}}
	_, err := PlanTable(disk(part(1, 1, 10, "a"), part(2, 11, 10, "b")), Request{Partitions: specs})
	var se *SpecError
	if !errors.As(err, &se) || se.Index != 1 {
		t.Errorf("PlanTable() error = %#v, want a *SpecError with Index 1", err)
	}
}

func TestActionString(t *testing.T) {
	plan, err := PlanTable(disk(part(1, 1, 10, "a"), part(2, 11, 10, "data")), Request{Partitions: []PartitionSpec{
		{Number: 1}, {Number: 3, ShouldExist: ptr(false)}, {Number: 0, Label: ptr("data")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range plan.Actions {
		got = append(got, a.String())
	}
	want := []string{
		"partition 1 found with correct specifications",
		"partition 3 specified as nonexistant and no partition was found. Success.",
		`partition 2 found with correct specifications (found by label "data")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Action.String() (-want +got):\n%s", diff)
	}
	if plan.Changed() {
		t.Errorf("Plan.Changed() = true, want false")
	}
}

func TestPlanTable4K(t *testing.T) {
	tab := &Table{SectorSize: 4096, Sectors: 64 * 256, DiskGUID: uuid.UUID{0: 1}}
	plan, err := PlanTable(tab, Request{Partitions: []PartitionSpec{{Number: 1, SizeMiB: ptr(8)}, {Number: 2}}, NewGUID: newGUIDs()})
	if err != nil {
		t.Fatal(err)
	}
	want := []Partition{
		{Number: 1, Start: 256, End: 9*256 - 1, Type: LinuxFilesystem, GUID: uuid.UUID{15: 1}},
		{Number: 2, Start: 9 * 256, End: 64*256 - 6, Type: LinuxFilesystem, GUID: uuid.UUID{15: 2}},
	}
	if diff := cmp.Diff(want, plan.Table.Partitions); diff != "" {
		t.Errorf("PlanTable() partitions (-want +got):\n%s", diff)
	}
}

func TestGrow(t *testing.T) {
	tests := []struct {
		name    string
		table   *Table
		number  int
		wantEnd uint64
		want    bool
		wantErr error
	}{
		{"last partition to the end", disk(part(1, 1, 10, "a"), part(2, 11, 10, "root")), 2, lastUse, true, nil},
		{"up to the next partition", disk(part(1, 1, 10, "a"), part(2, 40, 10, "b")), 1, mib(40) - 1, true, nil},
		{"nothing free after", disk(part(1, 1, 10, "a"), part(2, 11, 10, "b")), 1, mib(11) - 1, false, nil},
		{"no such partition", disk(part(1, 1, 10, "a")), 3, 0, false, ErrNoPartition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.table.Grow(tt.number)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Grow(%d) = %v, %v, want %v, %v", tt.number, got, err, tt.want, tt.wantErr)
			}
			if p, ok := tt.table.Partition(tt.number); ok && p.End != tt.wantEnd {
				t.Errorf("Grow(%d): end = %d, want %d", tt.number, p.End, tt.wantEnd)
			}
		})
	}
}
