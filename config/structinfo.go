package config

import (
	"reflect"
	"strings"
	"sync"
)

// fieldInfo describes one JSON field of a spec struct, read once from its tags.
type fieldInfo struct {
	name     string // JSON key
	goName   string
	index    []int // reflect index path (through embedded structs)
	since    Version
	gates    map[string]Version // since overrides for the child struct's fields
	append   bool               // merge:"append": appended on merge, no duplicate check
	required bool
}

// structInfo is the JSON view of a spec struct type.
type structInfo struct {
	typ    reflect.Type
	fields []*fieldInfo
	byName map[string]*fieldInfo
	folded map[string]*fieldInfo
}

var structInfos sync.Map // reflect.Type → *structInfo

var firstVersion = mustVersion("3.0.0")

// infoOf returns the cached JSON view of struct type t.
func infoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{typ: t, byName: map[string]*fieldInfo{}, folded: map[string]*fieldInfo{}}
	collectFields(si, t, nil)
	for _, f := range si.fields {
		si.byName[f.name] = f
		si.folded[strings.ToLower(f.name)] = f
	}
	actual, _ := structInfos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func collectFields(si *structInfo, t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			collectFields(si, sf.Type, index)
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		f := &fieldInfo{
			name:     name,
			goName:   sf.Name,
			index:    index,
			since:    firstVersion,
			append:   sf.Tag.Get("merge") == "append",
			required: sf.Tag.Get("required") == "true",
		}
		if s := sf.Tag.Get("since"); s != "" {
			f.since = mustVersion(s)
		}
		if g := sf.Tag.Get("gate"); g != "" {
			f.gates = map[string]Version{}
			for _, kv := range strings.Split(g, ",") {
				k, v, _ := strings.Cut(kv, "=")
				f.gates[k] = mustVersion(v)
			}
		}
		si.fields = append(si.fields, f)
	}
}

// sinceIn is the first version of field f when its struct is reached through a field with gates.
func (f *fieldInfo) sinceIn(gates map[string]Version) Version {
	if v, ok := gates[f.name]; ok {
		return v
	}
	return f.since
}
