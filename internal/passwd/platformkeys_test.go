package passwd

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestInstallPlatformKeys(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\ncore:x:1000:1000::/home/core:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\ncore:x:1000:\n"), 0o644)
	keysFile := filepath.Join(root, "home/core/.ssh/authorized_keys")
	os.MkdirAll(filepath.Dir(keysFile), 0o700)
	os.WriteFile(keysFile, []byte("ssh-ed25519 AAAA config-key\n"), 0o600)

	for _, step := range []struct {
		keys []string
		want string
	}{
		{[]string{"ssh-rsa BBBB cloud-1"}, "ssh-ed25519 AAAA config-key\n" + platformKeysBegin + "\nssh-rsa BBBB cloud-1\n" + platformKeysEnd + "\n"},
		{[]string{"ssh-rsa CCCC cloud-2", "ssh-rsa DDDD cloud-3"}, "ssh-ed25519 AAAA config-key\n" + platformKeysBegin + "\nssh-rsa CCCC cloud-2\nssh-rsa DDDD cloud-3\n" + platformKeysEnd + "\n"},
		{nil, "ssh-ed25519 AAAA config-key\n"},
	} {
		if err := InstallPlatformKeys(root, "core", step.keys); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(keysFile)
		if string(got) != step.want {
			t.Errorf("after InstallPlatformKeys(%q):\n%s\nwant:\n%s", step.keys, got, step.want)
		}
	}
	fi, err := os.Stat(keysFile)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 1000 {
		t.Errorf("authorized_keys = %v, %v; want 0600 owned by 1000", fi.Mode(), err)
	}
	if err := InstallPlatformKeys(root, "nobody", []string{"k"}); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v, want ErrNoUser", err)
	}
}
