package config

import "strconv"

// This file holds the identity of list entries: two entries of one list (or of lists that share
// a key space) with the same key are the same thing. Validation reports a repeated key as a
// duplicate; merging uses the key to find the parent entry a child entry replaces. String lists
// are keyed by the string itself and need no method.

// keyed is a list entry with an identity key.
type keyed interface {
	Key() string
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
