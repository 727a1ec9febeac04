// Package pxe is flint's network-boot server: it picks a profile for each machine that asks
// (groups with selectors, the most specific match winning), answers iPXE over HTTP and TFTP,
// hands each machine its own config through a per-machine token, and records what the
// machine reports back about its first boot.
package pxe

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Reserved label keys. Any other key a machine sends is a free label (os=installed, rack=7).
const (
	LabelMAC      = "mac"      // normalised to lower-case colon form
	LabelUUID     = "uuid"     // SMBIOS UUID, lower-cased
	LabelHostname = "hostname" // DHCP option 12
	LabelSerial   = "serial"   // SMBIOS serial number
	LabelArch     = "arch"     // iPXE's ${buildarch}: i386, x86_64, arm32, arm64
	LabelPlatform = "platform" // iPXE's ${platform}: pcbios, efi
)

// Errors of selection and loading.
var (
	ErrNoGroup       = errors.New("no group matches the machine")
	ErrNoProfile     = errors.New("unknown profile")
	ErrInvalidMAC    = errors.New("invalid MAC address")
	ErrDuplicateID   = errors.New("duplicate id")
	ErrMissingField  = errors.New("missing required field")
	ErrInvalidConfig = errors.New("invalid config")
)

// Labels describe a machine: what iPXE reported about it (mac, uuid, hostname, serial, arch,
// platform) and any free labels in the request. Values are normalised (NormalizeLabels).
type Labels map[string]string

// Profile says how to boot a machine: kernel, initrds and arguments, and which config file
// it gets.
type Profile struct {
	ID string `json:"id" yaml:"id"`
	// Kernel is the kernel's URL: absolute, or a path such as /assets/vmlinuz that iPXE
	// resolves against the server.
	Kernel string `json:"kernel" yaml:"kernel"`
	// Initrd lists the initrds' URLs, loaded in order. An entry may carry its own iPXE name
	// as "--name NAME URL"; otherwise the name is the URL's last path element.
	Initrd []string `json:"initrd,omitempty" yaml:"initrd,omitempty"`
	// Args are kernel arguments; iPXE expands ${...} variables in them.
	Args []string `json:"args,omitempty" yaml:"args,omitempty"`
	// Config names a file in the store's configs (flint YAML or Ignition JSON, a Go template).
	Config string `json:"config,omitempty" yaml:"config,omitempty"`
	// ConfigDelivery is "url" (the default: a flint.config.url kernel argument pointing at
	// /config) or "initrd" (the config embedded in an extra initrd, no network needed to read
	// it).
	ConfigDelivery string `json:"configDelivery,omitempty" yaml:"configDelivery,omitempty"`
	// ConfigArg is the kernel argument that carries the config URL; flint.config.url unless
	// an Ignition-based image needs ignition.config.url.
	ConfigArg string `json:"configArg,omitempty" yaml:"configArg,omitempty"`
}

// Config delivery modes.
const (
	DeliveryURL    = "url"
	DeliveryInitrd = "initrd"
)

// Group binds the machines its selector matches to a profile, with metadata for templates.
type Group struct {
	ID      string `json:"id" yaml:"id"`
	Profile string `json:"profile" yaml:"profile"`
	// Selector must equal the machine's labels key by key; an empty selector matches every
	// machine (a default group).
	Selector map[string]string `json:"selector,omitempty" yaml:"selector,omitempty"`
	// Metadata is free data for config templates ({{.Metadata.key}}).
	Metadata map[string]any `json:"metadata,omitempty" yaml:"metadata,omitempty"`
}

// NormalizeMAC returns a MAC address in lower-case colon form; iPXE's ${mac:hexhyp} form
// (52-54-00-12-34-56) and upper case are accepted.
func NormalizeMAC(s string) (string, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidMAC, s)
	}
	return hw.String(), nil
}

// NormalizeLabels returns labels with their reserved values normalised (MAC form, lower-case
// UUID) and empty values dropped: iPXE expands an unset variable to nothing, which must not
// be matched as a value.
func NormalizeLabels(in map[string]string) (Labels, error) {
	out := make(Labels, len(in))
	for k, v := range in {
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if k == "" || v == "" {
			continue
		}
		switch k {
		case LabelMAC:
			m, err := NormalizeMAC(v)
			if err != nil {
				return nil, err
			}
			v = m
		case LabelUUID:
			v = strings.ToLower(v)
		}
		out[k] = v
	}
	return out, nil
}

// LabelsFromQuery reads a machine's labels from a request's query string; a key given twice
// keeps its first value.
func LabelsFromQuery(q url.Values) (Labels, error) {
	m := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return NormalizeLabels(m)
}

// Query encodes the labels as a query string, keys sorted.
func (l Labels) Query() string {
	q := make(url.Values, len(l))
	for k, v := range l {
		q.Set(k, v)
	}
	return q.Encode()
}

// Matches reports whether every selector of g equals the machine's label of that key.
func (g *Group) Matches(l Labels) bool {
	for k, v := range g.Selector {
		if l[k] != v {
			return false
		}
	}
	return true
}

// normalizeGroup normalises a group's selector the way machine labels are, so that a group
// file may write a MAC in any accepted form.
func normalizeGroup(g *Group) error {
	if g.ID == "" {
		return fmt.Errorf("group: %w: id", ErrMissingField)
	}
	if g.Profile == "" {
		return fmt.Errorf("group %s: %w: profile", g.ID, ErrMissingField)
	}
	sel, err := NormalizeLabels(g.Selector)
	if err != nil {
		return fmt.Errorf("group %s: %w", g.ID, err)
	}
	g.Selector = sel
	return nil
}

// SelectGroup returns the group for a machine: among the groups whose selector matches, the
// one with the most selectors; among equally specific groups, the one whose id sorts first.
// A group without selectors is a default and is chosen only when nothing more specific
// matches. The order of groups does not matter.
func SelectGroup(groups []Group, l Labels) (*Group, error) {
	var best *Group
	for i := range groups {
		g := &groups[i]
		if !g.Matches(l) {
			continue
		}
		if best == nil || len(g.Selector) > len(best.Selector) ||
			len(g.Selector) == len(best.Selector) && g.ID < best.ID {
			best = g
		}
	}
	if best == nil {
		return nil, ErrNoGroup
	}
	return best, nil
}

// checkData reports the inconsistencies of a set of groups and profiles that would make a
// machine fail to boot: duplicate ids, missing fields, groups naming unknown profiles.
func checkData(groups []Group, profiles []Profile) error {
	var errs []error
	pids := make(map[string]bool, len(profiles))
	for _, p := range profiles {
		switch {
		case p.ID == "":
			errs = append(errs, fmt.Errorf("profile: %w: id", ErrMissingField))
		case pids[p.ID]:
			errs = append(errs, fmt.Errorf("profile %s: %w", p.ID, ErrDuplicateID))
		case p.Kernel == "":
			errs = append(errs, fmt.Errorf("profile %s: %w: kernel", p.ID, ErrMissingField))
		}
		if p.ConfigDelivery != "" && p.ConfigDelivery != DeliveryURL && p.ConfigDelivery != DeliveryInitrd {
			errs = append(errs, fmt.Errorf("profile %s: %w: configDelivery %q is not url or initrd", p.ID, ErrInvalidConfig, p.ConfigDelivery))
		}
		pids[p.ID] = true
	}
	gids := make(map[string]bool, len(groups))
	for _, g := range groups {
		if gids[g.ID] {
			errs = append(errs, fmt.Errorf("group %s: %w", g.ID, ErrDuplicateID))
		}
		gids[g.ID] = true
		if !pids[g.Profile] {
			errs = append(errs, fmt.Errorf("group %s: %w %q", g.ID, ErrNoProfile, g.Profile))
		}
	}
	return errors.Join(errs...)
}

// findProfile returns the profile with the given id.
func findProfile(profiles []Profile, id string) (*Profile, error) {
	for i := range profiles {
		if profiles[i].ID == id {
			return &profiles[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrNoProfile, id)
}
