package config

import (
	"fmt"
	"reflect"
	"strconv"
)

// This file holds the identity of list entries (spec §3.10, §5.1): two entries of one list, or
// of lists that share a key space, with the same key are the same thing. Validation reports a
// repeated key as a duplicate; merging uses the key to find the parent entry a child entry
// merges with. String lists are keyed by the string itself and need no method.

// keyed is a list entry with an identity key.
type keyed interface {
	Key() string
}

// entryKey returns the identity key of list entry v: the string itself for string lists, the
// Key method's result for struct entries. Only entries of types for which hasKey holds have
// one; the merge and duplicate plans check that once per list type.
func entryKey(v reflect.Value) string {
	if v.Kind() == reflect.String {
		return v.String()
	}
	if v.CanAddr() {
		v = v.Addr() // no copy of the entry; value methods are in the pointer's method set
	}
	return v.Interface().(keyed).Key()
}

// hasKey reports whether entries of type t have an identity key.
func hasKey(t reflect.Type) bool {
	return t.Kind() == reflect.String || reflect.PointerTo(t).Implements(keyedType)
}

// requireKey panics unless entries of type t have an identity key: the lists that the merge and
// the duplicate check handle by key must have one, and a missing Key method is a bug of the
// model that no input could trigger.
func requireKey(t reflect.Type) {
	if !hasKey(t) {
		panic(fmt.Sprintf("config: %s list entries have no identity key", t))
	}
}

var keyedType = reflect.TypeFor[keyed]()

// sharedKeyLists names, per struct type, the lists whose entries share one key space: a path is
// a file, a directory or a link; a kernel argument should or should not exist. They are listed
// in the order the reference's duplicate check visits them: the later entry of a repeated key
// is the duplicate, so the order decides which of a file and a directory at one path is
// reported. (Merging takes them in field order.)
var sharedKeyLists = map[reflect.Type][]string{
	reflect.TypeFor[Storage]():         {"directories", "files", "links"},
	reflect.TypeFor[KernelArguments](): {"shouldExist", "shouldNotExist"},
}

// Key identifies a resource by its source; a resource without one has the key "".
func (x Resource) Key() string {
	if x.Source == nil {
		return ""
	}
	return *x.Source
}

// Key identifies a header by its name.
func (x HTTPHeader) Key() string { return x.Name }

// Key identifies a disk by its device path.
func (x Disk) Key() string { return x.Device }

// Key identifies a partition by its number, or by its label when the number is 0 (next free);
// a partition with neither has the key "".
func (x Partition) Key() string {
	switch {
	case x.Number != 0:
		return "number:" + strconv.Itoa(x.Number)
	case x.Label != nil:
		return "label:" + *x.Label
	}
	return ""
}

// Key identifies a RAID array by its name.
func (x Raid) Key() string { return x.Name }

// Key identifies a filesystem by its device path.
func (x Filesystem) Key() string { return x.Device }

// Key identifies a file, directory or link by its path; the three lists share this key space,
// since one path can hold only one of them.
func (x Node) Key() string { return x.Path }

// Key identifies a LUKS volume by its name.
func (x Luks) Key() string { return x.Name }

// Key identifies a tang server by its URL.
func (x Tang) Key() string { return x.URL }

// Key identifies a unit by its name.
func (x Unit) Key() string { return x.Name }

// Key identifies a drop-in by its name, within its unit.
func (x Dropin) Key() string { return x.Name }

// Key identifies a user by its name.
func (x PasswdUser) Key() string { return x.Name }

// Key identifies a group by its name.
func (x PasswdGroup) Key() string { return x.Name }
