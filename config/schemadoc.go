package config

import "reflect"

// The descriptions and value constraints of the type tree, for packages that describe another
// format built on it (the YAML variants' schemas and reference pages in package translate), so
// that they show the same text as the spec's own schema and docs.

// TypeDoc is the description of spec struct type t, from its doc comment in types.go; "" for
// types declared elsewhere.
func TypeDoc(t reflect.Type) string { return fieldDocs[t.Name()] }

// FieldDoc is the description of field f of spec struct type t, from its doc comment in
// types.go; "" for types declared elsewhere.
func FieldDoc(t reflect.Type, f FieldInfo) string {
	decl := t
	for _, i := range f.Index[:len(f.Index)-1] {
		decl = decl.Field(i).Type
	}
	return fieldDocs[decl.Name()+"."+decl.Field(f.Index[len(f.Index)-1]).Name]
}

// SchemaKeyword is one JSON Schema keyword and its value (a string, an int or a []any).
type SchemaKeyword struct {
	Key   string
	Value any
}

// FieldKeywords lists the value constraints (enum, pattern, minimum, maximum) that the spec
// schema of version v puts on field f of struct type t.
func FieldKeywords(t reflect.Type, f FieldInfo, v Version) []SchemaKeyword {
	decl := t
	for _, i := range f.Index[:len(f.Index)-1] {
		decl = decl.Field(i).Type
	}
	c := fieldConstraints[decl.Name()+"."+decl.Field(f.Index[len(f.Index)-1]).Name]
	if c == nil {
		return nil
	}
	var out []SchemaKeyword
	for _, m := range c(v) {
		out = append(out, SchemaKeyword{Key: m.key, Value: m.value})
	}
	return out
}
