package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/translate"
)

func init() { register(newTranslateCmd) }

func newTranslateCmd(stdin io.Reader) *cobra.Command {
	var output, filesDir, specFlag string
	var strict, pretty bool
	cmd := &cobra.Command{
		Use:   "translate [-o FILE] [-d|--files-dir DIR] [--strict] [--pretty] [--spec V] [FILE|-]",
		Short: "Translate a YAML config into versioned JSON",
		Long: `Translate reads a YAML config (variant flint 1.0.0, or Butane's fcos 1.0.0-1.7.0 and
flatcar 1.0.0-1.1.0; standard input when FILE is "-" or absent) and writes its JSON. Diagnostics
go to standard error as FILE:LINE:COL: severity: message [$.json.path]. Exit status: 0 success
(warnings allowed unless --strict), 1 invalid config, 2 usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := translate.Options{FilesDir: filesDir, Pretty: pretty}
			if specFlag != "" {
				v, err := config.ParseVersion(specFlag)
				if err != nil {
					return usageError(fmt.Errorf("--spec: %w", err))
				}
				opts.Spec = v
			}
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			data, err := readInput(name, stdin)
			if err != nil {
				return usageError(err)
			}
			res, rep := translate.Translate(displayName(name), data, opts)
			if strict {
				rep = rep.Strict()
			}
			for _, d := range rep {
				fmt.Fprintln(cmd.ErrOrStderr(), d.String())
			}
			if rep.HasErrors() || res == nil || res.JSON == nil {
				return failed(ExitFailed)
			}
			out := res.JSON
			if !bytes.HasSuffix(out, []byte("\n")) {
				out = append(out, '\n')
			}
			if output == "" || output == "-" {
				if _, err := cmd.OutOrStdout().Write(out); err != nil {
					return usageError(err)
				}
				return nil
			}
			if err := writeAtomically(output, out); err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write the JSON to FILE instead of standard output")
	f.StringVarP(&filesDir, "files-dir", "d", "", "directory that local and *_local paths are relative to")
	f.BoolVar(&strict, "strict", false, "treat warnings as errors")
	f.BoolVar(&pretty, "pretty", false, "indent the JSON")
	f.StringVar(&specFlag, "spec", "", "spec version to emit (default: the variant's)")
	return cmd
}

// writeAtomically replaces path with data so that readers see the old file or the new one,
// never a half-written one: a temporary file beside it, synced, then renamed over it.
func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
