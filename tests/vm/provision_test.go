package vm

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/translate"
)

// The SSH key the scenarios give their user; the comment is what the check prints.
const testSSHKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm2C0TbXXrIXcPzCk3VDu1oRdNpFRuGDh8dUsxKUf9o flint-vm-test"

// checkScript is written by the scenario configs into /etc/flint-vm/check.d: the report unit of
// the test root runs it on every boot and prints its key=value lines on the console.
const checkScript = `#!/bin/sh
echo "hello=$(cat /etc/flint-vm/hello.txt 2>/dev/null)"
echo "user=$(getent passwd core | cut -d: -f1,6)"
echo "ssh_key=$(cat /home/core/.ssh/authorized_keys.d/* /home/core/.ssh/authorized_keys 2>/dev/null | head -n 1 | cut -d' ' -f3)"
echo "data_mount=$(findmnt -n -o FSTYPE,LABEL /var/lib/data 2>/dev/null | tr -s ' ' ,)"
echo "boots=$(wc -l </var/lib/flint-vm-boots 2>/dev/null || echo 0)"
# The config writes the stamp; this first report removes it. Another provisioning run would
# write it again.
if [ -e /etc/flint-vm/stamp ]; then
    echo stamp=present
    rm -f /etc/flint-vm/stamp
else
    echo stamp=absent
fi
`

// A unit of the config's: enabled through presets on the real root's first boot, and run on
// every boot before the report.
const markerUnit = `[Unit]
Description=flint boot tests: count boots
Before=flint-vm-report.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo boot >>/var/lib/flint-vm-boots'

[Install]
WantedBy=multi-user.target
`

func dataURL(s string) string {
	return "data:;base64," + base64.StdEncoding.EncodeToString([]byte(s))
}

// provisioningConfig is the config of the qemu scenario, written as a user would: flint YAML,
// translated by flint's translator. Files, a user with an SSH key, a unit, the root partition
// grown to fill its disk, and a second disk partitioned, formatted, and mounted by the mount
// unit the translator generates (with_mount_unit).
func provisioningConfig(t *testing.T) string {
	t.Helper()
	doc := map[string]any{
		"variant": "flint",
		"version": "1.0.0",
		"storage": map[string]any{
			"disks": []any{
				map[string]any{"device": "/dev/vda", "partitions": []any{
					map[string]any{"number": 1, "label": "root", "size_mib": 0, "resize": true},
				}},
				map[string]any{"device": "/dev/vdb", "wipe_table": true, "partitions": []any{
					map[string]any{"number": 1, "label": "data", "size_mib": 0},
				}},
			},
			"filesystems": []any{
				map[string]any{"device": "/dev/disk/by-partlabel/root", "format": "ext4", "label": "ROOT", "wipe_filesystem": false},
				map[string]any{"device": "/dev/disk/by-partlabel/data", "format": "ext4", "label": "DATA", "wipe_filesystem": true,
					"path": "/var/lib/data", "with_mount_unit": true},
			},
			"files": []any{
				map[string]any{"path": "/etc/flint-vm/hello.txt", "mode": 0o644, "contents": map[string]any{"inline": "hello from flint"}},
				map[string]any{"path": "/etc/flint-vm/stamp", "contents": map[string]any{"inline": "provisioned\n"}},
				map[string]any{"path": "/etc/flint-vm/check.d/20-provision", "mode": 0o755, "contents": map[string]any{"inline": checkScript}},
			},
		},
		"systemd": map[string]any{"units": []any{
			map[string]any{"name": "flint-vm-boots.service", "enabled": true, "contents": markerUnit},
		}},
		"passwd": map[string]any{"users": []any{
			map[string]any{"name": "core", "ssh_authorized_keys": []string{testSSHKey}},
		}},
	}
	y, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, rep := translate.Translate("qemu.yaml", y, translate.Options{})
	if rep.HasErrors() || res == nil {
		t.Fatalf("translate:\n%s\n%v", y, rep)
	}
	if !bytes.Contains(res.JSON, []byte("var-lib-data.mount")) {
		t.Fatalf("the translator generated no mount unit for the data filesystem: %s", res.JSON)
	}
	return string(res.JSON)
}

// TestProvisionQEMU provisions through QEMU's fw_cfg, then boots a second time without the
// first-boot flag (a direct kernel boot's caller stops passing it) and checks that nothing is
// provisioned again.
func TestProvisionQEMU(t *testing.T) {
	a := needApply(t)
	root := a.newDisk(t)
	data := emptyDisk(t, "data.img", 512<<20)
	config := writeConfig(t, provisioningConfig(t))

	first := a.boot(t, machine{disks: []string{root, data}, config: config, args: firstBootArgs})
	wantBooted(t, first)
	recordBootTime(t, "first boot, qemu provider, provisioning", first.elapsed)
	wantCheck(t, first, "hello", "hello from flint")
	wantCheck(t, first, "user", "core:/home/core")
	wantCheck(t, first, "ssh_key", "flint-vm-test")
	wantCheck(t, first, "data_mount", "ext4,DATA")
	wantCheck(t, first, "boots", "1")
	wantCheck(t, first, "stamp", "present")
	wantCheck(t, first, "result_file", "yes")
	wantCheck(t, first, "grub_stamp", "absent")
	if got, err := strconv.ParseInt(first.checks["root_bytes"], 10, 64); err != nil || got < diskBytes*3/4 {
		t.Errorf("root filesystem size = %q, want it grown to fill the %d-byte disk", first.checks["root_bytes"], diskBytes)
	}

	second := a.boot(t, machine{disks: []string{root, data}, config: config, args: []string{"flint.platform.id=qemu"}})
	wantBooted(t, second)
	recordBootTime(t, "second boot, provisioned root", second.elapsed)
	wantSubsequentBoot(t, second)
	wantCheck(t, second, "stamp", "absent")
	wantCheck(t, second, "boots", "2")
	wantCheck(t, second, "data_mount", "ext4,DATA")
}

// TestProvisionMetal fetches the config over HTTP from flint.config.url with the metal
// platform: the initramfs brings up the network because fetch-offline asked for it.
func TestProvisionMetal(t *testing.T) {
	a := needApply(t)
	config := `{"ignition": {"version": "3.4.0"}, "storage": {"files": [
  {"path": "/etc/flint-vm/hello.txt", "contents": {"source": "` + dataURL("hello from metal") + `"}},
  {"path": "/etc/flint-vm/check.d/20-metal", "mode": 493, "contents": {"source": "` +
		dataURL("#!/bin/sh\necho \"hello=$(cat /etc/flint-vm/hello.txt)\"\n") + `"}}]}}`
	var requests atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/vnd.coreos.ignition+json")
		fmt.Fprint(w, config)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	c := a.boot(t, machine{
		disks: []string{a.newDisk(t)},
		net:   true,
		args: []string{"flint.firstboot", "flint.platform.id=metal",
			fmt.Sprintf("flint.config.url=http://10.0.2.2:%d/", port)},
	})
	wantBooted(t, c)
	recordBootTime(t, "first boot, metal provider over HTTP", c.elapsed)
	if requests.Load() == 0 {
		t.Errorf("the config server saw no request")
	}
	wantCheck(t, c, "hello", "hello from metal")
}

// TestProvisionConfigError boots with a config that fails validation: the console must name
// the stage and the config line, the machine must stop in emergency mode, and no disk the
// config names may change.
func TestProvisionConfigError(t *testing.T) {
	a := needApply(t)
	root := a.newDisk(t)
	data := emptyDisk(t, "data.img", 64<<20)
	config := `{
  "ignition": {"version": "3.4.0"},
  "storage": {
    "disks": [{"device": "/dev/vdb", "wipeTable": true, "partitions": [{"number": 1, "sizeMiB": 0}]}],
    "files": [
      {"path": "etc/not-absolute"}
    ]
  }
}
`
	const badLine = 6 // the line of "etc/not-absolute"
	if got := strings.Split(config, "\n")[badLine-1]; !strings.Contains(got, "etc/not-absolute") {
		t.Fatalf("config line %d = %q; the test's line number is stale", badLine, got)
	}
	rootTable := gptBytes(t, root)
	dataBefore := fileHash(t, data)

	c := a.boot(t, machine{disks: []string{root, data}, config: writeConfig(t, config), args: firstBootArgs})
	if c.ok {
		t.Fatalf("a config with an error booted into the real root")
	}
	if !strings.Contains(c.failure, markerFlintFailed) {
		t.Fatalf("console has no %q line; first fatal line %q", markerFlintFailed, c.failure)
	}
	if !strings.Contains(c.failure, "fetch-offline") {
		t.Errorf("failure line %q does not name the fetch-offline stage", c.failure)
	}
	if !c.contains(":" + strconv.Itoa(badLine) + ":") {
		t.Errorf("console does not name config line %d", badLine)
	}
	if got := fileHash(t, data); got != dataBefore {
		t.Errorf("the second disk changed although the config failed validation")
	}
	if got := gptBytes(t, root); !bytes.Equal(got, rootTable) {
		t.Errorf("the root disk's partition table changed although the config failed validation")
	}
}

// gptBytes returns the primary and backup GPT areas of a disk image (the first and last 34
// sectors).
func gptBytes(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2*34*512)
	if _, err := f.ReadAt(buf[:34*512], 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(buf[34*512:], st.Size()-34*512); err != nil {
		t.Fatal(err)
	}
	return buf
}
