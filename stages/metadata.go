package stages

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/flint-provision/flint/config"
)

// Units that use platform metadata (the translator's placeholders such as {PRIVATE_IPV4})
// require flint-metadata.service, which writes /run/metadata/flint at every boot. When the
// config has such units and does not bring that unit itself, the files stage installs it,
// with the running flint binary as /usr/local/bin/flint to run it.

const (
	metadataUnit   = "flint-metadata.service"
	metadataBinary = "/usr/local/bin/flint"
)

// metadataUnitText is the unit that refreshes the metadata file at every boot.
const metadataUnitText = `[Unit]
Description=Platform metadata for flint's placeholders (/run/metadata/flint)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + metadataBinary + ` metadata --root /
`

// needsMetadataUnit reports whether a unit of c refers to the metadata unit and c does not
// define it.
func needsMetadataUnit(c *config.Config) bool {
	uses := false
	for _, u := range c.Systemd.Units {
		if u.Name == metadataUnit {
			if u.Contents != nil {
				return false // the config brings its own
			}
			uses = true // drop-ins for the unit flint provides
		}
		if strings.Contains(deref(u.Contents), metadataUnit) {
			uses = true
		}
		for _, d := range u.Dropins {
			if strings.Contains(deref(d.Contents), metadataUnit) {
				uses = true
			}
		}
	}
	return uses
}

func planMetadataUnit(c *config.Config) []Action {
	if !needsMetadataUnit(c) {
		return nil
	}
	return []Action{&metadataUnitAction{}}
}

type metadataUnitAction struct{}

func (metadataUnitAction) Describe() string {
	return "install " + metadataUnit + " and " + metadataBinary + " (units use platform metadata)"
}

func (metadataUnitAction) Apply(_ context.Context, env *Env) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		return fmt.Errorf("read flint's own binary: %w", err)
	}
	if err := env.Root.StageFile(metadataBinary, bin, 0o755, 0, 0); err != nil {
		return err
	}
	return env.Root.StageFile("/etc/systemd/system/"+metadataUnit, []byte(metadataUnitText), 0o644, 0, 0)
}
