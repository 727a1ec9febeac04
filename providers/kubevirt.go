package providers

import (
	"context"
	"errors"
	"fmt"
)

// kubevirt: KubeVirt attaches user data as a NoCloud drive (label cidata, file user-data) or
// an OpenStack config drive (label config-2); both are watched concurrently, polled every
// second with no deadline, first success wins. A drive without the file means no user data.
// No network is needed. The nocloud platform id (any hypervisor that attaches a NoCloud or
// config-2 drive, such as libvirt with cloud-localds) reads the same drives the same way.

func init() {
	Register(kubeVirtProvider{id: "kubevirt"})
	Register(kubeVirtProvider{id: "nocloud"})
}

type kubeVirtProvider struct{ id string }

func (p kubeVirtProvider) ID() string { return p.id }

func (p kubeVirtProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := race(ctx,
		configDrive(env, "cidata", "user-data", drivePoll, 0),
		configDrive(env, "config-2", openStackUserData, drivePoll, 0),
	)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("%s: %w", p.id, err)
	}
	return b, err
}
