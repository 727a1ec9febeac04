package providers

import "context"

// The metal platform has no metadata service: its config comes from the kernel command line
// (flint.config.url, or flint.config.device + flint.config.path) or from the initramfs, which
// the fetch stage reads before asking the provider. Asked itself, it has nothing.

func init() { Register(metalProvider{}) }

type metalProvider struct{}

func (metalProvider) ID() string { return "metal" }

func (metalProvider) FetchConfig(context.Context, *Env) ([]byte, error) { return nil, ErrNoConfig }
