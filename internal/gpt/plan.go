package gpt

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/google/uuid"
)

// PartitionSpec is one requested partition. It mirrors config.Partition, field for field, so that
// this package does not depend on the config model.
type PartitionSpec struct {
	// Number is the partition number; 0 means: the existing partition with Label, or else the
	// lowest free number.
	Number int
	// Label is the partition name.
	Label *string
	// StartMiB and SizeMiB place the partition; 0 means the start of the largest free block and
	// the rest of that block.
	StartMiB, SizeMiB *int
	// TypeGUID and GUID are GUIDs in text form; "" counts as unset.
	TypeGUID, GUID *string
	// WipePartitionEntry allows deleting or recreating an existing partition that does not match.
	WipePartitionEntry *bool
	// ShouldExist false asks for the partition to be absent. Unset means true.
	ShouldExist *bool
	// Resize allows changing the size of an existing partition that matches in everything else.
	Resize *bool
}

// Request is what a config asks of one disk's partition table.
type Request struct {
	// WipeTable starts from an empty table instead of the existing one.
	WipeTable bool
	// Partitions are the requested partitions, in config order.
	Partitions []PartitionSpec
	// NewGUID makes the GUIDs of new partitions and of a wiped table; nil means uuid.New.
	// Tests pass a deterministic one.
	NewGUID func() uuid.UUID
}

// ActionKind says what happens to one requested partition.
type ActionKind int

// The outcomes of the decision matrix.
const (
	// Absent: asked not to exist, and not there. Nothing to do.
	Absent ActionKind = iota
	// Keep: exists and matches. Nothing to do.
	Keep
	// Create: a new partition.
	Create
	// Delete: an existing partition asked not to exist, with wipePartitionEntry.
	Delete
	// Resize: an existing partition given a new size, keeping its start, GUIDs and name.
	Resize
	// Recreate: an existing partition that did not match, replaced (wipePartitionEntry).
	Recreate
)

var actionNames = [...]string{Absent: "absent", Keep: "keep", Create: "create", Delete: "delete", Resize: "resize", Recreate: "recreate"}

// String returns the lower-case name of the kind.
func (k ActionKind) String() string {
	if int(k) < len(actionNames) {
		return actionNames[k]
	}
	return fmt.Sprintf("ActionKind(%d)", int(k))
}

// Action is the decision for one requested partition.
type Action struct {
	Kind ActionKind
	// Number is the partition number, after resolving number 0.
	Number int
	// Spec is the index of the partition in Request.Partitions.
	Spec int
	// ByLabel is set when a number-0 request found its partition by label.
	ByLabel bool
	// Old is the existing partition (nil for Absent and Create), New the resulting one (nil for
	// Absent and Delete).
	Old, New *Partition
}

// String returns the log line for the action; the matrix's lines are the reference's.
func (a Action) String() string {
	var s string
	switch a.Kind {
	case Absent:
		s = fmt.Sprintf("partition %d specified as nonexistant and no partition was found. Success.", a.Number)
	case Keep:
		s = fmt.Sprintf("partition %d found with correct specifications", a.Number)
	case Create:
		s = fmt.Sprintf("creating partition %d (sectors %d-%d)", a.Number, a.New.Start, a.New.End)
	case Delete:
		s = fmt.Sprintf("deleting partition %d", a.Number)
	case Resize:
		s = fmt.Sprintf("resizing partition %d", a.Number)
	case Recreate:
		s = fmt.Sprintf("partition %d did not meet specifications, wiping partition entry and recreating", a.Number)
	default:
		s = a.Kind.String()
	}
	if a.ByLabel {
		s += fmt.Sprintf(" (found by label %q)", a.Old.Name)
	}
	return s
}

// Plan is the outcome of PlanTable: what to do, and the table that results.
type Plan struct {
	// WipeTable is the request's: the old table goes first.
	WipeTable bool
	// Actions holds one action per requested partition, numbered ones first, then number 0 ones,
	// each group in config order.
	Actions []Action
	// Table is the resulting table, to be written with Write.
	Table *Table
}

// Changed reports whether applying the plan writes anything.
func (p *Plan) Changed() bool {
	return p.WipeTable || slices.ContainsFunc(p.Actions, func(a Action) bool { return a.Kind != Absent && a.Kind != Keep })
}

// item is a requested partition while it is being planned.
type item struct {
	index       int
	number      int
	byLabel     bool
	fresh       bool // number 0 given a free number: a new partition, whatever had that number before
	shouldExist bool
	wipe        bool
	resize      bool
	label       *string
	typ, guid   *uuid.UUID
	typText     string
	guidText    string
	start, size *uint64 // sectors; nil when unspecified

	exists     bool
	old        Partition
	resolvedAt extent // where the partition goes, when it should exist
}

type extent struct{ start, end uint64 }

func (e extent) size() uint64 { return e.end - e.start + 1 }

// PlanTable decides what the requested partitions do to the table current, which describes the
// disk (use New for a disk without a table). It follows the reference's semantics: unspecified or
// 0 starts and sizes are resolved by a dry run in which every requested partition that exists is
// deleted and recreated in order; matching is by number, comparing the specified attributes; the
// decision matrix then keeps, creates, deletes, resizes or recreates. Unlike the reference, a
// request with number 0 and a label takes the existing partition with that label (one that no
// numbered request names), so that applying a config twice does not create a second partition
// with the same label; and no created partition may share its label with another partition.
// PlanTable does not change current.
func PlanTable(current *Table, req Request) (*Plan, error) {
	if current == nil {
		return nil, fmt.Errorf("%w: planning needs the disk's geometry (New makes an empty table)", ErrNoTable)
	}
	newGUID := req.NewGUID
	if newGUID == nil {
		newGUID = uuid.New
	}
	base := current.Clone()
	if req.WipeTable {
		base = &Table{SectorSize: current.SectorSize, Sectors: current.Sectors, DiskGUID: newGUID()}
	}
	if err := base.checkGeometry(); err != nil {
		return nil, err
	}
	existing := make(map[int]Partition, len(base.Partitions))
	for _, p := range base.Partitions {
		existing[p.Number] = p
	}
	items, err := parseSpecs(base, req.Partitions)
	if err != nil {
		return nil, err
	}
	if err := assignNumbers(items, existing, int(base.entryCount())); err != nil {
		return nil, err
	}
	for _, it := range items {
		it.old, it.exists = existing[it.number]
		it.exists = it.exists && !it.fresh
	}
	if err := dryRun(base, items, existing); err != nil {
		return nil, err
	}

	plan := &Plan{WipeTable: req.WipeTable}
	result := maps.Clone(existing)
	created := make(map[int]int) // number → spec index, for the label check
	for _, it := range items {
		a, err := decide(it, newGUID)
		if err != nil {
			return nil, &SpecError{Index: it.index, Err: err}
		}
		switch a.Kind {
		case Delete:
			delete(result, a.Number)
		case Create, Recreate:
			created[a.Number] = it.index
			fallthrough
		case Resize:
			result[a.Number] = *a.New
		}
		plan.Actions = append(plan.Actions, a)
	}

	t := base.Clone()
	t.Partitions = slices.SortedFunc(maps.Values(result), func(a, b Partition) int { return cmp.Compare(a.Number, b.Number) })
	if err := t.check(); err != nil {
		return nil, err
	}
	if err := checkLabels(t, created); err != nil {
		return nil, err
	}
	plan.Table = t
	return plan, nil
}

// parseSpecs checks the requests and converts them to sectors, ordered numbered first.
func parseSpecs(t *Table, specs []PartitionSpec) ([]*item, error) {
	perMiB := uint64(MiB / t.SectorSize)
	maxMiB := t.Sectors / perMiB
	numbers := make(map[int]bool, len(specs))
	items := make([]*item, 0, len(specs))
	for i, s := range specs {
		invalid := func(format string, args ...any) error {
			return &SpecError{Index: i, Err: fmt.Errorf("partition %d: %w: %s", s.Number, ErrInvalidSpec, fmt.Sprintf(format, args...))}
		}
		it := &item{
			index:       i,
			number:      s.Number,
			shouldExist: s.ShouldExist == nil || *s.ShouldExist,
			wipe:        s.WipePartitionEntry != nil && *s.WipePartitionEntry,
			resize:      s.Resize != nil && *s.Resize,
			label:       s.Label,
		}
		switch {
		case s.Number < 0 || s.Number > int(t.entryCount()):
			return nil, invalid("number out of range 1-%d", t.entryCount())
		case s.Number == 0 && s.Label == nil:
			return nil, invalid("a partition number >= 1 or a label must be specified")
		case s.Number == 0 && !it.shouldExist:
			return nil, invalid("a partition to delete needs its number")
		case s.Number != 0 && numbers[s.Number]:
			return nil, invalid("partition numbers collide")
		case s.Label != nil && nameUnits(*s.Label) > MaxNameLen:
			return nil, invalid("%v", ErrNameTooLong)
		}
		numbers[s.Number] = s.Number != 0
		for _, m := range []struct {
			in  *int
			out **uint64
		}{{s.StartMiB, &it.start}, {s.SizeMiB, &it.size}} {
			if m.in == nil {
				continue
			}
			if *m.in < 0 || uint64(*m.in) > maxMiB {
				return nil, invalid("%d MiB outside a disk of %d MiB", *m.in, maxMiB)
			}
			v := uint64(*m.in) * perMiB
			*m.out = &v
		}
		for _, g := range []struct {
			in   *string
			out  **uuid.UUID
			text *string
		}{{s.TypeGUID, &it.typ, &it.typText}, {s.GUID, &it.guid, &it.guidText}} {
			if g.in == nil || *g.in == "" {
				continue
			}
			u, err := uuid.Parse(*g.in)
			if err != nil {
				return nil, invalid("GUID %q: %v", *g.in, err)
			}
			*g.out, *g.text = &u, *g.in
		}
		items = append(items, it)
	}
	// Number 0 goes after the numbered partitions, whose numbers it must not take.
	zeroLast := func(it *item) int {
		if it.number == 0 {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(items, func(a, b *item) int { return cmp.Compare(zeroLast(a), zeroLast(b)) })
	return items, nil
}

// nameUnits is the length of s in UTF-16 code units, as it will be stored.
func nameUnits(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// assignNumbers gives every number-0 request a number: that of the one existing partition with its
// label that no numbered request names, or else the lowest number that neither a remaining
// existing partition nor another request that should exist uses.
func assignNumbers(items []*item, existing map[int]Partition, entries int) error {
	named := make(map[int]bool)
	deleted := make(map[int]bool)
	for _, it := range items {
		if it.number != 0 {
			named[it.number] = true
			if !it.shouldExist {
				deleted[it.number] = true
			}
		}
	}
	byLabel := make(map[string][]int)
	for n, p := range existing {
		if p.Name != "" && !named[n] {
			byLabel[p.Name] = append(byLabel[p.Name], n)
		}
	}
	for _, it := range items {
		if it.number != 0 || *it.label == "" {
			continue
		}
		switch found := byLabel[*it.label]; len(found) {
		case 0:
		case 1:
			it.number, it.byLabel = found[0], true
			delete(byLabel, *it.label)
		default:
			slices.Sort(found)
			return &SpecError{Index: it.index, Err: fmt.Errorf("partition %q: %w: partitions %v", *it.label, ErrLabelAmbiguous, found)}
		}
	}
	used := make(map[int]bool, len(existing)+len(items))
	for n := range existing {
		used[n] = !deleted[n]
	}
	for _, it := range items {
		if it.number != 0 && it.shouldExist {
			used[it.number] = true
		}
	}
	next := 1
	for _, it := range items {
		if it.number != 0 {
			continue
		}
		for used[next] {
			next++
		}
		if next > entries {
			return &SpecError{Index: it.index, Err: fmt.Errorf("partition %q: %w (%d entries)", *it.label, ErrNoFreeNumber, entries)}
		}
		it.number, it.fresh = next, true
		used[next] = true
	}
	return nil
}

// dryRun resolves where each partition that should exist goes, as the reference's sgdisk dry run
// does: in order, each request's existing partition is deleted (an unspecified start or size then
// keeps the existing one unless wipePartitionEntry is set) and the partition created again.
func dryRun(t *Table, items []*item, existing map[int]Partition) error {
	occupied := make(map[int]extent, len(existing)+len(items))
	for n, p := range existing {
		occupied[n] = extent{p.Start, p.End}
	}
	for _, it := range items {
		if it.exists {
			delete(occupied, it.number)
			if !it.wipe {
				if it.start == nil {
					it.start = &it.old.Start
				}
				if it.size == nil {
					s := it.old.Size()
					it.size = &s
				}
			}
		}
		if !it.shouldExist {
			continue
		}
		e, err := place(t, occupied, it)
		if err != nil {
			return &SpecError{Index: it.index, Err: fmt.Errorf("partition %d: %w", it.number, err)}
		}
		it.resolvedAt = e
		occupied[it.number] = e
	}
	return nil
}

// place puts a partition: a 0 (or unspecified) start is the aligned start of the largest free
// block, a 0 size reaches the end of that block.
func place(t *Table, occupied map[int]extent, it *item) (extent, error) {
	largest, ok := largestFree(t, occupied)
	var e extent
	if it.start == nil || *it.start == 0 {
		a := t.Alignment()
		if !ok || (largest.start+a-1)/a*a > largest.end {
			return e, ErrNoSpace
		}
		e.start = (largest.start + a - 1) / a * a
	} else {
		e.start = *it.start
	}
	if it.size == nil || *it.size == 0 {
		if !ok || e.start < largest.start || e.start > largest.end {
			return e, ErrNotInLargest
		}
		e.end = largest.end
	} else {
		e.end = e.start + *it.size - 1
	}
	if e.start < t.FirstUsable() || e.end > t.LastUsable() {
		return e, fmt.Errorf("%w: sectors %d-%d, usable %d-%d", ErrOutsideUsable, e.start, e.end, t.FirstUsable(), t.LastUsable())
	}
	for n, o := range occupied {
		if e.start <= o.end && o.start <= e.end {
			return e, fmt.Errorf("%w: sectors %d-%d and partition %d (sectors %d-%d)", ErrOverlap, e.start, e.end, n, o.start, o.end)
		}
	}
	return e, nil
}

// largestFree returns the first of the largest runs of usable sectors that no partition holds.
func largestFree(t *Table, occupied map[int]extent) (extent, bool) {
	taken := slices.SortedFunc(maps.Values(occupied), func(a, b extent) int { return cmp.Compare(a.start, b.start) })
	var best extent
	found := false
	consider := func(start, end uint64) {
		if start <= end && (!found || end-start+1 > best.size()) {
			best, found = extent{start, end}, true
		}
	}
	next := t.FirstUsable()
	for _, o := range taken {
		if o.start > next {
			consider(next, o.start-1)
		}
		next = max(next, o.end+1)
	}
	consider(next, t.LastUsable())
	return best, found
}

// decide applies the decision matrix to one request.
func decide(it *item, newGUID func() uuid.UUID) (Action, error) {
	a := Action{Number: it.number, Spec: it.index, ByLabel: it.byLabel}
	if it.exists {
		old := it.old
		a.Old = &old
	}
	switch {
	case !it.exists && !it.shouldExist:
		a.Kind = Absent
	case !it.exists:
		a.Kind, a.New = Create, it.newPartition(newGUID)
	case !it.shouldExist && !it.wipe:
		return a, fmt.Errorf("partition %d %w", it.number, ErrExistsNotWiped)
	case !it.shouldExist:
		a.Kind = Delete
	default:
		mismatch := it.mismatch()
		switch {
		case mismatch == nil:
			a.Kind, a.New = Keep, a.Old
		case it.wipe:
			a.Kind, a.New = Recreate, it.newPartition(newGUID)
		case it.resize && it.mismatchExceptSize() == nil:
			p := it.old
			p.End = p.Start + it.resolvedAt.size() - 1
			a.Kind, a.New = Resize, &p
		default:
			return a, fmt.Errorf("partition %d %w: %w", it.number, ErrNoMatch, mismatch)
		}
	}
	return a, nil
}

// newPartition is the partition a Create or Recreate makes: unset type GUIDs are Linux filesystem
// data and unset GUIDs are new, as sgdisk makes them.
func (it *item) newPartition(newGUID func() uuid.UUID) *Partition {
	p := &Partition{Number: it.number, Start: it.resolvedAt.start, End: it.resolvedAt.end, Type: LinuxFilesystem}
	if it.typ != nil {
		p.Type = *it.typ
	}
	if it.guid != nil {
		p.GUID = *it.guid
	} else {
		p.GUID = newGUID()
	}
	if it.label != nil {
		p.Name = *it.label
	}
	return p
}

// mismatch returns why the existing partition does not match the request, comparing the
// specified attributes only; starts and sizes compare as resolved by the dry run.
func (it *item) mismatch() error {
	if err := it.mismatchExceptSize(); err != nil {
		return err
	}
	if got := it.old.Size(); it.size != nil && it.resolvedAt.size() != got {
		return fmt.Errorf("%w (specified %d, got %d)", ErrSizeMismatch, it.resolvedAt.size(), got)
	}
	return nil
}

// mismatchExceptSize is mismatch without the size, which a resize may change.
func (it *item) mismatchExceptSize() error {
	o := it.old
	switch {
	case it.start != nil && it.resolvedAt.start != o.Start:
		return fmt.Errorf("%w (specified %d, got %d)", ErrStartMismatch, it.resolvedAt.start, o.Start)
	case it.guid != nil && *it.guid != o.GUID:
		return fmt.Errorf("%w (specified \"%s\", got \"%s\")", ErrGUIDMismatch, it.guidText, strings.ToUpper(o.GUID.String()))
	case it.typ != nil && *it.typ != o.Type:
		return fmt.Errorf("%w (specified \"%s\", got \"%s\")", ErrTypeGUIDMismatch, it.typText, strings.ToUpper(o.Type.String()))
	case it.label != nil && *it.label != o.Name:
		return fmt.Errorf("%w (specified %q, got %q)", ErrLabelMismatch, *it.label, o.Name)
	}
	return nil
}

// checkLabels fails when a partition the plan creates has the label of another partition of the
// resulting table. Labels that were already shared before are not the plan's doing.
func checkLabels(t *Table, created map[int]int) error {
	count := make(map[string][]int, len(t.Partitions))
	for _, p := range t.Partitions {
		if p.Name != "" {
			count[p.Name] = append(count[p.Name], p.Number)
		}
	}
	for _, p := range t.Partitions {
		index, ok := created[p.Number]
		if !ok || len(count[p.Name]) < 2 {
			continue
		}
		return &SpecError{Index: index, Err: fmt.Errorf("partition %d: %w: %q is the label of partitions %v",
			p.Number, ErrDuplicateLabel, p.Name, count[p.Name])}
	}
	return nil
}

// Grow extends partition number over the free sectors directly after it, up to the next partition
// or the end of the usable area. On a table read from an enlarged disk image the usable area
// already reaches the new end (Write moves the backup header there). Grow reports whether the
// partition changed.
func (t *Table) Grow(number int) (bool, error) {
	i := slices.IndexFunc(t.Partitions, func(p Partition) bool { return p.Number == number })
	if i < 0 {
		return false, fmt.Errorf("%w: %d", ErrNoPartition, number)
	}
	p := &t.Partitions[i]
	limit := t.LastUsable()
	for _, o := range t.Partitions {
		if o.Start > p.End && o.Start-1 < limit {
			limit = o.Start - 1
		}
	}
	if limit <= p.End {
		return false, nil
	}
	p.End = limit
	return true, nil
}
