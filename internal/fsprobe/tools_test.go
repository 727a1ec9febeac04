package fsprobe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// toolCase makes an image with real tools and checks Probe against `blkid -p` on it.
type toolCase struct {
	name  string
	tools []string // programs that must be on PATH
	size  int64
	// argv to run; "IMG" is replaced by the image path, "DIR" by a scratch directory.
	cmds [][]string
	// mutate, when set, edits the image after the tools ran (to make cases mkfs does not).
	mutate func(t *testing.T, img []byte)
	want   Result // checked too, so the test does not only agree with blkid but with the request
	// wantAll, when set, lists the types ProbeAll must find (hybrid images).
	wantAll []string
}

// fatLabelEntry returns the offset of the root-directory volume label entry named label.
func fatLabelEntry(t *testing.T, img []byte, label string) int {
	t.Helper()
	i := bytes.Index(img, append([]byte(fmt.Sprintf("%-11s", label)), 0x08))
	if i < 0 || i < 512 {
		t.Fatalf("no root directory label entry %q in image", label)
	}
	return i
}

// toolCases uses the UUID u throughout; a fresh one per run, since mkfs.btrfs refuses a UUID
// that a device known to blkid already has.
func toolCases(u string) []toolCase {
	return []toolCase{
		{name: "ext4", tools: []string{"mkfs.ext4"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext4", "-q", "-F", "-U", u, "-L", "root", "IMG"}},
			want: Result{Type: "ext4", UUID: u, Label: "root"}},
		{name: "ext4 no label", tools: []string{"mkfs.ext4"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext4", "-q", "-F", "-U", u, "IMG"}},
			want: Result{Type: "ext4", UUID: u}},
		{name: "ext3", tools: []string{"mkfs.ext3"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext3", "-q", "-F", "-U", u, "-L", "old", "IMG"}},
			want: Result{Type: "ext3", UUID: u, Label: "old"}},
		{name: "ext2", tools: []string{"mkfs.ext2"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext2", "-q", "-F", "-U", u, "-L", "boot", "IMG"}},
			want: Result{Type: "ext2", UUID: u, Label: "boot"}},
		{name: "ext4 without journal", tools: []string{"mkfs.ext4"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-U", u, "IMG"}},
			want: Result{Type: "ext4", UUID: u}},
		{name: "xfs", tools: []string{"mkfs.xfs"}, size: 320 << 20,
			cmds: [][]string{{"mkfs.xfs", "-q", "-f", "-m", "uuid=" + u, "-L", "var", "IMG"}},
			want: Result{Type: "xfs", UUID: u, Label: "var"}},
		{name: "xfs v4", tools: []string{"mkfs.xfs"}, size: 320 << 20,
			cmds: [][]string{{"mkfs.xfs", "-q", "-f", "-m", "crc=0", "-m", "uuid=" + u, "IMG"}},
			want: Result{Type: "xfs", UUID: u}},
		{name: "btrfs", tools: []string{"mkfs.btrfs"}, size: 256 << 20,
			cmds: [][]string{{"mkfs.btrfs", "-q", "--force", "-U", u, "-L", "data", "IMG"}},
			want: Result{Type: "btrfs", UUID: u, Label: "data"}},
		{name: "swap", tools: []string{"mkswap"}, size: 16 << 20,
			cmds: [][]string{{"mkswap", "-f", "-U", u, "-L", "swap0", "IMG"}},
			want: Result{Type: "swap", UUID: u, Label: "swap0"}},
		{name: "vfat fat16", tools: []string{"mkfs.fat"}, size: 64 << 20,
			cmds: [][]string{{"mkfs.fat", "-i", "1A2B3C4D", "-n", "EFI", "IMG"}},
			want: Result{Type: "vfat", UUID: "1A2B-3C4D", Label: "EFI"}},
		{name: "vfat fat12 lowercase label", tools: []string{"mkfs.fat"}, size: 2 << 20,
			cmds: [][]string{{"mkfs.fat", "-F", "12", "-i", "00C0FFEE", "-n", "boot", "IMG"}},
			want: Result{Type: "vfat", UUID: "00C0-FFEE", Label: "boot"}},
		{name: "vfat fat32", tools: []string{"mkfs.fat"}, size: 300 << 20,
			cmds: [][]string{{"mkfs.fat", "-F", "32", "-i", "DEADBEEF", "-n", "ESP", "IMG"}},
			want: Result{Type: "vfat", UUID: "DEAD-BEEF", Label: "ESP"}},
		{name: "vfat fat32 no label", tools: []string{"mkfs.fat"}, size: 300 << 20,
			cmds: [][]string{{"mkfs.fat", "-F", "32", "-i", "DEADBEEF", "IMG"}},
			want: Result{Type: "vfat", UUID: "DEAD-BEEF"}},
		{name: "vfat label only in boot sector", tools: []string{"mkfs.fat"}, size: 64 << 20,
			cmds:   [][]string{{"mkfs.fat", "-i", "1A2B3C4D", "-n", "LBL", "IMG"}},
			mutate: func(t *testing.T, img []byte) { img[fatLabelEntry(t, img, "LBL")] = fatEntryFree },
			want:   Result{Type: "vfat", UUID: "1A2B-3C4D"}},
		{name: "vfat root label differs from boot sector", tools: []string{"mkfs.fat"}, size: 64 << 20,
			cmds: [][]string{{"mkfs.fat", "-i", "1A2B3C4D", "-n", "LBL", "IMG"}},
			mutate: func(t *testing.T, img []byte) {
				i := fatLabelEntry(t, img, "LBL")
				copy(img[i:], "ROOTDIR    ")
			},
			want: Result{Type: "vfat", UUID: "1A2B-3C4D", Label: "ROOTDIR"}},
		{name: "vfat NO NAME root entry", tools: []string{"mkfs.fat"}, size: 64 << 20,
			cmds: [][]string{{"mkfs.fat", "-i", "1A2B3C4D", "-n", "LBL", "IMG"}},
			mutate: func(t *testing.T, img []byte) {
				i := fatLabelEntry(t, img, "LBL")
				copy(img[i:], "NO NAME    ")
			},
			want: Result{Type: "vfat", UUID: "1A2B-3C4D", Label: "NO NAME"}},
		{name: "luks2", tools: []string{"cryptsetup"}, size: 32 << 20,
			cmds: [][]string{{"cryptsetup", "luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2",
				"--pbkdf-force-iterations", "1000", "--key-file", "DIR/key", "--label", "secret", "--uuid", u, "IMG"}},
			want: Result{Type: "crypto_LUKS", UUID: u, Label: "secret"}},
		{name: "luks1", tools: []string{"cryptsetup"}, size: 32 << 20,
			cmds: [][]string{{"cryptsetup", "luksFormat", "-q", "--type", "luks1", "--pbkdf-force-iterations", "1000",
				"--key-file", "DIR/key", "--uuid", u, "IMG"}},
			want: Result{Type: "crypto_LUKS", UUID: u}},
		{name: "iso9660 joliet", tools: []string{"genisoimage"},
			cmds: [][]string{{"genisoimage", "-quiet", "-o", "IMG", "-V", "config-2", "-J", "-r", "DIR/src"}},
			want: Result{Type: "iso9660", Label: "config-2"}},
		{name: "iso9660 plain", tools: []string{"genisoimage"},
			cmds: [][]string{{"genisoimage", "-quiet", "-o", "IMG", "-V", "CIDATA", "DIR/src"}},
			want: Result{Type: "iso9660", Label: "CIDATA"}},
		{name: "iso9660 with udf bridge", tools: []string{"genisoimage"},
			cmds:    [][]string{{"genisoimage", "-quiet", "-o", "IMG", "-V", "config-2", "-J", "-r", "-udf", "DIR/src"}},
			want:    Result{Type: "udf", Label: "config-2"},
			wantAll: []string{"udf", "iso9660"}},
		{name: "iso9660 joliet long label", tools: []string{"genisoimage"},
			cmds: [][]string{{"genisoimage", "-quiet", "-o", "IMG", "-V", "Config-Drive-Volume-2026-long", "-J", "-r", "DIR/src"}},
			want: Result{Type: "iso9660", Label: "Config-Drive-Volume-2026-long"}},
		{name: "ext4 label of 16 bytes", tools: []string{"mkfs.ext4"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext4", "-q", "-F", "-U", u, "-L", "sixteen-chars-ok", "IMG"}},
			want: Result{Type: "ext4", UUID: u, Label: "sixteen-chars-ok"}},
		{name: "ext4 label with shell characters", tools: []string{"mkfs.ext4"}, size: 32 << 20,
			cmds: [][]string{{"mkfs.ext4", "-q", "-F", "-U", u, "-L", `it's "$my" root`, "IMG"}},
			want: Result{Type: "ext4", UUID: u, Label: `it's "$my" root`}},
		{name: "xfs label of 12 bytes", tools: []string{"mkfs.xfs"}, size: 320 << 20,
			cmds: [][]string{{"mkfs.xfs", "-q", "-f", "-m", "uuid=" + u, "-L", "twelve-chars", "IMG"}},
			want: Result{Type: "xfs", UUID: u, Label: "twelve-chars"}},
		{name: "btrfs utf-8 label", tools: []string{"mkfs.btrfs"}, size: 256 << 20,
			cmds: [][]string{{"mkfs.btrfs", "-q", "--force", "-U", u, "-L", "données", "IMG"}},
			want: Result{Type: "btrfs", UUID: u, Label: "données"}},
		{name: "vfat 4k sectors", tools: []string{"mkfs.fat"}, size: 64 << 20,
			cmds: [][]string{{"mkfs.fat", "-S", "4096", "-i", "0BADF00D", "-n", "BIGSECT", "IMG"}},
			want: Result{Type: "vfat", UUID: "0BAD-F00D", Label: "BIGSECT"}},
		{name: "swap label truncated by mkswap", tools: []string{"mkswap"}, size: 16 << 20,
			cmds: [][]string{{"mkswap", "-f", "-U", u, "-L", "sixteen-chars-ok", "IMG"}},
			// mkswap keeps 15 bytes and a NUL.
			want: Result{Type: "swap", UUID: u, Label: "sixteen-chars-o"}},
		{name: "udf", tools: []string{"mkudffs"}, size: 16 << 20,
			cmds: [][]string{{"mkudffs", "--label=config-2", "--uuid=0123456789abcdef", "IMG"}},
			want: Result{Type: "udf", UUID: "0123456789abcdef", Label: "config-2"}},
	}
}

// TestProbeAgainstBlkid formats images with the real tools and compares Probe with
// `blkid -p -o export` on the same image.
func TestProbeAgainstBlkid(t *testing.T) {
	if _, err := exec.LookPath("blkid"); err != nil {
		t.Skip("skipping: blkid (util-linux) not installed")
	}
	for _, tc := range toolCases(randomUUID(t)) {
		t.Run(tc.name, func(t *testing.T) {
			for _, tool := range tc.tools {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("skipping: %s not installed", tool)
				}
			}
			dir := t.TempDir()
			img := filepath.Join(dir, "img")
			if err := os.MkdirAll(filepath.Join(dir, "src/openstack/latest"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "key"), []byte("passphrase"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.size > 0 {
				if err := os.WriteFile(img, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(img, tc.size); err != nil {
					t.Fatal(err)
				}
			}
			for _, argv := range tc.cmds {
				args := make([]string, len(argv))
				for i, a := range argv {
					a = strings.ReplaceAll(a, "IMG", img)
					args[i] = strings.ReplaceAll(a, "DIR", dir)
				}
				if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
			if tc.mutate != nil {
				b, err := os.ReadFile(img)
				if err != nil {
					t.Fatal(err)
				}
				tc.mutate(t, b)
				if err := os.WriteFile(img, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ProbeFile(img)
			if err != nil {
				t.Fatalf("ProbeFile(%s) error: %v", tc.name, err)
			}
			blk := blkid(t, img)
			if diff := cmp.Diff(blk, got); diff != "" {
				t.Errorf("ProbeFile(%s) differs from blkid -p (-blkid +probe):\n%s", tc.name, diff)
			}
			if tc.wantAll != nil {
				f, err := os.Open(img)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				st, err := f.Stat()
				if err != nil {
					t.Fatal(err)
				}
				var types []string
				for _, r := range ProbeAll(f, st.Size()) {
					types = append(types, r.Type)
				}
				if diff := cmp.Diff(tc.wantAll, types); diff != "" {
					t.Errorf("ProbeAll(%s) types (-want +got):\n%s", tc.name, diff)
				}
			}
			want := tc.want
			if tc.size == 0 { // genisoimage images
				want.UUID = got.UUID // a timestamp; agreement with blkid is checked above
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ProbeFile(%s) (-want +got):\n%s", tc.name, diff)
			}
		})
	}
}

// blkid returns what `blkid -p` reports for an image; exit status 2 means nothing found.
func blkid(t *testing.T, img string) Result {
	t.Helper()
	// -d: print labels' bytes as they are instead of cat -v style.
	out, err := exec.Command("blkid", "-p", "-d", "-o", "export", img).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		return Result{}
	} else if err != nil {
		t.Fatalf("blkid -p %s: %v", img, err)
	}
	var r Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = unescapeExport(v)
		switch k {
		case "TYPE":
			r.Type = v
		case "UUID":
			r.UUID = v
		case "LABEL":
			r.Label = v
		}
	}
	return r
}

// randomUUID returns a random version 4 UUID in its text form.
func randomUUID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	return formatUUID(b[:])
}

// unescapeExport undoes the backslashes that `blkid -o export` puts before shell characters.
func unescapeExport(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
