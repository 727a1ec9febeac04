// Package fsprobe identifies what a block device holds (filesystem, swap, LUKS header, RAID
// member) by reading its signatures natively, the way `blkid -p` does, so the disks stage can
// decide whether an existing filesystem may be reused without exec'ing blkid.
package fsprobe

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Result is what a probe found. An empty Type means no known signature.
type Result struct {
	// Type is blkid's TYPE: ext2, ext3, ext4, xfs, btrfs, vfat, swap, crypto_LUKS,
	// linux_raid_member, iso9660, udf.
	Type string
	// UUID is blkid's UUID, formatted as blkid prints it (XXXX-XXXX for vfat).
	UUID string
	// Label is blkid's LABEL, trailing white space removed.
	Label string
}

// ErrAmbiguous is returned when a device carries several signatures that exclude each other,
// such as an old filesystem that a new one did not fully overwrite.
var ErrAmbiguous = errors.New("ambiguous signatures found")

// prober recognises one format. It returns ok false when the signature is absent or invalid.
type prober struct {
	name string
	// tolerant probers may coexist with another match (hybrid ISO/UDF images).
	tolerant bool
	// exclusive probers (RAID members, LUKS) end the search: what they hold is not ours to read.
	exclusive bool
	probe     func(d *device) (Result, bool)
}

// tinySize is the size up to which blkid takes a device for a floppy: it looks for no RAID
// signatures on it and takes the first match without checking for ambiguity.
const tinySize = 1440 << 10

// probers in blkid's order: RAID and crypto first, then filesystems.
var probers = []prober{
	{name: "linux_raid_member", exclusive: true, probe: func(d *device) (Result, bool) {
		if d.size <= tinySize {
			return Result{}, false
		}
		return probeMD(d)
	}},
	{name: "crypto_LUKS", exclusive: true, probe: probeLUKS},
	{name: "vfat", probe: probeVFAT},
	{name: "swap", probe: probeSwap},
	{name: "xfs", probe: probeXFS},
	{name: "ext", probe: probeExt},
	{name: "btrfs", probe: probeBtrfs},
	{name: "udf", tolerant: true, probe: probeUDF},
	{name: "iso9660", tolerant: true, probe: probeISO9660},
}

// device reads fixed-size windows of an image, treating reads past the end as absent.
type device struct {
	r    io.ReaderAt
	size int64
}

// read returns n bytes at off, or nil when they are not all there.
func (d *device) read(off int64, n int) []byte {
	if off < 0 || n < 0 || off+int64(n) > d.size {
		return nil
	}
	b := make([]byte, n)
	if _, err := d.r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && len(b) == n) {
		return nil
	}
	return b
}

// match is one prober's finding.
type match struct {
	Result
	tolerant bool
}

// run applies the probers in order. A RAID member or LUKS header ends the search and is
// returned alone, as blkid does: what lies inside belongs to the array or the mapping.
func run(d *device) []match {
	var found []match
	for _, p := range probers {
		res, ok := p.probe(d)
		if !ok {
			continue
		}
		if p.exclusive {
			return []match{{Result: res}}
		}
		found = append(found, match{Result: res, tolerant: p.tolerant})
	}
	return found
}

// ProbeAll returns every signature found on the image of the given size, in blkid's order, for
// reporting what an ambiguous device holds.
func ProbeAll(r io.ReaderAt, size int64) []Result {
	found := run(&device{r: r, size: size})
	res := make([]Result, len(found))
	for i, m := range found {
		res[i] = m.Result
	}
	return res
}

// Probe returns the one signature on the image, a zero Result when there is none, and an
// error wrapping ErrAmbiguous (with the first match as the Result) when several formats that
// cannot coexist are found, where `blkid -p` says "ambivalent result". The disks stage then
// refuses to reuse or format the device unless the config asks for a wipe.
func Probe(r io.ReaderAt, size int64) (Result, error) {
	found := run(&device{r: r, size: size})
	if len(found) == 0 {
		return Result{}, nil
	}
	// blkid takes the first match on floppy-sized devices without looking further.
	if len(found) == 1 || size <= tinySize {
		return found[0].Result, nil
	}
	types := make([]string, len(found))
	intolerant := false
	for i, m := range found {
		types[i] = m.Type
		intolerant = intolerant || !m.tolerant
	}
	if !intolerant {
		// Hybrid images (an ISO 9660 and UDF bridge): the first is the one to use.
		return found[0].Result, nil
	}
	return found[0].Result, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(types, ", "))
}

// ProbeFile probes a block device or an image file by path.
func ProbeFile(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	// Seek reports the size of block devices too, where Stat says 0.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return Result{}, err
	}
	return Probe(f, size)
}

// CanonicalUUID returns uuid in the form used to compare filesystem UUIDs: lower-cased, and for
// vfat without the dash after the fourth character, so "ABCD-1234" and "abcd1234" are equal.
func CanonicalUUID(fsType, uuid string) string {
	uuid = strings.ToLower(uuid)
	if fsType == "vfat" && len(uuid) == 9 && uuid[4] == '-' {
		uuid = uuid[:4] + uuid[5:]
	}
	return uuid
}

// Reusable reports whether an existing filesystem satisfies a requested one without being
// recreated: same type (format "none" asks for no signature at all), and label and UUID either
// unrequested (nil) or equal, the UUID compared in canonical form.
func (r Result) Reusable(format string, label, uuid *string) bool {
	want := format
	if format == "none" {
		want = ""
	}
	if r.Type != want {
		return false
	}
	if label != nil && r.Label != *label {
		return false
	}
	if uuid != nil && CanonicalUUID(r.Type, r.UUID) != CanonicalUUID(format, *uuid) {
		return false
	}
	return true
}

// formatUUID renders 16 bytes in the 8-4-4-4-12 form, or "" when they are all zero (blkid
// does not report empty UUIDs).
func formatUUID(b []byte) string {
	zero := true
	for _, c := range b {
		if c != 0 {
			zero = false
			break
		}
	}
	if zero || len(b) != 16 {
		return ""
	}
	s := hex.EncodeToString(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// cstring returns b up to its first NUL, with trailing white space removed, as blkid stores
// labels.
func cstring(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " \t\n\r\v\f")
}
