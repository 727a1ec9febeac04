package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/cpio"
	"github.com/flint-provision/flint/translate"
)

func init() { register(newInitrdCmd) }

// EmbeddedConfigPath is where `flint initrd wrap` puts the config in the initramfs: /config.ign,
// as coreos-installer does, so the archive works with flint's agent and with Ignition-based
// initramfs images alike.
const EmbeddedConfigPath = "config.ign"

func newInitrdCmd(stdin io.Reader) *cobra.Command {
	cmd := &cobra.Command{Use: "initrd", Short: "Embed configs in an initramfs"}
	var output string
	wrap := &cobra.Command{
		Use:   "wrap [-o FILE] CONFIG",
		Short: "Write a config as a cpio archive to append to an initramfs",
		Long: `Wrap validates CONFIG (JSON, or YAML which it translates) and writes it as an xz-compressed
(CRC32) newc cpio archive holding /config.ign, mode 0600. Append it to an initramfs
(cat initramfs.img config.img > combined.img) or pass it as a second initrd; the flint agent
(and Ignition-based images) read /config.ign at first boot. "-" reads standard input;
without -o the archive goes to standard output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(args[0], stdin)
			if err != nil {
				return usageError(err)
			}
			name := displayName(args[0])
			rep := check(name, data)
			if rep.HasErrors() {
				renderers["text"](cmd.ErrOrStderr(), rep)
				return failed(ExitFailed)
			}
			if translate.IsYAML(data) {
				if data, err = translateForEmbedding(name, data); err != nil {
					return err
				}
			}
			var buf bytes.Buffer
			if err := cpio.WriteXZ(&buf, []cpio.Entry{{Name: EmbeddedConfigPath, Mode: fs.FileMode(0o600), Data: data}}); err != nil {
				return usageError(err)
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
			} else {
				err = writeAtomically(output, buf.Bytes())
			}
			if err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	wrap.Flags().StringVarP(&output, "output", "o", "", "write the archive to FILE")
	cmd.AddCommand(wrap)
	return cmd
}

// translateForEmbedding turns a YAML config into the JSON the initramfs reads.
func translateForEmbedding(name string, data []byte) ([]byte, error) {
	p, rep := translateYAML(name, data)
	if rep.HasErrors() || p == nil {
		return nil, fmt.Errorf("%s: %w", name, rep.Err())
	}
	return config.Marshal(p, config.Newest, false)
}
