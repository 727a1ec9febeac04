package providers

import (
	"context"
	"errors"
	"fmt"
)

// powervs (IBM Power Virtual Server) and nutanix: an OpenStack-style config drive labelled
// config-2, read at openstack/latest/user_data, polled every second with no deadline. A
// drive without the file means no user data.

func init() {
	Register(configDriveProvider{id: "powervs"})
	Register(configDriveProvider{id: "nutanix"})
}

type configDriveProvider struct{ id string }

func (p configDriveProvider) ID() string { return p.id }

func (p configDriveProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := configDrive(env, "config-2", openStackUserData, drivePoll, 0)(ctx)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("%s: %w", p.id, err)
	}
	return b, err
}
