// Package mkfs builds the command lines that create and grow filesystems, and runs them. The
// builders are pure so the disks stage's plan can show exactly what will be run; the Runner is
// the one place that executes.
package mkfs

import (
	"errors"
	"strings"
)

// Errors of building command lines.
var (
	ErrUnknownFormat = errors.New("unsupported filesystem format")
	// ErrNeedsMount: xfs and btrfs grow only while mounted, through their mount point.
	ErrNeedsMount = errors.New("filesystem must be mounted to be grown")
)

// Spec describes a filesystem to create, in the config's terms.
type Spec struct {
	// Format is the config's format: ext4, btrfs, xfs, swap, vfat or none.
	Format string
	// Device is the block device (or image) to format.
	Device string
	// Label and UUID are nil when the config leaves them unset.
	Label, UUID *string
	// Options are the config's extra mkfs arguments, passed before the device.
	Options []string
}

// WipeArgs returns the command that erases every signature on a device before it is formatted,
// so no stale superblock makes later probes ambiguous.
func WipeArgs(device string) []string {
	return []string{"wipefs", "-a", device}
}

// CreateArgs returns the mkfs command for spec, or nil for format "none", which asks only for
// the wipe. Every command forces creation: the decision to format was taken (and the existing
// signature checked) before it runs.
func CreateArgs(spec Spec) ([]string, error) {
	var args []string
	// The flags that set UUID and label differ per tool; "" means the tool has no such flag.
	var uuidFlag, labelFlag string
	uuid := ""
	if spec.UUID != nil {
		uuid = *spec.UUID
	}
	switch spec.Format {
	case "none":
		return nil, nil
	case "ext4":
		args, uuidFlag, labelFlag = []string{"mkfs.ext4", "-F"}, "-U", "-L"
	case "btrfs":
		args, uuidFlag, labelFlag = []string{"mkfs.btrfs", "--force"}, "-U", "-L"
	case "xfs":
		// mkfs.xfs takes the UUID as a metadata sub-option.
		args, uuidFlag, labelFlag = []string{"mkfs.xfs", "-f"}, "-m", "-L"
		uuid = "uuid=" + uuid
	case "swap":
		args, uuidFlag, labelFlag = []string{"mkswap", "-f"}, "-U", "-L"
	case "vfat":
		// mkfs.fat takes the 32-bit volume id as 8 hex digits; configs may carry blkid's
		// XXXX-XXXX form.
		args, uuidFlag, labelFlag = []string{"mkfs.fat"}, "-i", "-n"
		uuid = strings.Replace(uuid, "-", "", 1)
	default:
		return nil, ErrUnknownFormat
	}
	if spec.UUID != nil {
		args = append(args, uuidFlag, uuid)
	}
	if spec.Label != nil {
		args = append(args, labelFlag, *spec.Label)
	}
	args = append(args, spec.Options...)
	return append(args, spec.Device), nil
}

// GrowArgs returns the command that grows a filesystem to fill its (enlarged) device. ext2/3/4
// grow through the device, mounted or not; xfs and btrfs only through their mount point, and
// an empty mountpoint then yields ErrNeedsMount.
func GrowArgs(format, device, mountpoint string) ([]string, error) {
	switch format {
	case "ext2", "ext3", "ext4":
		return []string{"resize2fs", device}, nil
	case "xfs", "btrfs":
		if mountpoint == "" {
			return nil, ErrNeedsMount
		}
		if format == "xfs" {
			return []string{"xfs_growfs", mountpoint}, nil
		}
		return []string{"btrfs", "filesystem", "resize", "max", mountpoint}, nil
	}
	return nil, ErrUnknownFormat
}

// GrowNeedsMount reports whether format can only be grown while mounted.
func GrowNeedsMount(format string) bool {
	return format == "xfs" || format == "btrfs"
}
