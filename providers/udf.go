package providers

import (
	"errors"
	"io"
)

// UDF (the Azure provisioning CD) is recognised in user space by its volume recognition
// sequence, but read through the kernel: flint has no user-space UDF reader yet.

// errUDFNative asks the caller to mount the UDF filesystem instead.
var errUDFNative = errors.New("udf is read by mounting")

// isUDF looks for an NSR02/NSR03 descriptor in the volume recognition sequence (2 KiB
// sectors 16 on).
func isUDF(r io.ReaderAt) bool {
	var id [5]byte
	for s := int64(16); s < 16+32; s++ {
		if _, err := r.ReadAt(id[:], s*isoSector+1); err != nil {
			return false
		}
		switch string(id[:]) {
		case "NSR02", "NSR03":
			return true
		case "BEA01", "CD001", "CDW02", "BOOT2", "TEA01":
			continue
		}
		return false
	}
	return false
}

func openUDF(io.ReaderAt) (volume, error) { return nil, errUDFNative }
