package providers

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ibmcloud (IBM Cloud VPC): a NoCloud drive labelled cidata with /user-data. The drive is
// awaited for 30 s; a machine without it has no user data.

func init() { Register(ibmCloudProvider{}) }

// noCloudWait is how long ibmcloud and proxmoxve wait for their cidata drive.
const noCloudWait = 30 * time.Second

type ibmCloudProvider struct{}

func (ibmCloudProvider) ID() string { return "ibmcloud" }

func (ibmCloudProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := configDrive(env, "cidata", "user-data", drivePoll, noCloudWait)(ctx)
	switch {
	case errors.Is(err, ErrNoDevice):
		env.log().Info("no cidata drive: no user data", "error", err)
		return nil, ErrNoConfig
	case err != nil && !errors.Is(err, ErrNoConfig):
		return nil, fmt.Errorf("ibmcloud: %w", err)
	}
	return b, err
}
