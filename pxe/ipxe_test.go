package pxe

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBootScript(t *testing.T) {
	got := BootScript("http://10.0.2.2:8080")
	want := "#!ipxe\nchain http://10.0.2.2:8080/ipxe?uuid=${uuid}&mac=${mac:hexhyp}&hostname=${hostname:uristring}" +
		"&serial=${serial:uristring}&arch=${buildarch:uristring}&platform=${platform:uristring}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BootScript() mismatch (-want +got):\n%s", diff)
	}
}

// scriptImages reads a script's initrd names and the initrd= names of its kernel line.
func scriptImages(t *testing.T, script string) (initrds, cmdline []string) {
	t.Helper()
	for _, line := range strings.Split(script, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 4 && f[0] == "initrd" && f[1] == "--name":
			initrds = append(initrds, f[2])
		case len(f) >= 1 && f[0] == "kernel":
			for _, a := range f[1:] {
				if n, ok := strings.CutPrefix(a, "initrd="); ok {
					cmdline = append(cmdline, n)
				}
			}
		}
	}
	return initrds, cmdline
}

func TestMachineScript(t *testing.T) {
	for _, tc := range []struct {
		name        string
		profile     Profile
		configURL   string
		configImage string
		want        string
	}{
		{
			name:      "one initrd, config URL",
			profile:   Profile{Kernel: "/assets/vmlinuz", Initrd: []string{"/assets/initrd.img"}, Args: []string{"console=ttyS0", "flint.firstboot"}},
			configURL: "http://s/config?token=T",
			want: "#!ipxe\nkernel --name kernel /assets/vmlinuz initrd=initrd.img console=ttyS0 flint.firstboot flint.config.url=http://s/config?token=T\n" +
				"initrd --name initrd.img /assets/initrd.img\nboot\n",
		},
		{
			name:        "named initrd and config image",
			profile:     Profile{Kernel: "http://k/vmlinuz", Initrd: []string{"--name main http://k/initramfs.img"}},
			configImage: "http://s/initrd/T/config.img",
			want: "#!ipxe\nkernel --name kernel http://k/vmlinuz initrd=main initrd=config\n" +
				"initrd --name main http://k/initramfs.img\ninitrd --name config http://s/initrd/T/config.img\nboot\n",
		},
		{
			name:      "same base names made unique, Ignition argument",
			profile:   Profile{Kernel: "/k", Initrd: []string{"/a/initrd.img", "/b/initrd.img?x=1", "--name config /c"}, ConfigArg: "ignition.config.url"},
			configURL: "http://s/config?token=T",
			want: "#!ipxe\nkernel --name kernel /k initrd=initrd.img initrd=initrd.img-2 initrd=config ignition.config.url=http://s/config?token=T\n" +
				"initrd --name initrd.img /a/initrd.img\ninitrd --name initrd.img-2 /b/initrd.img?x=1\ninitrd --name config /c\nboot\n",
		},
		{
			name:        "config image name already taken",
			profile:     Profile{Kernel: "/k", Initrd: []string{"--name config /c"}},
			configImage: "/initrd/T/config.img",
			want: "#!ipxe\nkernel --name kernel /k initrd=config initrd=config-2\n" +
				"initrd --name config /c\ninitrd --name config-2 /initrd/T/config.img\nboot\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MachineScript(&tc.profile, tc.configURL, tc.configImage, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MachineScript() mismatch (-want +got):\n%s", diff)
			}
			// The UEFI rule: every loaded initrd is named on the command line, once.
			initrds, cmdline := scriptImages(t, got)
			if diff := cmp.Diff(initrds, cmdline); diff != "" {
				t.Errorf("initrd names vs initrd= arguments (-initrd +cmdline):\n%s", diff)
			}
		})
	}
	t.Run("command line too long", func(t *testing.T) {
		p := Profile{Kernel: "/k", Args: []string{strings.Repeat("x", MaxCmdline)}}
		if _, err := MachineScript(&p, "", "", ""); !errors.Is(err, ErrCmdline) {
			t.Errorf("MachineScript(2 KiB argument) error = %v, want %v", err, ErrCmdline)
		}
	})
}

var tokenArg = regexp.MustCompile(`flint\.config\.url=(\S+)`)
