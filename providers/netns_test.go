package providers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/tests/emulators"
)

// TestAWSLinkLocal serves IMDS on the real 169.254.169.254:80 inside a private network
// namespace and runs the aws provider there unchanged (no endpoint override). The test binary
// re-executes itself under `ip netns exec`; the child is the half marked by
// FLINT_NETNS_CHILD.
func TestAWSLinkLocal(t *testing.T) {
	if os.Getenv("FLINT_NETNS_CHILD") == "1" {
		awsLinkLocalChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip not installed (apt-get install -y iproute2)")
	}
	ns := fmt.Sprintf("flint-test-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("-n", ns, "link", "set", "lo", "up")
	// A dummy interface where the kernel has the module, else the loopback device.
	dev := "lo"
	if exec.Command("ip", "-n", ns, "link", "add", "meta0", "type", "dummy").Run() == nil {
		dev = "meta0"
		run("-n", ns, "link", "set", "meta0", "up")
	}
	run("-n", ns, "addr", "add", "169.254.169.254/16", "dev", dev)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, "ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestAWSLinkLocal$", "-test.v")
	child.Env = append(os.Environ(), "FLINT_NETNS_CHILD=1")
	out, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("provider inside the namespace: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func awsLinkLocalChild(t *testing.T) {
	s, err := emulators.ListenOn("169.254.169.254:80", emulators.AWS(emulators.AWSOptions{UserData: []byte(testConfig), RequireToken: true}), emulators.Faults{})
	if err != nil {
		t.Fatalf("listening on the metadata address: %v", err)
	}
	defer s.Close()
	env := &Env{Fetcher: &resource.Fetcher{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, _ := Get("aws")
	got, err := p.FetchConfig(ctx, env)
	if err != nil || string(got) != testConfig {
		t.Fatalf("FetchConfig() = %q, %v, want %q", got, err, testConfig)
	}
	if n := s.Count(); n != 3 {
		t.Errorf("IMDS saw %d requests, want 3 (two token PUTs, one GET)", n)
	}
}
