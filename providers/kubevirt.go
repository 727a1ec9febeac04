package providers

import (
	"context"
	"errors"
	"fmt"
)

// kubevirt: KubeVirt attaches user data as a NoCloud drive (label cidata, file user-data) or
// an OpenStack config drive (label config-2); both are watched concurrently, polled every
// second with no deadline, first success wins. A drive without the file means no user data.
// No network is needed.

func init() { Register(kubeVirtProvider{}) }

type kubeVirtProvider struct{}

func (kubeVirtProvider) ID() string { return "kubevirt" }

func (kubeVirtProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := race(ctx,
		configDrive(env, "cidata", "user-data", drivePoll, 0),
		configDrive(env, "config-2", openStackUserData, drivePoll, 0),
	)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("kubevirt: %w", err)
	}
	return b, err
}
