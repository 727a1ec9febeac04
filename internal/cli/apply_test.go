package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newRoot makes a target root with the account files every Linux root has.
func newTargetRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	writeFile(t, filepath.Join(root, "etc"), "passwd", "root:x:0:0:root:/root:/bin/sh\n")
	writeFile(t, filepath.Join(root, "etc"), "group", "root:x:0:\nwheel:x:10:\n")
	return root
}

// TestApplyExample provisions a directory with the README's example config, as
// docs/agent.md shows, and checks what landed.
func TestApplyExample(t *testing.T) {
	for _, example := range []string{"../../examples/hello.yaml", "../../examples/hello.ign"} {
		t.Run(filepath.Base(example), func(t *testing.T) {
			root := newTargetRoot(t)
			var stdout, stderr bytes.Buffer
			code := Main([]string{"apply", "--root", root, "--state-dir", t.TempDir(), "--config", example}, nil, &stdout, &stderr)
			if code != ExitOK {
				t.Fatalf("flint apply = %d:\n%s", code, stderr.String())
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); !strings.Contains(string(b), "flint") {
				t.Errorf("/etc/motd = %q", b)
			}
			if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/hello.service")); err != nil {
				t.Errorf("hello.service not enabled: %v", err)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); !strings.Contains(string(b), "core:") {
				t.Errorf("user core not created: %q", b)
			}
			var rep struct{ Result string }
			b, _ := os.ReadFile(filepath.Join(root, "etc/.flint-result.json"))
			if err := json.Unmarshal(b, &rep); err != nil || rep.Result != "success" {
				t.Errorf("report = %s, %v", b, err)
			}
		})
	}
}

func TestPlanChangesNothing(t *testing.T) {
	root := newTargetRoot(t)
	state := t.TempDir()
	for _, format := range []string{"text", "json"} {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"plan", "--root", root, "--state-dir", state, "--config", "../../examples/hello.yaml", "--format", format}, nil, &stdout, &stderr)
		if code != ExitOK {
			t.Fatalf("flint plan = %d: %s", code, stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{"write /etc/motd", "enable hello.service", "users and groups"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan (%s) lacks %q:\n%s", format, want, out)
			}
		}
		if format == "json" {
			var plans []struct {
				Stage   string
				Actions []struct{ Action, Config string }
			}
			if err := json.Unmarshal(stdout.Bytes(), &plans); err != nil || len(plans) != 7 {
				t.Errorf("plan --format json = %d stages, %v", len(plans), err)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "etc"))
	if len(entries) != 2 {
		t.Errorf("plan wrote into the root: %v", entries)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("plan wrote state: %v", entries)
	}
}

func TestApplyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"apply", "--stage", "nope", "--config", "x"},
		{"apply", "--cmdline", "/nonexistent", "--platform", "metal"},
		{"plan", "--format", "xml", "--config", "../../examples/hello.ign"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(args, nil, &stdout, &stderr); code != ExitUsageIO {
			t.Errorf("Main(%q) = %d, want %d (%s)", args, code, ExitUsageIO, stderr.String())
		}
	}
}
