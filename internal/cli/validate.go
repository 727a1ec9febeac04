package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/translate"
)

func init() { register(newValidateCmd) }

func newValidateCmd(stdin io.Reader) *cobra.Command {
	var strict bool
	var format string
	cmd := &cobra.Command{
		Use:   "validate [--strict] [--format text|json|github] FILE...",
		Short: "Check configs and print diagnostics with file:line:column and JSON path",
		Long: `Validate reads each config (JSON of spec 3.0.0-3.6.0 or 2.0.0-2.3.0, or YAML of the flint,
fcos or flatcar variants; "-" is standard input) and prints its diagnostics. Local files named
by a YAML config are read relative to the config's directory. Exit status: 0 valid (warnings allowed unless --strict), 1 invalid,
2 usage or I/O error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			render, ok := renderers[format]
			if !ok {
				return usageError(fmt.Errorf("unknown --format %q: want text, json or github", format))
			}
			var all config.Report
			for _, name := range args {
				data, err := readInput(name, stdin)
				if err != nil {
					return usageError(err)
				}
				rep := check(displayName(name), data)
				if strict {
					rep = rep.Strict()
				}
				all = append(all, rep...)
			}
			if err := render(cmd.OutOrStdout(), all); err != nil {
				return usageError(err)
			}
			if all.HasErrors() {
				return failed(ExitFailed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or github")
	return cmd
}

// check parses and validates one config, JSON or YAML (flint and Butane variants),
// telling them apart by content: a JSON config is an object, so it starts with '{'.
func check(name string, data []byte) config.Report {
	if translate.IsYAML(data) {
		_, rep := translateYAML(name, data)
		return rep
	}
	_, rep := config.Parse(name, data)
	return rep
}

// translateYAML translates a YAML config whose local files are relative to its directory.
func translateYAML(name string, data []byte) (*config.Config, config.Report) {
	res, rep := translate.Translate(name, data, translate.Options{FilesDir: filepath.Dir(name)})
	if res == nil {
		return nil, rep
	}
	return &res.Config, rep
}

// readInput reads a named file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// renderers print a report in each --format.
var renderers = map[string]func(io.Writer, config.Report) error{
	"text": func(w io.Writer, r config.Report) error {
		for _, d := range r {
			if _, err := fmt.Fprintln(w, d.String()); err != nil {
				return err
			}
		}
		return nil
	},
	"json": func(w io.Writer, r config.Report) error {
		type entry struct {
			config.Diagnostic
			Message string `json:"message"`
		}
		out := make([]entry, len(r))
		for i, d := range r {
			out[i] = entry{d, d.Message()}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	},
	// GitHub Actions workflow commands: each becomes an annotation on the file and line.
	"github": func(w io.Writer, r config.Report) error {
		for _, d := range r {
			kind := "warning"
			if d.Severity == config.SeverityError {
				kind = "error"
			} else if d.Severity == config.SeverityInfo {
				kind = "notice"
			}
			msg := d.Message()
			if len(d.Path) > 0 {
				msg += " [" + d.Path.String() + "]"
			}
			props := "file=" + escapeGitHubProperty(d.File)
			if d.Line > 0 {
				props += fmt.Sprintf(",line=%d,col=%d", d.Line, d.Column)
			}
			if _, err := fmt.Fprintf(w, "::%s %s::%s\n", kind, props, escapeGitHubData(msg)); err != nil {
				return err
			}
		}
		return nil
	},
}

func escapeGitHubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeGitHubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
