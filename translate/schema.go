package translate

// The JSON Schema and the reference page of each variant's YAML are derived from the same
// type tree that the translator walks: the model's fields (snake_case keys, as many as the
// variant's spec has) with config's descriptions and constraints, plus the sugar keys the
// variant accepts at each place, described by sugarFields and by the doc tags of the sugar
// types. Nothing is listed by hand twice.

//go:generate go run ./internal/genvariants -dir ../docs/variants

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/flint-provision/flint/config"
)

// sugarField describes the value of a sugar key for the schema and the docs.
type sugarField struct {
	typ reflect.Type
	doc string
}

// sugarFields describes every sugar key; a test checks that each key of sugars is here.
var sugarFields = map[string]sugarField{
	"inline":                    {reflect.TypeFor[string](), "The data itself, embedded as a data URL (compressed when that is smaller)."},
	"local":                     {reflect.TypeFor[string](), "A file under --files-dir whose contents are embedded as a data URL."},
	"contents_local":            {reflect.TypeFor[string](), "A file under --files-dir holding the text, instead of contents."},
	"ssh_authorized_keys_local": {reflect.TypeFor[[]string](), "Files under --files-dir with one SSH public key per line, added after ssh_authorized_keys."},
	"trees":                     {reflect.TypeFor[[]tree](), "Directories under --files-dir embedded whole: their files, symlinks and (with dir_mode, user or group) directories."},
	"with_mount_unit":           {reflect.TypeFor[bool](), "Generate a systemd mount unit (a swap unit for swap) that mounts the filesystem on every boot. Needs format, and path unless swap."},
	"boot_device":               {reflect.TypeFor[bootDevice](), "Encrypt the root filesystem and mirror the boot disk, with the partition layout of the CoreOS disk image."},
	"grub":                      {reflect.TypeFor[grubConfig](), "GRUB boot loader settings."},
	"cluster":                   {reflect.TypeFor[clusterSection](), "Enroll the machine into an etcd cluster: generates etcd-member.service (docs/cluster.md)."},
	"update":                    {reflect.TypeFor[updateSection](), "OS update channel and reboot strategy, as locksmith's or Zincati's configuration (docs/updates.md)."},
}

// schemaNode is one value of the YAML format, as the schema and the docs show it.
type schemaNode struct {
	kind     string // object, array, string, integer, boolean
	desc     string
	keywords []config.SchemaKeyword
	items    *schemaNode   // arrays
	obj      *schemaObject // objects
}

// schemaObject is one mapping of the YAML format at one place.
type schemaObject struct {
	name   string // Go type name
	desc   string
	fields []schemaField
}

type schemaField struct {
	key      string
	required bool
	node     *schemaNode
}

// describer walks the type tree for one variant.
type describer struct {
	t *translator // variant and spec only, for the sugar keys' tests
}

// describe is the YAML format of variant vr.
func describe(vr Variant) *schemaObject {
	spec := vr.Spec
	if vr.Name == "flint" {
		spec = config.Newest
	}
	d := describer{t: &translator{variant: vr, decodeSpec: spec, emitSpec: vr.Spec}}
	root := d.object(reflect.TypeFor[config.Config](), nil, nil)
	top := []schemaField{
		{key: "variant", required: true, node: &schemaNode{kind: "string", desc: "The format of this document: " + vr.Name + ".",
			keywords: []config.SchemaKeyword{{Key: "const", Value: vr.Name}}}},
		{key: "version", required: true, node: &schemaNode{kind: "string", desc: "The version of the " + vr.Name + " format: " + vr.Version + ". It decides the spec version of the output (" + vr.Spec.String() + ").",
			keywords: []config.SchemaKeyword{{Key: "const", Value: vr.Version}}}},
	}
	root.fields = append(top, root.fields...)
	root.desc = fmt.Sprintf("A %s %s config: YAML that flint translate turns into an Ignition config of spec %s.", vr.Name, vr.Version, vr.Spec)
	return root
}

// object describes struct t reached through a field with gates at JSON path p.
func (d describer) object(t reflect.Type, gates map[string]config.Version, p config.Path) *schemaObject {
	o := &schemaObject{name: t.Name(), desc: config.TypeDoc(t)}
	for _, f := range config.Fields(t) {
		if excluded[t] == f.Name || d.t.decodeSpec.LessThan(f.SinceIn(gates)) {
			continue
		}
		sf := t.FieldByIndex(f.Index)
		desc := sf.Tag.Get("doc")
		if desc == "" {
			desc = config.FieldDoc(t, f)
		}
		n := d.node(sf.Type, f.Gates, p.Append(f.Name))
		n.desc = desc
		n.keywords = append(n.keywords, config.FieldKeywords(t, f, d.t.decodeSpec)...)
		// In JSON, required objects (ignition) are written even when empty; in YAML only
		// required scalars (names, paths, devices) must be given.
		required := f.Required && n.kind != "object"
		o.fields = append(o.fields, schemaField{key: snakeCase(f.Name), required: required, node: n})
	}
	var keys []string
	for k, allowed := range sugars[t].keys {
		if allowed(d.t, p) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		sf, ok := sugarFields[k]
		if !ok {
			panic("translate: no schema for sugar key " + k)
		}
		n := d.node(sf.typ, nil, p.Append(k))
		n.desc = sf.doc
		o.fields = append(o.fields, schemaField{key: k, node: n})
	}
	return o
}

// node describes Go type t at JSON path p.
func (d describer) node(t reflect.Type, gates map[string]config.Version, p config.Path) *schemaNode {
	switch t.Kind() {
	case reflect.Pointer:
		return d.node(t.Elem(), gates, p)
	case reflect.Struct:
		return &schemaNode{kind: "object", obj: d.object(t, gates, p)}
	case reflect.Slice:
		return &schemaNode{kind: "array", items: d.node(t.Elem(), gates, p)}
	case reflect.String:
		return &schemaNode{kind: "string"}
	case reflect.Int:
		return &schemaNode{kind: "integer"}
	case reflect.Bool:
		return &schemaNode{kind: "boolean"}
	}
	panic("translate: no schema for kind " + t.Kind().String())
}

// SchemaID is where variant vr's schema is published, so that editors can fetch it by $id.
func SchemaID(vr Variant) string {
	return "https://raw.githubusercontent.com/flint-provision/flint/main/docs/variants/" + vr.Name + "-" + vr.Version + ".schema.json"
}

// LookupVariant finds a supported variant by its variant and version keys.
func LookupVariant(name, version string) (Variant, error) { return lookupVariant(name, version) }

// Schema returns the JSON Schema (draft 2020-12) of variant vr's YAML, with the description of
// every key for editors' hover and completion. Unknown keys are not allowed (the translator
// warns about them), except x- extension keys and YAML merge keys, which it accepts. null is
// allowed wherever a key may be left out, since the translator reads it as unset.
func Schema(vr Variant) ([]byte, error) {
	vr, err := lookupVariant(vr.Name, vr.Version) // the table's entry, whatever else vr says
	if err != nil {
		return nil, err
	}
	root := describe(vr)
	s := &schemaWriter{defs: map[string]any{}, names: map[string]string{}, used: map[string]int{}}
	out := map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$id":      SchemaID(vr),
		"$comment": "Generated by flint schema --variant " + vr.Name + " --version " + vr.Version + "; do not edit.",
		"title":    fmt.Sprintf("flint translate input, %s %s", vr.Name, vr.Version),
	}
	for k, v := range s.object(root) {
		out[k] = v
	}
	out["$defs"] = s.defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// schemaWriter renders schema nodes, sharing each distinct object shape in $defs.
type schemaWriter struct {
	defs  map[string]any
	names map[string]string // shape signature → def name
	used  map[string]int    // def names per Go type name
}

// extensionKeys are the keys the translator skips without a word: x- extensions and merge keys.
var extensionKeys = map[string]any{"^x-": map[string]any{}, "^<<$": map[string]any{}}

func (s *schemaWriter) object(o *schemaObject) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range o.fields {
		props[f.key] = s.node(f.node, !f.required)
		if f.required {
			required = append(required, f.key)
		}
	}
	m := map[string]any{"type": "object", "properties": props, "patternProperties": extensionKeys, "additionalProperties": false}
	if o.desc != "" {
		m["description"] = o.desc
	}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}

// node renders n; nullable adds null, which the translator reads as unset.
func (s *schemaWriter) node(n *schemaNode, nullable bool) map[string]any {
	m := map[string]any{}
	switch n.kind {
	case "object":
		m["$ref"] = "#/$defs/" + s.def(n.obj)
		if nullable {
			m = map[string]any{"anyOf": []any{m, map[string]any{"type": "null"}}}
		}
	case "array":
		m["items"] = s.node(n.items, false)
	}
	if n.kind != "object" {
		if nullable {
			m["type"] = []string{n.kind, "null"}
		} else {
			m["type"] = n.kind
		}
	}
	if n.desc != "" {
		m["description"] = n.desc
	}
	for _, k := range n.keywords {
		v := k.Value
		if k.Key == "enum" && nullable {
			v = append(slices.Clone(v.([]any)), nil)
		}
		m[k.Key] = v
	}
	return m
}

// def adds object o to $defs under a name for its shape and returns the name: the Go type's,
// with a number when the same type has another shape elsewhere (fewer keys at that place).
func (s *schemaWriter) def(o *schemaObject) string {
	body := s.object(o)
	sig, _ := json.Marshal(body)
	key := o.name + string(sig)
	if name, ok := s.names[key]; ok {
		return name
	}
	name := strings.ToUpper(o.name[:1]) + o.name[1:]
	if s.used[name]++; s.used[name] > 1 {
		name = fmt.Sprintf("%s%d", name, s.used[name])
	}
	s.names[key] = name
	s.defs[name] = body
	return name
}
