package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/flint-provision/flint/pxe"
)

// startEtcd runs Debian's etcd on loopback ports until the test ends; it returns host:port.
func startEtcd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("etcd is not installed (apt-get install etcd-server; .ci/run does)")
	}
	port := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	client := fmt.Sprintf("127.0.0.1:%d", port())
	peer := fmt.Sprintf("http://127.0.0.1:%d", port())
	var log bytes.Buffer
	cmd := exec.Command(bin, "--name", "cli", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "cli="+peer)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + client + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return client
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("etcd did not become healthy in 20 s:\n%s", log.String())
	return ""
}

func TestPXEImport(t *testing.T) {
	host := startEtcd(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"profiles/worker.yaml": "kernel: /assets/vmlinuz\nconfig: worker.yaml\n",
		"groups/default.yaml":  "profile: worker\n",
		"configs/worker.yaml":  "variant: flint\nversion: 1.0.0\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := "etcd://" + host + "/site"
	t.Run("imports", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"pxe", "import", "--store", store, dir}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("pxe import = %d (%s)", code, stderr.String())
		}
		if want := "imported 1 groups, 1 profiles, 1 configs; removed 0\n"; stdout.String() != want {
			t.Errorf("pxe import printed %q, want %q", stdout.String(), want)
		}
		s, err := pxe.OpenStore(store, "")
		if err != nil {
			t.Fatal(err)
		}
		if groups, err := s.Groups(context.Background()); err != nil || len(groups) != 1 || groups[0].ID != "default" {
			t.Errorf("Groups() after pxe import = %+v, %v", groups, err)
		}
	})
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "groups"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "groups", "g.yaml"), []byte("profile: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no store", []string{"pxe", "import", dir}},
		{"a directory store", []string{"pxe", "import", "--store", "dir:" + dir, dir}},
		{"unknown scheme", []string{"pxe", "import", "--store", "consul://x/y", dir}},
		{"group naming a missing profile", []string{"pxe", "import", "--store", store, bad}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tc.args, nil, &stdout, &stderr); code != ExitUsageIO {
				t.Errorf("%v = %d, want %d (%s)", tc.args, code, ExitUsageIO, stderr.String())
			}
		})
	}
}
