package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/pxe"
)

func init() { register(newPXECmd) }

// defaultPXEServer is where `flint pxe status` looks without --server.
const defaultPXEServer = "http://127.0.0.1:8080"

func newPXECmd(io.Reader) *cobra.Command {
	cmd := &cobra.Command{Use: "pxe", Short: "Network-boot machines and hand each its config"}
	cmd.AddCommand(newPXEServeCmd(), newPXEStatusCmd(), newPXEImportCmd())
	return cmd
}

func newPXEServeCmd() *cobra.Command {
	var dataDir, httpAddr, tftpAddr, storeURL, advertise, ipxeDir string
	var tokenTTL time.Duration
	cmd := &cobra.Command{
		Use:   "serve [--data DIR] [--http ADDR] [--tftp ADDR] [--store URL] [--advertise URL]",
		Short: "Serve iPXE scripts, boot files and per-machine configs over HTTP and TFTP",
		Long: `Serve boots machines over the network: iPXE scripts (/boot.ipxe, /ipxe), files of the data
directory's assets/ over HTTP and tftp/ over TFTP (with the iPXE binaries), and each machine's
config (/config, or an initrd) through a token the server signs. Machines post their
provisioning status to /status; / lists them. See docs/pxe.md.
--tftp "" disables TFTP. SIGTERM or SIGINT stops the server after transfers in flight.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			store, err := pxe.OpenStore(storeURL, dataDir)
			if err != nil {
				return usageError(err)
			}
			srv := &pxe.Server{
				Store:     store,
				DataDir:   dataDir,
				IPXEDir:   ipxeDir,
				Advertise: advertise,
				TokenTTL:  tokenTTL,
				Log:       slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)),
			}
			if err := srv.Check(ctx); err != nil {
				return usageError(fmt.Errorf("data: %w", err))
			}
			ln, err := net.Listen("tcp", httpAddr)
			if err != nil {
				return usageError(err)
			}
			var conn net.PacketConn
			if tftpAddr != "" {
				if conn, err = net.ListenPacket("udp", tftpAddr); err != nil {
					ln.Close()
					return usageError(err)
				}
			}
			if err := srv.Run(ctx, ln, conn); err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "/var/lib/flint/pxe", "data directory: profiles/, groups/, configs/, assets/, tftp/, status/")
	f.StringVar(&httpAddr, "http", ":8080", "HTTP listen address")
	f.StringVar(&tftpAddr, "tftp", ":69", `TFTP listen address ("" disables TFTP)`)
	f.StringVar(&storeURL, "store", "", "store URL: dir:/path or etcd://host:port[,host:port]/prefix (default: the data directory)")
	f.StringVar(&advertise, "advertise", "", "the server's URL as machines reach it (default: the request's Host)")
	f.StringVar(&ipxeDir, "ipxe-dir", pxe.DefaultIPXEDir, "directory of the iPXE binaries served over TFTP")
	f.DurationVar(&tokenTTL, "token-ttl", pxe.DefaultTokenTTL, "how long a machine's config token stays valid")
	return cmd
}

func newPXEImportCmd() *cobra.Command {
	var storeURL string
	cmd := &cobra.Command{
		Use:   "import --store URL DIR",
		Short: "Copy a data directory's groups, profiles and configs into a shared store (etcd)",
		Long: `Import checks a data directory as serve does and makes the store's groups, profiles and
configs those of the directory: new and changed ones are written (configs first, groups last),
then the ones the directory no longer has are removed. Status records and the token key are
kept. Every server on the store sees the change at its next request. See docs/pxe.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if storeURL == "" {
				return usageError(fmt.Errorf("--store is required"))
			}
			store, err := pxe.OpenStore(storeURL, args[0])
			if err != nil {
				return usageError(err)
			}
			imp, ok := store.(pxe.Importer)
			if !ok {
				return usageError(fmt.Errorf("--store %s: the store reads its data directory itself; import is for shared stores", storeURL))
			}
			st, err := imp.Import(cmd.Context(), args[0])
			if err != nil {
				return usageError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d groups, %d profiles, %d configs; removed %d\n",
				st.Groups, st.Profiles, st.Configs, st.Removed)
			return nil
		},
	}
	cmd.Flags().StringVar(&storeURL, "store", "", "store URL: etcd://host:port[,host:port]/prefix")
	return cmd
}

func newPXEStatusCmd() *cobra.Command {
	var server, format string
	cmd := &cobra.Command{
		Use:   "status [--server URL] [--format text|json]",
		Short: "List the machines a PXE server has booted and their provisioning results",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageError(fmt.Errorf("--format %q: want text or json", format))
			}
			list, raw, err := fetchPXEStatus(cmd.Context(), server)
			if err != nil {
				return usageError(err)
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				_, err = out.Write(raw)
				return err
			}
			return printPXEStatus(out, list)
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultPXEServer, "the PXE server's URL")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// fetchPXEStatus reads a server's /status.json.
func fetchPXEStatus(ctx context.Context, server string) ([]pxe.MachineStatus, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/status.json", nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: %s: %s", req.URL, resp.Status, strings.TrimSpace(string(raw)))
	}
	var list []pxe.MachineStatus
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", req.URL, err)
	}
	return list, raw, nil
}

// printPXEStatus writes one line per machine.
func printPXEStatus(w io.Writer, list []pxe.MachineStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MACHINE\tHOSTNAME\tGROUP\tPROFILE\tLAST BOOT\tRESULT\tDETAIL")
	for _, m := range list {
		boot := "-"
		if !m.LastBoot.IsZero() {
			boot = m.LastBoot.UTC().Format(time.RFC3339)
		}
		detail := m.Error
		if detail == "" && len(m.Stages) > 0 {
			last := m.Stages[len(m.Stages)-1]
			detail = last.Name + ": " + last.Result
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, dash(m.Labels["hostname"]), dash(m.Group),
			dash(m.Profile), boot, m.Result, dash(oneLine(detail)))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
