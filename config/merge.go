package config

import (
	"reflect"
	"slices"
	"sync"
)

// Merging follows the reference (ignition-spec.md §5.1–§5.3), field by field:
//
//   - structs merge recursively;
//   - non-pointer scalars take the child's value unconditionally, even a zero one. In this model
//     they are the list keys (equal on both sides whenever two entries are merged) and
//     ignition.version, so the rule only decides the version: the child's, as in the reference,
//     where every merged config has been parsed and so carries one;
//   - pointers take the child's value only when the child sets it, which is also how a merged
//     Resource inherits the parent's compression (§5.3);
//   - merge:"append" lists are the parent's entries followed by the child's;
//   - other lists merge entries with equal keys and append the child's unmatched entries;
//     lists that share one key space (a path is a file, a directory or a link; a kernel
//     argument should or should not exist) drop the parent's entry when the child has the key
//     in another list of the group;
//   - a child HTTP header without a value deletes the parent's header of that name.
//
// Where inputs are invalid (duplicate keys), the reference's choices are kept: every parent
// duplicate merges with the child's entry; of several child entries with one key, the last
// is merged and the others are dropped when the parent has that key, kept otherwise.

// Sides of a merge, for Mapping.From.
const (
	FromParent = 0
	FromChild  = 1
)

// Mapping says where one value of a merged config came from.
type Mapping struct {
	// Out is the value's path in the merged config.
	Out Path
	// From is FromParent or FromChild.
	From int
	// In is the value's path in that input.
	In Path
}

// Transcript lists where the values of a merged config came from, so that a diagnostic about
// the result can point at the input that holds the value (the YAML translator maps it further
// to a YAML position). It is compact: one Mapping per list entry of the result and one per set
// leaf (non-nil pointer, non-zero scalar) of the structs merged from both inputs. A list entry
// taken whole from one input stands for everything inside it: its leaves are found through
// the entry, with the rest of the path unchanged (see Lookup). An entry merged from both inputs
// maps to the child's entry, whose key it has; its leaves have mappings of their own. Out and
// In may share memory: treat them as read-only.
type Transcript []Mapping

// TranscriptIndex finds the mappings of a transcript by output path.
type TranscriptIndex struct {
	t     Transcript
	byOut map[string]int
}

// Index indexes t by output path, so that many lookups stay linear in all.
func (t Transcript) Index() TranscriptIndex {
	byOut := make(map[string]int, len(t))
	for i, m := range t {
		byOut[m.Out.String()] = i
	}
	return TranscriptIndex{t: t, byOut: byOut}
}

// Lookup returns which input the value at path out of the merged config came from, and its
// path there: by the mapping of out itself or else of its nearest mapped ancestor, with the
// rest of out appended. ok is false when nothing on the way is mapped, as for a struct that
// was merged from both inputs.
func (x TranscriptIndex) Lookup(out Path) (from int, in Path, ok bool) {
	for k := len(out); k >= 0; k-- {
		i, found := x.byOut[out[:k].String()]
		if !found {
			continue
		}
		m := x.t[i]
		return m.From, m.In.Append(out[k:]...), true
	}
	return 0, nil, false
}

// Merge merges child into parent as the reference does (§5.1–§5.3) and returns the result,
// which shares no memory with the inputs, and its transcript. A nil input counts as empty.
// The result may be invalid even when both inputs are valid; validate it again.
func Merge(parent, child *Config) (*Config, Transcript) {
	if parent == nil {
		parent = &Config{}
	}
	if child == nil {
		child = &Config{}
	}
	m := &merger{}
	out := new(Config)
	m.mergeStruct(reflect.ValueOf(out).Elem(), reflect.ValueOf(parent).Elem(), reflect.ValueOf(child).Elem())
	return out, m.transcript()
}

// mergeKind says how a field merges.
type mergeKind int

const (
	mergeScalar mergeKind = iota
	mergePointer
	mergeStruct
	mergeAppend
	mergeKeyed
)

// mergeField is a field of a struct as the merge sees it.
type mergeField struct {
	index []int
	name  any // the JSON key, boxed once so that paths cost no allocation
	kind  mergeKind
	group []int // keyed lists: the positions of the fields sharing this one's key space, itself included
}

var mergePlans sync.Map // reflect.Type → []mergeField

// mergePlanOf returns the cached merge view of struct type t.
func mergePlanOf(t reflect.Type) []mergeField {
	if p, ok := mergePlans.Load(t); ok {
		return p.([]mergeField)
	}
	fields := infoOf(t).fields
	plan := make([]mergeField, len(fields))
	pos := map[string]int{}
	for i, f := range fields {
		pos[f.name] = i
		mf := mergeField{index: f.index, name: f.name}
		switch ft := t.FieldByIndex(f.index).Type; {
		case ft.Kind() == reflect.Pointer:
			mf.kind = mergePointer
		case ft.Kind() == reflect.Struct:
			mf.kind = mergeStruct
		case ft.Kind() == reflect.Slice && f.append:
			mf.kind = mergeAppend
		case ft.Kind() == reflect.Slice:
			requireKey(ft.Elem())
			mf.kind = mergeKeyed
			mf.group = []int{i}
		default:
			mf.kind = mergeScalar
		}
		plan[i] = mf
	}
	if shared := sharedKeyLists[t]; shared != nil {
		// In field order: of a child's entries with one key, the one in the later field wins.
		group := make([]int, len(shared))
		for i, name := range shared {
			group[i] = pos[name]
		}
		slices.Sort(group)
		for _, i := range group {
			plan[i].group = group
		}
	}
	actual, _ := mergePlans.LoadOrStore(t, plan)
	return actual.([]mergeField)
}

// childEntry locates a child list entry: which field of its group, and where in it.
type childEntry struct {
	field, index int
}

// merger holds the state of one Merge: the paths of the value being built and of its inputs
// (stacks, pushed and popped as the merge descends), the transcript, and arenas that keep the
// allocation count of large merges low.
type merger struct {
	out    Path
	in     [2]Path
	chunk  []Mapping // the transcript being recorded: full chunks, then the current one
	chunks [][]Mapping

	paths   []any // backing store for transcript paths
	indexes []any // list indexes, boxed once
	strs    []string
	ints    []int
	bools   []bool
}

func (m *merger) push(out any, from int, in any) {
	m.out = append(m.out, out)
	m.in[from] = append(m.in[from], in)
}

func (m *merger) pop(from int) {
	m.out = m.out[:len(m.out)-1]
	m.in[from] = m.in[from][:len(m.in[from])-1]
}

func (m *merger) pushBoth(out, parent, child any) {
	m.out = append(m.out, out)
	m.in[FromParent] = append(m.in[FromParent], parent)
	m.in[FromChild] = append(m.in[FromChild], child)
}

func (m *merger) popBoth() {
	m.out = m.out[:len(m.out)-1]
	m.in[FromParent] = m.in[FromParent][:len(m.in[FromParent])-1]
	m.in[FromChild] = m.in[FromChild][:len(m.in[FromChild])-1]
}

// index returns i boxed; indexes above 255 would otherwise allocate each time.
func (m *merger) index(i int) any {
	for len(m.indexes) <= i {
		m.indexes = append(m.indexes, len(m.indexes))
	}
	return m.indexes[i]
}

// clone copies p into the path arena; the copy's capacity is its length, so appending to it
// never writes into a neighbour.
func (m *merger) clone(p Path) Path {
	n := len(p)
	if cap(m.paths)-len(m.paths) < n {
		m.paths = make([]any, 0, max(4096, n))
	}
	start := len(m.paths)
	m.paths = append(m.paths, p...)
	return Path(m.paths[start : start+n : start+n])
}

// record notes that the current output value came from the current path of side from. Where
// the two paths are equal, as they are for most of an unchanged parent, they share one copy.
func (m *merger) record(from int) {
	out := m.clone(m.out)
	in := out
	if !slices.Equal(m.out, m.in[from]) {
		in = m.clone(m.in[from])
	}
	if len(m.chunk) == cap(m.chunk) {
		if m.chunk != nil {
			m.chunks = append(m.chunks, m.chunk)
		}
		m.chunk = make([]Mapping, 0, 1024)
	}
	m.chunk = append(m.chunk, Mapping{Out: out, From: from, In: in})
}

// transcript returns the recorded mappings as one slice. They are kept in chunks while the
// merge runs because growing one large slice of pointers costs more than the merge itself.
func (m *merger) transcript() Transcript {
	n := len(m.chunk)
	for _, c := range m.chunks {
		n += len(c)
	}
	if n == 0 {
		return nil
	}
	tr := make(Transcript, 0, n)
	for _, c := range m.chunks {
		tr = append(tr, c...)
	}
	return append(tr, m.chunk...)
}

// clonePointer returns a new pointer to a copy of what p points to. The model's pointers all
// point to scalars; those of its three kinds come from arenas.
func (m *merger) clonePointer(p reflect.Value) reflect.Value {
	const chunk = 256
	switch p := p.Interface().(type) {
	case *string:
		if len(m.strs) == cap(m.strs) {
			m.strs = make([]string, 0, chunk)
		}
		m.strs = append(m.strs, *p)
		return reflect.ValueOf(&m.strs[len(m.strs)-1])
	case *int:
		if len(m.ints) == cap(m.ints) {
			m.ints = make([]int, 0, chunk)
		}
		m.ints = append(m.ints, *p)
		return reflect.ValueOf(&m.ints[len(m.ints)-1])
	case *bool:
		if len(m.bools) == cap(m.bools) {
			m.bools = make([]bool, 0, chunk)
		}
		m.bools = append(m.bools, *p)
		return reflect.ValueOf(&m.bools[len(m.bools)-1])
	}
	n := reflect.New(p.Type().Elem())
	n.Elem().Set(p.Elem())
	return n
}

// copyValue deep-copies s into dst, which is zero.
func (m *merger) copyValue(dst, s reflect.Value) {
	switch s.Kind() {
	case reflect.Pointer:
		if !s.IsNil() {
			dst.Set(m.clonePointer(s))
		}
	case reflect.Struct:
		for _, f := range mergePlanOf(s.Type()) {
			m.copyValue(dst.FieldByIndex(f.index), s.FieldByIndex(f.index))
		}
	case reflect.Slice:
		n := s.Len()
		if n == 0 {
			return
		}
		out := reflect.MakeSlice(s.Type(), n, n)
		if s.Type().Elem().Kind() == reflect.String {
			reflect.Copy(out, s)
		} else {
			for i := 0; i < n; i++ {
				m.copyValue(out.Index(i), s.Index(i))
			}
		}
		dst.Set(out)
	default:
		dst.Set(s)
	}
}

// copyEntry copies list entry s, at index i of side from, to dst at index n of the result.
func (m *merger) copyEntry(dst, s reflect.Value, n, from, i int) {
	m.push(m.index(n), from, m.index(i))
	m.copyValue(dst, s)
	m.record(from)
	m.pop(from)
}

// mergeStruct merges the structs p and c into dst, which is zero.
func (m *merger) mergeStruct(dst, p, c reflect.Value) {
	plan := mergePlanOf(dst.Type())
	var groups map[int]map[string]childEntry // the child's keys per group, by the group's first field
	for i := range plan {
		f := &plan[i]
		d, pf, cf := dst.FieldByIndex(f.index), p.FieldByIndex(f.index), c.FieldByIndex(f.index)
		m.pushBoth(f.name, f.name, f.name)
		switch f.kind {
		case mergeScalar:
			d.Set(cf)
			if !cf.IsZero() {
				m.record(FromChild)
			}
		case mergePointer:
			from, s := FromChild, cf
			if cf.IsNil() {
				from, s = FromParent, pf
			}
			if !s.IsNil() {
				d.Set(m.clonePointer(s))
				m.record(from)
			}
		case mergeStruct:
			m.mergeStruct(d, pf, cf)
		case mergeAppend:
			m.appendList(d, pf, cf)
		case mergeKeyed:
			if pf.Len()+cf.Len() == 0 {
				break
			}
			if groups == nil {
				groups = map[int]map[string]childEntry{}
			}
			keys, ok := groups[f.group[0]]
			if !ok {
				keys = childKeys(plan, f.group, c)
				groups[f.group[0]] = keys
			}
			m.keyedList(d, pf, cf, i, keys)
		}
		m.popBoth()
	}
}

// childKeys indexes the entries of the child's lists of one group by key; a later entry
// wins over an earlier one with the same key, as in the reference.
func childKeys(plan []mergeField, group []int, c reflect.Value) map[string]childEntry {
	n := 0
	for _, g := range group {
		n += c.FieldByIndex(plan[g].index).Len()
	}
	keys := make(map[string]childEntry, n)
	for _, g := range group {
		list := c.FieldByIndex(plan[g].index)
		for j := 0; j < list.Len(); j++ {
			keys[entryKey(list.Index(j))] = childEntry{field: g, index: j}
		}
	}
	return keys
}

// appendList sets dst to the parent's entries followed by the child's.
func (m *merger) appendList(dst, p, c reflect.Value) {
	np, nc := p.Len(), c.Len()
	if np+nc == 0 {
		return
	}
	out := reflect.MakeSlice(p.Type(), np+nc, np+nc)
	for i := 0; i < np; i++ {
		m.copyEntry(out.Index(i), p.Index(i), i, FromParent, i)
	}
	for j := 0; j < nc; j++ {
		m.copyEntry(out.Index(np+j), c.Index(j), np+j, FromChild, j)
	}
	dst.Set(out)
}

var httpHeaderType = reflect.TypeFor[HTTPHeader]()

// keyedList merges the keyed lists p and c, field field of their struct, into dst. keys
// indexes the child's entries of the field's whole group.
func (m *merger) keyedList(dst, p, c reflect.Value, field int, keys map[string]childEntry) {
	np, nc := p.Len(), c.Len()
	out := reflect.MakeSlice(p.Type(), np+nc, np+nc)
	headers := p.Type().Elem() == httpHeaderType
	parentKeys := make(map[string]struct{}, np)
	n := 0
	for i := 0; i < np; i++ {
		pe := p.Index(i)
		key := entryKey(pe)
		parentKeys[key] = struct{}{}
		ce, ok := keys[key]
		switch {
		case !ok:
			m.copyEntry(out.Index(n), pe, n, FromParent, i)
			n++
		case ce.field != field:
			// The child has this key in another list of the group: its entry replaces this one.
		case headers && c.Index(ce.index).Addr().Interface().(*HTTPHeader).Value == nil:
			// A child header without a value deletes the parent's.
		default:
			m.pushBoth(m.index(n), m.index(i), m.index(ce.index))
			if pe.Kind() == reflect.Struct {
				m.mergeStruct(out.Index(n), pe, c.Index(ce.index))
			} else {
				out.Index(n).Set(c.Index(ce.index))
			}
			m.record(FromChild)
			m.popBoth()
			n++
		}
	}
	for j := 0; j < nc; j++ {
		ce := c.Index(j)
		if _, ok := parentKeys[entryKey(ce)]; ok {
			continue
		}
		m.copyEntry(out.Index(n), ce, n, FromChild, j)
		n++
	}
	if n > 0 {
		dst.Set(out.Slice(0, n))
	}
}
