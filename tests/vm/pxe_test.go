package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/pxe"
)

// The network boot tests: QEMU's own iPXE ROM (ipxe-qemu) netboots from flint's PXE server,
// started in the test process on loopback. slirp hands iPXE tftp://10.0.2.2:PORT/boot.ipxe as
// its boot file (slirp keeps port 69 of 10.0.2.2 for itself, so flint's TFTP listens on
// another); boot.ipxe chains to /ipxe over HTTP, and the machine's script loads the harness's
// kernel and initramfs from the server's assets/. The flint agent in the initramfs reads the
// config the server rendered for the machine and posts every stage to flint.report.url.

// Kernel arguments of every netbooted machine (the profile's args).
var pxeArgs = []string{"console=ttyS0", "flint.firstboot", "flint.platform.id=metal", "root=LABEL=ROOT", "rw", "panic=-1"}

// The netbooted machines: their MACs select their groups.
const (
	macURL    = "52:54:00:f1:00:01" // BIOS, config from flint.config.url
	macBroken = "52:54:00:f1:00:02" // BIOS, a config that fails on the machine
	macInitrd = "52:54:00:f1:00:03" // UEFI, config in an appended initrd
)

// pxeGoodConfig is the template the provisioned machines get: a file that names the machine
// (rendered by the server), and a check that prints it and whether the config came by URL.
func pxeGoodConfig(t *testing.T) string {
	t.Helper()
	check := `#!/bin/sh
echo "hello=$(cat /etc/flint-vm/hello.txt 2>/dev/null)"
echo "config_url_arg=$(grep -c flint.config.url= /proc/cmdline)"
echo "report_url_arg=$(grep -c flint.report.url= /proc/cmdline)"
`
	return pxeYAML(t, map[string]any{
		"variant": "flint",
		"version": "1.0.0",
		"storage": map[string]any{"files": []any{
			map[string]any{"path": "/etc/flint-vm/hello.txt", "mode": 0o644,
				"contents": map[string]any{"inline": "hello {{.MachineID}} from group {{.Group}}"}},
			map[string]any{"path": "/etc/flint-vm/check.d/20-pxe", "mode": 0o755,
				"contents": map[string]any{"inline": check}},
		}},
	})
}

// pxeBrokenConfig is valid, so the server serves it, but names a file the server does not
// have: the agent's fetch stage fails on the 404, before the disks stage would wipe vdb.
func pxeBrokenConfig(t *testing.T) string {
	t.Helper()
	return pxeYAML(t, map[string]any{
		"variant": "flint",
		"version": "1.0.0",
		"storage": map[string]any{
			"disks": []any{map[string]any{"device": "/dev/vdb", "wipe_table": true, "partitions": []any{
				map[string]any{"number": 1, "label": "data", "size_mib": 0},
			}}},
			"files": []any{map[string]any{"path": "/etc/flint-vm/hello.txt",
				"contents": map[string]any{"source": "{{.Server}}/assets/missing.txt"}}},
		},
	})
}

func pxeYAML(t *testing.T, doc any) string {
	t.Helper()
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pxeServer is `flint pxe serve` in the test process.
type pxeServer struct {
	dir      string
	httpPort int
	tftpPort int
	log      *lockedBuffer
}

// lockedBuffer is the server's log, written by its goroutines and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines that contain every one of parts.
func (b *lockedBuffer) lines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

// startPXE writes a data directory (the harness's kernel and initramfs in assets/, the
// profiles, groups and configs given) and serves it on 127.0.0.1: HTTP and TFTP on free
// ports, advertised as 10.0.2.2, the host as slirp's guests reach it.
func startPXE(t *testing.T, a *artifacts, data map[string]string) *pxeServer {
	t.Helper()
	dir := t.TempDir()
	assets := filepath.Join(dir, pxe.AssetsDir)
	if err := os.MkdirAll(assets, 0o755); err != nil {
		t.Fatal(err)
	}
	// Copies or hard links: the server does not follow symbolic links out of assets/.
	linkOrCopy(t, a.kernel, filepath.Join(assets, "vmlinuz"))
	linkOrCopy(t, a.initrd, filepath.Join(assets, "initrd.img"))
	for name, text := range data {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s := &pxeServer{dir: dir, httpPort: ln.Addr().(*net.TCPAddr).Port, tftpPort: pc.LocalAddr().(*net.UDPAddr).Port, log: &lockedBuffer{}}
	srv := &pxe.Server{
		Store:     pxe.NewDirStore(dir),
		DataDir:   dir,
		IPXEDir:   pxe.DefaultIPXEDir,
		Advertise: fmt.Sprintf("http://10.0.2.2:%d", s.httpPort),
		Log:       slog.New(slog.NewTextHandler(s.log, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Check(ctx); err != nil {
		cancel()
		ln.Close()
		pc.Close()
		t.Fatalf("the test's data directory: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pxe server: %v", err)
		}
		if t.Failed() {
			t.Logf("pxe server log:\n%s", lastLines(s.log.String(), 80))
		}
	})
	return s
}

func linkOrCopy(t *testing.T, src, dst string) {
	t.Helper()
	if os.Link(src, dst) == nil {
		return
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// bootFile is the URL slirp's DHCP hands to iPXE.
func (s *pxeServer) bootFile() string {
	return fmt.Sprintf("tftp://10.0.2.2:%d/boot.ipxe", s.tftpPort)
}

// status returns the server's record of a machine from GET /status.json.
func (s *pxeServer) status(t *testing.T, mac string) pxe.MachineStatus {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/status.json", s.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /status.json = %d, %v", resp.StatusCode, err)
	}
	var all []pxe.MachineStatus
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("GET /status.json: %v\n%s", err, body)
	}
	id := strings.ReplaceAll(mac, ":", "-")
	for _, st := range all {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("machine %s is not in /status.json:\n%s", id, body)
	return pxe.MachineStatus{}
}

// wantTransfers checks the server's log for the network boot's transfers: boot.ipxe over
// TFTP, the machine's script, and the kernel and initramfs over HTTP.
func (s *pxeServer) wantTransfers(t *testing.T) {
	t.Helper()
	for _, want := range [][]string{
		{"msg=tftp ", "file=boot.ipxe"},
		{"msg=http ", "path=/ipxe ", "status=200"},
		{"msg=http ", "path=/assets/vmlinuz ", "status=200"},
		{"msg=http ", "path=/assets/initrd.img ", "status=200"},
	} {
		if len(s.log.lines(want...)) == 0 {
			t.Errorf("the server's log has no line with %q", want)
		}
	}
}

// stageResults maps each stage of a record to its result.
func stageResults(st pxe.MachineStatus) map[string]string {
	out := map[string]string{}
	for _, s := range st.Stages {
		out[s.Name] = s.Result
	}
	return out
}

// pxeData is the data directory of the tests: a profile per config delivery, and a group per
// machine, selected by MAC.
func pxeData(t *testing.T) map[string]string {
	t.Helper()
	profile := func(config, delivery string) string {
		return pxeYAML(t, map[string]any{
			"kernel":         "/assets/vmlinuz",
			"initrd":         []string{"/assets/initrd.img"},
			"args":           pxeArgs,
			"config":         config,
			"configDelivery": delivery,
		})
	}
	group := func(profile, mac string) string {
		return pxeYAML(t, map[string]any{"profile": profile, "selector": map[string]string{"mac": mac}})
	}
	data := map[string]string{
		"configs/good.yaml":       pxeGoodConfig(t),
		"configs/broken.yaml":     pxeBrokenConfig(t),
		"profiles/by-url.yaml":    profile("good.yaml", pxe.DeliveryURL),
		"profiles/by-initrd.yaml": profile("good.yaml", pxe.DeliveryInitrd),
		"profiles/broken.yaml":    profile("broken.yaml", pxe.DeliveryURL),
		"groups/bios-url.yaml":    group("by-url", macURL),
		"groups/bios-broken.yaml": group("broken", macBroken),
		"groups/uefi-initrd.yaml": group("by-initrd", macInitrd),
	}
	// A template the server refuses would cost a whole boot to find out.
	for _, name := range []string{"good.yaml", "broken.yaml"} {
		td := &pxe.TemplateData{Labels: pxe.Labels{"mac": macURL}, Metadata: map[string]any{},
			MachineID: "52-54-00-f1-00-01", Group: "g", Profile: "p", Server: "http://10.0.2.2:1"}
		if _, rep, err := pxe.RenderConfig(name, []byte(data["configs/"+name]), td, ""); err != nil {
			t.Fatalf("the server would refuse configs/%s: %v\n%v", name, err, rep)
		}
	}
	return data
}

// needNetboot returns the artifacts, or ends the test when the iPXE ROM QEMU loads for a
// virtio NIC is missing.
func needNetboot(t *testing.T) *artifacts {
	t.Helper()
	a := needApply(t)
	rom := "/usr/lib/ipxe/qemu/efi-virtio.rom"
	if !exists(rom) {
		missing(t, rom+" is missing (package ipxe-qemu)")
	}
	return a
}

// ovmfFirmware returns OVMF's code and a private copy of its variable store, for a UEFI boot.
func ovmfFirmware(t *testing.T) (code, vars string) {
	t.Helper()
	code, varsTemplate := "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"
	if !exists(code) || !exists(varsTemplate) {
		missing(t, "OVMF is not installed (package ovmf): no "+code+" or "+varsTemplate)
	}
	vars = filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	b, err := os.ReadFile(varsTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return code, vars
}

// missing skips the test, or fails it where the boot tests are required (CI=true).
func missing(t *testing.T, reason string) {
	t.Helper()
	if required() {
		t.Fatalf("boot tests are required (CI=true) but cannot run: %s", reason)
	}
	t.Skipf("boot tests skipped: %s", reason)
}

// wantProvisioned checks a netbooted machine that the server provisioned: the real root came
// up with the rendered config applied, and the server's record says provisioned, with the
// stages the agent reported.
func wantProvisioned(t *testing.T, s *pxeServer, c *console, mac, group, configURLArg string) {
	t.Helper()
	wantBooted(t, c)
	id := strings.ReplaceAll(mac, ":", "-")
	wantCheck(t, c, "hello", "hello "+id+" from group "+group)
	wantCheck(t, c, "config_url_arg", configURLArg)
	wantCheck(t, c, "report_url_arg", "1")
	wantCheck(t, c, "result_file", "yes")
	st := s.status(t, mac)
	if st.Result != pxe.ResultProvisioned || st.Error != "" || st.ProvisionedAt.IsZero() {
		t.Errorf("server status of %s = %q (error %q, provisioned at %v), want provisioned", id, st.Result, st.Error, st.ProvisionedAt)
	}
	if st.Group != group || st.Boots != 1 {
		t.Errorf("server status of %s: group %q, boots %d; want %q, 1", id, st.Group, st.Boots, group)
	}
	got := stageResults(st)
	for _, stage := range []string{"fetch", "disks", "mount", "files", pxe.StageComplete} {
		if got[stage] != pxe.EventSuccess {
			t.Errorf("server status of %s: stage %s = %q, want success (stages %v)", id, stage, got[stage], got)
		}
	}
}

// TestPXEBIOS netboots two machines at once under SeaBIOS from one server: one with its
// config at flint.config.url, provisioned; one with a config that fails on the machine,
// reported failed with its error and its disks untouched.
func TestPXEBIOS(t *testing.T) {
	a := needNetboot(t)
	s := startPXE(t, a, pxeData(t))
	// The group returns when both machines, booting at once, are done.
	t.Run("machines", func(t *testing.T) { biosMachines(t, a, s) })
	s.wantTransfers(t)
}

func biosMachines(t *testing.T, a *artifacts, s *pxeServer) {
	t.Run("provisioned", func(t *testing.T) {
		t.Parallel()
		c := a.boot(t, machine{disks: []string{a.newDisk(t)}, netboot: s.bootFile(), mac: macURL})
		recordBootTime(t, "netboot (BIOS, iPXE) to the real root, config from flint.config.url", c.elapsed)
		wantProvisioned(t, s, c, macURL, "bios-url", "1")
		if len(s.log.lines("msg=http ", "path=/config ", "status=200")) == 0 {
			t.Errorf("the server's log shows no served /config")
		}
	})
	t.Run("broken config", func(t *testing.T) {
		t.Parallel()
		root := a.newDisk(t)
		data := emptyDisk(t, "data.img", 64<<20)
		rootTable := gptBytes(t, root)
		dataBefore := fileHash(t, data)

		c := a.boot(t, machine{disks: []string{root, data}, netboot: s.bootFile(), mac: macBroken})
		recordBootTime(t, "netboot (BIOS, iPXE) to a reported failure", c.elapsed)
		if c.ok {
			t.Fatalf("a machine whose config fails reached the real root")
		}
		if want := markerFlintFailed + "fetch"; !strings.Contains(c.failure, want) {
			t.Errorf("first fatal console line = %q, want one containing %q", c.failure, want)
		}
		st := s.status(t, macBroken)
		if st.Result != pxe.ResultFailed || !strings.HasPrefix(st.Error, "fetch: ") ||
			!strings.Contains(st.Error, "missing.txt") || !strings.Contains(st.Error, "404") {
			t.Errorf("server status = %q, error %q; want failed, \"fetch: …missing.txt…404…\"", st.Result, st.Error)
		}
		if !st.ProvisionedAt.IsZero() {
			t.Errorf("server status: provisioned at %v, want never", st.ProvisionedAt)
		}
		for _, stage := range st.Stages {
			if stage.Name == "fetch" && (stage.Result != pxe.EventFailure || stage.Log == "") {
				t.Errorf("server status: stage fetch = %q with log %q, want a failure with the log's tail", stage.Result, stage.Log)
			}
		}
		if got := stageResults(st); got["disks"] != "" {
			t.Errorf("server status: the disks stage ran (%q) after fetch failed", got["disks"])
		}
		if got := fileHash(t, data); got != dataBefore {
			t.Errorf("the data disk changed although the config failed")
		}
		if got := gptBytes(t, root); !bytes.Equal(got, rootTable) {
			t.Errorf("the root disk's partition table changed although the config failed")
		}
	})
}

// TestPXEUEFI netboots under OVMF with the config in an initrd the server appends to the
// machine's script: the EFI stub loads both initrds by name, the kernel unpacks the xz cpio,
// and the agent reads /config.ign without a config URL; it still brings the network up to
// report to the server.
func TestPXEUEFI(t *testing.T) {
	a := needNetboot(t)
	ovmfFirmware(t) // skip (or fail under CI) before starting anything
	s := startPXE(t, a, pxeData(t))

	c := a.boot(t, machine{disks: []string{a.newDisk(t)}, netboot: s.bootFile(), mac: macInitrd, uefi: true})
	recordBootTime(t, "netboot (UEFI, iPXE) to the real root, config in an appended initrd", c.elapsed)
	wantProvisioned(t, s, c, macInitrd, "uefi-initrd", "0")
	if len(s.log.lines("msg=http ", "path=/initrd/…/config.img", "status=200")) == 0 {
		t.Errorf("the server's log shows no served config initrd")
	}
	s.wantTransfers(t)
}
