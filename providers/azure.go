package providers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/flint-provision/flint/internal/resource"
	"golang.org/x/sys/unix"
)

// azure: the fetch-offline stage asks for the network at once. Then the instance metadata
// service's userData (which needs Metadata: true), retried on 404, 410 (IMDS updating) and
// 429 (throttled) as well as 5xx until the fetch deadline, which fails the fetch: it is not a
// fallback. A non-empty answer is base64 and decoded; an empty one sends the provider to the
// provisioning CD, whose /CustomData.bin holds the custom data already decoded (absent: no
// user data). The CD is scanned every second without deadline: devices with a UDF filesystem
// (azurestack: UDF or ISO 9660) whose drive reports a disc and that carry ovf-env.xml.
//
// azurestack has no IMDS: only the CD.
//
// Ready reporting to the wireserver is ReportReady (azure_ready.go); the agent calls it once
// provisioning is done.

func init() {
	Register(azureProvider{id: "azure", imds: true, kinds: []string{fsUDF}})
	Register(azureProvider{id: "azurestack", kinds: []string{fsUDF, fsISO9660}})
}

const azureUserDataPath = "/metadata/instance/compute/userData?api-version=2021-01-01&format=text"

// ErrNoDisc is a CD-ROM drive without a readable disc.
var ErrNoDisc = errors.New("no disc in the drive")

type azureProvider struct {
	id    string
	imds  bool
	kinds []string // filesystems the provisioning CD may have
}

func (p azureProvider) ID() string { return p.id }

func (p azureProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	if p.imds {
		b, err := azureIMDSUserData(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.id, err)
		}
		if len(b) > 0 {
			env.log().Info("config has been read from IMDS userdata")
			return b, nil
		}
	}
	return p.customData(ctx, env)
}

// azureIMDSUserData returns the decoded IMDS userData; empty means none is set.
func azureIMDSUserData(ctx context.Context, env *Env) ([]byte, error) {
	url := env.endpoint(EndpointMetadata, defaultMetadataURL) + azureUserDataPath
	if err := requireNetwork(ctx, env, url); err != nil {
		return nil, err
	}
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	b, err := env.fetcher().Fetch(ctx, url, resource.Options{
		Headers:    header("Metadata", "true"),
		RetryCodes: []int{http.StatusNotFound, http.StatusGone, http.StatusTooManyRequests},
	})
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	out, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w: IMDS userData: %w", ErrBase64, err)
	}
	return out, nil
}

// customData scans for the provisioning CD until it is read or ctx ends.
func (p azureProvider) customData(ctx context.Context, env *Env) ([]byte, error) {
	poll := env.pollInterval(time.Second)
	for {
		for _, dev := range azureCandidates(env) {
			b, err := p.readCD(env, dev)
			if err == nil || errors.Is(err, ErrNoConfig) {
				return b, err
			}
			env.log().Debug("not the provisioning CD", "device", dev, "error", err)
		}
		if err := sleep(ctx, poll); err != nil {
			return nil, fmt.Errorf("%s: waiting for the provisioning CD: %w", p.id, err)
		}
	}
}

// azureCandidates lists the devices that may be the provisioning CD: CD-ROM drives and every
// labelled filesystem (the CD's label varies), once each.
func azureCandidates(env *Env) []string {
	var devs []string
	seen := map[string]bool{}
	srs, _ := filepath.Glob(env.path("/dev/sr*"))
	labels, _ := filepath.Glob(env.path("/dev/disk/by-label/*"))
	sort.Strings(labels)
	for _, d := range append(srs, labels...) {
		key, err := filepath.EvalSymlinks(d)
		if err != nil {
			continue
		}
		if !seen[key] {
			seen[key] = true
			devs = append(devs, d)
		}
	}
	return devs
}

// readCD reads CustomData.bin from dev if it is the provisioning CD.
func (p azureProvider) readCD(env *Env, dev string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := discReady(f); err != nil {
		return nil, err
	}
	v, kind, err := openVolume(f, p.kinds)
	if errors.Is(err, errUDFNative) {
		v, kind, err = mountedVolume{env: env, dev: dev}, fsUDF, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := v.ReadFile("ovf-env.xml"); err != nil {
		return nil, fmt.Errorf("no ovf-env.xml: %w", err)
	}
	env.log().Info("reading the provisioning CD", "device", dev, "filesystem", kind)
	b, err := v.ReadFile("CustomData.bin")
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(b) == 0) {
		return nil, ErrNoConfig
	}
	return b, err
}

// discReady asks a CD-ROM drive whether it holds a disc (CDROM_DRIVE_STATUS = CDS_DISC_OK).
// Regular files (images in tests) have no drive to ask.
func discReady(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&fs.ModeDevice == 0 {
		return err
	}
	const cdromDriveStatus, cdsDiscOK, cdslCurrent = 0x5326, 4, int(^uint32(0) >> 1)
	status, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), cdromDriveStatus, uintptr(cdslCurrent))
	if errno != 0 {
		return fmt.Errorf("CDROM_DRIVE_STATUS: %w", errno)
	}
	if status != cdsDiscOK {
		return fmt.Errorf("%w (status %d)", ErrNoDisc, status)
	}
	return nil
}

// azureInstancePath is the IMDS instance description (compute and network).
const azureInstancePath = "/metadata/instance?api-version=2021-02-01"

// Metadata reads the IMDS instance description, retried like userData (404, 410 and 429
// while IMDS is provisioning, updating or throttling). The hostname is the VM name; addresses
// are those of the first interface. azurestack has no IMDS.
func (p azureProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	if !p.imds {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, ErrNoMetadata)
	}
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	// encoding/json matches the document's camelCase names case-insensitively.
	var doc struct {
		Compute struct {
			Name, VMID, Location, Zone string
			PublicKeys                 []struct{ KeyData string }
		}
		Network struct {
			Interface []struct {
				IPv4, IPv6 struct {
					IPAddress []struct{ PrivateIPAddress, PublicIPAddress string }
				}
			}
		}
	}
	url := env.endpoint(EndpointMetadata, defaultMetadataURL) + azureInstancePath
	err := metadataJSON(ctx, env, url, resource.Options{
		Headers:    header("Metadata", "true"),
		RetryCodes: []int{http.StatusNotFound, http.StatusGone, http.StatusTooManyRequests},
	}, &doc)
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	c := doc.Compute
	m := Metadata{Hostname: c.Name, InstanceID: c.VMID, Region: c.Location, Zone: c.Zone}
	if ifs := doc.Network.Interface; len(ifs) > 0 {
		if a := ifs[0].IPv4.IPAddress; len(a) > 0 {
			m.IPv4Private, m.IPv4Public = a[0].PrivateIPAddress, a[0].PublicIPAddress
		}
		if a := ifs[0].IPv6.IPAddress; len(a) > 0 {
			m.IPv6Private, m.IPv6Public = a[0].PrivateIPAddress, a[0].PublicIPAddress
		}
	}
	for _, k := range c.PublicKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k.KeyData)...)
	}
	return m, nil
}
