package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// ReferenceMarkdown returns the reference page of spec version v (docs/spec/v3_N.md): the tree
// of its fields with their types, the first version that has each, and their descriptions. It is
// built from the same type tree and doc comments as Schema, so the two cannot disagree.
func ReferenceMarkdown(v Version) ([]byte, error) {
	if !IsSupported(v) {
		return nil, fmt.Errorf("%w %s", ErrVersionUnsupported, v)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- %s -->\n\n", generatedNotice)
	fmt.Fprintf(&b, "# Config spec %s\n\n", v)
	fmt.Fprintf(&b, "A config of spec %s is one JSON object that declares its version in `ignition.version`.\n", v)
	fmt.Fprintf(&b, "flint reads it with the rules of that version and works with it as spec %s.\n", Newest)
	b.WriteString("Below is every field this version has: its JSON type, whether it is required, the first\n")
	b.WriteString("spec version that has it, and what it means. An optional field that is unset or `null` takes\n")
	b.WriteString("its default. A key this version does not have is ignored with a warning (an error with\n")
	b.WriteString("`--strict`); keys are case-sensitive.\n\n")
	fmt.Fprintf(&b, "The same tree as a JSON Schema (draft 2020-12), for editors: [%[1]s.schema.json](%[1]s.schema.json).\n\n", SpecFileBase(v))
	writeFieldTree(&b, reflect.TypeFor[Config](), nil, v, firstVersion, "")
	return b.Bytes(), nil
}

// writeFieldTree writes the fields of struct t as a nested list, one indent level per object.
// A field is no older than the field that holds it (proxy.noProxy came with proxy, in 3.1.0),
// whatever its own since tag says.
func writeFieldTree(b *bytes.Buffer, t reflect.Type, gates map[string]Version, v, parentSince Version, indent string) {
	for _, f := range fieldsIn(t, gates, v) {
		since := f.since
		if since.LessThan(parentSince) {
			since = parentSince
		}
		attrs := []string{typeName(f.typ)}
		if f.info.required {
			attrs = append(attrs, "required")
		}
		attrs = append(attrs, "since "+since.String())
		fmt.Fprintf(b, "%s- `%s` (%s): %s", indent, f.info.name, strings.Join(attrs, ", "), markdownEscaper.Replace(fieldDocs[f.key]))
		if c := fieldConstraints[f.key]; c != nil {
			b.WriteString(" " + constraintText(c(v)))
		}
		b.WriteByte('\n')
		if st := structOf(f.typ); st != nil {
			writeFieldTree(b, st, f.gates, v, since, indent+"  ")
		}
	}
}

// markdownEscaper keeps description text literal in Markdown: "<name>" is not an HTML tag and
// "*" does not start emphasis.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "<", `\<`)

// typeName is a field's JSON type in words.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Struct:
		return "object"
	case reflect.Int:
		return "integer"
	case reflect.Bool:
		return "boolean"
	}
	return t.Kind().String()
}

// constraintText says in words what schema keywords c allow.
func constraintText(c jsonObject) string {
	var parts []string
	var lo, hi any
	for _, m := range c {
		switch m.key {
		case "const":
			parts = append(parts, fmt.Sprintf("Must be `%v`.", m.value))
		case "enum":
			var vals []string
			for _, e := range m.value.([]any) {
				if e == "" {
					vals = append(vals, "`\"\"`")
				} else {
					vals = append(vals, fmt.Sprintf("`%v`", e))
				}
			}
			parts = append(parts, "One of "+strings.Join(vals, ", ")+".")
		case "pattern":
			parts = append(parts, fmt.Sprintf("Matches `%v`.", m.value))
		case "minimum":
			lo = m.value
		case "maximum":
			hi = m.value
		default:
			panic("config: no text for schema keyword " + m.key)
		}
	}
	if lo != nil || hi != nil {
		parts = append(parts, fmt.Sprintf("From %v to %v.", lo, hi))
	}
	return strings.Join(parts, " ")
}
