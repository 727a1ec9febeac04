package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/internal/cmdline"
	"github.com/flint-provision/flint/internal/passwd"
	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/providers"
)

func init() { register(newMetadataCmd) }

func newMetadataCmd(io.Reader) *cobra.Command {
	var platform, root, cmdlineFile, sshUser string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "metadata [--platform ID] [--root DIR]",
		Short: "Write the platform's machine metadata to /run/metadata/flint",
		Long: `Metadata asks the platform (its metadata service, config drive or hypervisor) for this
machine's host name, instance id, region and addresses and writes them to
<root>/run/metadata/flint as an environment file (FLINT_HOSTNAME, FLINT_IPV4_PRIVATE, ...), the
file that units generated from placeholders such as {PRIVATE_IPV4} read. flint-metadata.service
runs it at every boot. A platform without metadata still gets FLINT_HOSTNAME, the kernel's
host name. With --ssh-user, the platform's SSH keys for that user are also put in a marked
block of the user's ~/.ssh/authorized_keys (replaced at every run; other lines are kept).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := cmdline.Read(cmdlineFile)
			if err != nil && platform == "" {
				return usageError(fmt.Errorf("read the kernel command line: %w", err))
			}
			if platform == "" {
				platform, _ = cl.Get("flint.platform.id", "ignition.platform.id")
			}
			p, err := providers.Get(platform)
			if err != nil {
				return usageError(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			env := &providers.Env{Fetcher: &resource.Fetcher{Logger: log}, Cmdline: cl, Log: log}
			var m providers.Metadata
			if mp, ok := p.(providers.MetadataProvider); ok {
				if m, err = mp.Metadata(ctx, env); err != nil && !errors.Is(err, providers.ErrNoMetadata) {
					fmt.Fprintf(cmd.ErrOrStderr(), "flint: %s metadata: %v\n", platform, err)
					return failed(ExitFailed)
				}
			}
			if m.Hostname == "" {
				m.Hostname, _ = os.Hostname()
			}
			if err := providers.WriteMetadata(root, m); err != nil {
				return usageError(err)
			}
			if sshUser != "" {
				keys, err := providers.SSHKeysFor(ctx, env, p, sshUser)
				if err != nil && !errors.Is(err, providers.ErrNoMetadata) {
					fmt.Fprintf(cmd.ErrOrStderr(), "flint: %s SSH keys: %v\n", platform, err)
					return failed(ExitFailed)
				}
				if err := passwd.InstallPlatformKeys(root, sshUser, keys); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "flint: install SSH keys for %s: %v\n", sshUser, err)
					return failed(ExitFailed)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform id; default flint.platform.id on the kernel command line")
	cmd.Flags().StringVar(&root, "root", "/", "write <root>/run/metadata/flint")
	cmd.Flags().StringVar(&cmdlineFile, "cmdline", "/proc/cmdline", "the kernel command line file")
	cmd.Flags().StringVar(&sshUser, "ssh-user", "", "also install the platform's SSH keys for this user")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	return cmd
}
