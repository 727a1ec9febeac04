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

func TestMetadataSSHUserWithoutPlatformKeys(t *testing.T) {
	root := newTargetRoot(t)
	writeFile(t, filepath.Join(root, "etc"), "passwd", "root:x:0:0::/root:/bin/sh\ncore:x:1000:1000::/home/core:/bin/sh\n")
	keys := filepath.Join(root, "home/core/.ssh")
	os.MkdirAll(keys, 0o700)
	writeFile(t, keys, "authorized_keys", "ssh-ed25519 AAAA mine\n")
	var stdout, stderr bytes.Buffer
	// metal offers no metadata: the block is empty and the user's own keys stay.
	if code := Main([]string{"metadata", "--root", root, "--platform", "metal", "--ssh-user", "core"}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("flint metadata = %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(filepath.Join(keys, "authorized_keys")); string(b) != "ssh-ed25519 AAAA mine\n" {
		t.Errorf("authorized_keys = %q", b)
	}
	if code := Main([]string{"metadata", "--root", root, "--platform", "metal", "--ssh-user", "nobody"}, nil, &stdout, &stderr); code != ExitFailed {
		t.Errorf("unknown user: exit %d, want %d", code, ExitFailed)
	}
}
