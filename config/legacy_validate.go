package config

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// validateLegacy checks a spec 2.x config with the 2.x rules (spec §7.3), not the 3.x ones: 2.x
// had no duplicate checks and no clean-path check, and a colon in a partition label was only a
// warning. Paths are those of the 2.x document, which is the file the user edits.
func validateLegacy(c *v2Config, v Version, r *reporter) {
	ign := Path{"ignition"}
	for i, ref := range c.Ignition.Config.Append {
		validateLegacyReference(ref, ign.Append("config", "append", i), r)
	}
	if c.Ignition.Config.Replace != nil {
		validateLegacyReference(*c.Ignition.Config.Replace, ign.Append("config", "replace"), r)
	}
	for i, ca := range c.Ignition.Security.TLS.CertificateAuthorities {
		validateLegacyReference(ca, ign.Append("security", "tls", "certificateAuthorities", i), r)
	}
	validateLegacyDisks(c.Storage.Disks, v, r)
	validateLegacyRaid(c.Storage.Raid, r)
	validateLegacyFilesystems(c.Storage.Filesystems, v, r)
	validateLegacyNodes(&c.Storage, v, r)
	validateLegacyUnits(c, v, r)
	validateLegacyUsers(c.Passwd.Users, v, r)
}

// Versions at which 2.x rules start to apply.
var (
	legacyV21 = mustVersion("2.1.0")
	legacyV22 = mustVersion("2.2.0")
	legacyV23 = mustVersion("2.3.0")
)

func validateLegacyReference(ref v2Reference, p Path, r *reporter) {
	validateLegacyURL(ref.Source, p.Append("source"), r)
	validateLegacyHash(ref.Verification.Hash, p.Append("verification", "hash"), r)
}

// validateLegacyURL checks a 2.x resource URL. An empty one is valid: it means no data.
func validateLegacyURL(s string, p Path, r *reporter) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		r.errorf(p, ErrURLUnparsable)
		return
	}
	switch u.Scheme {
	case "http", "https", "tftp", "s3", "oem":
	case "data":
		if err := checkDataURL(s); err != nil {
			r.errorf(p, fmt.Errorf("%w: %w", ErrLegacyDataURL, err))
		}
	default:
		r.errorf(p, ErrURLScheme)
	}
}

// validateLegacyHash checks "<function>-<hex sum>"; 2.x knows sha512 only.
func validateLegacyHash(h *string, p Path, r *reporter) {
	if h == nil {
		return
	}
	fn, sum, ok := strings.Cut(*h, "-")
	switch {
	case !ok:
		r.errorf(p, ErrHashMalformed)
	case fn != "sha512":
		r.errorf(p, ErrHashFunction)
	case len(sum) != 128:
		r.errorf(p, ErrHashSize)
	}
}

func validateLegacyPath(s string, p Path, r *reporter) {
	if !path.IsAbs(s) {
		r.errorf(p, ErrPathRelative)
	}
}

// sectorsPerMiB is the number of 512-byte logical sectors in a MiB: 2.x partitions in sectors
// must start on such a boundary, and flint translates sector sizes that are whole MiB.
const sectorsPerMiB = 2048

func validateLegacyDisks(disks []v2Disk, v Version, r *reporter) {
	for i, d := range disks {
		dp := Path{"storage", "disks", i}
		validateLegacyPath(d.Device, dp.Append("device"), r)
		numbers := make(map[int]bool, len(d.Partitions))
		sectors, mib, deletes, zeroes := false, false, -1, false
		for j, part := range d.Partitions {
			pp := dp.Append("partitions", j)
			if len(part.Label) > 36 {
				r.errorf(pp.Append("label"), ErrPartitionLabelTooLong)
			}
			if strings.Contains(part.Label, ":") {
				r.warnf(pp.Append("label"), ErrPartitionLabelColon)
			}
			validateLegacyGUID(part.TypeGUID, pp.Append("typeGuid"), r)
			validateLegacyGUID(part.GUID, pp.Append("guid"), r)
			if part.Number != 0 {
				if numbers[part.Number] {
					r.errorf(pp, ErrPartitionNumbersCollide)
				}
				numbers[part.Number] = true
			}
			if part.Start != nil && *part.Start%sectorsPerMiB != 0 {
				r.errorf(pp.Append("start"), ErrLegacyMisaligned)
			}
			if !v.LessThan(legacyV23) {
				if part.Size != nil {
					r.warnf(pp.Append("size"), ErrLegacySizeDeprecated)
				}
				if part.Start != nil {
					r.warnf(pp.Append("start"), ErrLegacyStartDeprecated)
				}
			}
			sectors = sectors || part.Size != nil || part.Start != nil
			mib = mib || part.SizeMiB != nil || part.StartMiB != nil
			if part.ShouldExist != nil && !*part.ShouldExist {
				if deletes < 0 {
					deletes = j
				}
			} else if isZero(part.Start) && isZero(part.StartMiB) || isZero(part.Size) && isZero(part.SizeMiB) {
				zeroes = true
			}
		}
		if sectors && mib {
			r.errorf(dp.Append("partitions"), ErrLegacyMixedUnits)
		}
		if deletes >= 0 && zeroes {
			r.errorf(dp.Append("partitions", deletes, "shouldExist"), ErrLegacyShouldNotExistZero)
		}
		if !(sectors && mib) {
			validateLegacyOverlap(d.Partitions, dp, r)
		}
	}
}

func isZero(p *int) bool { return p == nil || *p == 0 }

// validateLegacyOverlap reports partitions whose fixed extents overlap, in sectors. Only
// partitions with a start and a size take part; a size of 0 counts as one MiB at the start.
func validateLegacyOverlap(parts []v2Partition, dp Path, r *reporter) {
	type extent struct{ index, start, end int }
	var exts []extent
	for j, part := range parts {
		start, size := part.Start, part.Size
		scale := 1
		if part.StartMiB != nil || part.SizeMiB != nil {
			start, size, scale = part.StartMiB, part.SizeMiB, sectorsPerMiB
		}
		if isZero(start) || size == nil {
			continue
		}
		n := *size * scale
		if n == 0 {
			n = sectorsPerMiB
		}
		exts = append(exts, extent{j, *start * scale, *start*scale + n})
	}
	slices.SortFunc(exts, func(a, b extent) int { return a.start - b.start })
	end, endIndex := 0, -1
	for _, e := range exts {
		if endIndex >= 0 && e.start < end {
			r.errorf(dp.Append("partitions", max(e.index, endIndex)), ErrPartitionsOverlap)
		}
		if e.end > end {
			end, endIndex = e.end, e.index
		}
	}
}

func validateLegacyGUID(s string, p Path, r *reporter) {
	if s == "" {
		return
	}
	ok := len(s) == 36
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			ok = c == '-'
		default:
			ok = '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		}
	}
	if !ok {
		r.errorf(p, ErrGUIDForm)
	}
}

func validateLegacyRaid(arrays []v2Raid, r *reporter) {
	for i, a := range arrays {
		ap := Path{"storage", "raid", i}
		switch a.Level {
		case "linear", "raid0", "0", "stripe":
			if a.Spares != 0 {
				r.errorf(ap.Append("spares"), ErrLegacySpares)
			}
		case "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10":
		default:
			r.errorf(ap.Append("level"), ErrRaidLevelUnknown)
		}
		for j, dev := range a.Devices {
			validateLegacyPath(dev, ap.Append("devices", j), r)
		}
	}
}

func validateLegacyFilesystems(fss []v2Filesystem, v Version, r *reporter) {
	seen := make(map[string]bool, len(fss))
	for i, fs := range fss {
		fp := Path{"storage", "filesystems", i}
		if seen[fs.Name] {
			r.warnf(fp.Append("name"), textErrorf(ErrLegacyShadowedFilesystem,
				"Filesystem %q shadows exising filesystem definition", fs.Name))
		}
		seen[fs.Name] = true
		switch {
		case fs.Mount == nil && fs.Path == nil:
			r.errorf(fp, ErrLegacyFilesystemNoMount)
		case fs.Mount != nil && fs.Path != nil:
			r.errorf(fp, ErrLegacyFilesystemBoth)
		}
		if fs.Path != nil {
			validateLegacyPath(*fs.Path, fp.Append("path"), r)
		}
		m := fs.Mount
		if m == nil {
			continue
		}
		mp := fp.Append("mount")
		validateLegacyPath(m.Device, mp.Append("device"), r)
		if _, known := filesystemLabelLimits[m.Format]; !known {
			r.errorf(mp.Append("format"), ErrFilesystemFormat)
		} else if m.Label != nil {
			if err := filesystemLabelLengthError(m.Format, *m.Label); err != nil {
				r.errorf(mp.Append("label"), err)
			}
		}
		if m.Create != nil {
			if !v.LessThan(legacyV21) {
				r.warnf(mp.Append("create"), ErrLegacyMountCreateDeprecated)
			}
			if len(m.Options) > 0 {
				r.errorf(mp.Append("options"), ErrLegacyCreateAndOptions)
			}
			if m.WipeFilesystem {
				r.errorf(mp.Append("wipeFilesystem"), ErrLegacyCreateAndWipe)
			}
		}
	}
}

func validateLegacyNodes(s *v2Storage, v Version, r *reporter) {
	modeWarn := !v.LessThan(legacyV22)
	for i, f := range s.Files {
		fp := Path{"storage", "files", i}
		validateLegacyNode(f.v2Node, fp, r)
		validateLegacyMode(f.Mode, fp.Append("mode"), modeWarn, r)
		if f.Append && f.Overwrite != nil && *f.Overwrite {
			r.errorf(fp.Append("overwrite"), ErrLegacyAppendAndOverwrite)
		}
		cp := fp.Append("contents")
		if f.Contents.Compression != "" && f.Contents.Compression != "gzip" {
			r.errorf(cp.Append("compression"), ErrCompression)
		}
		validateLegacyURL(f.Contents.Source, cp.Append("source"), r)
		validateLegacyHash(f.Contents.Verification.Hash, cp.Append("verification", "hash"), r)
	}
	for i, d := range s.Directories {
		dp := Path{"storage", "directories", i}
		validateLegacyNode(d.v2Node, dp, r)
		validateLegacyMode(d.Mode, dp.Append("mode"), modeWarn, r)
	}
	for i, l := range s.Links {
		validateLegacyNode(l.v2Node, Path{"storage", "links", i}, r)
	}
}

func validateLegacyNode(n v2Node, p Path, r *reporter) {
	if n.Filesystem == "" {
		r.errorf(p.Append("filesystem"), ErrLegacyNoFilesystem)
	}
	validateLegacyPath(n.Path, p.Append("path"), r)
	if n.User.ID != nil && n.User.Name != "" {
		r.errorf(p.Append("user"), ErrBothIDAndName)
	}
	if n.Group.ID != nil && n.Group.Name != "" {
		r.errorf(p.Append("group"), ErrBothIDAndName)
	}
}

// validateLegacyMode checks a mode's range; from 2.2.0 an unset mode is warned about because
// 2.x then created the node with mode 0000 (the translation leaves it unset, so 3.x's default
// applies instead).
func validateLegacyMode(m *int, p Path, warnUnset bool, r *reporter) {
	switch {
	case m == nil && warnUnset:
		r.warnf(p, ErrLegacyModeUnset)
	case m != nil && (*m < 0 || *m > 0o7777):
		r.errorf(p, ErrFileMode)
	}
}

var legacyUnitExtensions = []string{".service", ".socket", ".device", ".mount", ".automount", ".swap",
	".target", ".path", ".timer", ".snapshot", ".slice", ".scope"}

var legacyNetworkdExtensions = []string{".link", ".netdev", ".network"}

func validateLegacyUnits(c *v2Config, v Version, r *reporter) {
	for i, u := range c.Systemd.Units {
		up := Path{"systemd", "units", i}
		if !slices.Contains(legacyUnitExtensions, path.Ext(u.Name)) {
			r.errorf(up.Append("name"), ErrUnitExtension)
		}
		if u.Enable && !v.LessThan(legacyV21) {
			r.warnf(up.Append("enable"), ErrLegacyEnableDeprecated)
		}
		for j, d := range u.Dropins {
			if path.Ext(d.Name) != ".conf" {
				r.errorf(up.Append("dropins", j, "name"), ErrDropinExtension)
			}
		}
	}
	for i, u := range c.Networkd.Units {
		up := Path{"networkd", "units", i}
		if !slices.Contains(legacyNetworkdExtensions, path.Ext(u.Name)) {
			r.errorf(up.Append("name"), ErrLegacyNetworkdExtension)
		}
		for j, d := range u.Dropins {
			if path.Ext(d.Name) != ".conf" {
				r.errorf(up.Append("dropins", j, "name"), ErrLegacyNetworkdDropin)
			}
		}
	}
}

func validateLegacyUsers(users []v2User, v Version, r *reporter) {
	for i, u := range users {
		if u.Create == nil {
			continue
		}
		up := Path{"passwd", "users", i}
		if !v.LessThan(legacyV21) {
			r.warnf(up.Append("create"), ErrLegacyUserCreateDeprecated)
		}
		cr, fl := u.Create, u.v2UserFields
		both := []struct {
			name string
			set  bool
		}{
			{"uid", cr.UID != nil && fl.UID != nil},
			{"gecos", cr.Gecos != "" && fl.Gecos != ""},
			{"homeDir", cr.HomeDir != "" && fl.HomeDir != ""},
			{"noCreateHome", cr.NoCreateHome && fl.NoCreateHome},
			{"primaryGroup", cr.PrimaryGroup != "" && fl.PrimaryGroup != ""},
			{"groups", len(cr.Groups) > 0 && len(fl.Groups) > 0},
			{"noUserGroup", cr.NoUserGroup && fl.NoUserGroup},
			{"noLogInit", cr.NoLogInit && fl.NoLogInit},
			{"shell", cr.Shell != "" && fl.Shell != ""},
			{"system", cr.System && fl.System},
		}
		for _, b := range both {
			if b.set {
				r.errorf(up.Append(b.name), textErrorf(ErrLegacyUserCreateAndField,
					"cannot use both the create object and the user-level %s field", b.name))
			}
		}
	}
}
