package config

import (
	"reflect"
	"slices"
	"sync"
)

// validateDups reports every list entry whose key repeats the key of an earlier entry of the
// same list (or of a list sharing its key space), at the later entry. Lists marked
// merge:"append" are exempt: their entries are added on merge, and repeating one is meaningful.
// Keys are scoped to the struct holding the list: two disks may each have a partition 1.
func validateDups(c *Config, r *reporter) {
	w := dupWalker{r: r}
	w.walkStruct(reflect.ValueOf(c).Elem(), dupPlanOf(reflect.TypeFor[Config]()))
}

// dupPlan is what the duplicate check does in one struct type, worked out once per type.
type dupPlan struct {
	// checks are the key spaces of this struct: one list each, or the lists sharing a key.
	checks [][]*fieldInfo
	// descend are the fields that lead to more lists; fields without lists below are skipped,
	// which spares the walk most of a file's fields.
	descend []*fieldInfo
}

var dupPlans sync.Map // reflect.Type → *dupPlan

// dupPlanOf returns the plan of struct type t, or nil when no list lies below it.
func dupPlanOf(t reflect.Type) *dupPlan {
	if p, ok := dupPlans.Load(t); ok {
		return p.(*dupPlan)
	}
	si := infoOf(t)
	plan := &dupPlan{}
	shared := sharedKeyLists[t]
	sharedDone := false
	for _, f := range si.fields {
		ft := t.FieldByIndex(f.index).Type
		if ft.Kind() == reflect.Slice && !f.append {
			requireKey(ft.Elem())
			switch {
			case !slices.Contains(shared, f.name):
				plan.checks = append(plan.checks, []*fieldInfo{f})
			case !sharedDone:
				group := make([]*fieldInfo, len(shared))
				for i, name := range shared {
					group[i] = si.byName[name]
				}
				plan.checks = append(plan.checks, group)
				sharedDone = true
			}
		}
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && dupPlanOf(ft) != nil {
			plan.descend = append(plan.descend, f)
		}
	}
	if len(plan.checks) == 0 && len(plan.descend) == 0 {
		plan = nil
	}
	actual, _ := dupPlans.LoadOrStore(t, plan)
	return actual.(*dupPlan)
}

// dupFrame is one step of the walk's position: a field name, and the list index when the
// field is a list.
type dupFrame struct {
	name  string
	index int // -1 for a field that is not a list
}

// dupWalker walks a config depth first. Its position is a stack of frames, turned into a Path
// only for a reported duplicate.
type dupWalker struct {
	r     *reporter
	stack []dupFrame
}

func (w *dupWalker) walkStruct(v reflect.Value, plan *dupPlan) {
	for _, group := range plan.checks {
		w.checkLists(v, group)
	}
	for _, f := range plan.descend {
		fv := v.FieldByIndex(f.index)
		if fv.Kind() == reflect.Struct {
			w.stack = append(w.stack, dupFrame{f.name, -1})
			w.walkStruct(fv, dupPlanOf(fv.Type()))
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		if fv.Len() == 0 {
			continue
		}
		sub := dupPlanOf(fv.Type().Elem())
		w.stack = append(w.stack, dupFrame{f.name, 0})
		for i := 0; i < fv.Len(); i++ {
			w.stack[len(w.stack)-1].index = i
			w.walkStruct(fv.Index(i), sub)
		}
		w.stack = w.stack[:len(w.stack)-1]
	}
}

// checkLists checks the lists of struct v in group together, as one key space.
func (w *dupWalker) checkLists(v reflect.Value, group []*fieldInfo) {
	var seen map[string]struct{}
	for _, f := range group {
		list := v.FieldByIndex(f.index)
		for i := 0; i < list.Len(); i++ {
			key := entryKey(list.Index(i))
			if seen == nil {
				seen = make(map[string]struct{}, list.Len())
			}
			if _, dup := seen[key]; dup {
				w.r.errorf(w.path(f.name, i), ErrDuplicateEntry)
				continue
			}
			seen[key] = struct{}{}
		}
	}
}

// path is the JSON path of entry i of list name in the struct the walk is at.
func (w *dupWalker) path(name string, i int) Path {
	p := make(Path, 0, 2*len(w.stack)+2)
	for _, f := range w.stack {
		p = append(p, f.name)
		if f.index >= 0 {
			p = append(p, f.index)
		}
	}
	return append(p, name, i)
}
