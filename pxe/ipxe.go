package pxe

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// MaxCmdline is the kernel's COMMAND_LINE_SIZE on x86 and arm64: a longer command line is cut
// without a word, so the server refuses to generate one.
const MaxCmdline = 2048

// ErrCmdline is the error of a generated kernel command line over MaxCmdline.
var ErrCmdline = errors.New("kernel command line too long")

// BootScript is the static script every machine starts with (/boot.ipxe): it chains to the
// per-machine script, telling the server who the machine is. base is the server's URL
// ("http://host:port"); the script must name it absolutely when it is itself fetched over
// TFTP, where a relative URL would resolve to tftp://. Values that may hold spaces or '&' go
// through :uristring.
func BootScript(base string) string {
	return "#!ipxe\n" +
		"chain " + base + "/ipxe?uuid=${uuid}&mac=${mac:hexhyp}&hostname=${hostname:uristring}" +
		"&serial=${serial:uristring}&arch=${buildarch:uristring}&platform=${platform:uristring}\n"
}

// initrdImage is one initrd line of a script: its iPXE image name and URL.
type initrdImage struct{ name, url string }

// parseInitrd reads a profile's initrd entry: "URL", or "--name NAME URL" as matchbox
// profiles write it.
func parseInitrd(entry string) (name, u string) {
	f := strings.Fields(entry)
	if len(f) == 3 && f[0] == "--name" {
		return f[1], f[2]
	}
	if len(f) == 2 && strings.HasPrefix(f[0], "--name=") {
		return strings.TrimPrefix(f[0], "--name="), f[1]
	}
	u = strings.TrimSpace(entry)
	p := u
	if parsed, err := url.Parse(u); err == nil {
		p = parsed.Path
	}
	return path.Base(p), u
}

// initrdImages names every initrd, making names unique (a second "initrd.img" becomes
// "initrd.img-2") because the EFI stub finds each initrd by its name.
func initrdImages(entries []string) []initrdImage {
	seen := make(map[string]bool, len(entries))
	out := make([]initrdImage, 0, len(entries))
	for _, e := range entries {
		name, u := parseInitrd(e)
		if name == "" || name == "." || name == "/" {
			name = "initrd"
		}
		base := name
		for i := 2; seen[name]; i++ {
			name = base + "-" + strconv.Itoa(i)
		}
		seen[name] = true
		out = append(out, initrdImage{name, u})
	}
	return out
}

// MachineScript is the per-machine script: the kernel with its command line, every initrd by
// name, boot. Each initrd is named on the command line (initrd=NAME): UEFI iPXE boots Linux
// through its EFI stub, which loads only the initrds named there; BIOS ignores the argument,
// so the same script serves both. configURL, when not empty, is added as the profile's config
// argument; configImage, when not empty, is loaded as one more initrd named "config";
// reportURL, when not empty, is added as flint.report.url, where the agent posts its progress.
func MachineScript(p *Profile, configURL, configImage, reportURL string) (string, error) {
	images := initrdImages(p.Initrd)
	if configImage != "" {
		images = append(images, initrdImage{"config", configImage})
		// "config" may already be taken by a profile's own initrd.
		images = initrdImages(imageEntries(images))
	}
	var args []string
	for _, im := range images {
		args = append(args, "initrd="+im.name)
	}
	args = append(args, p.Args...)
	if configURL != "" {
		arg := p.ConfigArg
		if arg == "" {
			arg = "flint.config.url"
		}
		args = append(args, arg+"="+configURL)
	}
	if reportURL != "" {
		args = append(args, "flint.report.url="+reportURL)
	}
	cmdline := strings.Join(args, " ")
	if len(cmdline) >= MaxCmdline {
		return "", fmt.Errorf("%w: %d bytes, the kernel keeps %d", ErrCmdline, len(cmdline), MaxCmdline-1)
	}
	var b strings.Builder
	b.WriteString("#!ipxe\n")
	fmt.Fprintf(&b, "kernel --name kernel %s %s\n", p.Kernel, cmdline)
	for _, im := range images {
		fmt.Fprintf(&b, "initrd --name %s %s\n", im.name, im.url)
	}
	b.WriteString("boot\n")
	return b.String(), nil
}

func imageEntries(images []initrdImage) []string {
	out := make([]string, len(images))
	for i, im := range images {
		out[i] = "--name " + im.name + " " + im.url
	}
	return out
}
