package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flint-provision/flint/config/internal/fielddoc"
)

const specDir = "../docs/spec"

// TestGeneratedFilesFresh regenerates docs_gen.go and docs/spec in memory and compares them with
// the committed files, so that a changed types.go cannot ship with stale docs or schemas.
func TestGeneratedFilesFresh(t *testing.T) {
	src, err := os.ReadFile("types.go")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := fielddoc.Parse("types.go", src)
	if err != nil {
		t.Fatalf("fielddoc.Parse(types.go): %v", err)
	}
	code, err := fielddoc.GoSource(docs)
	if err != nil {
		t.Fatalf("fielddoc.GoSource: %v", err)
	}
	if !compareFile(t, "docs_gen.go", code) {
		// The schemas and pages below are built from the compiled docs_gen.go, so they would
		// only repeat the same staleness.
		t.FailNow()
	}
	for _, v := range Supported {
		t.Run(v.String(), func(t *testing.T) {
			schema, err := Schema(v)
			if err != nil {
				t.Fatalf("Schema(%s): %v", v, err)
			}
			compareFile(t, filepath.Join(specDir, SpecFileBase(v)+".schema.json"), schema)
			md, err := ReferenceMarkdown(v)
			if err != nil {
				t.Fatalf("ReferenceMarkdown(%s): %v", v, err)
			}
			compareFile(t, filepath.Join(specDir, SpecFileBase(v)+".md"), md)
		})
	}
}

// compareFile reports whether the committed file name holds want, and fails t when it does not.
func compareFile(t *testing.T, name string, want []byte) bool {
	t.Helper()
	got, err := os.ReadFile(name)
	if err != nil {
		t.Errorf("%v: run go generate ./config", err)
		return false
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./config (-committed +generated):\n%s", name,
			cmp.Diff(strings.Split(string(got), "\n"), strings.Split(string(want), "\n")))
		return false
	}
	return true
}

// TestDocsCoverTypes checks that every field has a description and that every constraint names a
// real field: a typo in a key would silently drop the constraint.
func TestDocsCoverTypes(t *testing.T) {
	for _, v := range Supported {
		walkFields(reflect.TypeFor[Config](), nil, v, func(f specField) {
			if fieldDocs[f.key] == "" {
				t.Errorf("fieldDocs[%q] is empty in %s", f.key, v)
			}
		})
	}
	for key := range fieldConstraints {
		if _, ok := fieldDocs[key]; !ok {
			t.Errorf("fieldConstraints[%q] names no field of types.go", key)
		}
	}
}

// walkFields calls fn for every field of struct t and below that version v has.
func walkFields(t reflect.Type, gates map[string]Version, v Version, fn func(specField)) {
	for _, f := range fieldsIn(t, gates, v) {
		fn(f)
		if st := structOf(f.typ); st != nil {
			walkFields(st, f.gates, v, fn)
		}
	}
}

// compiledSchemas caches compileSchema's results: the rule tables compile each version many times.
var compiledSchemas sync.Map // version string → *jsonschema.Schema

// compileSchema compiles the schema of version v with an independent JSON Schema implementation.
func compileSchema(t *testing.T, v Version) *jsonschema.Schema {
	t.Helper()
	if sch, ok := compiledSchemas.Load(v.String()); ok {
		return sch.(*jsonschema.Schema)
	}
	data, err := Schema(v)
	if err != nil {
		t.Fatalf("Schema(%s): %v", v, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Schema(%s) is not JSON: %v", v, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertContent()
	if err := c.AddResource(schemaID(v), doc); err != nil {
		t.Fatalf("AddResource(Schema(%s)): %v", v, err)
	}
	sch, err := c.Compile(schemaID(v))
	if err != nil {
		t.Fatalf("Compile(Schema(%s)): %v", v, err)
	}
	compiledSchemas.Store(v.String(), sch)
	return sch
}

// schemaAccepts validates the JSON document doc against sch.
func schemaAccepts(t *testing.T, sch *jsonschema.Schema, doc string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("test document is not JSON: %v\n%s", err, doc)
	}
	return sch.Validate(inst)
}

func TestSchemaCompiles(t *testing.T) {
	for _, v := range Supported {
		t.Run(v.String(), func(t *testing.T) {
			sch := compileSchema(t, v)
			// The smallest config of the version, and nothing else's version, is accepted.
			if err := schemaAccepts(t, sch, fmt.Sprintf(`{"ignition": {"version": %q}}`, v)); err != nil {
				t.Errorf("Schema(%s) rejects the minimal config: %v", v, err)
			}
			for _, other := range Supported {
				if other.Equal(v) {
					continue
				}
				if err := schemaAccepts(t, sch, fmt.Sprintf(`{"ignition": {"version": %q}}`, other)); err == nil {
					t.Errorf("Schema(%s) accepts ignition.version %s", v, other)
				}
			}
		})
	}
}

func TestSchemaUnsupported(t *testing.T) {
	for _, s := range []string{"2.3.0", "3.7.0", "4.0.0"} {
		if _, err := Schema(mustVersion(s)); !errors.Is(err, ErrVersionUnsupported) {
			t.Errorf("Schema(%s) = %v, want %v", s, err, ErrVersionUnsupported)
		}
		if _, err := ReferenceMarkdown(mustVersion(s)); !errors.Is(err, ErrVersionUnsupported) {
			t.Errorf("ReferenceMarkdown(%s) = %v, want %v", s, err, ErrVersionUnsupported)
		}
	}
}

// TestExamples checks every example config against the schema of its version and with Parse.
func TestExamples(t *testing.T) {
	names, err := filepath.Glob("../examples/*.ign")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no examples/*.ign found")
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var head struct {
				Ignition struct{ Version string }
			}
			if err := json.Unmarshal(data, &head); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			v, err := ParseVersion(head.Ignition.Version)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := schemaAccepts(t, compileSchema(t, v), string(data)); err != nil {
				t.Errorf("Schema(%s) rejects %s: %v", v, name, err)
			}
			if _, rep := Parse(name, data); len(rep) > 0 {
				t.Errorf("Parse(%s) reports:\n%v", name, rep)
			}
		})
	}
}

// TestSchemaRejects lists structural mistakes that the schema of a version must reject.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name    string
		version string
		doc     string // with %s for the version
	}{
		{"not an object", "3.6.0", `[]`},
		{"no ignition", "3.6.0", `{"storage": {}}`},
		{"no version", "3.6.0", `{"ignition": {}}`},
		{"version of another spec", "3.6.0", `{"ignition": {"version": "3.5.0"}}`},
		{"mode as a string", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "mode": "0644"}]}}`},
		{"mode too large", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "mode": 4096}]}}`},
		{"negative mode", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"directories": [{"path": "/a", "mode": -1}]}}`},
		{"fractional mode", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "mode": 420.5}]}}`},
		{"bool as a string", "3.6.0", `{"ignition": {"version": "%s"}, "systemd": {"units": [{"name": "a.service", "enabled": "yes"}]}}`},
		{"list as an object", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": {"path": "/a"}}}`},
		{"null list", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": null}}`},
		{"unknown top-level key", "3.6.0", `{"ignition": {"version": "%s"}, "networkd": {}}`},
		{"unknown nested key", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"url": "data:,"}}]}}`},
		{"key in the wrong case", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"Path": "/a"}]}}`},
		{"file without path", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"mode": 420}]}}`},
		{"unit without name", "3.6.0", `{"ignition": {"version": "%s"}, "systemd": {"units": [{"mask": true}]}}`},
		{"header without name", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"httpHeaders": [{"value": "v"}]}}]}}`},
		{"luks in 3.1", "3.1.0", `{"ignition": {"version": "%s"}, "storage": {"luks": [{"name": "a"}]}}`},
		{"merge compression in 3.0", "3.0.0", `{"ignition": {"version": "%s", "config": {"merge": [{"source": "data:,", "compression": ""}]}}}`},
		{"format none in 3.2", "3.2.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": "none"}]}}`},
		{"unknown format", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": "ntfs"}]}}`},
		{"unknown compression", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"compression": "xz"}}]}}`},
		{"unknown raid level", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"raid": [{"name": "md", "level": "raid7"}]}}`},
		{"sha256 in 3.0", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,", "verification": {"hash": "sha256-` + strings.Repeat("a", 64) + `"}}}]}}`},
		{"short sha512", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,", "verification": {"hash": "sha512-abc"}}}]}}`},
		{"hash without function", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,", "verification": {"hash": "` + strings.Repeat("a", 128) + `"}}}]}}`},
		{"md5 hash", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,", "verification": {"hash": "md5-` + strings.Repeat("a", 32) + `"}}}]}}`},
		{"empty hash", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,", "verification": {"hash": ""}}}]}}`},
		{"bad type GUID", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"disks": [{"device": "/dev/a", "partitions": [{"typeGuid": "0FC63DAF-8483-4772-8E79"}]}]}}`},
		{"GUID with braces", "3.6.0", `{"ignition": {"version": "%s"}, "storage": {"disks": [{"device": "/dev/a", "partitions": [{"guid": "{0FC63DAF-8483-4772-8E79-3D69D8477DE4}"}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVersion(tt.version)
			doc := tt.doc
			if strings.Contains(doc, "%s") {
				doc = fmt.Sprintf(doc, v)
			}
			if err := schemaAccepts(t, compileSchema(t, v), doc); err == nil {
				t.Errorf("Schema(%s) accepts %s, want it rejected", v, doc)
			}
		})
	}
}

// TestSchemaVersionRules checks each value rule that depends on the spec version, accepted from
// its first version on and rejected before, in every supported version.
func TestSchemaVersionRules(t *testing.T) {
	file := func(contents string) string {
		return `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "contents": ` + contents + `}]}}`
	}
	tests := []struct {
		name  string
		since string
		doc   string // with %s for the version
	}{
		{"format none", "3.3.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": "none"}]}}`},
		{"format ext4", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": "ext4"}]}}`},
		{"empty format", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": ""}]}}`},
		{"null format", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"filesystems": [{"device": "/dev/a", "format": null}]}}`},
		{"sha256 hash", "3.1.0", file(`{"source": "data:,", "verification": {"hash": "sha256-` + strings.Repeat("0f", 32) + `"}}`)},
		{"sha512 hash", "3.0.0", file(`{"source": "data:,", "verification": {"hash": "sha512-` + strings.Repeat("A0", 64) + `"}}`)},
		{"gzip file contents", "3.0.0", file(`{"source": "data:,", "compression": "gzip"}`)},
		{"gzip merged config", "3.1.0", `{"ignition": {"version": "%s", "config": {"merge": [{"source": "data:,", "compression": "gzip"}]}}}`},
		{"gzip replacing config", "3.1.0", `{"ignition": {"version": "%s", "config": {"replace": {"source": "data:,", "compression": "gzip"}}}}`},
		{"gzip CA", "3.1.0", `{"ignition": {"version": "%s", "security": {"tls": {"certificateAuthorities": [{"source": "data:,", "compression": "gzip"}]}}}}`},
		{"mode 07777", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"files": [{"path": "/a", "mode": 4095}]}}`},
		{"lower-case GUID", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"disks": [{"device": "/dev/a", "partitions": [{"guid": "0fc63daf-8483-4772-8e79-3d69d8477de4", "typeGuid": ""}]}]}}`},
		{"raid level alias", "3.0.0", `{"ignition": {"version": "%s"}, "storage": {"raid": [{"name": "md", "level": "mirror", "devices": ["/dev/a", "/dev/b"]}]}}`},
		{"kernel arguments", "3.3.0", `{"ignition": {"version": "%s"}, "kernelArguments": {"shouldExist": ["quiet"]}}`},
		{"tang advertisement", "3.4.0", `{"ignition": {"version": "%s"}, "storage": {"luks": [{"name": "a", "clevis": {"tang": [{"url": "http://t", "advertisement": "{}"}]}}]}}`},
		{"cex", "3.5.0", `{"ignition": {"version": "%s"}, "storage": {"luks": [{"name": "a", "cex": {"enabled": true}}]}}`},
	}
	for _, tt := range tests {
		since := mustVersion(tt.since)
		for _, v := range Supported {
			t.Run(tt.name+"/"+v.String(), func(t *testing.T) {
				doc := fmt.Sprintf(tt.doc, v)
				err := schemaAccepts(t, compileSchema(t, v), doc)
				if want := !v.LessThan(since); (err == nil) != want {
					t.Errorf("Schema(%s) accepts %s = %v, want %v (err: %v)", v, doc, err == nil, want, err)
				}
			})
		}
	}
}

// TestSchemaMatchesDecoder checks, in every version, that the schema has exactly the keys the
// decoder takes: a config that sets every field of the newest spec is parsed as version v, and the
// keys the decoder ignores as too new must be the keys that the schema of v does not have.
func TestSchemaMatchesDecoder(t *testing.T) {
	for _, v := range Supported {
		t.Run(v.String(), func(t *testing.T) {
			doc := fullDocument(reflect.TypeFor[Config]()).(map[string]any)
			doc["ignition"].(map[string]any)["version"] = v.String()
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, rep := Parse("full.ign", data)
			var decoderTooNew []string
			for _, d := range rep {
				if errors.Is(d.Err, ErrFieldTooNew) {
					decoderTooNew = append(decoderTooNew, d.Path.String())
				}
			}
			var schema map[string]any
			raw, err := Schema(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatal(err)
			}
			var schemaLacks []string
			missingKeys(schema, schema, doc, nil, &schemaLacks)
			slices.Sort(decoderTooNew)
			slices.Sort(schemaLacks)
			if diff := cmp.Diff(decoderTooNew, schemaLacks); diff != "" {
				t.Errorf("keys too new for %s (-decoder +schema):\n%s", v, diff)
			}
		})
	}
}

// fullDocument is a JSON value of Go type t with every field set, lists holding one entry.
func fullDocument(t reflect.Type) any {
	switch t.Kind() {
	case reflect.Pointer:
		return fullDocument(t.Elem())
	case reflect.Slice:
		return []any{fullDocument(t.Elem())}
	case reflect.Struct:
		obj := map[string]any{}
		for _, f := range infoOf(t).fields {
			obj[f.name] = fullDocument(t.FieldByIndex(f.index).Type)
		}
		return obj
	case reflect.String:
		return "x"
	case reflect.Int:
		return 1
	case reflect.Bool:
		return true
	}
	panic("no document for " + t.String())
}

// missingKeys walks the document and the schema node s together and appends, as Path strings,
// the outermost keys that the schema has no property for.
func missingKeys(root, s map[string]any, doc any, p Path, out *[]string) {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		s = root["$defs"].(map[string]any)[name].(map[string]any)
	}
	switch doc := doc.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for k, val := range doc {
			ps, ok := props[k].(map[string]any)
			if !ok {
				*out = append(*out, p.Append(k).String())
				continue
			}
			missingKeys(root, ps, val, p.Append(k), out)
		}
	case []any:
		for i, e := range doc {
			missingKeys(root, s["items"].(map[string]any), e, p.Append(i), out)
		}
	}
}
