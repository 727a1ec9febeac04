package stages

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/config"
)

// recorder is a Runner that records commands instead of running them, for the parts of the
// disks stage whose tools need kernel drivers (md, dm-crypt) that a test machine may lack.
type recorder struct{ argv [][]string }

func (r *recorder) Run(_ context.Context, argv []string) ([]byte, []byte, error) {
	r.argv = append(r.argv, argv)
	return nil, nil, nil
}

func TestRaidArgs(t *testing.T) {
	str := func(s string) *string { return &s }
	two := 1
	for _, tc := range []struct {
		name string
		raid config.Raid
		want string
	}{
		{"mirror", config.Raid{Name: "root", Level: str("raid1"), Devices: []string{"/dev/vda2", "/dev/vdb2"}},
			"mdadm --create /dev/md/root --force --run --homehost any --level raid1 --raid-devices 2 /dev/vda2 /dev/vdb2"},
		{"spares and options", config.Raid{Name: "data", Level: str("raid5"), Spares: &two, Options: []string{"--chunk", "256"},
			Devices: []string{"/dev/a", "/dev/b", "/dev/c", "/dev/d"}},
			"mdadm --create /dev/md/data --force --run --homehost any --level raid5 --raid-devices 3 --spare-devices 1 --chunk 256 /dev/a /dev/b /dev/c /dev/d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(raidArgs(&tc.raid), " "); got != tc.want {
				t.Errorf("raidArgs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLuksCommands(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "volume.img") // an empty image: nothing to reuse
	if err := os.WriteFile(dev, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, fmt.Sprintf(`{"ignition":{"version":"3.6.0"},"storage":{"luks":[
		{"name":"data","device":%q,"label":"secret","discard":true,"openOptions":["--perf-no_read_workqueue"],
		 "clevis":{"tang":[{"url":"http://tang.example","thumbprint":"abc","advertisement":"{\"payload\":\"x\"}"}],"tpm2":true,"threshold":2}}]}}`, dev))
	env.StateDir = t.TempDir()
	rec := &recorder{}
	env.Runner = rec
	env.DeviceTimeout = 1e9
	a := &luksAction{luks: &env.Config.Storage.Luks[0]}
	if err := a.Apply(context.Background(), env); err == nil || !strings.Contains(err.Error(), "/dev/mapper/data") {
		// The recorder opens nothing, so waiting for the mapper device must time out.
		t.Fatalf("Apply = %v, want a timeout waiting for /dev/mapper/data", err)
	}
	key := filepath.Join(env.StateDir, "luks", "data")
	want := [][]string{
		{"cryptsetup", "luksFormat", "--type", "luks2", "--batch-mode", "--key-file", key, "--label", "secret", dev},
		{"cryptsetup", "luksOpen", dev, "data", "--key-file", key, "--persistent", "--allow-discards", "--perf-no_read_workqueue"},
	}
	if len(rec.argv) != 3 {
		t.Fatalf("commands = %q, want format, open and clevis bind", rec.argv)
	}
	if diff := cmp.Diff(want, rec.argv[:2]); diff != "" {
		t.Errorf("cryptsetup commands (-want +got):\n%s", diff)
	}
	bind := rec.argv[2]
	if strings.Join(bind[:8], " ") != "clevis luks bind -f -k "+key+" -d "+dev || bind[8] != "sss" {
		t.Errorf("clevis command = %q", bind)
	}
	var sss struct {
		T    int `json:"t"`
		Pins map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(bind[9]), &sss); err != nil || sss.T != 2 || len(sss.Pins) != 2 {
		t.Errorf("clevis sss config = %s (%v), want t=2 with tang and tpm2", bind[9], err)
	}
	if b, err := os.ReadFile(key); err != nil || len(b) != 8192 {
		t.Errorf("generated key: %d bytes, %v; want 4096 random bytes hex-encoded", len(b), err)
	}
}
