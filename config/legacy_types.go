package config

// The spec 2.x (Container Linux era) type tree, 2.0.0 to 2.3.0, read only to be validated with
// the 2.x rules and translated to the newest model (legacy.go). It is unexported: nothing
// outside this package should build 2.x configs. The generic decoder reads it like the 3.x tree,
// so every field carries the first 2.x version that has it (the decoder's default, 3.0.0,
// would gate everything away). Scalars that 2.x itself kept as plain values are pointers here
// only where "absent" and "zero" must differ for validation or translation.

// v2Config is a whole spec 2.x config.
type v2Config struct {
	Ignition v2Ignition `json:"ignition" since:"2.0.0"`
	Networkd v2Networkd `json:"networkd" since:"2.0.0"`
	Passwd   v2Passwd   `json:"passwd" since:"2.0.0"`
	Storage  v2Storage  `json:"storage" since:"2.0.0"`
	Systemd  v2Systemd  `json:"systemd" since:"2.0.0"`
}

type v2Ignition struct {
	Version  string           `json:"version" since:"2.0.0"`
	Config   v2IgnitionConfig `json:"config" since:"2.0.0"`
	Timeouts v2Timeouts       `json:"timeouts" since:"2.1.0"`
	Security v2Security       `json:"security" since:"2.2.0"`
}

type v2IgnitionConfig struct {
	Append  []v2Reference `json:"append" since:"2.0.0"`
	Replace *v2Reference  `json:"replace" since:"2.0.0"`
}

// v2Reference is a referenced config or a certificate authority: a URL and its hash.
type v2Reference struct {
	Source       string         `json:"source" since:"2.0.0"`
	Verification v2Verification `json:"verification" since:"2.0.0"`
}

type v2Verification struct {
	Hash *string `json:"hash" since:"2.0.0"`
}

type v2Timeouts struct {
	HTTPResponseHeaders *int `json:"httpResponseHeaders" since:"2.1.0"`
	HTTPTotal           *int `json:"httpTotal" since:"2.1.0"`
}

type v2Security struct {
	TLS v2TLS `json:"tls" since:"2.2.0"`
}

type v2TLS struct {
	CertificateAuthorities []v2Reference `json:"certificateAuthorities" since:"2.2.0"`
}

type v2Storage struct {
	Disks       []v2Disk       `json:"disks" since:"2.0.0"`
	Raid        []v2Raid       `json:"raid" since:"2.0.0"`
	Filesystems []v2Filesystem `json:"filesystems" since:"2.0.0"`
	Files       []v2File       `json:"files" since:"2.0.0"`
	Directories []v2Directory  `json:"directories" since:"2.1.0"`
	Links       []v2Link       `json:"links" since:"2.1.0"`
}

type v2Disk struct {
	Device     string        `json:"device" since:"2.0.0"`
	WipeTable  bool          `json:"wipeTable" since:"2.0.0"`
	Partitions []v2Partition `json:"partitions" since:"2.0.0"`
}

type v2Partition struct {
	Label    string `json:"label" since:"2.0.0"`
	Number   int    `json:"number" since:"2.0.0"`
	Size     *int   `json:"size" since:"2.0.0"`  // logical sectors; deprecated in 2.3.0
	Start    *int   `json:"start" since:"2.0.0"` // logical sectors; deprecated in 2.3.0
	SizeMiB  *int   `json:"sizeMiB" since:"2.3.0"`
	StartMiB *int   `json:"startMiB" since:"2.3.0"`
	TypeGUID string `json:"typeGuid" since:"2.0.0"`
	GUID     string `json:"guid" since:"2.1.0"`

	WipePartitionEntry bool  `json:"wipePartitionEntry" since:"2.3.0"`
	ShouldExist        *bool `json:"shouldExist" since:"2.3.0"`
}

type v2Raid struct {
	Name    string   `json:"name" since:"2.0.0"`
	Level   string   `json:"level" since:"2.0.0"`
	Devices []string `json:"devices" since:"2.0.0"`
	Spares  int      `json:"spares" since:"2.0.0"`
	Options []string `json:"options" since:"2.2.0"`
}

// v2Filesystem names a filesystem that nodes refer to: either one to create or reuse on a
// device (mount), or one already mounted at a path.
type v2Filesystem struct {
	Name  string   `json:"name" since:"2.0.0"`
	Mount *v2Mount `json:"mount" since:"2.0.0"`
	Path  *string  `json:"path" since:"2.0.0"`
}

type v2Mount struct {
	Device         string    `json:"device" since:"2.0.0"`
	Format         string    `json:"format" since:"2.0.0"`
	Create         *v2Create `json:"create" since:"2.0.0"` // deprecated in 2.1.0
	WipeFilesystem bool      `json:"wipeFilesystem" since:"2.1.0"`
	Label          *string   `json:"label" since:"2.1.0"`
	UUID           *string   `json:"uuid" since:"2.1.0"`
	Options        []string  `json:"options" since:"2.1.0"`
}

type v2Create struct {
	Force   bool     `json:"force" since:"2.0.0"`
	Options []string `json:"options" since:"2.0.0"`
}

// v2Node is what files, directories and links have in common; path is relative to the root of
// the named filesystem.
type v2Node struct {
	Filesystem string      `json:"filesystem" since:"2.0.0"`
	Path       string      `json:"path" since:"2.0.0"`
	Overwrite  *bool       `json:"overwrite" since:"2.2.0"`
	User       v2NodeOwner `json:"user" since:"2.0.0"`
	Group      v2NodeOwner `json:"group" since:"2.0.0"`
}

type v2NodeOwner struct {
	ID   *int   `json:"id" since:"2.0.0"`
	Name string `json:"name" since:"2.1.0"`
}

type v2File struct {
	v2Node
	Append   bool           `json:"append" since:"2.2.0"`
	Contents v2FileContents `json:"contents" since:"2.0.0"`
	Mode     *int           `json:"mode" since:"2.0.0"`
}

type v2FileContents struct {
	Compression  string         `json:"compression" since:"2.0.0"`
	Source       string         `json:"source" since:"2.0.0"`
	Verification v2Verification `json:"verification" since:"2.0.0"`
}

type v2Directory struct {
	v2Node
	Mode *int `json:"mode" since:"2.1.0"`
}

type v2Link struct {
	v2Node
	Target string `json:"target" since:"2.1.0"`
	Hard   bool   `json:"hard" since:"2.1.0"`
}

type v2Systemd struct {
	Units []v2Unit `json:"units" since:"2.0.0"`
}

type v2Unit struct {
	Name     string     `json:"name" since:"2.0.0"`
	Enable   bool       `json:"enable" since:"2.0.0"` // deprecated in 2.1.0
	Enabled  *bool      `json:"enabled" since:"2.1.0"`
	Mask     bool       `json:"mask" since:"2.0.0"`
	Contents string     `json:"contents" since:"2.0.0"`
	Dropins  []v2Dropin `json:"dropins" since:"2.0.0"`
}

type v2Dropin struct {
	Name     string `json:"name" since:"2.0.0"`
	Contents string `json:"contents" since:"2.0.0"`
}

type v2Networkd struct {
	Units []v2NetworkdUnit `json:"units" since:"2.0.0"`
}

type v2NetworkdUnit struct {
	Name     string     `json:"name" since:"2.0.0"`
	Contents string     `json:"contents" since:"2.0.0"`
	Dropins  []v2Dropin `json:"dropins" since:"2.2.0"`
}

type v2Passwd struct {
	Users  []v2User  `json:"users" since:"2.0.0"`
	Groups []v2Group `json:"groups" since:"2.0.0"`
}

// v2User carries both the flat fields (2.1.0) and the deprecated create object (2.0.0) whose
// fields they replaced.
type v2User struct {
	Name              string   `json:"name" since:"2.0.0"`
	PasswordHash      *string  `json:"passwordHash" since:"2.0.0"`
	SSHAuthorizedKeys []string `json:"sshAuthorizedKeys" since:"2.0.0"`
	// Create is the object that held the settings before they were flat (deprecated in 2.1.0):
	// the same fields, present from 2.0.0 on.
	Create *v2UserFields `json:"create" since:"2.0.0" gate:"uid=2.0.0,gecos=2.0.0,homeDir=2.0.0,noCreateHome=2.0.0,primaryGroup=2.0.0,groups=2.0.0,noUserGroup=2.0.0,noLogInit=2.0.0,shell=2.0.0,system=2.0.0"`
	v2UserFields
}

// v2UserFields are the user settings that exist both flat (2.1.0) and in the create object.
type v2UserFields struct {
	UID          *int     `json:"uid" since:"2.1.0"`
	Gecos        string   `json:"gecos" since:"2.1.0"`
	HomeDir      string   `json:"homeDir" since:"2.1.0"`
	NoCreateHome bool     `json:"noCreateHome" since:"2.1.0"`
	PrimaryGroup string   `json:"primaryGroup" since:"2.1.0"`
	Groups       []string `json:"groups" since:"2.1.0"`
	NoUserGroup  bool     `json:"noUserGroup" since:"2.1.0"`
	NoLogInit    bool     `json:"noLogInit" since:"2.1.0"`
	Shell        string   `json:"shell" since:"2.1.0"`
	System       bool     `json:"system" since:"2.1.0"`
}

type v2Group struct {
	Name         string  `json:"name" since:"2.0.0"`
	Gid          *int    `json:"gid" since:"2.0.0"`
	PasswordHash *string `json:"passwordHash" since:"2.0.0"`
	System       bool    `json:"system" since:"2.0.0"`
}
