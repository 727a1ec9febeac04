package providers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The file platform is for tests and manual runs: the config is a local file named by
// $FLINT_CONFIG_FILE (or $IGNITION_CONFIG_FILE), default config.ign in the working directory.
// A missing file is an error, as in the reference; an empty one is an empty config.

func init() { Register(fileProvider{}) }

type fileProvider struct{}

func (fileProvider) ID() string { return "file" }

func (fileProvider) FetchConfig(_ context.Context, env *Env) ([]byte, error) {
	name := "config.ign"
	for _, v := range []string{"FLINT_CONFIG_FILE", "IGNITION_CONFIG_FILE"} {
		if s := os.Getenv(v); s != "" {
			name = s
			break
		}
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file platform: %w", err)
	}
	return b, err
}
