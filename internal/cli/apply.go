package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/internal/cmdline"
	"github.com/flint-provision/flint/internal/rootfs"
	"github.com/flint-provision/flint/stages"
)

func init() {
	register(func(io.Reader) *cobra.Command { return newRunCmd(true) })
	register(func(io.Reader) *cobra.Command { return newRunCmd(false) })
}

// runFlags are the flags apply and plan share.
type runFlags struct {
	root, platform, config, stateDir, cmdline, stage, format, rootDevice, kargsHelper string
}

func newRunCmd(apply bool) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "apply [--root DIR] [--platform ID] [--stage NAME] [--config FILE|URL]",
		Short: "Provision this machine: run the stages (all, or one) against the target root",
		Long: `Apply runs the provisioning stages fetch-offline, fetch, kargs, disks, mount, files and
umount in that order (or only --stage). At first boot the initramfs runs each stage as its
own unit; the stages hand each other the config and a report through --state-dir.
Exit status: 0 success, 1 a stage failed (the report says which and why), 2 usage.`,
		Args: cobra.NoArgs,
	}
	if !apply {
		cmd.Use = "plan [--root DIR] [--platform ID] [--stage NAME] [--config FILE|URL] [--format text|json]"
		cmd.Short = "Print what each stage would do, changing nothing"
		cmd.Long = `Plan computes every action of the stages from the config and what is on the machine
now, and prints them. It reads the config's sources and remote resources but writes nothing.
Later stages are planned against the machine as it is, not as earlier stages would leave it.`
		cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	}
	cmd.Flags().StringVar(&f.root, "root", "/", "the target root directory (/sysroot at first boot)")
	cmd.Flags().StringVar(&f.platform, "platform", "", "platform id (aws, gcp, azure, qemu, metal, file, ...); default from the kernel command line")
	cmd.Flags().StringVar(&f.stage, "stage", "", "run only this stage")
	cmd.Flags().StringVar(&f.config, "config", "", "read the user config from this file or URL instead of the usual sources")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "/run/flint", "where stages keep the config cache and the report")
	cmd.Flags().StringVar(&f.cmdline, "cmdline", "/proc/cmdline", "the kernel command line file")
	cmd.Flags().StringVar(&f.rootDevice, "root-device", "auto", `the partition of the root filesystem, grown to fill its disk; "auto": from root= on the kernel command line inside the initramfs, "" turns growth off`)
	cmd.Flags().StringVar(&f.kargsHelper, "kargs-helper", "", "a program that changes kernel arguments (Ignition's helper contract) instead of flint's boot loader entry edit")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		env, err := f.env(cmd.ErrOrStderr(), apply)
		if err != nil {
			return usageError(err)
		}
		var names []string
		if f.stage != "" {
			if _, err := stages.Get(f.stage); err != nil {
				return usageError(err)
			}
			names = []string{f.stage}
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if apply {
			if err := stages.Run(ctx, env, names); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "flint: %v\n", err)
				return failed(ExitFailed)
			}
			return nil
		}
		return printPlans(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), env, names, f.format)
	}
	return cmd
}

func (f *runFlags) env(stderr io.Writer, apply bool) (*stages.Env, error) {
	root, err := rootfs.New(f.root)
	if err != nil {
		return nil, err
	}
	cl, err := cmdline.Read(f.cmdline)
	if err != nil && f.config == "" {
		return nil, fmt.Errorf("read the kernel command line: %w", err)
	}
	platform := f.platform
	if platform == "" {
		platform, _ = cl.Get("flint.platform.id", "ignition.platform.id")
	}
	if platform == "" && f.config == "" {
		return nil, fmt.Errorf("no platform: pass --platform or flint.platform.id on the kernel command line")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	env := &stages.Env{Root: root, StateDir: f.stateDir, Platform: platform, ConfigSource: f.config,
		Cmdline: cl, Log: log, RootDevice: f.rootDevice, KargsHelper: f.kargsHelper}
	if apply {
		// A boot server's status endpoint (flint pxe serve puts it on the command line).
		env.ReportURL, _ = cl.Get("flint.report.url")
	}
	if inInitramfs() {
		env.Reboot = func() error { return exec.Command("systemctl", "--no-block", "reboot").Run() }
	}
	if f.rootDevice == "auto" {
		env.RootDevice = ""
		if inInitramfs() && !cl.Has("flint.growroot") || cl.Truthy("flint.growroot") {
			env.RootDevice = rootDeviceFromCmdline(cl)
		}
	}
	return env, nil
}

// inInitramfs reports whether flint runs in an initramfs (systemd's marker file).
func inInitramfs() bool {
	_, err := os.Stat("/etc/initrd-release")
	return err == nil
}

// rootDeviceFromCmdline turns root= into a device path (LABEL=, UUID=, PARTUUID=, PARTLABEL=
// or a path), or "" when there is none.
func rootDeviceFromCmdline(cl cmdline.Cmdline) string {
	root, _ := cl.Get("root")
	for prefix, dir := range map[string]string{"LABEL=": "by-label", "UUID=": "by-uuid", "PARTUUID=": "by-partuuid", "PARTLABEL=": "by-partlabel"} {
		if v, ok := strings.CutPrefix(root, prefix); ok {
			return "/dev/disk/" + dir + "/" + v
		}
	}
	if strings.HasPrefix(root, "/dev/") {
		return root
	}
	return ""
}

func printPlans(ctx context.Context, stdout, stderr io.Writer, env *stages.Env, names []string, format string) error {
	if format != "text" && format != "json" {
		return usageError(fmt.Errorf("unknown --format %q: want text or json", format))
	}
	plans, err := stages.PlanOnly(ctx, env, names)
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if plans == nil {
			plans = []*stages.Plan{}
		}
		if encErr := enc.Encode(plans); encErr != nil {
			return usageError(encErr)
		}
	} else {
		for _, p := range plans {
			fmt.Fprintf(stdout, "%s:\n", p.Stage)
			if len(p.Actions) == 0 {
				fmt.Fprintln(stdout, "  (nothing to do)")
			}
			for _, a := range p.Actions {
				fmt.Fprintf(stdout, "  %s\n", a.Describe())
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "flint: %v\n", err)
		return failed(ExitFailed)
	}
	return nil
}
