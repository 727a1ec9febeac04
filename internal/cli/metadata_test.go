package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetadataCommand(t *testing.T) {
	root := t.TempDir()
	cl := writeFile(t, t.TempDir(), "cmdline", "root=LABEL=ROOT flint.platform.id=metal\n")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"metadata", "--root", root, "--cmdline", cl}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("flint metadata = %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(root, "run/metadata/flint"))
	host, _ := os.Hostname()
	if err != nil || !strings.Contains(string(b), "FLINT_HOSTNAME="+host+"\n") {
		t.Errorf("/run/metadata/flint = %q, %v; want the kernel's host name for metal", b, err)
	}
	if code := Main([]string{"metadata", "--root", root, "--platform", "nowhere"}, nil, &stdout, &stderr); code != ExitUsageIO {
		t.Errorf("unknown platform: exit %d, want %d", code, ExitUsageIO)
	}
}
