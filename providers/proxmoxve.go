package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// proxmoxve: Proxmox VE's cloud-init drive (label cidata). Proxmox fills user-data with its
// own #cloud-config unless the operator sets a custom one, so a user-data that is a
// cloud-config is passed over and vendor-data, where operators put an Ignition config, is read
// instead. The drive is awaited for 30 s; not finding it is an error.

func init() { Register(proxmoxProvider{}) }

type proxmoxProvider struct{}

func (proxmoxProvider) ID() string { return "proxmoxve" }

func (proxmoxProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := configDrive(env, "cidata", "user-data", drivePoll, noCloudWait)(ctx)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("proxmoxve: %w", err)
	}
	if err == nil && !bytes.HasPrefix(b, []byte("#cloud-config\n")) {
		return b, nil
	}
	env.log().Info("proxmoxve: user-data is not an Ignition config; reading vendor-data")
	// The drive is there now: no second wait.
	b, err = configDrive(env, "cidata", "vendor-data", drivePoll, noCloudWait)(ctx)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("proxmoxve: %w", err)
	}
	if err == nil && bytes.HasPrefix(b, []byte("#cloud-config\n")) {
		return nil, ErrNoConfig
	}
	return b, err
}
