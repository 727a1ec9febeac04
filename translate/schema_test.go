package translate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const variantsDir = "../docs/variants"

// TestVariantFilesFresh regenerates docs/variants in memory and compares it with the committed
// files, so that a change to the type tree or the sugar cannot ship with a stale page or schema.
func TestVariantFilesFresh(t *testing.T) {
	for _, vr := range DocumentedVariants() {
		t.Run(vr.Name+"-"+vr.Version, func(t *testing.T) {
			md, err := ReferenceMarkdown(vr)
			if err != nil {
				t.Fatal(err)
			}
			schema, err := Schema(vr)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(variantsDir, vr.Name+"-"+vr.Version)
			for name, want := range map[string][]byte{base + ".md": md, base + ".schema.json": schema} {
				got, err := os.ReadFile(name)
				if err != nil {
					t.Errorf("%v: run go generate ./translate", err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s is stale: run go generate ./translate (-committed +generated):\n%s", name,
						cmp.Diff(strings.Split(string(got), "\n"), strings.Split(string(want), "\n")))
				}
			}
		})
	}
}

// compileVariantSchema compiles variant vr's schema with an independent JSON Schema
// implementation.
func compileVariantSchema(t *testing.T, vr Variant) *jsonschema.Schema {
	t.Helper()
	data, err := Schema(vr)
	if err != nil {
		t.Fatalf("Schema(%s %s): %v", vr.Name, vr.Version, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Schema(%s %s) is not JSON: %v", vr.Name, vr.Version, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertContent()
	if err := c.AddResource(SchemaID(vr), doc); err != nil {
		t.Fatalf("AddResource(Schema(%s %s)): %v", vr.Name, vr.Version, err)
	}
	sch, err := c.Compile(SchemaID(vr))
	if err != nil {
		t.Fatalf("Compile(Schema(%s %s)): %v", vr.Name, vr.Version, err)
	}
	return sch
}

// yamlInstance reads a YAML document as a generic JSON value, as an editor's YAML language
// server does before it applies a schema.
func yamlInstance(t *testing.T, doc []byte) (any, Variant) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatalf("yaml.Unmarshal: %v\n%s", err, doc)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(YAML value): %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := v.(map[string]any)
	name, _ := m["variant"].(string)
	version, _ := m["version"].(string)
	vr, err := lookupVariant(name, version)
	if err != nil {
		t.Fatalf("document has no supported variant: %v\n%s", err, doc)
	}
	return inst, vr
}

// TestSchemaAcceptsExamples validates every YAML example against its variant's schema and
// translates it: what the translator accepts, the schema accepts too.
func TestSchemaAcceptsExamples(t *testing.T) {
	docs := yamlExamples(t)
	if len(docs) < 10 {
		t.Fatalf("found %d YAML examples, want the examples, testdata and docs", len(docs))
	}
	for _, ex := range docs {
		t.Run(ex.name, func(t *testing.T) {
			inst, vr := yamlInstance(t, ex.data)
			if err := compileVariantSchema(t, vr).Validate(inst); err != nil {
				t.Errorf("Schema(%s %s) rejects %s: %v", vr.Name, vr.Version, ex.name, err)
			}
			res, rep := Translate(ex.name, ex.data, Options{FilesDir: ex.filesDir})
			if res == nil || rep.HasErrors() {
				t.Errorf("Translate(%s) report:\n%v", ex.name, rep.Err())
			}
			// What people copy from the docs and examples must be clean, warnings included.
			if !strings.HasPrefix(ex.name, "testdata/") && len(rep) > 0 {
				t.Errorf("Translate(%s) = %v, want no diagnostics", ex.name, rep)
			}
		})
	}
}

type yamlExample struct {
	name     string
	data     []byte
	filesDir string
}

// fencedYAML finds the ```yaml blocks of a Markdown page.
var fencedYAML = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

// yamlExamples lists examples/*.yaml, translate/testdata/*.yaml and every fenced YAML block of
// docs/*.md. Documentation examples read local files from examples/.
func yamlExamples(t *testing.T) []yamlExample {
	var out []yamlExample
	for _, glob := range []string{"../examples/*.yaml", "testdata/*.yaml"} {
		names, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			dir := testFilesDir
			if strings.HasPrefix(name, "../examples") {
				dir = "../examples"
			}
			out = append(out, yamlExample{name, data, dir})
		}
	}
	pages, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range fencedYAML.FindAllSubmatch(data, -1) {
			out = append(out, yamlExample{name: filepath.Base(page) + "#" + string(rune('a'+i)), data: m[1], filesDir: "../examples"})
		}
	}
	return out
}

// TestSchemaRejects checks that each variant's schema refuses what the variant does not have.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{name: "unknown key", doc: header + "storage:\n  filez: []\n"},
		{name: "camelCase key", doc: header + "passwd:\n  users:\n    - name: core\n      sshAuthorizedKeys: [x]\n"},
		{name: "ignition version", doc: header + "ignition:\n  version: 3.6.0\n"},
		{name: "wrong type", doc: header + "storage:\n  files:\n    - path: /a\n      mode: rw\n"},
		{name: "file without path", doc: header + "storage:\n  files:\n    - mode: 0644\n"},
		{name: "bad compression", doc: header + "storage:\n  files:\n    - path: /a\n      contents:\n        compression: xz\n"},
		{name: "wrong version", doc: "variant: flint\nversion: 1.1.0\n"},
		{name: "no variant", doc: "version: 1.0.0\n"},
		{name: "trees in fcos 1.0", doc: "variant: fcos\nversion: 1.0.0\nstorage:\n  trees:\n    - local: x\n"},
		{name: "inline outside files in fcos 1.0", doc: "variant: fcos\nversion: 1.0.0\nignition:\n  config:\n    replace:\n      inline: x\n"},
		{name: "boot_device in flatcar", doc: "variant: flatcar\nversion: 1.1.0\nboot_device:\n  luks:\n    tpm2: true\n"},
		{name: "grub in fcos 1.4", doc: "variant: fcos\nversion: 1.4.0\ngrub:\n  users: []\n"},
		{name: "tree modes in fcos 1.6", doc: "variant: fcos\nversion: 1.6.0\nstorage:\n  trees:\n    - local: x\n      dir_mode: 0755\n"},
		{name: "cex in fcos 1.5", doc: "variant: fcos\nversion: 1.5.0\nboot_device:\n  luks:\n    cex:\n      enabled: true\n"},
		{name: "contents_local in fcos 1.4", doc: "variant: fcos\nversion: 1.4.0\nsystemd:\n  units:\n    - name: a.service\n      contents_local: a\n"},
		{name: "kernel_arguments in fcos 1.3", doc: "variant: fcos\nversion: 1.3.0\nkernel_arguments:\n  should_exist: [a]\n"},
		{name: "unknown key in a tree", doc: header + "storage:\n  trees:\n    - local: x\n      mode: 0644\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := yaml.Unmarshal([]byte(tt.doc), &v); err != nil {
				t.Fatal(err)
			}
			m := v.(map[string]any)
			vr := Variants[0]
			if name, _ := m["variant"].(string); name != "" {
				if found, err := lookupVariant(name, m["version"].(string)); err == nil {
					vr = found
				}
			}
			js, _ := json.Marshal(v)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
			if err != nil {
				t.Fatal(err)
			}
			if err := compileVariantSchema(t, vr).Validate(inst); err == nil {
				t.Errorf("Schema(%s %s) accepts %q, want it rejected", vr.Name, vr.Version, tt.doc)
			}
		})
	}
}

// TestSchemaEveryVariant compiles every variant's schema and checks that every sugar key has
// its description, so that new sugar cannot be left out of the editors' view.
func TestSchemaEveryVariant(t *testing.T) {
	for _, vr := range Variants {
		t.Run(vr.Name+"-"+vr.Version, func(t *testing.T) {
			compileVariantSchema(t, vr)
			if _, err := ReferenceMarkdown(vr); err != nil {
				t.Errorf("ReferenceMarkdown(%s %s): %v", vr.Name, vr.Version, err)
			}
		})
	}
	for typ, sg := range sugars {
		for key := range sg.keys {
			if sf, ok := sugarFields[key]; !ok || sf.doc == "" {
				t.Errorf("sugar key %s of %s has no sugarFields entry", key, typ)
			}
		}
	}
	if _, err := Schema(Variant{Name: "fcos", Version: "9.0.0"}); err == nil {
		t.Errorf("Schema(fcos 9.0.0) = nil error, want one")
	}
}
