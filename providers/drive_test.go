package providers

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/flint-provision/flint/tests/emulators"
)

// attach puts image under root as /dev/disk/by-label/<label>, a link to the image as udev
// makes to the device.
func attach(t *testing.T, root, label string, image []byte) {
	t.Helper()
	img := filepath.Join(root, "images", label+".img")
	for _, d := range []string{filepath.Dir(img), filepath.Join(root, "dev/disk/by-label")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(img, image, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(img, filepath.Join(root, "dev/disk/by-label", label)); err != nil {
		t.Fatal(err)
	}
}

func TestVolumeReaders(t *testing.T) {
	files := map[string][]byte{
		"openstack/latest/user_data":      []byte(testConfig),
		"openstack/latest/meta_data.json": []byte(`{}`),
		"user-data":                       []byte("ud"),
		"empty":                           {},
	}
	tests := []struct {
		name  string
		image []byte
		kind  string
	}{
		{name: "iso9660 rock ridge", image: emulators.BuildISO("config-2", files, emulators.ISOOptions{RockRidge: true}), kind: fsISO9660},
		{name: "fat12 long names", image: emulators.BuildFAT("CONFIG-2", files), kind: fsVFAT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytesReaderAt(tt.image)
			v, kind, err := openVolume(r, nil)
			if err != nil || kind != tt.kind {
				t.Fatalf("openVolume() = %v, %v, want %s", kind, err, tt.kind)
			}
			for name, want := range files {
				got, err := v.ReadFile(name)
				if err != nil || string(got) != string(want) {
					t.Errorf("ReadFile(%q) = %q, %v, want %q", name, got, err, want)
				}
			}
			for _, name := range []string{"missing", "openstack/missing/user_data", "user-data/x"} {
				if _, err := v.ReadFile(name); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("ReadFile(%q) error = %v, want fs.ErrNotExist", name, err)
				}
			}
		})
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, errors.New("EOF")
	}
	return n, nil
}

// Images made by the real tools, when installed.
func TestVolumeReadersRealTools(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "openstack/latest"), 0o755)
	os.WriteFile(filepath.Join(src, "openstack/latest/user_data"), []byte(testConfig), 0o644)
	os.WriteFile(filepath.Join(src, "user-data"), []byte("ud"), 0o644)
	tests := []struct {
		name string
		tool string
		args []string
		kind string
	}{
		{name: "genisoimage rock ridge", tool: "genisoimage", args: []string{"-quiet", "-V", "config-2", "-R", "-o"}, kind: fsISO9660},
		{name: "genisoimage joliet", tool: "genisoimage", args: []string{"-quiet", "-V", "cidata", "-J", "-o"}, kind: fsISO9660},
		{name: "genisoimage rock ridge and joliet", tool: "genisoimage", args: []string{"-quiet", "-V", "cidata", "-R", "-J", "-o"}, kind: fsISO9660},
		{name: "genisoimage udf bridge", tool: "genisoimage", args: []string{"-quiet", "-V", "cidata", "-R", "-udf", "-o"}, kind: fsUDF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.tool); err != nil {
				t.Skipf("%s not installed (apt-get install genisoimage)", tt.tool)
			}
			img := filepath.Join(dir, tt.name+".img")
			if out, err := exec.Command(tt.tool, append(tt.args, img, src)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", tt.tool, err, out)
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := probeFS(f); got[0] != tt.kind {
				t.Errorf("probeFS() = %v, want %s first", got, tt.kind)
			}
			v, _, err := openVolume(f, []string{fsISO9660})
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{"openstack/latest/user_data": testConfig, "user-data": "ud"} {
				if got, err := v.ReadFile(name); err != nil || string(got) != want {
					t.Errorf("ReadFile(%q) = %q, %v, want %q", name, got, err, want)
				}
			}
		})
	}
	t.Run("mkfs.vfat empty", func(t *testing.T) {
		if _, err := exec.LookPath("mkfs.vfat"); err != nil {
			t.Skip("mkfs.vfat not installed (apt-get install dosfstools)")
		}
		img := filepath.Join(dir, "fat.img")
		if out, err := exec.Command("mkfs.vfat", "-C", "-n", "CONFIG-2", img, "4096").CombinedOutput(); err != nil {
			t.Fatalf("mkfs.vfat: %v: %s", err, out)
		}
		f, _ := os.Open(img)
		defer f.Close()
		v, kind, err := openVolume(f, nil)
		if err != nil || kind != fsVFAT {
			t.Fatalf("openVolume() = %v, %v, want vfat", kind, err)
		}
		if _, err := v.ReadFile("openstack/latest/user_data"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile() error = %v, want fs.ErrNotExist", err)
		}
	})
}

func TestConfigDriveProviders(t *testing.T) {
	withData := map[string][]byte{"openstack/latest/user_data": []byte(testConfig), "user-data": []byte(testConfig)}
	withoutData := map[string][]byte{"openstack/latest/meta_data.json": []byte(`{}`), "meta-data": []byte("x")}
	iso := func(label string, files map[string][]byte) []byte {
		return emulators.BuildISO(label, files, emulators.ISOOptions{RockRidge: true})
	}
	type drive struct {
		label string
		image []byte
	}
	tests := []struct {
		name     string
		platform string
		drives   []drive
		// metadata is the openstack metadata service: nil hangs.
		metadata map[string]emulators.UserData
		want     string
		wantErr  error
	}{
		{name: "config-2 iso", platform: "openstack", drives: []drive{{"config-2", iso("config-2", withData)}}, want: testConfig},
		{name: "CONFIG-2 vfat", platform: "openstack", drives: []drive{{"CONFIG-2", emulators.BuildFAT("CONFIG-2", withData)}}, want: testConfig},
		{name: "drive without user_data", platform: "openstack", drives: []drive{{"config-2", iso("config-2", withoutData)}}, wantErr: ErrNoConfig},
		{name: "metadata 404 wins", platform: "openstack", metadata: map[string]emulators.UserData{}, wantErr: ErrNoConfig},
		{name: "metadata data wins", platform: "brightbox", metadata: map[string]emulators.UserData{"/openstack/latest/user_data": []byte(testConfig)}, want: testConfig},
		{name: "cidata", platform: "kubevirt", drives: []drive{{"cidata", iso("cidata", withData)}}, want: testConfig},
		{name: "config-2", platform: "kubevirt", drives: []drive{{"config-2", emulators.BuildFAT("config-2", withData)}}, want: testConfig},
		{name: "cidata without user-data", platform: "kubevirt", drives: []drive{{"cidata", iso("cidata", withoutData)}}, wantErr: ErrNoConfig},
		{name: "nocloud cidata", platform: "nocloud", drives: []drive{{"cidata", iso("cidata", withData)}}, want: testConfig},
		{name: "nocloud config-2 without user data", platform: "nocloud", drives: []drive{{"config-2", emulators.BuildFAT("config-2", withoutData)}}, wantErr: ErrNoConfig},
		{name: "cidata", platform: "ibmcloud", drives: []drive{{"cidata", iso("cidata", withData)}}, want: testConfig},
		{name: "no drive", platform: "ibmcloud", wantErr: ErrNoConfig},
		{name: "user-data", platform: "proxmoxve", drives: []drive{{"cidata", iso("cidata", withData)}}, want: testConfig},
		{name: "cloud-config user-data, config in vendor-data", platform: "proxmoxve", drives: []drive{{"cidata", iso("cidata", map[string][]byte{
			"user-data": []byte("#cloud-config\nhostname: x\n"), "vendor-data": []byte(testConfig)})}}, want: testConfig},
		{name: "no drive", platform: "proxmoxve", wantErr: ErrNoDevice},
		{name: "config-2", platform: "powervs", drives: []drive{{"config-2", iso("config-2", withData)}}, want: testConfig},
		{name: "config-2", platform: "nutanix", drives: []drive{{"config-2", iso("config-2", withData)}}, want: testConfig},
	}
	for _, tt := range tests {
		t.Run(tt.platform+"/"+tt.name, func(t *testing.T) {
			s := emulators.Listen(emulators.Paths(tt.metadata), emulators.Faults{Hang: tt.metadata == nil}, false)
			t.Cleanup(s.Close)
			env := testEnv(t, s.URL)
			env.Timing.Fetch = 5 * time.Second // the drive must win, not the deadline
			for _, d := range tt.drives {
				attach(t, env.Root, d.label, d.image)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			p, _ := Get(tt.platform)
			got, err := p.FetchConfig(ctx, env)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("FetchConfig() = %q, %v, want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// A drive that appears after the provider started is found at the next poll.
func TestConfigDriveAppearsLate(t *testing.T) {
	env := testEnv(t, "http://127.0.0.1:9")
	p, _ := Get("kubevirt")
	go func() {
		time.Sleep(100 * time.Millisecond)
		attach(t, env.Root, "cidata", emulators.BuildISO("cidata", map[string][]byte{"user-data": []byte(testConfig)}, emulators.ISOOptions{}))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got, err := p.FetchConfig(ctx, env)
	if err != nil || string(got) != testConfig {
		t.Errorf("FetchConfig() = %q, %v, want %q", got, err, testConfig)
	}
}

// Without drives, kubevirt waits until the context ends, as the reference (no deadline).
func TestConfigDriveNoDeadline(t *testing.T) {
	env := testEnv(t, "http://127.0.0.1:9")
	p, _ := Get("kubevirt")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.FetchConfig(ctx, env)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FetchConfig() error = %v, want context.DeadlineExceeded", err)
	}
}
