package translate

// boot_device: encrypt the root filesystem (LUKS unlocked by tang, a TPM2 or an IBM Crypto
// Express card) and mirror the boot disk onto several disks, as Butane's fcos variant does.
// The sugar becomes disks, RAID arrays, a LUKS volume and filesystems whose labels and sizes
// match the CoreOS disk image, generated as a parent config under the user's.

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// Errors of boot_device, in Butane's words where Butane has them.
var (
	ErrBootLayout         = errors.New("layout must be one of")
	ErrMirrorDevices      = errors.New("mirroring requires at least two devices")
	ErrMirrorLayout       = errors.New("boot_device.layout should be specified when boot_device.mirror is specified")
	ErrMirrorS390x        = errors.New("mirroring is not supported on s390x layouts")
	ErrLuksNoMethod       = errors.New("no method specified for luks")
	ErrCexArch            = errors.New("when using cex the targeted architecture must match s390x")
	ErrCexClevis          = errors.New("cannot use cex with clevis")
	ErrLuksDeviceRequired = errors.New("device is required for layouts: s390x-eckd, s390x-zfcp")
	ErrLuksDeviceName     = errors.New("device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout")
)

// bootDevice is the boot_device section.
type bootDevice struct {
	Layout *string    `json:"layout" doc:"Architecture of the boot disk layout: x86_64 (default), aarch64, ppc64le, s390x-eckd, s390x-zfcp or s390x-virt."`
	Luks   bootLuks   `json:"luks" doc:"Encrypt the root filesystem with LUKS."`
	Mirror bootMirror `json:"mirror" doc:"Mirror the boot disk (RAID1 for /boot and the root filesystem) onto several disks."`
}

// bootLuks is boot_device.luks.
type bootLuks struct {
	Device    *string       `json:"device" since:"3.5.0" doc:"Boot disk on s390x-eckd (/dev/dasdX) and s390x-zfcp (/dev/sdX) layouts."`
	Tang      []config.Tang `json:"tang" doc:"Tang servers that unlock the root volume."`
	Threshold *int          `json:"threshold" doc:"How many of the tang servers and the TPM2 must succeed. Default 1."`
	Tpm2      *bool         `json:"tpm2" doc:"Unlock the root volume with the TPM2. Default false."`
	Discard   *bool         `json:"discard" since:"3.4.0" doc:"Allow discards through the encrypted root volume. Default false."`
	Cex       config.Cex    `json:"cex" since:"3.5.0" doc:"Unlock with an IBM Crypto Express secure key (s390x layouts only)."`
}

// bootMirror is boot_device.mirror.
type bootMirror struct {
	Devices []string `json:"devices" doc:"Disks to mirror the boot disk onto; at least two."`
}

// GPT partition types of the boot disk layout.
const (
	typeBIOS     = "21686148-6449-6E6F-744E-656564454649"
	typePReP     = "9E1A2D38-C612-4316-AA26-8B49521E5A8B"
	typeReserved = "8DA63339-0007-60C0-C436-083AC8230908"
	typeESP      = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
)

// bootPartition is one partition of a mirrored boot disk before the root partition.
type bootPartition struct {
	label    string // without the -N suffix
	sizeMiB  int
	typeGUID string // "" for the Linux default
}

// mirrorLayouts are the partitions of each mirrored disk per layout, frozen to match the CoreOS
// disk image; the root partition (the rest of the disk) follows.
var mirrorLayouts = map[string][]bootPartition{
	"x86_64":  {{"bios", 1, typeBIOS}, {"esp", 127, typeESP}, {"boot", 384, ""}},
	"aarch64": {{"reserved", 1, typeReserved}, {"esp", 127, typeESP}, {"boot", 384, ""}},
	"ppc64le": {{"prep", 4, typePReP}, {"reserved", 1, typeReserved}, {"boot", 384, ""}},
}

func init() {
	addSugar(reflect.TypeFor[config.Config](),
		map[string]func(*translator, config.Path) bool{
			"boot_device": func(t *translator, _ config.Path) bool { return t.variant.fcosAtLeast(3) },
			"grub":        func(t *translator, _ config.Path) bool { return t.variant.fcosAtLeast(5) },
		},
		configSugar)
}

// configSugar handles the top-level sugar keys: boot_device, then grub.
func configSugar(t *translator, _ reflect.Value, _ site, extras []extra) {
	for _, e := range extras {
		switch e.name {
		case "boot_device":
			var bd bootDevice
			p := config.Path{"boot_device"}
			if t.value(e.value, reflect.ValueOf(&bd).Elem(), p, "$.boot_device", e.key, nil) {
				t.bootDevice(&bd, p, e)
			}
		case "grub":
			var g grubConfig
			p := config.Path{"grub"}
			if t.value(e.value, reflect.ValueOf(&g).Elem(), p, "$.grub", e.key, nil) {
				t.grub(&g, p, e)
			}
		}
	}
}

// layouts lists the boot disk layouts the variant knows.
func (t *translator) layouts() []string {
	l := []string{"x86_64", "aarch64", "ppc64le"}
	if t.variant.fcosAtLeast(6) {
		l = append(l, "s390x-eckd", "s390x-zfcp", "s390x-virt")
	}
	return l
}

// bootDevice checks boot_device and generates its disks, arrays, volume and filesystems.
func (t *translator) bootDevice(bd *bootDevice, p config.Path, e extra) {
	node := t.resolve(e.value)
	sub := func(names ...string) *yaml.Node { // the YAML node of p+names, or its nearest parent
		n := node
		for _, name := range names {
			v := mappingValue(n, name)
			if v == nil {
				break
			}
			n = v
		}
		return n
	}
	fail := func(n *yaml.Node, path config.Path, err error) {
		t.at(config.SeverityError, n, path, false, err)
	}
	layout := "x86_64"
	if bd.Layout != nil {
		layout = *bd.Layout
		if !slices.Contains(t.layouts(), layout) {
			fail(sub("layout"), p.Append("layout"), fmt.Errorf("%w: %s", ErrBootLayout, strings.Join(t.layouts(), ", ")))
			return
		}
	}
	s390x := strings.HasPrefix(layout, "s390x")
	luks, mirror := bd.Luks, bd.Mirror.Devices
	clevis := len(luks.Tang) > 0 || deref(luks.Tpm2)
	cex := deref(luks.Cex.Enabled)
	ok := true
	if len(mirror) > 0 {
		switch {
		case s390x:
			fail(sub("mirror"), p.Append("mirror"), ErrMirrorS390x)
			ok = false
		case len(mirror) < 2:
			fail(sub("mirror", "devices"), p.Append("mirror", "devices"), ErrMirrorDevices)
			ok = false
		}
		if bd.Layout == nil {
			sev := config.SeverityWarning
			if t.variant.fcosAtLeast(7) {
				sev, ok = config.SeverityError, false
			}
			t.at(sev, sub("mirror"), p.Append("mirror"), true, ErrMirrorLayout)
		}
	}
	if cex && !s390x {
		fail(sub("luks", "cex"), p.Append("luks", "cex"), ErrCexArch)
		ok = false
	}
	if cex && clevis {
		fail(sub("luks", "cex"), p.Append("luks", "cex"), ErrCexClevis)
		ok = false
	}
	if luks.Device != nil && !clevis && !cex {
		fail(sub("luks", "device"), p.Append("luks", "device"), ErrLuksNoMethod)
		ok = false
	}
	encrypt := clevis || cex
	if encrypt && (layout == "s390x-eckd" || layout == "s390x-zfcp") {
		prefix := map[string]string{"s390x-eckd": "/dev/dasd", "s390x-zfcp": "/dev/sd"}[layout]
		switch {
		case luks.Device == nil:
			fail(sub("luks"), p.Append("luks", "device"), ErrLuksDeviceRequired)
			ok = false
		case !strings.HasPrefix(*luks.Device, prefix):
			fail(sub("luks", "device"), p.Append("luks", "device"), ErrLuksDeviceName)
			ok = false
		}
	}
	if !ok || !encrypt && len(mirror) == 0 {
		return
	}
	g := t.gen.config()
	st := &g.Storage
	mirrorNode, luksNode := sub("mirror"), sub("luks")
	rec := func(n *yaml.Node, path ...any) { t.gen.record(path, n, nil) }
	if len(mirror) > 0 {
		var boots, roots []string
		for i, dev := range mirror {
			n := strconv.Itoa(i + 1)
			disk := config.Disk{Device: dev, WipeTable: ptr(true)}
			for _, bp := range mirrorLayouts[layout] {
				part := config.Partition{Label: ptr(bp.label + "-" + n), SizeMiB: ptr(bp.sizeMiB)}
				if bp.typeGUID != "" {
					part.TypeGUID = ptr(bp.typeGUID)
				}
				disk.Partitions = append(disk.Partitions, part)
			}
			disk.Partitions = append(disk.Partitions, config.Partition{Label: ptr("root-" + n)})
			rec(mirrorNode, "storage", "disks", len(st.Disks))
			st.Disks = append(st.Disks, disk)
			boots = append(boots, "/dev/disk/by-partlabel/boot-"+n)
			roots = append(roots, "/dev/disk/by-partlabel/root-"+n)
			if layout == "x86_64" || layout == "aarch64" {
				rec(mirrorNode, "storage", "filesystems", len(st.Filesystems))
				st.Filesystems = append(st.Filesystems, config.Filesystem{Device: "/dev/disk/by-partlabel/esp-" + n,
					Format: ptr("vfat"), Label: ptr("esp-" + n), WipeFilesystem: ptr(true)})
			}
		}
		rec(mirrorNode, "storage", "raid", len(st.Raid))
		st.Raid = append(st.Raid, config.Raid{Name: "md-boot", Level: ptr("raid1"), Devices: boots, Options: []string{"--metadata=1.0"}})
		rec(mirrorNode, "storage", "raid", len(st.Raid))
		st.Raid = append(st.Raid, config.Raid{Name: "md-root", Level: ptr("raid1"), Devices: roots})
		rec(mirrorNode, "storage", "filesystems", len(st.Filesystems))
		st.Filesystems = append(st.Filesystems, config.Filesystem{Device: "/dev/md/md-boot", Format: ptr("ext4"),
			Label: ptr("boot"), WipeFilesystem: ptr(true)})
	}
	rootDevice := "/dev/md/md-root"
	if encrypt {
		dev := "/dev/disk/by-partlabel/root"
		switch {
		case len(mirror) > 0:
			dev = "/dev/md/md-root"
		case layout == "s390x-eckd":
			dev = *luks.Device + "2"
		case layout == "s390x-zfcp":
			dev = *luks.Device + "4"
		}
		vol := config.Luks{Name: "root", Label: ptr("luks-root"), Device: ptr(dev), WipeVolume: ptr(true), Discard: luks.Discard}
		if cex {
			vol.Cex.Enabled = ptr(true)
		} else {
			vol.Clevis = config.Clevis{Tang: luks.Tang, Threshold: luks.Threshold, Tpm2: luks.Tpm2}
		}
		rec(luksNode, "storage", "luks", len(st.Luks))
		st.Luks = append(st.Luks, vol)
		rootDevice = "/dev/mapper/root"
	}
	rec(node, "storage", "filesystems", len(st.Filesystems))
	st.Filesystems = append(st.Filesystems, config.Filesystem{Device: rootDevice, Format: ptr("xfs"),
		Label: ptr("root"), WipeFilesystem: ptr(true)})
}
