package config

import (
	"errors"
	"fmt"
)

// Errors and warnings about spec 2.x configs. The validation messages are the reference's
// (Ignition 0.x, spec2x branch) word for word; they carry a Legacy prefix because the 3.x rules
// have sentinels of their own, and a 2.x finding is reported against the 2.x document. The
// translation messages are flint's: the reference translator's refusals name no fix.
var (
	ErrLegacyPathRelative         = errors.New("path not absolute")
	ErrLegacyNoFilesystem         = errors.New("no filesystem specified")
	ErrLegacyFileMode             = errors.New("illegal file mode")
	ErrLegacyBothIDAndName        = errors.New("cannot set both id and name")
	ErrLegacyURL                  = errors.New("unable to parse url")
	ErrLegacyURLScheme            = errors.New("invalid url scheme")
	ErrLegacyDataURL              = errors.New("invalid data url")
	ErrLegacyHashMalformed        = errors.New("malformed hash specifier")
	ErrLegacyHashFunction         = errors.New("unrecognized hash function")
	ErrLegacyHashSize             = errors.New("incorrect size for hash sum")
	ErrLegacyCompression          = errors.New("invalid compression method")
	ErrLegacyPartitionLabelLength = errors.New("partition labels may not exceed 36 characters")
	ErrLegacyGUID                 = errors.New(`doesn't match the form "01234567-89AB-CDEF-EDCB-A98765432101"`)
	ErrLegacyPartitionNumbers     = errors.New("partition numbers collide")
	ErrLegacyPartitionsOverlap    = errors.New("partitions overlap")
	ErrLegacyFilesystemFormat     = errors.New("invalid filesystem format")
	ErrLegacyFilesystemLabel      = errors.New("filesystem label too long for its format")
	ErrLegacyUnitExtension        = errors.New("invalid systemd unit extension")
	ErrLegacyDropinExtension      = errors.New("invalid systemd drop-in extension")
	ErrLegacyNetworkdExtension    = errors.New("invalid networkd unit extension")
	ErrLegacyNetworkdDropin       = errors.New("invalid networkd drop-in extension")
	ErrLegacyRaidLevel            = errors.New("unrecognized raid level")

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
	ErrLegacyLabelColon            = errors.New("partition label will be truncated to text before the colon")
	ErrLegacyShadowedFilesystem    = errors.New("filesystem defined twice")

	// Translation to spec 3.x.
	ErrLegacyNoMountPath     = errors.New("filesystem has no mount path in spec 3.x")
	ErrLegacyUndefinedFS     = errors.New("filesystem is not defined")
	ErrLegacySectors         = errors.New("sector start or size is not a whole number of MiB")
	ErrLegacyOEMScheme       = errors.New("the oem URL scheme does not exist in spec 3.x")
	ErrLegacyNetworkdAsFiles = errors.New("networkd units written as files")
	ErrLegacyNodeReplaced    = errors.New("node replaced by a later one at the same path")
)

// exactError keeps a reference message whose wording embeds values (a field name, a limit)
// exactly, while errors.Is still finds its sentinel.
type exactError struct {
	sentinel error
	msg      string
}

func (e *exactError) Error() string { return e.msg }
func (e *exactError) Unwrap() error { return e.sentinel }

func exactf(sentinel error, format string, args ...any) error {
	return &exactError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}
