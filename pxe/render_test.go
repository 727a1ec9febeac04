package pxe

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
)

func TestRenderConfig(t *testing.T) {
	data := &TemplateData{
		Labels:    Labels{"mac": "52:54:00:00:00:01", "hostname": "node1"},
		Metadata:  map[string]any{"role": "db", "disk": map[string]any{"device": "/dev/vdb"}},
		MachineID: "52-54-00-00-00-01",
		Group:     "g",
	}
	yamlCfg := "variant: flint\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/role\n      contents:\n        inline: \"{{.Metadata.role}} {{.Labels.hostname}} {{.Metadata.disk.device}}\"\n"
	jsonCfg := `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/{{.Labels.hostname}}"}]}}`
	for _, tc := range []struct {
		name    string
		file    string
		text    string
		check   func(t *testing.T, out []byte)
		wantErr error
	}{
		{name: "YAML with labels and nested metadata", file: "c.yaml", text: yamlCfg, check: func(t *testing.T, out []byte) {
			p, rep := config.Parse("out", out)
			if rep.HasErrors() {
				t.Fatalf("output does not parse: %v", rep)
			}
			src := *p.Config.Storage.Files[0].Contents.Source
			if want := "db%20node1%20%2Fdev%2Fvdb"; !strings.Contains(src, want) && !strings.Contains(src, "db node1 /dev/vdb") {
				t.Errorf("rendered source = %q, want it to hold %q", src, want)
			}
		}},
		{name: "JSON keeps its version", file: "c.ign", text: jsonCfg, check: func(t *testing.T, out []byte) {
			var v struct {
				Ignition struct{ Version string }
				Storage  struct{ Files []struct{ Path string } }
			}
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatal(err)
			}
			if v.Ignition.Version != "3.3.0" || v.Storage.Files[0].Path != "/etc/node1" {
				t.Errorf("rendered = %s, want version 3.3.0 and /etc/node1", out)
			}
		}},
		{name: "missing label", file: "c.yaml", text: strings.Replace(yamlCfg, ".Labels.hostname", ".Labels.serial", 1), wantErr: ErrTemplate},
		{name: "missing metadata", file: "c.yaml", text: strings.Replace(yamlCfg, ".Metadata.role", ".Metadata.rack", 1), wantErr: ErrTemplate},
		{name: "template syntax", file: "c.yaml", text: "variant: flint\n{{.Labels", wantErr: ErrTemplate},
		{name: "invalid after rendering", file: "c.ign", text: `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"{{.Labels.hostname}}"}]}}`, wantErr: ErrInvalidConfig},
		{name: "invalid YAML", file: "c.yaml", text: "variant: flint\nversion: 1.0.0\nstorage: {{.Labels.hostname}}\n", wantErr: ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := RenderConfig(tc.file, []byte(tc.text), data, "")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("RenderConfig() error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if out != nil {
					t.Errorf("RenderConfig() = %s with an error, want no output", out)
				}
				var re *RenderError
				if errors.As(err, &re) && errors.Is(tc.wantErr, ErrInvalidConfig) && len(re.Report) == 0 {
					t.Errorf("RenderConfig() error has no diagnostics")
				}
				return
			}
			tc.check(t, out)
		})
	}
}
