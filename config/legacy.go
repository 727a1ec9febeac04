package config

import (
	"cmp"
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/vincent-petithory/dataurl"
)

// parseLegacy reads a spec 2.x document and translates it to the newest model. It decodes with
// the 2.x types (fields gated by the 2.x version that introduced them), validates with the 2.x
// rules, then translates along the lines of coreos/ign-converter (spec §7.5), except where flint
// can keep a config that ign-converter refuses without changing what it does on disk:
//
//   - Filesystems map to mount paths: "root" is "/", a filesystem named "oem" or "OEM" is
//     /usr/share/oem (as Flatcar does), and one given by path is that path with a leading
//     /sysroot removed (2.x ran in the initramfs, where the target root is /sysroot; 3.x paths
//     are inside the target root). Nodes on any other filesystem are refused, naming it. A
//     filesystem that no node uses needs no mapping.
//   - Deprecated create objects are folded into the flat fields they were replaced by.
//   - Partition start and size in sectors become MiB when they are whole MiB, assuming 512-byte
//     logical sectors (2048 per MiB, which is what 2.x's own alignment rule assumes); other
//     sizes are refused, since 3.x cannot express them.
//   - networkd units become files under /etc/systemd/network, which is where 2.x wrote them.
//   - Nodes resolving to one path keep the one 2.x wrote last (directories, then files, then
//     links, each in list order; networkd files after all of them), with a warning; a later
//     file with append: true adds to the earlier file instead.
//
// Refused: oem:// URLs (3.x has no such scheme; serve the data over http(s) or inline it as a
// data: URL). Diagnostics carry paths of the 2.x document, since that is the file to edit.
func parseLegacy(d *decoder) Config {
	var old v2Config
	d.decodeDocument(reflect.ValueOf(&old).Elem())
	return translateLegacy(&old, d.version, d.rep)
}

// translateLegacy validates a decoded 2.x document and translates it; see parseLegacy.
func translateLegacy(old *v2Config, v Version, r *reporter) Config {
	validateLegacy(old, v, r)
	if r.report.HasErrors() {
		return Config{}
	}
	t := legacyTranslator{r: r}
	cfg := t.translate(old)
	if r.report.HasErrors() {
		return Config{}
	}
	return cfg
}

// legacyMount is where a 2.x filesystem's nodes go in the 3.x tree.
type legacyMount struct {
	path string
	ok   bool // false: the filesystem is created by the config but never mounted by 2.x rules
}

type legacyTranslator struct {
	r      *reporter
	mounts map[string]legacyMount
}

func (t *legacyTranslator) translate(c *v2Config) Config {
	var out Config
	out.Ignition = t.ignition(&c.Ignition)
	out.Storage = t.storage(c)
	out.Systemd = legacySystemd(&c.Systemd)
	out.Passwd = legacyPasswd(&c.Passwd)
	return out
}

func (t *legacyTranslator) ignition(ign *v2Ignition) Ignition {
	out := Ignition{Version: Newest.String()}
	for i, ref := range ign.Config.Append {
		out.Config.Merge = append(out.Config.Merge, t.reference(ref, Path{"ignition", "config", "append", i}))
	}
	if rep := ign.Config.Replace; rep != nil && rep.Source != "" {
		out.Config.Replace = t.reference(*rep, Path{"ignition", "config", "replace"})
	}
	out.Timeouts = Timeouts{HTTPResponseHeaders: ign.Timeouts.HTTPResponseHeaders, HTTPTotal: ign.Timeouts.HTTPTotal}
	for i, ca := range ign.Security.TLS.CertificateAuthorities {
		p := Path{"ignition", "security", "tls", "certificateAuthorities", i}
		out.Security.TLS.CertificateAuthorities = append(out.Security.TLS.CertificateAuthorities, t.reference(ca, p))
	}
	return out
}

func (t *legacyTranslator) reference(ref v2Reference, p Path) Resource {
	t.checkScheme(ref.Source, p.Append("source"))
	return Resource{Source: new(ref.Source), Verification: Verification{Hash: ref.Verification.Hash}}
}

// checkScheme refuses oem:// URLs: 2.x read them from the OEM partition, 3.x has no scheme for it.
func (t *legacyTranslator) checkScheme(src string, p Path) {
	if strings.HasPrefix(strings.ToLower(src), "oem:") {
		t.r.errorf(p, fmt.Errorf("%w: fetch %q over http(s) or inline it as a data: URL", ErrLegacyOEMScheme, src))
	}
}

func (t *legacyTranslator) storage(c *v2Config) Storage {
	s := &c.Storage
	var out Storage
	for i, d := range s.Disks {
		out.Disks = append(out.Disks, t.disk(d, Path{"storage", "disks", i}))
	}
	for _, a := range s.Raid {
		out.Raid = append(out.Raid, Raid{Name: a.Name, Level: v2String(a.Level), Devices: a.Devices,
			Spares: v2Int(a.Spares), Options: a.Options})
	}
	t.mounts = map[string]legacyMount{"root": {path: "/", ok: true}}
	for _, fs := range s.Filesystems {
		m := legacyMountOf(fs)
		t.mounts[fs.Name] = m
		if fs.Mount != nil {
			out.Filesystems = append(out.Filesystems, legacyFilesystem(fs.Name, fs.Mount, m))
		}
	}
	var nodes legacyNodes
	nodes.byPath = map[string]legacyNodeRef{}
	for i, d := range s.Directories {
		p := Path{"storage", "directories", i}
		if full, ok := t.resolve(d.v2Node, p); ok {
			nodes.add(legacyDir, p, full)
			nodes.dirs = append(nodes.dirs, Directory{Node: legacyNode(d.v2Node, full, false), Mode: d.Mode})
		}
	}
	for i, f := range s.Files {
		p := Path{"storage", "files", i}
		full, ok := t.resolve(f.v2Node, p)
		if !ok {
			continue
		}
		t.checkScheme(f.Contents.Source, p.Append("contents", "source"))
		res := Resource{Source: new(f.Contents.Source), Compression: v2String(f.Contents.Compression),
			Verification: Verification{Hash: f.Contents.Verification.Hash}}
		if f.Append {
			if prev, ok := nodes.byPath[full]; ok && prev.kind == legacyFile {
				// 2.x appended to the file it had just written: one 3.x file says the same.
				nodes.files[prev.index].Append = append(nodes.files[prev.index].Append, res)
				continue
			}
			nodes.add(legacyFile, p, full)
			nodes.files = append(nodes.files, File{Node: legacyNode(f.v2Node, full, false),
				Append: []Resource{res}, Mode: f.Mode})
			continue
		}
		nodes.add(legacyFile, p, full)
		nodes.files = append(nodes.files, File{Node: legacyNode(f.v2Node, full, true), Contents: res, Mode: f.Mode})
	}
	for i, l := range s.Links {
		p := Path{"storage", "links", i}
		if full, ok := t.resolve(l.v2Node, p); ok {
			nodes.add(legacyLink, p, full)
			nodes.links = append(nodes.links, Link{Node: legacyNode(l.v2Node, full, false),
				Target: v2String(l.Target), Hard: v2Bool(l.Hard)})
		}
	}
	t.networkd(c.Networkd.Units, &nodes)
	nodes.report(t.r)
	out.Directories, out.Files, out.Links = nodes.kept()
	return out
}

// legacyMountOf is the mount path of a 2.x filesystem's nodes (see parseLegacy).
func legacyMountOf(fs v2Filesystem) legacyMount {
	switch {
	case fs.Name == "root":
		return legacyMount{path: "/", ok: true}
	case fs.Name == "oem" || fs.Name == "OEM":
		return legacyMount{path: "/usr/share/oem", ok: true}
	case fs.Path != nil:
		p := path.Clean(*fs.Path)
		if p == "/sysroot" || strings.HasPrefix(p, "/sysroot/") {
			p = "/" + strings.TrimPrefix(strings.TrimPrefix(p, "/sysroot"), "/")
		}
		return legacyMount{path: p, ok: true}
	}
	return legacyMount{}
}

// legacyFilesystem translates a filesystem to create; a deprecated create object becomes the
// mount-level fields (ign-converter refuses it; validation has made sure they do not clash).
// A "root" filesystem gets no path: its nodes go to the 3.x target root anyway, and a 3.x
// filesystem mounted at "/" would be mounted over the target root while provisioning.
func legacyFilesystem(name string, m *v2Mount, mp legacyMount) Filesystem {
	fs := Filesystem{Device: m.Device, Format: v2String(m.Format), WipeFilesystem: v2Bool(m.WipeFilesystem),
		Label: m.Label, UUID: m.UUID, Options: m.Options}
	if m.Create != nil {
		fs.WipeFilesystem = v2Bool(m.Create.Force)
		fs.Options = m.Create.Options
	}
	if mp.ok && name != "root" {
		fs.Path = new(mp.path)
	}
	return fs
}

// resolve joins a node's path to its filesystem's mount path, or reports why it has none.
func (t *legacyTranslator) resolve(n v2Node, p Path) (string, bool) {
	m, defined := t.mounts[n.Filesystem]
	switch {
	case !defined:
		t.r.errorf(p.Append("filesystem"), fmt.Errorf("%w: %q is not in storage.filesystems; a referenced config "+
			"cannot supply it once translated to spec 3.x, so define it here or use \"root\"", ErrLegacyUndefinedFS, n.Filesystem))
		return "", false
	case !m.ok:
		t.r.errorf(p.Append("filesystem"), fmt.Errorf("%w: filesystem %q is created with mount, which says nothing "+
			"about where it is mounted; put this node on \"root\" with the full path where the filesystem is mounted, "+
			"or give the filesystem a path", ErrLegacyNoMountPath, n.Filesystem))
		return "", false
	}
	return path.Join(m.path, n.Path), true
}

// legacyNode translates what all nodes share. A file's overwrite defaulted to true in 2.x.
func legacyNode(n v2Node, full string, overwriteDefault bool) Node {
	out := Node{Path: full, User: NodeUser{ID: n.User.ID, Name: v2String(n.User.Name)},
		Group: NodeGroup{ID: n.Group.ID, Name: v2String(n.Group.Name)}}
	switch {
	case n.Overwrite == nil && overwriteDefault, n.Overwrite != nil && *n.Overwrite:
		out.Overwrite = new(true)
	}
	return out
}

// networkd turns networkd units into the files 2.x wrote for them; 3.x has no networkd section.
// 2.x wrote a unit's file only when it had contents, and wrote them after all storage nodes.
func (t *legacyTranslator) networkd(units []v2NetworkdUnit, nodes *legacyNodes) {
	const dir = "/etc/systemd/network"
	for i, u := range units {
		p := Path{"networkd", "units", i}
		t.r.warnf(p, fmt.Errorf("%w: spec 3.x has no networkd section, so %s and its drop-ins are written "+
			"as storage.files under %s with mode 0644", ErrLegacyNetworkdAsFiles, u.Name, dir))
		if u.Contents != "" {
			nodes.add(legacyFile, p, path.Join(dir, u.Name))
			nodes.files = append(nodes.files, legacyTextFile(path.Join(dir, u.Name), u.Contents))
		}
		for j, d := range u.Dropins {
			if d.Contents == "" {
				continue
			}
			full := path.Join(dir, u.Name+".d", d.Name)
			nodes.add(legacyFile, p.Append("dropins", j), full)
			nodes.files = append(nodes.files, legacyTextFile(full, d.Contents))
		}
	}
}

func legacyTextFile(full, text string) File {
	return File{Node: Node{Path: full, Overwrite: new(true)},
		Contents: Resource{Source: new("data:," + dataurl.EscapeString(text))}, Mode: new(0o644)}
}

// legacyNodeKind orders node kinds as 2.x created them.
type legacyNodeKind int

const (
	legacyDir legacyNodeKind = iota
	legacyFile
	legacyLink
)

type legacyNodeRef struct {
	kind  legacyNodeKind
	index int
	at    Path // in the 2.x document
}

// legacyNodes collects translated nodes in 2.x creation order and keeps the last one per path.
type legacyNodes struct {
	dirs     []Directory
	files    []File
	links    []Link
	byPath   map[string]legacyNodeRef
	replaced []legacyReplacement
}

type legacyReplacement struct {
	old, by legacyNodeRef
	path    string
}

// add records that the next node of kind k, from p in the 2.x document, is at full; an
// earlier node there is dropped.
func (n *legacyNodes) add(k legacyNodeKind, p Path, full string) {
	ref := legacyNodeRef{kind: k, at: p}
	switch k {
	case legacyDir:
		ref.index = len(n.dirs)
	case legacyFile:
		ref.index = len(n.files)
	case legacyLink:
		ref.index = len(n.links)
	}
	if prev, ok := n.byPath[full]; ok {
		n.replaced = append(n.replaced, legacyReplacement{old: prev, by: ref, path: full})
	}
	n.byPath[full] = ref
}

func (n *legacyNodes) report(r *reporter) {
	for _, rp := range n.replaced {
		r.warnf(rp.old.at, fmt.Errorf("%w: this node and %s are both at %s; spec 2.x created %s last, so only it is kept",
			ErrLegacyNodeReplaced, rp.by.at, rp.path, rp.by.at))
	}
}

// kept returns the nodes that no later node replaced, in their order.
func (n *legacyNodes) kept() ([]Directory, []File, []Link) {
	if len(n.replaced) == 0 {
		return n.dirs, n.files, n.links
	}
	dropped := map[legacyNodeKind]map[int]bool{legacyDir: {}, legacyFile: {}, legacyLink: {}}
	for _, rp := range n.replaced {
		dropped[rp.old.kind][rp.old.index] = true
	}
	return keepUndropped(n.dirs, dropped[legacyDir]), keepUndropped(n.files, dropped[legacyFile]), keepUndropped(n.links, dropped[legacyLink])
}

func keepUndropped[T any](list []T, dropped map[int]bool) []T {
	if len(dropped) == 0 {
		return list
	}
	out := make([]T, 0, len(list)-len(dropped))
	for i, e := range list {
		if !dropped[i] {
			out = append(out, e)
		}
	}
	return out
}

func (t *legacyTranslator) disk(d v2Disk, p Path) Disk {
	out := Disk{Device: d.Device, WipeTable: v2Bool(d.WipeTable)}
	for j, part := range d.Partitions {
		pp := p.Append("partitions", j)
		np := Partition{Label: v2String(part.Label), Number: part.Number, SizeMiB: part.SizeMiB, StartMiB: part.StartMiB,
			TypeGUID: v2String(part.TypeGUID), GUID: v2String(part.GUID),
			WipePartitionEntry: v2Bool(part.WipePartitionEntry), ShouldExist: part.ShouldExist}
		if part.Size != nil {
			np.SizeMiB = t.sectorsToMiB(*part.Size, pp.Append("size"))
		}
		if part.Start != nil {
			np.StartMiB = t.sectorsToMiB(*part.Start, pp.Append("start"))
		}
		out.Partitions = append(out.Partitions, np)
	}
	return out
}

// sectorsToMiB converts 512-byte logical sectors to MiB, refusing what 3.x cannot express.
func (t *legacyTranslator) sectorsToMiB(n int, p Path) *int {
	if n%sectorsPerMiB != 0 {
		t.r.errorf(p, fmt.Errorf("%w: %d sectors of 512 bytes is not a multiple of %d, and spec 3.x counts in MiB; "+
			"round it to a whole MiB", ErrLegacySectors, n, sectorsPerMiB))
		return nil
	}
	return new(n / sectorsPerMiB)
}

func legacySystemd(s *v2Systemd) Systemd {
	var out Systemd
	for _, u := range s.Units {
		nu := Unit{Name: u.Name, Mask: v2Bool(u.Mask), Contents: v2String(u.Contents)}
		switch {
		case u.Enable || u.Enabled != nil && *u.Enabled:
			// 2.x wrote "enable" first; the first matching preset line wins.
			nu.Enabled = new(true)
		case u.Enabled != nil:
			nu.Enabled = new(false)
		}
		for _, d := range u.Dropins {
			nu.Dropins = append(nu.Dropins, Dropin{Name: d.Name, Contents: v2String(d.Contents)})
		}
		out.Units = append(out.Units, nu)
	}
	return out
}

func legacyPasswd(p *v2Passwd) Passwd {
	var out Passwd
	for _, u := range p.Users {
		f := u.v2UserFields
		if c := u.Create; c != nil {
			// ign-converter refuses the deprecated create object; its fields mean the same as
			// the flat ones, and validation has made sure no field is set in both places.
			f.UID = cmp.Or(f.UID, c.UID)
			f.Gecos = cmp.Or(f.Gecos, c.Gecos)
			f.HomeDir = cmp.Or(f.HomeDir, c.HomeDir)
			f.NoCreateHome = f.NoCreateHome || c.NoCreateHome
			f.PrimaryGroup = cmp.Or(f.PrimaryGroup, c.PrimaryGroup)
			if len(f.Groups) == 0 {
				f.Groups = c.Groups
			}
			f.NoUserGroup = f.NoUserGroup || c.NoUserGroup
			f.NoLogInit = f.NoLogInit || c.NoLogInit
			f.Shell = cmp.Or(f.Shell, c.Shell)
			f.System = f.System || c.System
		}
		out.Users = append(out.Users, PasswdUser{Name: u.Name, PasswordHash: u.PasswordHash,
			SSHAuthorizedKeys: u.SSHAuthorizedKeys, UID: f.UID, Gecos: v2String(f.Gecos), HomeDir: v2String(f.HomeDir),
			NoCreateHome: v2Bool(f.NoCreateHome), PrimaryGroup: v2String(f.PrimaryGroup), Groups: f.Groups,
			NoUserGroup: v2Bool(f.NoUserGroup), NoLogInit: v2Bool(f.NoLogInit), Shell: v2String(f.Shell),
			System: v2Bool(f.System)})
	}
	for _, g := range p.Groups {
		out.Groups = append(out.Groups, PasswdGroup{Name: g.Name, Gid: g.Gid, PasswordHash: g.PasswordHash,
			System: v2Bool(g.System)})
	}
	return out
}

// v2String, v2Bool and v2Int turn 2.x plain values into 3.x optional ones: the zero value
// was 2.x's default, which is unset in 3.x.
func v2String(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func v2Bool(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

func v2Int(i int) *int {
	if i == 0 {
		return nil
	}
	return &i
}
