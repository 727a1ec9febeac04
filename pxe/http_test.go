package pxe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/cpio"
)

// writeTree creates files under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const testConfigYAML = `variant: flint
version: 1.0.0
storage:
  files:
    - path: /etc/whoami
      contents:
        inline: "{{.Labels.mac}} {{.Metadata.role}}"
`

// testData is a data directory with a default group, a MAC group, a group whose config does
// not render and one whose config is invalid.
func testData(t testing.TB) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"profiles/worker.yaml":  "id: worker\nkernel: /assets/vmlinuz\ninitrd: [/assets/initrd.img]\nargs: [console=ttyS0, flint.firstboot]\nconfig: worker.yaml\n",
		"profiles/embed.yaml":   "id: embed\nkernel: /assets/vmlinuz\ninitrd: ['--name main /assets/initrd.img']\nconfig: worker.yaml\nconfigDelivery: initrd\n",
		"profiles/broken.json":  `{"id": "broken", "kernel": "/assets/vmlinuz", "config": "broken.yaml"}`,
		"profiles/invalid.yaml": "id: invalid\nkernel: /assets/vmlinuz\nconfig: invalid.ign\n",
		"groups/default.yaml":   "id: default\nprofile: worker\nmetadata: {role: worker}\n",
		"groups/db.yaml":        "id: db\nprofile: worker\nselector: {mac: 52-54-00-00-00-02}\nmetadata: {role: db}\n",
		"groups/embed.yaml":     "id: embed\nprofile: embed\nselector: {mac: 52:54:00:00:00:03}\nmetadata: {role: embedded}\n",
		"groups/broken.yaml":    "id: broken\nprofile: broken\nselector: {mac: 52:54:00:00:00:04}\n",
		"groups/invalid.yaml":   "id: invalid\nprofile: invalid\nselector: {mac: 52:54:00:00:00:05}\n",
		"configs/worker.yaml":   testConfigYAML,
		"configs/broken.yaml":   "variant: flint\nversion: 1.0.0\n# {{.Metadata.nothing}}\n",
		"configs/invalid.ign":   `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"relative"}]}}`,
		"assets/vmlinuz":        "kernel",
		"assets/initrd.img":     "initrd",
		"assets/sub/file":       "sub",
		"secret-outside":        "TOPSECRET-CONTENT",
	})
	return dir
}

func testServer(t testing.TB, dir string) (*Server, *httptest.Server) {
	s := &Server{Store: NewDirStore(dir), DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// bootMachine fetches the machine's script and returns it with its token.
func bootMachine(t testing.TB, base, query string) (string, string) {
	t.Helper()
	code, script := get(t, base+"/ipxe?"+query)
	if code != http.StatusOK {
		t.Fatalf("GET /ipxe?%s = %d %s", query, code, script)
	}
	if !strings.Contains(script, " flint.report.url="+base+"/status?token=") {
		t.Errorf("script has no flint.report.url for the agent's status posts:\n%s", script)
	}
	if m := tokenArg.FindStringSubmatch(script); m != nil {
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		return script, u.Query().Get("token")
	}
	for _, f := range strings.Fields(script) {
		if i := strings.Index(f, "/initrd/"); i >= 0 {
			return script, strings.Split(f[i+len("/initrd/"):], "/")[0]
		}
	}
	return script, ""
}

func TestHTTPScripts(t *testing.T) {
	_, ts := testServer(t, testData(t))
	t.Run("boot.ipxe", func(t *testing.T) {
		for _, p := range []string{"/boot.ipxe", "/boot.ipxe.0"} {
			code, body := get(t, ts.URL+p)
			if code != http.StatusOK || body != BootScript(ts.URL) {
				t.Errorf("GET %s = %d %q, want %q", p, code, body, BootScript(ts.URL))
			}
		}
	})
	for _, tc := range []struct {
		name, query string
		wantCode    int
		wantInitrd  []string
	}{
		{"BIOS machine", "mac=52-54-00-00-00-01&platform=pcbios&arch=x86_64", http.StatusOK, []string{"initrd.img"}},
		{"UEFI machine", "mac=52-54-00-00-00-01&platform=efi&arch=x86_64", http.StatusOK, []string{"initrd.img"}},
		{"UEFI, embedded config", "mac=52-54-00-00-00-03&platform=efi", http.StatusOK, []string{"main", "config"}},
		{"invalid MAC", "mac=zz", http.StatusBadRequest, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, script := get(t, ts.URL+"/ipxe?"+tc.query)
			if code != tc.wantCode {
				t.Fatalf("GET /ipxe?%s = %d %s, want %d", tc.query, code, script, tc.wantCode)
			}
			if code != http.StatusOK {
				return
			}
			initrds, cmdline := scriptImages(t, script)
			if strings.Join(initrds, ",") != strings.Join(tc.wantInitrd, ",") || strings.Join(cmdline, ",") != strings.Join(tc.wantInitrd, ",") {
				t.Errorf("script initrds %v, initrd= %v; want %v in both\n%s", initrds, cmdline, tc.wantInitrd, script)
			}
		})
	}
	t.Run("no group", func(t *testing.T) {
		dir := testData(t)
		os.Remove(filepath.Join(dir, "groups", "default.yaml"))
		_, ts := testServer(t, dir)
		if code, body := get(t, ts.URL+"/ipxe?mac=52-54-00-00-00-09"); code != http.StatusNotFound {
			t.Errorf("GET /ipxe (no group) = %d %s, want 404", code, body)
		}
	})
}

func TestHTTPConfigTokens(t *testing.T) {
	_, ts := testServer(t, testData(t))
	_, tokA := bootMachine(t, ts.URL, "mac=52-54-00-00-00-01")
	_, tokB := bootMachine(t, ts.URL, "mac=52-54-00-00-00-02")
	if tokA == "" || tokB == "" || tokA == tokB {
		t.Fatalf("tokens %q and %q: want two different tokens", tokA, tokB)
	}
	fetch := func(token string) (int, string) { return get(t, ts.URL+"/config?token="+url.QueryEscape(token)) }
	for _, tc := range []struct {
		name, token string
		wantCode    int
		wantFile    string
	}{
		{"machine A's token", tokA, http.StatusOK, "52:54:00:00:00:01 worker"},
		{"machine B's token gets B's config", tokB, http.StatusOK, "52:54:00:00:00:02 db"},
		{"no token", "", http.StatusForbidden, ""},
		{"altered token", flip(tokA), http.StatusForbidden, ""},
		{"B's labels with A's MAC", strings.Split(tokB, ".")[0] + "." + strings.Split(tokA, ".")[1], http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := fetch(tc.token)
			if code != tc.wantCode {
				t.Fatalf("GET /config = %d %s, want %d", code, body, tc.wantCode)
			}
			if code != http.StatusOK {
				return
			}
			p, rep := config.Parse("config", []byte(body))
			if rep.HasErrors() {
				t.Fatalf("served config does not parse: %v", rep)
			}
			src, _ := url.PathUnescape(strings.TrimPrefix(*p.Config.Storage.Files[0].Contents.Source, "data:,"))
			if src != tc.wantFile {
				t.Errorf("served /etc/whoami = %q, want %q", src, tc.wantFile)
			}
		})
	}
	for _, tc := range []struct{ name, query, want string }{
		{"template error", "mac=52-54-00-00-00-04", "nothing"},
		{"invalid config", "mac=52-54-00-00-00-05", "absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, tok := bootMachine(t, ts.URL, tc.query)
			code, body := fetch(tok)
			if code != http.StatusInternalServerError || !strings.Contains(body, tc.want) {
				t.Errorf("GET /config = %d %q, want 500 mentioning %q", code, body, tc.want)
			}
			// The machine only sees errors; the server records its failure for people.
			_, list := get(t, ts.URL+"/status.json")
			var all []MachineStatus
			if err := json.Unmarshal([]byte(list), &all); err != nil {
				t.Fatal(err)
			}
			id := strings.TrimPrefix(tc.query, "mac=")
			found := false
			for _, st := range all {
				if st.ID == id {
					found = true
					if st.Result != ResultFailed || !strings.Contains(st.Error, tc.want) {
						t.Errorf("machine %s: result %q, error %q; want failed mentioning %q", id, st.Result, st.Error, tc.want)
					}
				}
			}
			if !found {
				t.Errorf("machine %s not in /status.json", id)
			}
		})
	}
}

func TestHTTPConfigInitrd(t *testing.T) {
	_, ts := testServer(t, testData(t))
	_, tok := bootMachine(t, ts.URL, "mac=52-54-00-00-00-03")
	if code, _ := get(t, ts.URL+"/initrd/"+flip(tok)+"/config.img"); code != http.StatusForbidden {
		t.Errorf("GET /initrd/<altered>/config.img = %d, want 403", code)
	}
	resp, err := http.Get(ts.URL + "/initrd/" + tok + "/config.img")
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(img)) {
		t.Fatalf("GET config.img = %d, length %d of %d", resp.StatusCode, resp.ContentLength, len(img))
	}
	entries, err := cpio.Read(img)
	if err != nil || len(entries) != 1 || entries[0].Name != EmbeddedConfigName || entries[0].Mode.Perm() != 0o600 {
		t.Fatalf("cpio.Read(config.img) = %+v, %v; want config.ign 0600", entries, err)
	}
	if _, rep := config.Parse("config.ign", entries[0].Data); rep.HasErrors() {
		t.Errorf("embedded config does not parse: %v", rep)
	}
	if !bytes.Contains(entries[0].Data, []byte("embedded")) {
		t.Errorf("embedded config = %s, want the group's role rendered", entries[0].Data)
	}
	for _, tool := range []string{"xz", "cpio"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: GNU cpio check skipped", tool)
		}
	}
	cmd := exec.Command("sh", "-c", "xz -dc | cpio -t --quiet")
	cmd.Stdin = bytes.NewReader(img)
	list, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(list)) != EmbeddedConfigName {
		t.Errorf("xz -dc | cpio -t = %q, %v; want %s", list, err, EmbeddedConfigName)
	}
}

func TestHTTPAssetsConfined(t *testing.T) {
	dir := testData(t)
	if err := os.Symlink(filepath.Join(dir, "secret-outside"), filepath.Join(dir, "assets", "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("vmlinuz", filepath.Join(dir, "assets", "in")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "assets", "outdir")); err != nil {
		t.Fatal(err)
	}
	_, ts := testServer(t, dir)
	for _, tc := range []struct {
		name, path string
		wantCode   int
		wantBody   string
	}{
		{"file", "/assets/vmlinuz", http.StatusOK, "kernel"},
		{"subdirectory", "/assets/sub/file", http.StatusOK, "sub"},
		{"symlink inside", "/assets/in", http.StatusOK, "kernel"},
		{"symlink out", "/assets/out", http.StatusNotFound, ""},
		{"through a symlinked directory out", "/assets/outdir/secret-outside", http.StatusNotFound, ""},
		{"dot-dot encoded", "/assets/%2e%2e/secret-outside", http.StatusNotFound, ""},
		{"dot-dot with escaped slash", "/assets/..%2fsecret-outside", http.StatusNotFound, ""},
		{"absolute", "/assets//etc/passwd", http.StatusNotFound, ""},
		{"directory", "/assets/sub", http.StatusNotFound, ""},
		{"missing", "/assets/nope", http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A raw request, so that the client does not clean the path first.
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, "GET "+tc.path+" HTTP/1.0\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufioReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			code := resp.StatusCode
			if code == http.StatusMovedPermanently || code == http.StatusTemporaryRedirect { // the mux cleaned the path: follow once
				var b string
				code, b = get(t, ts.URL+resp.Header.Get("Location"))
				body = []byte(b)
			}
			if code != tc.wantCode || tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.wantCode, tc.wantBody)
			}
			if strings.Contains(string(body), "TOPSECRET") {
				t.Errorf("GET %s leaked a file outside assets/", tc.path)
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	s, ts := testServer(t, testData(t))
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	_, tokA := bootMachine(t, ts.URL, "mac=52-54-00-00-00-01&hostname=alpha")
	_, tokB := bootMachine(t, ts.URL, "mac=52-54-00-00-00-02&hostname=beta")
	post := func(token string, rep StatusReport) int {
		t.Helper()
		b, _ := json.Marshal(rep)
		resp, err := http.Post(ts.URL+"/status?token="+url.QueryEscape(token), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name  string
		token string
		rep   StatusReport
		want  int
	}{
		{"A fetch started", tokA, StatusReport{Stage: "fetch", Event: EventStarted}, http.StatusNoContent},
		{"A fetch done", tokA, StatusReport{Stage: "fetch", Event: EventSuccess}, http.StatusNoContent},
		{"A complete", tokA, StatusReport{Stage: StageComplete, Event: EventSuccess}, http.StatusNoContent},
		{"B disks failed", tokB, StatusReport{Stage: "disks", Event: EventFailure, Message: "/dev/vdb: no such device", Log: "tail"}, http.StatusNoContent},
		{"bad token", flip(tokA), StatusReport{Stage: "fetch", Event: EventFailure}, http.StatusForbidden},
		{"bad event", tokA, StatusReport{Stage: "fetch", Event: "exploded"}, http.StatusBadRequest},
		{"no stage", tokA, StatusReport{Event: EventSuccess}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(tc.token, tc.rep); got != tc.want {
				t.Errorf("POST /status %+v = %d, want %d", tc.rep, got, tc.want)
			}
		})
	}
	code, body := get(t, ts.URL+"/status.json")
	var list []MachineStatus
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
		t.Fatalf("GET /status.json = %d %v", code, err)
	}
	type row struct{ ID, Host, Group, Result, Error string }
	var got []row
	for _, m := range list {
		got = append(got, row{m.ID, m.Labels["hostname"], m.Group, m.Result, m.Error})
	}
	want := []row{
		{"52-54-00-00-00-01", "alpha", "default", ResultProvisioned, ""},
		{"52-54-00-00-00-02", "beta", "db", ResultFailed, "disks: /dev/vdb: no such device"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("status list = %+v, want %+v", got, want)
	}
	if len(list) == 2 && (len(list[0].Stages) != 2 || !list[0].LastBoot.Equal(now) || list[1].Stages[0].Log != "tail") {
		t.Errorf("status details = %+v", list)
	}

	t.Run("a new boot starts over", func(t *testing.T) {
		bootMachine(t, ts.URL, "mac=52-54-00-00-00-02&hostname=beta")
		st := statusOf(t, s, "52-54-00-00-00-02")
		if st.Result != ResultBooted || st.Boots != 2 || len(st.Stages) != 0 || st.Error != "" {
			t.Errorf("after a new boot: %+v, want booted, 2 boots, no stages", st)
		}
	})
	t.Run("agent report ends the run", func(t *testing.T) {
		rep := StatusReport{Report: &stagesReportFailed}
		if got := post(tokB, rep); got != http.StatusNoContent {
			t.Fatalf("POST /status report = %d", got)
		}
		st := statusOf(t, s, "52-54-00-00-00-02")
		if st.Result != ResultFailed || st.Error != "files: disk full" {
			t.Errorf("after the report: %s %q, want failed with files: disk full", st.Result, st.Error)
		}
	})
}

func statusOf(t *testing.T, s *Server, id string) MachineStatus {
	t.Helper()
	list, err := s.Store.ListStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no status for %s", id)
	return MachineStatus{}
}

func TestRunShutdown(t *testing.T) {
	dir := testData(t)
	s := &Server{Store: NewDirStore(dir), DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln, conn) }()
	if code, _ := get(t, "http://"+ln.Addr().String()+"/boot.ipxe"); code != http.StatusOK {
		t.Fatalf("GET /boot.ipxe = %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run() did not return after its context ended")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/boot.ipxe"); err == nil {
		t.Errorf("the server still answers after shutdown")
	}
}
