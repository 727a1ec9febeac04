package mkfs

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func str(s string) *string { return &s }

func TestCreateArgs(t *testing.T) {
	const u = "0b1f2e3d-4c5b-4a69-8778-96a5b4c3d2e1"
	for _, tc := range []struct {
		name    string
		spec    Spec
		want    []string
		wantErr error
	}{
		{name: "ext4 bare", spec: Spec{Format: "ext4", Device: "/dev/vda1"},
			want: []string{"mkfs.ext4", "-F", "/dev/vda1"}},
		{name: "ext4 all", spec: Spec{Format: "ext4", Device: "/dev/vda1", UUID: str(u), Label: str("root"), Options: []string{"-b", "4096"}},
			want: []string{"mkfs.ext4", "-F", "-U", u, "-L", "root", "-b", "4096", "/dev/vda1"}},
		{name: "ext4 empty label is passed", spec: Spec{Format: "ext4", Device: "/dev/vda1", Label: str("")},
			want: []string{"mkfs.ext4", "-F", "-L", "", "/dev/vda1"}},
		{name: "btrfs", spec: Spec{Format: "btrfs", Device: "/dev/vdb", UUID: str(u), Label: str("data")},
			want: []string{"mkfs.btrfs", "--force", "-U", u, "-L", "data", "/dev/vdb"}},
		{name: "xfs uuid as metadata option", spec: Spec{Format: "xfs", Device: "/dev/vdb", UUID: str(u), Label: str("var"), Options: []string{"-m", "reflink=1"}},
			want: []string{"mkfs.xfs", "-f", "-m", "uuid=" + u, "-L", "var", "-m", "reflink=1", "/dev/vdb"}},
		{name: "xfs bare", spec: Spec{Format: "xfs", Device: "/dev/vdb"},
			want: []string{"mkfs.xfs", "-f", "/dev/vdb"}},
		{name: "swap", spec: Spec{Format: "swap", Device: "/dev/vdc", UUID: str(u), Label: str("swap")},
			want: []string{"mkswap", "-f", "-U", u, "-L", "swap", "/dev/vdc"}},
		{name: "vfat dash dropped", spec: Spec{Format: "vfat", Device: "/dev/vda2", UUID: str("1A2B-3C4D"), Label: str("EFI")},
			want: []string{"mkfs.fat", "-i", "1A2B3C4D", "-n", "EFI", "/dev/vda2"}},
		{name: "vfat without dash", spec: Spec{Format: "vfat", Device: "/dev/vda2", UUID: str("1a2b3c4d"), Options: []string{"-F", "32"}},
			want: []string{"mkfs.fat", "-i", "1a2b3c4d", "-F", "32", "/dev/vda2"}},
		{name: "none runs nothing", spec: Spec{Format: "none", Device: "/dev/vda3"}},
		{name: "unknown format", spec: Spec{Format: "zfs", Device: "/dev/vda3"}, wantErr: ErrUnknownFormat},
		{name: "empty format", spec: Spec{Device: "/dev/vda3"}, wantErr: ErrUnknownFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CreateArgs(tc.spec)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CreateArgs(%+v) error = %v, want %v", tc.spec, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CreateArgs(%+v) (-want +got):\n%s", tc.spec, diff)
			}
		})
	}
}

func TestWipeArgs(t *testing.T) {
	got, want := WipeArgs("/dev/vda1"), []string{"wipefs", "-a", "/dev/vda1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WipeArgs(/dev/vda1) (-want +got):\n%s", diff)
	}
}

func TestGrowArgs(t *testing.T) {
	for _, tc := range []struct {
		name, format, device, mountpoint string
		want                             []string
		wantErr                          error
	}{
		{"ext4 unmounted", "ext4", "/dev/vda4", "", []string{"resize2fs", "/dev/vda4"}, nil},
		{"ext4 mounted uses the device", "ext4", "/dev/vda4", "/sysroot", []string{"resize2fs", "/dev/vda4"}, nil},
		{"ext3", "ext3", "/dev/vda4", "", []string{"resize2fs", "/dev/vda4"}, nil},
		{"xfs", "xfs", "/dev/vda4", "/sysroot", []string{"xfs_growfs", "/sysroot"}, nil},
		{"xfs unmounted", "xfs", "/dev/vda4", "", nil, ErrNeedsMount},
		{"btrfs", "btrfs", "/dev/vda4", "/sysroot", []string{"btrfs", "filesystem", "resize", "max", "/sysroot"}, nil},
		{"btrfs unmounted", "btrfs", "/dev/vda4", "", nil, ErrNeedsMount},
		{"vfat", "vfat", "/dev/vda2", "/boot", nil, ErrUnknownFormat},
		{"swap", "swap", "/dev/vda3", "", nil, ErrUnknownFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GrowArgs(tc.format, tc.device, tc.mountpoint)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("GrowArgs(%q, %q, %q) error = %v, want %v", tc.format, tc.device, tc.mountpoint, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GrowArgs(%q, %q, %q) (-want +got):\n%s", tc.format, tc.device, tc.mountpoint, diff)
			}
			if got, want := GrowNeedsMount(tc.format), tc.format == "xfs" || tc.format == "btrfs"; got != want {
				t.Errorf("GrowNeedsMount(%q) = %v, want %v", tc.format, got, want)
			}
		})
	}
}

func TestExecRunner(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("skipping: no sh")
	}
	ctx := context.Background()
	var r ExecRunner
	t.Run("output captured", func(t *testing.T) {
		out, errOut, err := r.Run(ctx, []string{"sh", "-c", "echo out; echo err >&2"})
		if err != nil || string(out) != "out\n" || string(errOut) != "err\n" {
			t.Errorf("Run(sh) = %q, %q, %v, want \"out\\n\", \"err\\n\", nil", out, errOut, err)
		}
	})
	t.Run("failure keeps stderr", func(t *testing.T) {
		_, _, err := r.Run(ctx, []string{"sh", "-c", "echo bad device >&2; exit 3"})
		var ce *CommandError
		if !errors.As(err, &ce) || string(ce.Stderr) != "bad device\n" {
			t.Fatalf("Run(failing sh) error = %v, want a *CommandError with its stderr", err)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("Run(failing sh) error = %v, want exit status 3 underneath", err)
		}
	})
	t.Run("empty argv", func(t *testing.T) {
		if _, _, err := r.Run(ctx, nil); !errors.Is(err, ErrEmptyCommand) {
			t.Errorf("Run(nil) error = %v, want %v", err, ErrEmptyCommand)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := r.Run(cctx, []string{"sh", "-c", "true"}); err == nil {
			t.Errorf("Run(cancelled) error = nil, want an error")
		}
	})
}
