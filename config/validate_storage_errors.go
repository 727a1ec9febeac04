package config

import "errors"

// Errors of the storage, passwd and kernelArguments rules and of the duplicate check. The texts
// are the reference validator's, so that reports read the same.
var (
	// Paths and devices.
	ErrPathNotSpecified   = errors.New("path not specified")
	ErrPathRelative       = errors.New("path not absolute")
	ErrPathNotClean       = errors.New("path is not fully simplified")
	ErrDiskDeviceRequired = errors.New("disk device is required")

	// Disks and partitions.
	ErrPartitionNumbersCollide     = errors.New("partition numbers collide")
	ErrPartitionLabelsCollide      = errors.New("cannot use the same partition label twice")
	ErrPartitionsOverlap           = errors.New("partitions overlap")
	ErrShouldNotExistWithOthers    = errors.New("shouldExist specified false with other options also specified")
	ErrPartitionNeedsNumberOrLabel = errors.New("a partition number >= 1 or a label must be specified")
	ErrPartitionLabelTooLong       = errors.New("partition labels may not exceed 36 characters")
	ErrPartitionLabelColon         = errors.New("partition label will be truncated to text before the colon")
	ErrGUIDForm                    = errors.New(`doesn't match the form "01234567-89AB-CDEF-EDCB-A98765432101"`)

	// Filesystems.
	ErrFormatEmptyWithOthers  = errors.New("format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified")
	ErrFilesystemFormat       = errors.New("invalid filesystem format")
	ErrLabelNeedsFormat       = errors.New("filesystem must specify format if label is specified")
	ErrExt4LabelTooLong       = errors.New("filesystem labels cannot be longer than 16 characters when using ext4")
	ErrBtrfsLabelTooLong      = errors.New("filesystem labels cannot be longer than 256 characters when using btrfs")
	ErrXfsLabelTooLong        = errors.New("filesystem labels cannot be longer than 12 characters when using xfs")
	ErrSwapLabelTooLong       = errors.New("filesystem labels cannot be longer than 15 characters when using swap")
	ErrVfatLabelTooLong       = errors.New("filesystem labels cannot be longer than 11 characters when using vfat")
	ErrPartitionsOverwritten  = errors.New("filesystem overwrites partitioned device")
	ErrFilesystemImplicitWipe = errors.New("device matches disk with wipeTable enabled; filesystem will be wiped")

	// Files, directories and links.
	ErrFileMode               = errors.New("illegal file mode")
	ErrModeSpecialBits        = errors.New("setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0")
	ErrOverwriteWithoutSource = errors.New("overwrite must be false if source is unspecified")
	ErrBothIDAndName          = errors.New("cannot set both id and name")
	ErrFileUnderLink          = errors.New("file path includes link in config")
	ErrDirectoryUnderLink     = errors.New("directory path includes link in config")
	ErrLinkUnderLink          = errors.New("link path includes link in config")
	ErrLinkTargetRequired     = errors.New("link target is required")
	ErrHardLinkToDirectory    = errors.New("hard link target is a directory")
	ErrHardLinkOwner          = errors.New("user/group ignored for hard link")
	ErrPathConflictsSystemd   = errors.New("path conflicts with systemd unit or dropin")

	// RAID.
	ErrRaidLevelRequired   = errors.New("raid level is required")
	ErrRaidLevelUnknown    = errors.New("unrecognized raid level")
	ErrRaidSpares          = errors.New("spares unsupported for linear and raid0 arrays")
	ErrRaidDevicesRequired = errors.New("raid devices required")

	// LUKS.
	ErrLuksNameSlash          = errors.New("device names cannot contain slashes")
	ErrLuksLabelTooLong       = errors.New("luks device labels cannot be longer than 47 characters")
	ErrClevisCustomWithOthers = errors.New("cannot use custom clevis config with tpm2, tang, or threshold")
	ErrKeyFileSource          = errors.New("invalid key-file source")
	ErrCexWithClevis          = errors.New("cannot use cex with clevis")
	ErrCexWithKeyFile         = errors.New("cannot use key file with cex")
	ErrClevisPinRequired      = errors.New("missing required custom clevis pin")
	ErrClevisPinUnknown       = errors.New("unsupported clevis pin")
	ErrClevisConfigRequired   = errors.New("missing required custom clevis config")
	ErrTangThumbprintRequired = errors.New("thumbprint is required")
	ErrTangAdvertisement      = errors.New("advertisement is not valid JSON")

	// Duplicates.
	ErrDuplicateEntry = errors.New("duplicate entry defined")
)
