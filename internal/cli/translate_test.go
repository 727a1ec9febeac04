package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTranslateCommand(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "files")
	if err := os.Mkdir(files, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(files, "motd"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const good = "variant: flint\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        local: motd\n"
	const warns = "variant: flint\nversion: 1.0.0\nbogus: 1\n"
	const tooNew = "variant: flint\nversion: 1.0.0\nkernel_arguments:\n  should_exist: [a]\n"
	const broken = "variant: flint\nversion: 1.0.0\nstorage: [\n"
	out := filepath.Join(dir, "out.ign")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "stdin to stdout", args: []string{"translate", "-d", files}, stdin: good, wantCode: ExitOK,
			wantStdout: `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"compression":"","source":"data:,hi%0A"}}]}}` + "\n"},
		{name: "pretty", args: []string{"translate", "--pretty", "--files-dir", files, "-"}, stdin: good, wantCode: ExitOK,
			wantStdout: "{\n  \"ignition\": {\n    \"version\": \"3.6.0\"\n  },"},
		{name: "older spec", args: []string{"translate", "--spec", "3.2.0", "-d", files}, stdin: good, wantCode: ExitOK,
			wantStdout: `"version":"3.2.0"`},
		{name: "too new for spec", args: []string{"translate", "--spec", "3.2.0"}, stdin: tooNew, wantCode: ExitFailed,
			wantStderr: "<stdin>:3:1: error: key from a newer spec"},
		{name: "warning", args: []string{"translate"}, stdin: warns, wantCode: ExitOK,
			wantStderr: "<stdin>:3:1: warning: unused key bogus"},
		{name: "strict", args: []string{"translate", "--strict"}, stdin: warns, wantCode: ExitFailed,
			wantStderr: "<stdin>:3:1: error: unused key bogus"},
		{name: "syntax", args: []string{"translate"}, stdin: broken, wantCode: ExitFailed, wantStderr: "invalid YAML"},
		{name: "no files dir", args: []string{"translate"}, stdin: good, wantCode: ExitFailed, wantStderr: "-d/--files-dir"},
		{name: "bad spec flag", args: []string{"translate", "--spec", "9.9.9"}, stdin: good, wantCode: ExitUsageIO},
		{name: "missing input", args: []string{"translate", filepath.Join(dir, "nope.yaml")}, wantCode: ExitUsageIO},
		{name: "two inputs", args: []string{"translate", "a", "b"}, wantCode: ExitUsageIO},
		{name: "output file", args: []string{"translate", "-o", out, "-d", files}, stdin: good, wantCode: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("Main(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("Main(%q) stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("Main(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantStderr)
			}
		})
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(data, []byte(`{"ignition":{"version":"3.6.0"}`)) {
		t.Errorf("translate -o %s wrote %q, %v", out, data, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.ign.*")); len(left) > 0 {
		t.Errorf("translate -o left temporary files %q", left)
	}
}
