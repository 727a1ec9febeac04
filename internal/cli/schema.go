package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/translate"
)

func init() { register(newSchemaCmd) }

// errSchemaFlags is the usage error for a wrong combination of schema's flags.
var errSchemaFlags = errors.New("use either --spec V or --variant NAME --version V")

func newSchemaCmd(io.Reader) *cobra.Command {
	var spec, variant, version string
	cmd := &cobra.Command{
		Use:   "schema [--spec V | --variant NAME --version V]",
		Short: "Print the JSON Schema of a config spec version or of a YAML variant, for editors",
		Long: `Schema prints a JSON Schema (draft 2020-12). With --spec (default: the newest spec), the
schema of JSON configs of that spec version, 3.0.0 to 3.6.0. With --variant and --version, the
schema of the YAML that flint translate reads: flint 1.0.0, or Butane's fcos 1.0.0-1.7.0 and
flatcar 1.0.0-1.1.0, sugar keys included. Both are stricter than the reference tools: keys a
version does not have are rejected, so that an editor marks them where they are typed. Exit
status: 0, or 2 for usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var schema []byte
			var err error
			switch {
			case variant != "" || version != "":
				if spec != "" || variant == "" || version == "" {
					return usageError(errSchemaFlags)
				}
				vr, lerr := translate.LookupVariant(variant, version)
				if lerr != nil {
					return usageError(lerr)
				}
				schema, err = translate.Schema(vr)
			default:
				v := config.Newest
				if spec != "" {
					if v, err = config.ParseVersion(spec); errors.Is(err, config.ErrVersionUnsupported) {
						// ParseVersion's list names the 2.x versions too, which have no schema.
						return usageError(fmt.Errorf("%w %s: schemas exist for spec %s to %s",
							config.ErrVersionUnsupported, spec, config.Supported[0], config.Newest))
					} else if err != nil {
						return usageError(err)
					}
				}
				schema, err = config.Schema(v)
			}
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
	cmd.Flags().StringVar(&variant, "variant", "", "YAML variant of the schema: flint, fcos or flatcar (with --version)")
	cmd.Flags().StringVar(&version, "version", "", "version of the YAML variant, such as 1.0.0 (with --variant)")
	return cmd
}
