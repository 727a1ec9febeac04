package pxe

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// chromium runs headless Chromium on a loopback URL with a fresh profile and no network
// services of its own, and returns its standard output.
func chromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestStatusPageChromium renders the status page of a server with a provisioned and a failed
// machine in a real browser: the DOM Chromium builds must list both with their results and
// the error, and a screenshot must be a picture, not a blank page.
func TestStatusPageChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run does)")
	}
	dir := testData(t)
	boot := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &Server{Store: NewDirStore(dir), DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return boot }}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	post := func(token string, rep StatusReport) {
		t.Helper()
		b, _ := json.Marshal(rep)
		resp, err := http.Post(ts.URL+"/status?token="+url.QueryEscape(token), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST /status = %d", resp.StatusCode)
		}
	}
	_, alpha := bootMachine(t, ts.URL, "mac=52:54:00:00:00:01&hostname=alpha")
	post(alpha, StatusReport{Stage: "files", Event: EventSuccess})
	post(alpha, StatusReport{Stage: StageComplete, Event: EventSuccess})
	_, beta := bootMachine(t, ts.URL, "mac=52:54:00:00:00:02&hostname=beta")
	post(beta, StatusReport{Stage: "disks", Event: EventFailure, Message: "/dev/vdb: no such device"})

	t.Run("DOM", func(t *testing.T) {
		dom := chromium(t, bin, "--dump-dom", ts.URL+"/")
		when := "2025-03-01 12:00:00 UTC"
		want := []map[string]string{
			{"id": "52-54-00-00-00-01", "hostname": "alpha", "group": "default", "profile": "worker", "last-boot": when, "result": "provisioned", "detail": "provisioned at " + when},
			{"id": "52-54-00-00-00-02", "hostname": "beta", "group": "db", "profile": "worker", "last-boot": when, "result": "failed", "detail": "disks: /dev/vdb: no such device"},
		}
		if diff := cmp.Diff(want, pageRows(t, string(dom))); diff != "" {
			t.Errorf("rows of the page as Chromium built it (-want +got):\n%s", diff)
		}
		if !strings.Contains(string(dom), `class="error">disks: /dev/vdb: no such device<`) {
			t.Errorf("the error is not in its highlighted element:\n%s", dom)
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "page.png")
		if keep := os.Getenv("FLINT_PAGE_SCREENSHOT"); keep != "" {
			file = keep // to look at the page: FLINT_PAGE_SCREENSHOT=/tmp/page.png go test -run Chromium
		}
		chromium(t, bin, "--screenshot="+file, "--window-size=1200,800", "--hide-scrollbars", ts.URL+"/")
		f, err := os.Open(file)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("screenshot is not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
			t.Errorf("screenshot is %dx%d, want 1200x800", b.Dx(), b.Dy())
		}
		if n := colours(img); n < 8 {
			t.Errorf("screenshot has %d colours: a blank page", n)
		}
	})
}

// colours counts the distinct colours of an image, up to 64.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 64; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
