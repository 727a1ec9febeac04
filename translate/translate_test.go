package translate

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testFilesDir = "testdata/files"

// TestGolden translates each testdata/*.yaml and compares the pretty JSON with the .json
// beside it.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden inputs in testdata")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, rep := Translate(in, data, Options{FilesDir: testFilesDir, Pretty: true})
			if rep.HasErrors() || res == nil {
				t.Fatalf("Translate(%s) report:\n%v", in, rep.Err())
			}
			for _, d := range rep {
				t.Logf("%s", d)
			}
			golden := strings.TrimSuffix(in, ".yaml") + ".json"
			if *update {
				if err := os.WriteFile(golden, res.JSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./translate -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(res.JSON)); diff != "" {
				t.Errorf("Translate(%s) mismatch (-want +got):\n%s", in, diff)
			}
			// The output must read back as a valid config of the version it claims.
			p, prep := config.Parse(golden, res.JSON)
			if prep.HasErrors() {
				t.Errorf("config.Parse(output of %s) report:\n%v", in, prep.Err())
			}
			if p != nil && !p.Declared.Equal(res.Spec) {
				t.Errorf("output of %s declares spec %s, want %s", in, p.Declared, res.Spec)
			}
		})
	}
}

// TestExample translates the example in examples/ that the README points people to.
func TestExample(t *testing.T) {
	in := "../examples/hello.yaml"
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	res, rep := Translate(in, data, Options{})
	if len(rep) > 0 || res == nil || res.JSON == nil {
		t.Fatalf("Translate(%s) report, want none:\n%v", in, rep)
	}
	c := res.Config
	if len(c.Storage.Files) != 1 || len(c.Passwd.Users) != 1 || len(c.Systemd.Units) != 1 {
		t.Errorf("Translate(%s) = %d files, %d users, %d units, want 1 each",
			in, len(c.Storage.Files), len(c.Passwd.Users), len(c.Systemd.Units))
	}
	if len(c.Passwd.Users) == 1 && len(c.Passwd.Users[0].SSHAuthorizedKeys) != 1 {
		t.Errorf("Translate(%s) user keys = %q, want one", in, c.Passwd.Users[0].SSHAuthorizedKeys)
	}
	if !bytes.Contains(res.JSON, []byte(`"version":"3.6.0"`)) {
		t.Errorf("Translate(%s) = %s, want spec 3.6.0", in, res.JSON)
	}
}

// TestVariants checks the version→spec table and the errors for what is not in it.
func TestVariants(t *testing.T) {
	tests := []struct {
		name     string
		variant  string
		version  string
		wantSpec string
		wantErr  error
	}{
		{name: "flint", variant: "flint", version: "1.0.0", wantSpec: "3.6.0"},
		{name: "fcos 1.0", variant: "fcos", version: "1.0.0", wantSpec: "3.0.0"},
		{name: "fcos 1.1", variant: "fcos", version: "1.1.0", wantSpec: "3.1.0"},
		{name: "fcos 1.2", variant: "fcos", version: "1.2.0", wantSpec: "3.2.0"},
		{name: "fcos 1.3", variant: "fcos", version: "1.3.0", wantSpec: "3.2.0"},
		{name: "fcos 1.4", variant: "fcos", version: "1.4.0", wantSpec: "3.3.0"},
		{name: "fcos 1.5", variant: "fcos", version: "1.5.0", wantSpec: "3.4.0"},
		{name: "fcos 1.6", variant: "fcos", version: "1.6.0", wantSpec: "3.5.0"},
		{name: "fcos 1.7", variant: "fcos", version: "1.7.0", wantSpec: "3.6.0"},
		{name: "flatcar 1.0", variant: "flatcar", version: "1.0.0", wantSpec: "3.3.0"},
		{name: "flatcar 1.1", variant: "flatcar", version: "1.1.0", wantSpec: "3.4.0"},
		{name: "fcos experimental", variant: "fcos", version: "1.8.0-experimental", wantErr: ErrNoTranslator},
		{name: "unknown variant", variant: "rhcos", version: "0.1.0", wantErr: ErrNoTranslator},
		{name: "flint 2", variant: "flint", version: "2.0.0", wantErr: ErrNoTranslator},
		{name: "bad version", variant: "fcos", version: "1.4", wantErr: ErrBadVersion},
		{name: "no variant", variant: "", version: "1.0.0", wantErr: ErrNoVariant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "variant: " + tt.variant + "\nversion: " + tt.version + "\n"
			if tt.variant == "" {
				doc = "version: " + tt.version + "\n"
			}
			res, rep := Translate("v.yaml", []byte(doc), Options{})
			if tt.wantErr != nil {
				if res != nil || len(rep) != 1 || !errors.Is(rep[0].Err, tt.wantErr) || rep[0].Line == 0 {
					t.Fatalf("Translate(%q) = %v, want one positioned %v", doc, rep, tt.wantErr)
				}
				if errors.Is(tt.wantErr, ErrNoTranslator) && !strings.Contains(rep[0].Message(), "fcos 1.7.0") {
					t.Errorf("Translate(%q) message %q, want the supported versions listed", doc, rep[0].Message())
				}
				return
			}
			if res == nil || rep.HasErrors() {
				t.Fatalf("Translate(%q) report: %v", doc, rep)
			}
			if got := res.Spec.String(); got != tt.wantSpec {
				t.Errorf("Translate(%q) spec = %s, want %s", doc, got, tt.wantSpec)
			}
			want := `{"ignition":{"version":"` + tt.wantSpec + `"}}`
			if string(res.JSON) != want {
				t.Errorf("Translate(%q) = %s, want %s", doc, res.JSON, want)
			}
		})
	}
}

func TestSnakeCase(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "one word", in: "path", want: "path"},
		{name: "two words", in: "wipeTable", want: "wipe_table"},
		{name: "MiB", in: "sizeMiB", want: "size_mib"},
		{name: "Guid", in: "typeGuid", want: "type_guid"},
		{name: "three words", in: "sshAuthorizedKeys", want: "ssh_authorized_keys"},
		{name: "http", in: "httpResponseHeaders", want: "http_response_headers"},
		{name: "digit", in: "tpm2", want: "tpm2"},
		{name: "initialism", in: "HTTPHeaders", want: "http_headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := snakeCase(tt.in); got != tt.want {
				t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEveryFieldHasAKey walks the whole model and checks that every field is reachable from a
// distinct YAML key, so that a field added to config.types is translated without code here.
func TestEveryFieldHasAKey(t *testing.T) {
	seen := map[string]bool{}
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		if seen[typ.String()] {
			return
		}
		seen[typ.String()] = true
		ys := yamlStructOf(typ)
		if len(ys.bySnake) != len(ys.fields) {
			t.Errorf("%s: %d fields but %d distinct YAML keys", typ, len(ys.fields), len(ys.bySnake))
		}
		for _, f := range ys.fields {
			ft := typ.FieldByIndex(f.Index).Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[config.Config]())
	if len(seen) < 20 {
		t.Errorf("walked %d struct types, want the whole model", len(seen))
	}
}
