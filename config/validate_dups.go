package config

import (
	"reflect"
	"slices"
)

// sharedKeyLists names, per struct type, the lists whose entries share one key space, in the
// order the reference checks them: the later entry of a repeated key is the duplicate, so the
// order decides which of a file and a directory at one path is reported.
var sharedKeyLists = map[reflect.Type][]string{
	reflect.TypeFor[Storage]():         {"directories", "files", "links"},
	reflect.TypeFor[KernelArguments](): {"shouldExist", "shouldNotExist"},
}

// validateDups reports every list entry whose key repeats the key of an earlier entry of the
// same list (or of a list sharing its key space), at the later entry. Lists marked
// merge:"append" are exempt: their entries are added on merge, and repeating one is meaningful.
// Keys are scoped to the struct holding the list: two disks may each have a partition 1.
func validateDups(c *Config, r *reporter) {
	w := dupWalker{r: r}
	w.walkStruct(reflect.ValueOf(c).Elem())
}

// dupWalker walks a config depth first; path is a stack reused across the walk so that only
// reported duplicates allocate a path of their own.
type dupWalker struct {
	r    *reporter
	path Path
}

func (w *dupWalker) walkStruct(v reflect.Value) {
	si := infoOf(v.Type())
	shared := sharedKeyLists[v.Type()]
	sharedDone := false
	for _, f := range si.fields {
		fv := v.FieldByIndex(f.index)
		if fv.Kind() != reflect.Slice || f.append {
			continue
		}
		if !slices.Contains(shared, f.name) {
			w.checkLists(v, si, f.name)
			continue
		}
		if !sharedDone {
			w.checkLists(v, si, shared...)
			sharedDone = true
		}
	}
	for _, f := range si.fields {
		w.walkValue(v.FieldByIndex(f.index), f.name)
	}
}

// walkValue descends into the structs held by field value v, found under key name.
func (w *dupWalker) walkValue(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Struct:
		w.path = append(w.path, name)
		w.walkStruct(v)
		w.path = w.path[:len(w.path)-1]
	case reflect.Pointer:
		if !v.IsNil() && v.Elem().Kind() == reflect.Struct {
			w.walkValue(v.Elem(), name)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		w.path = append(w.path, name, 0)
		for i := 0; i < v.Len(); i++ {
			w.path[len(w.path)-1] = i
			w.walkStruct(v.Index(i))
		}
		w.path = w.path[:len(w.path)-2]
	}
}

// checkLists checks the named lists of struct v together, as one key space.
func (w *dupWalker) checkLists(v reflect.Value, si *structInfo, names ...string) {
	var seen map[string]struct{}
	for _, name := range names {
		list := v.FieldByIndex(si.byName[name].index)
		for i := 0; i < list.Len(); i++ {
			key, ok := entryKey(list.Index(i))
			if !ok {
				continue
			}
			if seen == nil {
				seen = make(map[string]struct{}, list.Len())
			}
			if _, dup := seen[key]; dup {
				p := make(Path, 0, len(w.path)+2)
				w.r.errorf(append(append(p, w.path...), name, i), ErrDuplicateEntry)
				continue
			}
			seen[key] = struct{}{}
		}
	}
}

// entryKey returns the identity key of list entry v: the string itself for string lists, the
// Key method's result for struct entries. ok is false for entries that have no key.
func entryKey(v reflect.Value) (string, bool) {
	if v.Kind() == reflect.String {
		return v.String(), true
	}
	if v.CanAddr() {
		v = v.Addr() // no copy of the entry; value methods are in the pointer's method set
	}
	if k, ok := v.Interface().(keyed); ok {
		return k.Key(), true
	}
	return "", false
}
