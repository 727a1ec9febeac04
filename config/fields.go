package config

import "reflect"

// FieldInfo describes one JSON field of a spec struct. It is the read-only view of the type
// tree's tags for packages that map other formats (YAML) onto the model, so that they walk the
// same field tables as the JSON decoder instead of keeping their own copies.
type FieldInfo struct {
	// Name is the JSON key.
	Name string
	// Index is the reflect index path of the field, through embedded structs.
	Index []int
	// Since is the first spec version that has the field.
	Since Version
	// Gates override Since of the named fields of the child struct reached through this field.
	Gates map[string]Version
	// Required marks fields that are written even when empty.
	Required bool
	// Append marks lists that are appended on merge.
	Append bool
}

// SinceIn is the first spec version of f when its struct is reached through a field with gates.
func (f FieldInfo) SinceIn(gates map[string]Version) Version {
	if v, ok := gates[f.Name]; ok {
		return v
	}
	return f.Since
}

// Fields returns the JSON fields of spec struct type t in spec order. The slices and maps
// inside are shared with the cached tables: callers must not modify them.
func Fields(t reflect.Type) []FieldInfo {
	si := infoOf(t)
	out := make([]FieldInfo, len(si.fields))
	for i, f := range si.fields {
		out[i] = FieldInfo{Name: f.name, Index: f.index, Since: f.since, Gates: f.gates,
			Required: f.required, Append: f.append}
	}
	return out
}
