package fsprobe

import "encoding/binary"

// Page sizes at whose end mkswap may have put its signature.
var swapPageSizes = []int64{4096, 8192, 16384, 32768, 65536}

// probeSwap looks for "SWAPSPACE2" (v1, with UUID and label) or the old "SWAP-SPACE" (v0) in
// the last ten bytes of the first page, and for the hibernation signatures that replace them.
func probeSwap(d *device) (Result, bool) {
	for _, page := range swapPageSizes {
		magic := d.read(page-10, 10)
		if magic == nil {
			return Result{}, false
		}
		switch string(magic) {
		case "SWAP-SPACE":
			return Result{Type: "swap"}, true
		case "SWAPSPACE2":
			hdr := d.read(1024, 44)
			if hdr == nil {
				return Result{}, false
			}
			v := binary.LittleEndian.Uint32(hdr[0:])
			// A zero last page means mkswap never finished.
			if v != 1 && binary.BigEndian.Uint32(hdr[0:]) != 1 || binary.LittleEndian.Uint32(hdr[4:]) == 0 {
				return Result{}, false
			}
			return Result{Type: "swap", UUID: formatUUID(hdr[12:28]), Label: cstring(hdr[28:44])}, true
		}
		switch string(magic[:9]) {
		case "S1SUSPEND", "S2SUSPEND", "ULSUSPEND":
			return Result{Type: "swsuspend"}, true
		}
		if string(magic) == "LINHIB0001" {
			return Result{Type: "swsuspend"}, true
		}
	}
	return Result{}, false
}
