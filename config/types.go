package config

// This file is the one source of truth for the spec 3.x type tree. Each field's doc comment
// becomes its description in the generated JSON Schema and docs/spec; the since tag names the
// first spec version that has the field (no tag: 3.0.0). A gate tag on a field overrides the
// since of the named child fields there, for the places where one shared type (Resource) gained
// a field in some uses earlier than in others. merge:"append" marks a list whose entries are
// appended on merge and never checked for duplicates.

// Config is a whole provisioning config.
type Config struct {
	// Metadata about the config itself: its version, referenced configs, and how remote resources are fetched.
	Ignition Ignition `json:"ignition" required:"true"`
	// Kernel arguments that the booted system must or must not have.
	KernelArguments KernelArguments `json:"kernelArguments" since:"3.3.0"`
	// Users and groups to create, change or remove.
	Passwd Passwd `json:"passwd"`
	// Disks, RAID arrays, encrypted volumes, filesystems, files, directories and links.
	Storage Storage `json:"storage"`
	// systemd units to write, enable or mask.
	Systemd Systemd `json:"systemd"`
}

// Ignition holds the metadata of a config.
type Ignition struct {
	// The spec version of this config, such as "3.6.0". It must be exactly one of the supported versions.
	Version string `json:"version" required:"true"`
	// Other configs to merge into this one, or to replace it with.
	Config IgnitionConfig `json:"config"`
	// Timeouts for fetching remote resources.
	Timeouts Timeouts `json:"timeouts"`
	// TLS settings for fetching remote resources.
	Security Security `json:"security"`
	// HTTP proxies for fetching remote resources.
	Proxy Proxy `json:"proxy" since:"3.1.0"`
}

// IgnitionConfig lists referenced configs.
type IgnitionConfig struct {
	// Configs fetched and merged into this one, in order; a later one wins over an earlier one.
	Merge []Resource `json:"merge" gate:"compression=3.1.0"`
	// A config that replaces this one entirely when its source is set.
	Replace Resource `json:"replace" gate:"compression=3.1.0"`
}

// Timeouts bound the time spent fetching remote resources.
type Timeouts struct {
	// Seconds to wait for the response headers of each HTTP request; 0 means no limit. Default 10.
	HTTPResponseHeaders *int `json:"httpResponseHeaders"`
	// Seconds allowed for a whole fetch including retries; 0 means no limit. Default 0.
	HTTPTotal *int `json:"httpTotal"`
}

// Security holds security settings.
type Security struct {
	// TLS settings.
	TLS TLS `json:"tls"`
}

// TLS holds TLS settings.
type TLS struct {
	// Extra certificate authorities (PEM bundles) trusted for HTTPS fetches, besides the system's.
	CertificateAuthorities []Resource `json:"certificateAuthorities" gate:"compression=3.1.0"`
}

// Proxy configures HTTP proxies for fetches.
type Proxy struct {
	// Proxy URL for http resources, and for https resources when httpsProxy is unset.
	HTTPProxy *string `json:"httpProxy"`
	// Proxy URL for https resources.
	HTTPSProxy *string `json:"httpsProxy"`
	// Hosts, domains, IP prefixes or CIDRs fetched without a proxy; "*" disables proxying.
	NoProxy []string `json:"noProxy"`
}

// Resource is a remote or inline piece of data.
type Resource struct {
	// Compression of the fetched data: "" (none) or "gzip".
	Compression *string `json:"compression"`
	// HTTP headers sent with the request; only for http and https sources.
	HTTPHeaders []HTTPHeader `json:"httpHeaders" since:"3.1.0"`
	// URL of the data: http, https, tftp, s3, arn, gs or data. An empty string means zero bytes.
	Source *string `json:"source"`
	// Integrity check of the (decompressed) data.
	Verification Verification `json:"verification"`
}

// HTTPHeader is one HTTP request header.
type HTTPHeader struct {
	// Header name.
	Name string `json:"name" required:"true"`
	// Header value. On merge, a header without a value removes the parent's header of that name.
	Value *string `json:"value"`
}

// Verification holds an integrity check.
type Verification struct {
	// Hash of the data as "<function>-<hex digest>"; sha512, and sha256 from spec 3.1.0.
	Hash *string `json:"hash"`
}

// KernelArguments lists kernel arguments to ensure present or absent.
type KernelArguments struct {
	// Arguments that must be on the kernel command line; one entry with spaces means those arguments in that order.
	ShouldExist []string `json:"shouldExist"`
	// Arguments that must not be on the kernel command line.
	ShouldNotExist []string `json:"shouldNotExist"`
}

// Passwd lists users and groups.
type Passwd struct {
	// Users to create, change or remove.
	Users []PasswdUser `json:"users"`
	// Groups to create, change or remove.
	Groups []PasswdGroup `json:"groups"`
}

// PasswdUser is a user account.
type PasswdUser struct {
	// User name.
	Name string `json:"name" required:"true"`
	// Hashed password (crypt(3) form); unset or empty disables password login.
	PasswordHash *string `json:"passwordHash"`
	// SSH public keys authorized for this user.
	SSHAuthorizedKeys []string `json:"sshAuthorizedKeys"`
	// User ID; chosen by the system when unset.
	UID *int `json:"uid"`
	// GECOS (comment) field.
	Gecos *string `json:"gecos"`
	// Home directory; /home/<name> when unset.
	HomeDir *string `json:"homeDir"`
	// Do not create the home directory.
	NoCreateHome *bool `json:"noCreateHome"`
	// Name or ID of the primary group.
	PrimaryGroup *string `json:"primaryGroup"`
	// Supplementary groups.
	Groups []string `json:"groups"`
	// Do not create a group named after the user.
	NoUserGroup *bool `json:"noUserGroup"`
	// Do not add the user to the lastlog and faillog databases.
	NoLogInit *bool `json:"noLogInit"`
	// Login shell.
	Shell *string `json:"shell"`
	// Whether the user should exist; false removes it. Default true.
	ShouldExist *bool `json:"shouldExist" since:"3.2.0"`
	// Create a system account.
	System *bool `json:"system"`
}

// PasswdGroup is a group.
type PasswdGroup struct {
	// Group name.
	Name string `json:"name" required:"true"`
	// Group ID; chosen by the system when unset.
	Gid *int `json:"gid"`
	// Hashed group password.
	PasswordHash *string `json:"passwordHash"`
	// Whether the group should exist; false removes it. Default true.
	ShouldExist *bool `json:"shouldExist" since:"3.2.0"`
	// Create a system group.
	System *bool `json:"system"`
}

// Storage lists block devices and filesystem contents.
type Storage struct {
	// Disks to partition.
	Disks []Disk `json:"disks"`
	// Software RAID arrays to create.
	Raid []Raid `json:"raid"`
	// Filesystems to create, reuse or mount.
	Filesystems []Filesystem `json:"filesystems"`
	// Regular files to write.
	Files []File `json:"files"`
	// Directories to create.
	Directories []Directory `json:"directories"`
	// Symbolic and hard links to create.
	Links []Link `json:"links"`
	// LUKS encrypted volumes to create or open.
	Luks []Luks `json:"luks" since:"3.2.0"`
}

// Disk is a whole block device and its GPT partition table.
type Disk struct {
	// Absolute path of the block device.
	Device string `json:"device" required:"true"`
	// Partitions to create, keep, resize or delete.
	Partitions []Partition `json:"partitions"`
	// Erase the whole partition table first. Default false.
	WipeTable *bool `json:"wipeTable"`
}

// Partition is one GPT partition.
type Partition struct {
	// Partition name (GPT label), at most 36 characters, no colon.
	Label *string `json:"label"`
	// Partition number; 0 means the next free number, and then the label identifies the partition.
	Number int `json:"number"`
	// Size in MiB; 0 means as large as possible.
	SizeMiB *int `json:"sizeMiB"`
	// Start in MiB; 0 means the start of the largest free block.
	StartMiB *int `json:"startMiB"`
	// Partition type GUID; Linux filesystem data (0FC63DAF-8483-4772-8E79-3D69D8477DE4) when unset.
	TypeGUID *string `json:"typeGuid"`
	// Unique partition GUID.
	GUID *string `json:"guid"`
	// Delete and recreate the partition if it does not match. Default false.
	WipePartitionEntry *bool `json:"wipePartitionEntry"`
	// Whether the partition should exist; false deletes it (with wipePartitionEntry). Default true.
	ShouldExist *bool `json:"shouldExist"`
	// Grow or shrink an existing partition to sizeMiB when everything else matches. Default false.
	Resize *bool `json:"resize" since:"3.2.0"`
}

// Raid is a software RAID array.
type Raid struct {
	// Array name; the device is /dev/md/<name>.
	Name string `json:"name" required:"true"`
	// RAID level: linear, raid0, raid1, raid4, raid5, raid6, raid10 (or their aliases).
	Level *string `json:"level"`
	// Absolute paths of the member devices.
	Devices []string `json:"devices"`
	// Number of spare devices among the members.
	Spares *int `json:"spares"`
	// Extra mdadm --create arguments.
	Options []string `json:"options" merge:"append"`
}

// Filesystem is a filesystem on a block device.
type Filesystem struct {
	// Absolute path of the block device.
	Device string `json:"device" required:"true"`
	// Filesystem type: ext4, btrfs, xfs, vfat, swap, or none (no filesystem, from 3.3.0).
	Format *string `json:"format"`
	// Mount point in the target root while provisioning.
	Path *string `json:"path"`
	// Create the filesystem even if another one is there. Default false.
	WipeFilesystem *bool `json:"wipeFilesystem"`
	// Filesystem label.
	Label *string `json:"label"`
	// Filesystem UUID.
	UUID *string `json:"uuid"`
	// Extra mkfs arguments.
	Options []string `json:"options" merge:"append"`
	// Mount options used while provisioning.
	MountOptions []string `json:"mountOptions" merge:"append" since:"3.1.0"`
}

// Node holds what files, directories and links have in common.
type Node struct {
	// Absolute, clean path in the target root.
	Path string `json:"path" required:"true"`
	// Replace whatever is at the path. Default false.
	Overwrite *bool `json:"overwrite"`
	// Owner.
	User NodeUser `json:"user"`
	// Owning group.
	Group NodeGroup `json:"group"`
}

// NodeUser names an owner by id or by name (not both).
type NodeUser struct {
	// User ID.
	ID *int `json:"id"`
	// User name, resolved in the target root.
	Name *string `json:"name"`
}

// NodeGroup names a group by id or by name (not both).
type NodeGroup struct {
	// Group ID.
	ID *int `json:"id"`
	// Group name, resolved in the target root.
	Name *string `json:"name"`
}

// File is a regular file.
type File struct {
	Node
	// Data written to the file.
	Contents Resource `json:"contents"`
	// Data appended to the file, in order.
	Append []Resource `json:"append" merge:"append"`
	// Permission bits, as a decimal number (0644 is 420). 0644 for new files when unset.
	Mode *int `json:"mode"`
}

// Directory is a directory.
type Directory struct {
	Node
	// Permission bits, as a decimal number (0755 is 493). 0755 when unset.
	Mode *int `json:"mode"`
}

// Link is a symbolic or hard link.
type Link struct {
	Node
	// What the link points to.
	Target *string `json:"target"`
	// Make a hard link instead of a symbolic link. Default false.
	Hard *bool `json:"hard"`
}

// Luks is a LUKS2 encrypted volume.
type Luks struct {
	// Volume name; opened as /dev/mapper/<name>.
	Name string `json:"name" required:"true"`
	// Absolute path of the underlying block device.
	Device *string `json:"device"`
	// Key; a random key is generated when unset.
	KeyFile Resource `json:"keyFile"`
	// LUKS label, at most 47 characters.
	Label *string `json:"label"`
	// LUKS UUID.
	UUID *string `json:"uuid"`
	// Extra cryptsetup luksFormat arguments.
	Options []string `json:"options" merge:"append"`
	// Extra cryptsetup luksOpen arguments.
	OpenOptions []string `json:"openOptions" since:"3.4.0"`
	// Allow discards through the encrypted volume. Default false.
	Discard *bool `json:"discard" since:"3.4.0"`
	// Format the volume even if something is there. Default false.
	WipeVolume *bool `json:"wipeVolume"`
	// Clevis bindings that unlock the volume automatically.
	Clevis Clevis `json:"clevis"`
	// IBM Crypto Express (s390x) settings.
	Cex Cex `json:"cex" since:"3.5.0"`
}

// Clevis describes automatic unlocking.
type Clevis struct {
	// A custom clevis pin and config, instead of tang/tpm2/threshold.
	Custom ClevisCustom `json:"custom"`
	// Tang servers.
	Tang []Tang `json:"tang"`
	// How many pins must succeed. Default 1.
	Threshold *int `json:"threshold"`
	// Bind to the TPM2. Default false.
	Tpm2 *bool `json:"tpm2"`
}

// ClevisCustom is a custom clevis binding.
type ClevisCustom struct {
	// Clevis config JSON.
	Config *string `json:"config"`
	// Whether unlocking needs the network. Default false.
	NeedsNetwork *bool `json:"needsNetwork"`
	// Clevis pin: tpm2, tang or sss.
	Pin *string `json:"pin"`
}

// Tang is one tang server.
type Tang struct {
	// Server URL (http or https).
	URL string `json:"url" required:"true"`
	// Thumbprint of a trusted signing key.
	Thumbprint *string `json:"thumbprint"`
	// The server's advertisement as JSON, so that provisioning needs no network.
	Advertisement *string `json:"advertisement" since:"3.4.0"`
}

// Cex holds IBM Crypto Express settings.
type Cex struct {
	// Use a Crypto Express secure key. Default false.
	Enabled *bool `json:"enabled"`
}

// Systemd lists systemd units.
type Systemd struct {
	// Units to write, enable or mask.
	Units []Unit `json:"units"`
}

// Unit is a systemd unit.
type Unit struct {
	// Unit name with its type suffix, such as "etcd.service".
	Name string `json:"name" required:"true"`
	// Enable (true) or disable (false) the unit through presets; unset leaves it as it is.
	Enabled *bool `json:"enabled"`
	// Mask the unit (link it to /dev/null). Default false.
	Mask *bool `json:"mask"`
	// Unit file text.
	Contents *string `json:"contents"`
	// Drop-in files for the unit.
	Dropins []Dropin `json:"dropins"`
}

// Dropin is a systemd drop-in file.
type Dropin struct {
	// File name, ending in ".conf".
	Name string `json:"name" required:"true"`
	// Drop-in text.
	Contents *string `json:"contents"`
}
