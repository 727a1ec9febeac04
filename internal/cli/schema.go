package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(io.Reader) *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use:   "schema [--spec V]",
		Short: "Print the JSON Schema of a config spec version, for editors",
		Long: `Schema prints the JSON Schema (draft 2020-12) of configs of one spec version, 3.0.0 to 3.6.0
(default: the newest). It is stricter than the reference's schema: keys a version does not have
are rejected, so that an editor marks them where they are typed. Exit status: 0, or 2 for usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// --variant NAME --version V (the schema of a YAML variant) comes with the YAML
			// translator, which knows the variants; until then only --spec exists.
			v := config.Newest
			if spec != "" {
				var err error
				if v, err = config.ParseVersion(spec); errors.Is(err, config.ErrVersionUnsupported) {
					// ParseVersion's list names the 2.x versions too, which have no schema.
					return usageError(fmt.Errorf("%w %s: schemas exist for spec %s to %s",
						config.ErrVersionUnsupported, spec, config.Supported[0], config.Newest))
				} else if err != nil {
					return usageError(err)
				}
			}
			schema, err := config.Schema(v)
			if err != nil {
				return usageError(err)
			}
			if _, err := cmd.OutOrStdout().Write(schema); err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "spec version of the schema (default the newest)")
	return cmd
}
