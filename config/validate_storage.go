package config

import (
	"cmp"
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strings"
)

// The spec versions from which some values are accepted.
var (
	formatNoneSince      = mustVersion("3.3.0") // filesystem format "none"
	specialModeBitsSince = mustVersion("3.6.0") // setuid, setgid and sticky bits in modes
)

// validateStorage checks the storage section: disks, partitions, RAID arrays, LUKS volumes,
// filesystems, files, directories and links, and the paths they share with systemd units.
func validateStorage(c *Config, v Version, r *reporter) {
	s := &c.Storage
	for i := range s.Disks {
		validateDisk(&s.Disks[i], Path{"storage", "disks", i}, r)
	}
	for i := range s.Raid {
		validateRaid(&s.Raid[i], Path{"storage", "raid", i}, r)
	}
	for i := range s.Luks {
		validateLuks(&s.Luks[i], Path{"storage", "luks", i}, v, r)
	}
	validateFilesystems(s, v, r)
	validateNodes(c, v, r)
}

// validatePath checks a path the agent will open: a node path or a device.
func validatePath(p string) error {
	switch {
	case p == "":
		return ErrPathNotSpecified
	case !path.IsAbs(p):
		return ErrPathRelative
	case path.Clean(p) != p:
		return ErrPathNotClean
	}
	return nil
}

// errorAt reports err at p extended by elems, unless err is nil; the path is only built for
// an error, since most entries have none.
func errorAt(r *reporter, err error, p Path, elems ...any) {
	if err != nil {
		r.errorf(p.Append(elems...), err)
	}
}

func validateDisk(d *Disk, p Path, r *reporter) {
	for j := range d.Partitions {
		validatePartition(&d.Partitions[j], p.Append("partitions", j), r)
	}
	if d.Device == "" {
		// Without a device the table checks have nothing to stand on; the reference stops here.
		r.errorf(p.Append("device"), ErrDiskDeviceRequired)
		return
	}
	errorAt(r, validatePath(d.Device), p, "device")
	numbers := make(map[int]struct{}, len(d.Partitions))
	labels := make(map[string]struct{}, len(d.Partitions))
	for j, part := range d.Partitions {
		if part.Number != 0 {
			if _, ok := numbers[part.Number]; ok {
				r.errorf(p.Append("partitions", j), ErrPartitionNumbersCollide)
			}
			numbers[part.Number] = struct{}{}
		}
		if part.Label != nil {
			if _, ok := labels[*part.Label]; ok {
				r.errorf(p.Append("partitions", j), ErrPartitionLabelsCollide)
			}
			labels[*part.Label] = struct{}{}
		}
	}
	if j, ok := overlappingPartition(d.Partitions); ok {
		r.errorf(p.Append("partitions", j), ErrPartitionsOverlap)
	}
}

func validatePartition(part *Partition, p Path, r *reporter) {
	if part.ShouldExist != nil && !*part.ShouldExist &&
		(part.Label != nil || hasText(part.TypeGUID) || hasText(part.GUID) || part.StartMiB != nil || part.SizeMiB != nil) {
		r.errorf(p, ErrShouldNotExistWithOthers)
	}
	if part.Number == 0 && part.Label == nil {
		r.errorf(p, ErrPartitionNeedsNumberOrLabel)
	}
	if part.Label != nil {
		switch {
		case len(*part.Label) > 36:
			r.errorf(p.Append("label"), ErrPartitionLabelTooLong)
		case strings.Contains(*part.Label, ":"):
			// sgdisk splits its arguments at colons and has no escape for them.
			r.errorf(p.Append("label"), ErrPartitionLabelColon)
		}
	}
	if part.GUID != nil && !isGUID(*part.GUID) {
		r.errorf(p.Append("guid"), ErrGUIDForm)
	}
	if part.TypeGUID != nil && !isGUID(*part.TypeGUID) {
		r.errorf(p.Append("typeGuid"), ErrGUIDForm)
	}
}

// isGUID reports whether s is empty or of the form 01234567-89AB-CDEF-EDCB-A98765432101.
func isGUID(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// extent is the MiB range [start, end] of a partition with an explicit start and size.
type extent struct {
	start, end int
	index      int
}

func (e extent) overlaps(o extent) bool {
	// The reference's three tests: start inside o, end inside o, or both straddling o.
	return e.start >= o.start && e.start <= o.end ||
		e.end >= o.start && e.end <= o.end ||
		e.start < o.start && e.end > o.end
}

// overlappingPartition finds the overlap the reference reports: the first partition (in list
// order) that overlaps another is taken, and the index reported is the first other partition it
// overlaps. Only partitions with a non-zero start and a size take part, since the others are
// placed by the disk's free space; a size of 0 (fill) counts as one MiB at the start.
func overlappingPartition(parts []Partition) (int, bool) {
	exts := make([]extent, 0, len(parts))
	regular := true
	for i, part := range parts {
		if part.StartMiB == nil || part.SizeMiB == nil || *part.StartMiB == 0 {
			continue
		}
		e := extent{start: *part.StartMiB, end: *part.StartMiB + *part.SizeMiB - 1, index: i}
		if *part.SizeMiB == 0 {
			e.end = e.start
		}
		regular = regular && e.end >= e.start
		exts = append(exts, e)
	}
	first := -1 // position in exts of the first extent that overlaps another
	if regular {
		// Sorted by start, an extent overlaps another exactly when it reaches the next one's
		// start, or an earlier one reaches its own start.
		order := make([]int, len(exts))
		for k := range order {
			order[k] = k
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(exts[a].start, exts[b].start) })
		maxEnd := 0
		for k, pos := range order {
			e := exts[pos]
			hit := k > 0 && maxEnd >= e.start || k+1 < len(order) && exts[order[k+1]].start <= e.end
			if hit && (first < 0 || pos < first) {
				first = pos
			}
			if k == 0 || e.end > maxEnd {
				maxEnd = e.end
			}
		}
	} else {
		// A negative size makes extents that are not intervals; only the reference's pairwise
		// search gives its answer then. Such a table is an oddity, never a large one in practice.
		for pos := 0; pos < len(exts) && first < 0; pos++ {
			for _, o := range exts {
				if o.index != exts[pos].index && exts[pos].overlaps(o) {
					first = pos
					break
				}
			}
		}
	}
	if first < 0 {
		return 0, false
	}
	for _, o := range exts {
		if o.index != exts[first].index && exts[first].overlaps(o) {
			return o.index, true
		}
	}
	return 0, false
}

func validateRaid(a *Raid, p Path, r *reporter) {
	errorAt(r, raidLevelError(a), p, "level")
	if len(a.Devices) == 0 {
		r.errorf(p.Append("devices"), ErrRaidDevicesRequired)
	}
	for j, dev := range a.Devices {
		errorAt(r, validatePath(dev), p, "devices", j)
	}
}

func raidLevelError(a *Raid) error {
	if a.Level == nil || *a.Level == "" {
		return ErrRaidLevelRequired
	}
	switch *a.Level {
	case "linear", "raid0", "0", "stripe":
		if a.Spares != nil && *a.Spares != 0 {
			return ErrRaidSpares
		}
	case "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10":
	default:
		return ErrRaidLevelUnknown
	}
	return nil
}

func validateLuks(l *Luks, p Path, v Version, r *reporter) {
	if strings.Contains(l.Name, "/") {
		r.errorf(p.Append("name"), ErrLuksNameSlash)
	}
	if l.Label != nil && len(*l.Label) > 47 {
		// cryptsetup keeps 48 bytes for the label, with its terminating NUL.
		r.errorf(p.Append("label"), ErrLuksLabelTooLong)
	}
	if l.Device == nil || *l.Device == "" {
		r.errorf(p.Append("device"), ErrDiskDeviceRequired)
	} else {
		errorAt(r, validatePath(*l.Device), p, "device")
	}
	validateResource(&l.KeyFile, p.Append("keyFile"), v, r)
	if s := l.KeyFile.Source; s != nil {
		// The reference checks a key file's URL once more, letting one without a scheme pass
		// this time, and attaches the error to "keys", a key the config does not have.
		if u, err := checkSourceURL(*s, v); err != nil && (u == nil || u.Scheme != "") {
			r.errorf(p.Append("keys"), ErrKeyFileSource)
		}
	}
	cl := &l.Clevis
	thresholdSet := cl.Threshold != nil && *cl.Threshold != 0
	tpm2 := cl.Tpm2 != nil && *cl.Tpm2
	if hasText(cl.Custom.Pin) && (len(cl.Tang) > 0 || tpm2 || thresholdSet) {
		r.errorf(p.Append("clevis"), ErrClevisCustomWithOthers)
	}
	if l.Cex.Enabled != nil && *l.Cex.Enabled {
		if hasText(cl.Custom.Pin) || len(cl.Tang) > 0 || tpm2 || thresholdSet {
			r.errorf(p.Append("cex"), ErrCexWithClevis)
		}
		if l.KeyFile.Source != nil {
			r.errorf(p.Append("cex"), ErrCexWithKeyFile)
		}
	}
	validateClevisCustom(&cl.Custom, p.Append("clevis", "custom"), r)
	for j := range cl.Tang {
		validateTang(&cl.Tang[j], p.Append("clevis", "tang", j), r)
	}
}

func validateClevisCustom(cu *ClevisCustom, p Path, r *reporter) {
	if !hasText(cu.Pin) && !hasText(cu.Config) && !(cu.NeedsNetwork != nil && *cu.NeedsNetwork) {
		return
	}
	if !hasText(cu.Pin) {
		r.errorf(p.Append("pin"), ErrClevisPinRequired)
	} else {
		switch *cu.Pin {
		case "tpm2", "tang", "sss":
		default:
			r.errorf(p.Append("pin"), ErrClevisPinUnknown)
		}
	}
	if !hasText(cu.Config) {
		r.errorf(p.Append("config"), ErrClevisConfigRequired)
	}
}

func validateTang(t *Tang, p Path, r *reporter) {
	if u, err := url.Parse(t.URL); err != nil {
		r.errorf(p.Append("url"), ErrURLUnparsable)
	} else if u.Scheme != "http" && u.Scheme != "https" {
		r.errorf(p.Append("url"), ErrURLScheme)
	}
	if !hasText(t.Thumbprint) {
		r.errorf(p.Append("thumbprint"), ErrTangThumbprintRequired)
	}
	if hasText(t.Advertisement) && !json.Valid([]byte(*t.Advertisement)) {
		r.errorf(p.Append("advertisement"), ErrTangAdvertisement)
	}
}

func validateFilesystems(s *Storage, v Version, r *reporter) {
	disks := make(map[string]*Disk, len(s.Disks))
	for i := range s.Disks {
		disks[s.Disks[i].Device] = &s.Disks[i]
	}
	for i := range s.Filesystems {
		fs := &s.Filesystems[i]
		p := Path{"storage", "filesystems", i}
		if fs.Path != nil {
			errorAt(r, validatePath(*fs.Path), p, "path")
		}
		errorAt(r, validatePath(fs.Device), p, "device")
		errorAt(r, filesystemFormatError(fs, v), p, "format")
		errorAt(r, filesystemLabelError(fs), p, "label")
		if d, ok := disks[fs.Device]; ok {
			wipe := fs.WipeFilesystem != nil && *fs.WipeFilesystem
			switch {
			case len(d.Partitions) > 0:
				r.warnf(p.Append("device"), ErrPartitionsOverwritten)
			case d.WipeTable != nil && *d.WipeTable && !wipe:
				r.warnf(p.Append("device"), ErrFilesystemImplicitWipe)
			}
		}
	}
}

func filesystemFormatError(fs *Filesystem, v Version) error {
	if !hasText(fs.Format) {
		if hasText(fs.Path) || hasText(fs.Label) || hasText(fs.UUID) ||
			fs.WipeFilesystem != nil && *fs.WipeFilesystem || len(fs.Options) > 0 || len(fs.MountOptions) > 0 {
			return ErrFormatEmptyWithOthers
		}
		return nil
	}
	switch *fs.Format {
	case "ext4", "btrfs", "xfs", "swap", "vfat":
	case "none":
		if v.LessThan(formatNoneSince) {
			return ErrFilesystemFormat
		}
	default:
		return ErrFilesystemFormat
	}
	return nil
}

func filesystemLabelError(fs *Filesystem) error {
	if !hasText(fs.Label) {
		return nil
	}
	if !hasText(fs.Format) {
		return ErrLabelNeedsFormat
	}
	return filesystemLabelLengthError(*fs.Format, *fs.Label)
}

// filesystemLabelLimits are the longest labels that each filesystem format takes (the same in
// spec 2.x), with the error for a longer one.
var filesystemLabelLimits = map[string]struct {
	max int
	err error
}{
	"ext4":  {16, ErrExt4LabelTooLong},
	"btrfs": {256, ErrBtrfsLabelTooLong},
	"xfs":   {12, ErrXfsLabelTooLong},
	"swap":  {15, ErrSwapLabelTooLong},
	"vfat":  {11, ErrVfatLabelTooLong},
}

// filesystemLabelLengthError returns the error for a label too long for format, or nil.
func filesystemLabelLengthError(format, label string) error {
	if l, ok := filesystemLabelLimits[format]; ok && len(label) > l.max {
		return l.err
	}
	return nil
}

// validateNodes checks files, directories and links, alone and against each other and the
// systemd units. The cross checks use sets, so that a config with many nodes stays linear.
func validateNodes(c *Config, v Version, r *reporter) {
	s := &c.Storage
	links := make(map[string]struct{}, len(s.Links))
	for i := range s.Links {
		links[s.Links[i].Path] = struct{}{}
	}
	dirs := make(map[string]struct{}, len(s.Directories))
	for i := range s.Directories {
		dirs[s.Directories[i].Path] = struct{}{}
	}
	units := systemdPaths(&c.Systemd)
	oldModes := v.LessThan(specialModeBitsSince)

	check := func(n *Node, p Path, underLink error) {
		errorAt(r, validatePath(n.Path), p, "path")
		if n.User.ID != nil && hasText(n.User.Name) {
			r.errorf(p.Append("user"), ErrBothIDAndName)
		}
		if n.Group.ID != nil && hasText(n.Group.Name) {
			r.errorf(p.Append("group"), ErrBothIDAndName)
		}
		forEachLinkAncestor(n.Path, links, func() { r.errorf(p, underLink) })
		if _, ok := units[n.Path]; ok {
			r.errorf(p.Append("path"), ErrPathConflictsSystemd)
		}
	}
	for i := range s.Files {
		f := &s.Files[i]
		p := Path{"storage", "files", i}
		check(&f.Node, p, ErrFileUnderLink)
		validateMode(f.Mode, p, oldModes, r)
		if f.Overwrite != nil && *f.Overwrite && f.Contents.Source == nil {
			r.errorf(p.Append("overwrite"), ErrOverwriteWithoutSource)
		}
		validateResource(&f.Contents, p.Append("contents"), v, r)
		for j := range f.Append {
			validateResource(&f.Append[j], p.Append("append", j), v, r)
		}
	}
	for i := range s.Directories {
		d := &s.Directories[i]
		p := Path{"storage", "directories", i}
		check(&d.Node, p, ErrDirectoryUnderLink)
		validateMode(d.Mode, p, oldModes, r)
	}
	for i := range s.Links {
		l := &s.Links[i]
		p := Path{"storage", "links", i}
		check(&l.Node, p, ErrLinkUnderLink)
		if !hasText(l.Target) {
			r.errorf(p.Append("target"), ErrLinkTargetRequired)
		}
		if l.Hard == nil || !*l.Hard {
			continue
		}
		if l.Target != nil {
			target := path.Clean(*l.Target)
			if !path.IsAbs(target) {
				target = path.Join(l.Path, *l.Target)
			}
			if _, ok := dirs[target]; ok {
				r.errorf(p, ErrHardLinkToDirectory)
			}
		}
		// A hard link shares the target's inode, and with it the target's owner.
		if l.User.ID != nil {
			r.warnf(p.Append("user", "id"), ErrHardLinkOwner)
		}
		if l.User.Name != nil {
			r.warnf(p.Append("user", "name"), ErrHardLinkOwner)
		}
		if l.Group.ID != nil {
			r.warnf(p.Append("group", "id"), ErrHardLinkOwner)
		}
		if l.Group.Name != nil {
			r.warnf(p.Append("group", "name"), ErrHardLinkOwner)
		}
	}
}

// forEachLinkAncestor calls fn once for each declared link whose path is a proper prefix of p
// followed by a slash. Checking each ancestor of p against the set costs one lookup per path
// component, where comparing with every link would cost one per link.
func forEachLinkAncestor(p string, links map[string]struct{}, fn func()) {
	if len(links) == 0 {
		return
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		if _, ok := links[p[:i]]; ok {
			fn()
		}
	}
}

// systemdPaths lists the files that the systemd section writes: units and drop-ins with contents.
func systemdPaths(sd *Systemd) map[string]struct{} {
	const dir = "/etc/systemd/system/"
	out := map[string]struct{}{}
	for _, u := range sd.Units {
		if hasText(u.Contents) {
			out[dir+u.Name] = struct{}{}
		}
		for _, d := range u.Dropins {
			if hasText(d.Contents) {
				out[dir+u.Name+".d/"+d.Name] = struct{}{}
			}
		}
	}
	return out
}

// validateMode checks the mode of the file or directory at p. Spec 3.6.0 gave the setuid, setgid
// and sticky bits their effect; older specs (oldSpec) drop them, which deserves a warning.
func validateMode(m *int, p Path, oldSpec bool, r *reporter) {
	if m == nil {
		return
	}
	if *m < 0 || *m > 0o7777 {
		r.errorf(p.Append("mode"), ErrFileMode)
	}
	if oldSpec && uint32(*m)&0o7000 != 0 {
		r.warnf(p.Append("mode"), ErrModeSpecialBits)
	}
}

// hasText reports whether s is set to a non-empty string.
func hasText(s *string) bool { return s != nil && *s != "" }
