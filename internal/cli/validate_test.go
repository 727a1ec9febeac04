package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	valid := writeFile(t, dir, "valid.ign", `{"ignition":{"version":"3.6.0"}}`)
	warn := writeFile(t, dir, "warn.ign", "{\"ignition\":{\"version\":\"3.6.0\"},\n \"extra\": 1}")
	broken := writeFile(t, dir, "broken.ign", "{\"ignition\":{\"version\":\"3.6.0\"},\n \"storage\": [}")
	yamlBad := writeFile(t, dir, "bad.yaml", "variant: flint\nversion: 1.0.0\nstorage:\n  files:\n    - path: etc/motd\n")
	yamlOK := writeFile(t, dir, "ok.yaml", "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string // a substring of stdout; "" means stdout must be empty
	}{
		{name: "valid", args: []string{valid}, wantCode: ExitOK},
		{name: "warning only", args: []string{warn}, wantCode: ExitOK,
			wantOut: warn + ":2:2: warning: unused key extra [$.extra]"},
		{name: "warning strict", args: []string{"--strict", warn}, wantCode: ExitFailed,
			wantOut: warn + ":2:2: error: unused key extra [$.extra]"},
		{name: "syntax error", args: []string{broken}, wantCode: ExitFailed, wantOut: broken + ":2:14: error: invalid JSON"},
		{name: "several files", args: []string{valid, broken}, wantCode: ExitFailed, wantOut: broken + ":2:14"},
		{name: "stdin", args: []string{"-"}, stdin: `{"ignition":{"version":"3.9.0"}}`, wantCode: ExitFailed,
			wantOut: "<stdin>:1:24: error: unsupported config version"},
		{name: "github format", args: []string{"--format", "github", warn}, wantCode: ExitOK,
			wantOut: "::warning file=" + warn + ",line=2,col=2::unused key extra [$.extra]"},
		{name: "yaml valid", args: []string{yamlOK}, wantCode: ExitOK},
		{name: "yaml error positioned in the yaml", args: []string{yamlBad}, wantCode: ExitFailed,
			wantOut: yamlBad + ":5:13: error: path not absolute [$.storage.files.0.path]"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.ign")}, wantCode: ExitUsageIO},
		{name: "no file", args: nil, wantCode: ExitUsageIO},
		{name: "bad format", args: []string{"--format", "xml", valid}, wantCode: ExitUsageIO},
		{name: "bad flag", args: []string{"--nope", valid}, wantCode: ExitUsageIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"validate"}, tt.args...)
			code := Main(args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("Main(%q) = %d, want %d (stdout %q, stderr %q)", args, code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.wantOut == "" && stdout.Len() > 0 {
				t.Errorf("Main(%q) printed %q, want nothing", args, stdout.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("Main(%q) printed %q, want it to contain %q", args, stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestValidateJSONFormat(t *testing.T) {
	dir := t.TempDir()
	warn := writeFile(t, dir, "warn.ign", "{\"ignition\":{\"version\":\"3.6.0\"},\n \"extra\": 1}")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"validate", "--format", "json", warn}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	want := map[string]any{"severity": "warning", "file": warn, "line": 2.0, "column": 2.0, "path": "$.extra", "message": "unused key extra"}
	if len(got) != 1 {
		t.Fatalf("got %d diagnostics, want 1: %s", len(got), stdout.String())
	}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("diagnostic[%q] = %v, want %v", k, got[0][k], v)
		}
	}
}

// TestExamplesValidate keeps the examples in examples/ valid.
func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.ign")
	yamls, _ := filepath.Glob("../../examples/*.yaml")
	files = append(files, yamls...)
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main([]string{"validate", "--strict", f}, nil, &stdout, &stderr); code != ExitOK {
				t.Errorf("flint validate --strict %s = %d:\n%s%s", f, code, stdout.String(), stderr.String())
			}
		})
	}
}
