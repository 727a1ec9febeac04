package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
)

// Version is flint's release version, set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "devel"

func init() { register(newVersionCmd) }

func newVersionCmd(io.Reader) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print flint's version and the spec versions it supports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "devel" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "flint %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(cmd.OutOrStdout(), "config spec %s–%s; legacy %s–%s read\n",
				config.Supported[0], config.Newest, config.SupportedLegacy[0], config.SupportedLegacy[len(config.SupportedLegacy)-1])
			return nil
		},
	}
}
