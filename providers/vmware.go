package providers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// vmware: the config is a guestinfo variable set on the VM (vApp property or
// `guestinfo.ignition.config.data` in the .vmx), with an optional `.encoding` variable. The
// OVF environment (`guestinfo.ovfenv`) properties of the same names are defaults that direct
// variables override. flint's own names (`guestinfo.flint.config.data[.encoding]`) are read
// first, Ignition's are accepted as the alias.
//
// How flint reads guestinfo: the reference speaks the VMware backdoor protocol itself (I/O
// port 0x5658 from ring 3 after iopl). flint does not do port I/O: it asks vmware-rpctool
// (open-vm-tools) for `info-get guestinfo.<key>`, and Env.GuestInfo replaces that for tests and
// for agents that have another channel. Whether the machine is a VMware VM is read from the
// DMI system vendor instead of CPUID; anywhere else the provider is not online. Both seams are
// testable; the backdoor itself cannot be emulated outside a VMware VM.
//
// Encodings: "" (raw), base64/b64, gzip/gz, and gzip+base64 (gz+base64, gzip+b64, gz+b64);
// anything else is an error. Empty data means no user data.

func init() { Register(vmwareProvider{arch: runtime.GOARCH}) }

// ErrEncoding is a guestinfo encoding flint does not know.
var ErrEncoding = errors.New("unknown config encoding")

type vmwareProvider struct{ arch string }

func (vmwareProvider) ID() string { return "vmware" }

func (p vmwareProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	if p.arch != "amd64" {
		return nil, fmt.Errorf("vmware: %w", ErrUnsupportedArch)
	}
	if !onVMware(env) {
		return nil, fmt.Errorf("vmware: %w: not a VMware virtual machine", ErrNotOnline)
	}
	data, encoding, err := vmwareConfig(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("vmware: %w", err)
	}
	b, err := decodeGuestinfo(data, encoding)
	if err != nil {
		return nil, fmt.Errorf("vmware: %w", err)
	}
	if len(b) == 0 {
		return nil, ErrNoConfig
	}
	return b, nil
}

// onVMware reads the DMI system vendor.
func onVMware(env *Env) bool {
	b, err := os.ReadFile(env.path("/sys/class/dmi/id/sys_vendor"))
	return err == nil && bytes.Contains(b, []byte("VMware"))
}

// vmwareConfig returns the config data and its encoding: OVF properties first, direct
// variables over them, flint's names over Ignition's.
func vmwareConfig(ctx context.Context, env *Env) (data, encoding string, err error) {
	get := env.GuestInfo
	if get == nil {
		get = rpctoolGuestInfo
	}
	ovf, haveOVF, err := get(ctx, "ovfenv")
	if err != nil {
		return "", "", err
	}
	var props map[string]string
	if haveOVF && ovf != "" {
		if props, err = ovfProperties([]byte(ovf)); err != nil {
			return "", "", err
		}
	}
	for _, prefix := range []string{"ignition", "flint"} {
		key := prefix + ".config.data"
		if v, ok := props["guestinfo."+key]; ok {
			data, encoding = v, props["guestinfo."+key+".encoding"]
		}
	}
	for _, prefix := range []string{"ignition", "flint"} {
		key := prefix + ".config.data"
		v, ok, err := get(ctx, key)
		if err != nil {
			return "", "", err
		}
		if !ok {
			continue
		}
		enc, _, err := get(ctx, key+".encoding")
		if err != nil {
			return "", "", err
		}
		data, encoding = v, enc
	}
	return data, encoding, nil
}

// ovfProperties returns the properties of an OVF environment document.
func ovfProperties(doc []byte) (map[string]string, error) {
	var env struct {
		Properties []struct {
			Key   string `xml:"key,attr"`
			Value string `xml:"value,attr"`
		} `xml:"PropertySection>Property"`
	}
	if err := xml.Unmarshal(doc, &env); err != nil {
		return nil, fmt.Errorf("guestinfo.ovfenv: %w", err)
	}
	props := make(map[string]string, len(env.Properties))
	for _, p := range env.Properties {
		props[p.Key] = p.Value
	}
	return props, nil
}

// decodeGuestinfo undoes a guestinfo encoding.
func decodeGuestinfo(data, encoding string) ([]byte, error) {
	switch strings.TrimSpace(encoding) {
	case "":
		return []byte(data), nil
	case "base64", "b64":
		return decodeStdBase64(data)
	case "gzip", "gz":
		if data == "" {
			return nil, nil
		}
		return gunzip([]byte(data))
	case "gzip+base64", "gz+base64", "gzip+b64", "gz+b64":
		b, err := decodeStdBase64(data)
		if err != nil || len(b) == 0 {
			return b, err
		}
		return gunzip(b)
	}
	return nil, fmt.Errorf("%w %q", ErrEncoding, encoding)
}

func decodeStdBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBase64, err)
	}
	return b, nil
}

// rpctoolGuestInfo asks vmware-rpctool for guestinfo.<key>; it fails with "No value found"
// when the variable is not set.
func rpctoolGuestInfo(ctx context.Context, key string) (string, bool, error) {
	out, err := exec.CommandContext(ctx, "vmware-rpctool", "info-get guestinfo."+key).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading guestinfo.%s: %w", key, err)
	}
	return strings.TrimSuffix(string(out), "\n"), true, nil
}
