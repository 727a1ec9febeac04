package pxe

import (
	"bytes"
	"errors"
	"fmt"
	"text/template"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/translate"
)

// ErrTemplate is the error of a config template that does not render.
var ErrTemplate = errors.New("config template failed")

// TemplateData is what a config template sees: {{.Labels.mac}}, {{.Metadata.role}},
// {{.Group}}, {{.Server}}. A missing key is an error, never an empty string.
type TemplateData struct {
	// Labels are the machine's labels (mac, uuid, hostname, serial, arch, platform, free ones).
	Labels Labels
	// Metadata is the matching group's metadata.
	Metadata map[string]any
	// MachineID is the machine's id in status records.
	MachineID string
	Group     string
	Profile   string
	// Server is the server's base URL, and StatusURL where the machine posts its status
	// (token included).
	Server    string
	StatusURL string
}

// RenderError is a config that did not render or is invalid: the report holds the
// diagnostics of an invalid config.
type RenderError struct {
	Name   string
	Err    error
	Report config.Report
}

func (e *RenderError) Error() string {
	if len(e.Report) == 0 {
		return fmt.Sprintf("%s: %v", e.Name, e.Err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %v:", e.Name, e.Err)
	for _, d := range e.Report.Errors() {
		b.WriteString("\n")
		b.WriteString(d.String())
	}
	return b.String()
}

func (e *RenderError) Unwrap() error { return e.Err }

// RenderConfig runs a config file through text/template with data, translates it when it is
// YAML, and validates it. It returns JSON that the agent accepts, or an error that says what is
// wrong: an empty config is never the answer to a broken one. A JSON config is returned as
// rendered (its declared version kept), YAML as the newest spec. filesDir is where YAML
// local file references are read ("" forbids them).
func RenderConfig(name string, text []byte, data *TemplateData, filesDir string) ([]byte, config.Report, error) {
	tmpl, err := template.New(name).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, nil, &RenderError{Name: name, Err: fmt.Errorf("%w: %v", ErrTemplate, err)}
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, nil, &RenderError{Name: name, Err: fmt.Errorf("%w: %v", ErrTemplate, err)}
	}
	rendered := out.Bytes()
	if translate.IsYAML(rendered) {
		res, rep := translate.Translate(name, rendered, translate.Options{FilesDir: filesDir})
		if rep.HasErrors() || res == nil || res.JSON == nil {
			return nil, rep, &RenderError{Name: name, Err: ErrInvalidConfig, Report: rep}
		}
		return res.JSON, rep, nil
	}
	_, rep := config.Parse(name, rendered)
	if rep.HasErrors() {
		return nil, rep, &RenderError{Name: name, Err: ErrInvalidConfig, Report: rep}
	}
	return rendered, rep, nil
}
