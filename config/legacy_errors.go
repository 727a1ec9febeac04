package config

import "errors"

// Errors and warnings about spec 2.x configs that 3.x does not have. The validation messages
// are the reference's (Ignition 0.x, spec2x branch) word for word. Where a 2.x rule has the
// message of a 3.x one (spec §7.3), 2.x validation reports the 3.x sentinel, so that errors.Is
// matches a finding in either version; the diagnostic's path is still the 2.x document's. The
// translation messages are flint's: the reference translator's refusals name no fix.
var (
	// Rules whose 2.x message has no 3.x twin.
	ErrLegacyNoFilesystem      = errors.New("no filesystem specified")
	ErrLegacyDataURL           = errors.New("invalid data url")
	ErrLegacyNetworkdExtension = errors.New("invalid networkd unit extension")
	ErrLegacyNetworkdDropin    = errors.New("invalid networkd drop-in extension")

	// Rules that only 2.x has.
	ErrLegacyAppendAndOverwrite    = errors.New("cannot set both append and overwrite to true")
	ErrLegacyFilesystemNoMount     = errors.New("filesystem is missing mount or path")
	ErrLegacyFilesystemBoth        = errors.New("filesystem has both mount and path defined")
	ErrLegacyCreateAndOptions      = errors.New("cannot use both create object and mount-level options field")
	ErrLegacyCreateAndWipe         = errors.New("cannot use both create object and wipeFilesystem field")
	ErrLegacyMixedUnits            = errors.New("cannot mix MBs and sectors within a disk")
	ErrLegacyShouldNotExistZero    = errors.New("shouldExist is false for a partition and other partition(s) has start or size 0")
	ErrLegacyMisaligned            = errors.New("partitions misaligned")
	ErrLegacySpares                = errors.New("spares unsupported for arrays with a level greater than 0")
	ErrLegacyUserCreateAndField    = errors.New("cannot use both the create object and a user-level field")
	ErrLegacyModeUnset             = errors.New("permissions unset, defaulting to 0000")
	ErrLegacyMountCreateDeprecated = errors.New("the create object has been deprecated in favor of mount-level options")
	ErrLegacyUserCreateDeprecated  = errors.New("the create object has been deprecated in favor of user-level options")
	ErrLegacySizeDeprecated        = errors.New("size is deprecated; use sizeMB instead")
	ErrLegacyStartDeprecated       = errors.New("start is deprecated; use startMB instead")
	ErrLegacyEnableDeprecated      = errors.New("the enable field has been deprecated in favor of enabled")
	ErrLegacyShadowedFilesystem    = errors.New("filesystem defined twice")

	// Translation to spec 3.x.
	ErrLegacyNoMountPath     = errors.New("filesystem has no mount path in spec 3.x")
	ErrLegacyUndefinedFS     = errors.New("filesystem is not defined")
	ErrLegacySectors         = errors.New("sector start or size is not a whole number of MiB")
	ErrLegacyOEMScheme       = errors.New("the oem URL scheme does not exist in spec 3.x")
	ErrLegacyNetworkdAsFiles = errors.New("networkd units written as files")
	ErrLegacyNodeReplaced    = errors.New("node replaced by a later one at the same path")
)
