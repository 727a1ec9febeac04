package config

import (
	"reflect"
	"testing"
)

// TestListKeys checks that merging and the duplicate check treat the same lists as keyed: every
// list of the type tree but the appended ones, each with an identity key.
func TestListKeys(t *testing.T) {
	for _, l := range modelLists(t) {
		f := l.steps[len(l.steps)-1]
		t.Run(l.path(0).String(), func(t *testing.T) {
			elem := listFieldTypes[f].Elem()
			if !f.append && !hasKey(elem) {
				t.Fatalf("hasKey(%s) = false, want true: the list is neither appended nor keyed", elem)
			}
			var owner reflect.Type // the struct holding the list
			if len(l.steps) == 1 {
				owner = reflect.TypeFor[Config]()
			} else {
				owner = listFieldTypes[l.steps[len(l.steps)-2]]
				if owner.Kind() == reflect.Slice {
					owner = owner.Elem()
				}
			}
			var kind mergeKind
			for _, mf := range mergePlanOf(owner) {
				if mf.name == f.name {
					kind = mf.kind
				}
			}
			if want := map[bool]mergeKind{true: mergeAppend, false: mergeKeyed}[f.append]; kind != want {
				t.Errorf("mergePlanOf(%s) kind of %s = %d, want %d", owner, f.name, kind, want)
			}
			checked := false
			if plan := dupPlanOf(owner); plan != nil {
				for _, group := range plan.checks {
					for _, g := range group {
						checked = checked || g == f
					}
				}
			}
			if checked == f.append {
				t.Errorf("dupPlanOf(%s) checks %s = %v, want %v", owner, f.name, checked, !f.append)
			}
		})
	}
}

// TestSharedKeyLists checks that the merge and the duplicate check group the same lists into
// one key space.
func TestSharedKeyLists(t *testing.T) {
	for typ, names := range sharedKeyLists {
		t.Run(typ.Name(), func(t *testing.T) {
			plan := mergePlanOf(typ)
			byName := map[string]mergeField{}
			for _, mf := range plan {
				byName[mf.name.(string)] = mf
			}
			for _, name := range names {
				if got := len(byName[name].group); got != len(names) {
					t.Errorf("mergePlanOf(%s) group of %s has %d lists, want %d", typ, name, got, len(names))
				}
			}
			dp := dupPlanOf(typ)
			found := false
			for _, group := range dp.checks {
				if len(group) == len(names) {
					found = true
				}
			}
			if !found {
				t.Errorf("dupPlanOf(%s) has no check of the %d lists %v together", typ, len(names), names)
			}
		})
	}
}

func TestEntryKey(t *testing.T) {
	label := "root"
	src := "https://h/c"
	tests := []struct {
		name  string
		entry any
		want  string
	}{
		{name: "string", entry: "console=ttyS0", want: "console=ttyS0"},
		{name: "partition number", entry: Partition{Number: 3, Label: &label}, want: "number:3"},
		{name: "partition label", entry: Partition{Label: &label}, want: "label:root"},
		{name: "partition neither", entry: Partition{}, want: ""},
		{name: "resource", entry: Resource{Source: &src}, want: src},
		{name: "resource without source", entry: Resource{}, want: ""},
		{name: "file", entry: File{Node: Node{Path: "/a"}}, want: "/a"},
		{name: "directory", entry: Directory{Node: Node{Path: "/a"}}, want: "/a"},
		{name: "link", entry: Link{Node: Node{Path: "/a"}}, want: "/a"},
		{name: "disk", entry: Disk{Device: "/dev/sda"}, want: "/dev/sda"},
		{name: "filesystem", entry: Filesystem{Device: "/dev/sdb"}, want: "/dev/sdb"},
		{name: "raid", entry: Raid{Name: "md0"}, want: "md0"},
		{name: "luks", entry: Luks{Name: "data"}, want: "data"},
		{name: "tang", entry: Tang{URL: "http://t"}, want: "http://t"},
		{name: "header", entry: HTTPHeader{Name: "Accept"}, want: "Accept"},
		{name: "unit", entry: Unit{Name: "a.service"}, want: "a.service"},
		{name: "dropin", entry: Dropin{Name: "b.conf"}, want: "b.conf"},
		{name: "user", entry: PasswdUser{Name: "core"}, want: "core"},
		{name: "group", entry: PasswdGroup{Name: "wheel"}, want: "wheel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Entries are addressable inside a list; a fresh pointer's Elem is too.
			v := reflect.New(reflect.TypeOf(tc.entry)).Elem()
			v.Set(reflect.ValueOf(tc.entry))
			if got := entryKey(v); got != tc.want {
				t.Errorf("entryKey(%+v) = %q, want %q", tc.entry, got, tc.want)
			}
		})
	}
}
