package gpt

import "errors"

// Errors of reading and writing a table.
var (
	ErrSectorSize      = errors.New("sector size must be 512 or 4096")
	ErrEntryArray      = errors.New("unsupported partition entry array")
	ErrDiskTooSmall    = errors.New("disk too small for a partition table")
	ErrNameTooLong     = errors.New("partition name longer than 36 UTF-16 code units")
	ErrNoTable         = errors.New("no partition table")
	ErrLegacyMBR       = errors.New("disk has an MBR partition table, not a GPT")
	ErrCorrupt         = errors.New("partition table is corrupt")
	ErrSignature       = errors.New("no GPT header signature")
	ErrHeaderCRC       = errors.New("header CRC mismatch")
	ErrEntriesCRC      = errors.New("partition entries CRC mismatch")
	ErrHeaderInvalid   = errors.New("invalid header")
	ErrEntryInvalid    = errors.New("invalid partition entry")
	ErrBackupMisplaced = errors.New("backup header is not at the end of the disk")
	ErrHeadersDiffer   = errors.New("primary and backup headers disagree")
	ErrNoProtectiveMBR = errors.New("no protective MBR")
	ErrOverlap         = errors.New("partitions overlap")
	ErrOutsideUsable   = errors.New("partition outside the usable area of the disk")
	ErrNumber          = errors.New("partition number out of range")
	ErrNoPartition     = errors.New("no such partition")
)

// Errors of planning. The messages of the decision matrix are the reference's, so that
// "partition 3 didn't match: size did not match (specified 2048, got 4096)" reads the same.
var (
	ErrExistsNotWiped   = errors.New("exists but is specified as nonexistant and wipePartitionEntry is false")
	ErrNoMatch          = errors.New("didn't match")
	ErrStartMismatch    = errors.New("starting sector did not match")
	ErrSizeMismatch     = errors.New("size did not match")
	ErrGUIDMismatch     = errors.New("GUID did not match")
	ErrTypeGUIDMismatch = errors.New("type GUID did not match")
	ErrLabelMismatch    = errors.New("label did not match")
	ErrNoSpace          = errors.New("no free space left")
	ErrNotInLargest     = errors.New("size 0 needs a start inside the largest free block")
	ErrLabelAmbiguous   = errors.New("several existing partitions have this label")
	ErrDuplicateLabel   = errors.New("another partition already has this label")
	ErrNoFreeNumber     = errors.New("no free partition entry")
	ErrInvalidSpec      = errors.New("invalid partition")
)

// SpecError is a planning error caused by one of the requested partitions.
type SpecError struct {
	// Index is the partition's position in Request.Partitions, for pointing at the config.
	Index int
	// Err is the error itself; its message names the partition.
	Err error
}

// Error returns the message of the wrapped error.
func (e *SpecError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *SpecError) Unwrap() error { return e.Err }
