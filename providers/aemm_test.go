package providers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSAgainstAEMM runs the aws provider against the published EC2 metadata mock
// (github.com/aws/amazon-ec2-metadata-mock v1.12.0, a go.mod tool), built into a temporary
// directory and run on loopback with IMDSv2 required. AEMM serves user data only under
// /latest/, so a path rewrite fronts it for the provider's dated path.
func TestAWSAgainstAEMM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds amazon-ec2-metadata-mock")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "aemm")
	build := exec.Command("go", "build", "-o", bin, "github.com/aws/amazon-ec2-metadata-mock/cmd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build amazon-ec2-metadata-mock: %v: %s", err, out)
	}
	cfg := filepath.Join(dir, "aemm-config.json")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`{"userdata":{"values":{"userdata":%q}}}`, base64.StdEncoding.EncodeToString([]byte(testConfig)))), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-n", "127.0.0.1", "-p", fmt.Sprint(port), "-c", cfg, "-I")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	aemm := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatal("amazon-ec2-metadata-mock did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	target, _ := url.Parse(aemm)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var seen []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		r.URL.Path = strings.Replace(r.URL.Path, "/2019-10-01/", "/latest/", 1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	p, _ := Get("aws")
	got, err := p.FetchConfig(context.Background(), testEnv(t, front.URL))
	if err != nil || string(got) != testConfig {
		t.Errorf("FetchConfig() = %q, %v, want %q", got, err, testConfig)
	}
	want := []string{"PUT /latest/api/token", "PUT /latest/api/token", "GET /2019-10-01/user-data"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("requests = %q, want %q", seen, want)
	}

	t.Run("token required", func(t *testing.T) {
		resp, err := http.Get(aemm + "/latest/user-data")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET without token = %d, want 401", resp.StatusCode)
		}
	})
}
