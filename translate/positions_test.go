package translate

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flint-provision/flint/config"
)

const header = "variant: flint\nversion: 1.0.0\n"

// TestDiagnosticPositions checks FILE:LINE:COL and the JSON path of each kind of diagnostic.
func TestDiagnosticPositions(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		opts     Options
		wantErr  error
		wantSev  config.Severity
		wantLine int
		wantCol  int
		wantPath string
	}{
		{
			name:     "syntax error",
			doc:      header + "storage:\n  files:\n    - path: /a\n   bad: x\n",
			wantErr:  ErrSyntax,
			wantSev:  config.SeverityError,
			wantLine: 6, wantCol: 4, wantPath: "$",
		},
		{
			name:     "syntax error on the first line",
			doc:      "variant: a: b\n",
			wantErr:  ErrSyntax,
			wantSev:  config.SeverityError,
			wantLine: 1, wantCol: 1, wantPath: "$",
		},
		{
			name:     "type error in a list",
			doc:      header + "storage:\n  files:\n    - path: /a\n      mode: [1]\n",
			wantErr:  config.ErrType,
			wantSev:  config.SeverityError,
			wantLine: 6, wantCol: 13, wantPath: "$.storage.files.0.mode",
		},
		{
			name:     "type error on a snake_case key",
			doc:      header + "storage:\n  disks:\n    - device: /dev/vda\n      partitions:\n        - size_mib: big\n",
			wantErr:  config.ErrType,
			wantSev:  config.SeverityError,
			wantLine: 7, wantCol: 21, wantPath: "$.storage.disks.0.partitions.0.sizeMiB",
		},
		{
			name:     "unknown key",
			doc:      header + "passwd:\n  users:\n    - name: core\n      sshAuthorizedKeys: [x]\n",
			wantErr:  config.ErrUnknownKey,
			wantSev:  config.SeverityWarning,
			wantLine: 6, wantCol: 7, wantPath: "$.passwd.users.0.sshAuthorizedKeys",
		},
		{
			name:     "ignition version is not a YAML key",
			doc:      header + "ignition:\n  version: 3.6.0\n",
			wantErr:  config.ErrUnknownKey,
			wantSev:  config.SeverityWarning,
			wantLine: 4, wantCol: 3, wantPath: "$.ignition.version",
		},
		{
			name:     "duplicate key",
			doc:      header + "storage:\n  files: []\n  files: []\n",
			wantErr:  ErrDuplicateKey,
			wantSev:  config.SeverityError,
			wantLine: 5, wantCol: 3, wantPath: "$",
		},
		{
			name:     "unknown variant",
			doc:      "variant: fcos\nversion: 9.0.0\n",
			wantErr:  ErrNoTranslator,
			wantSev:  config.SeverityError,
			wantLine: 1, wantCol: 10, wantPath: "$",
		},
		{
			name:     "unparsable version",
			doc:      "variant: fcos\nversion: one\n",
			wantErr:  ErrBadVersion,
			wantSev:  config.SeverityError,
			wantLine: 2, wantCol: 10, wantPath: "$",
		},
		{
			name:     "too new for --spec, on the key",
			doc:      header + "storage:\n  files:\n    - path: /a\n  luks:\n    - name: x\n      device: /dev/vdb\n",
			opts:     Options{Spec: spec("3.1.0")},
			wantErr:  config.ErrFieldTooNew,
			wantSev:  config.SeverityError,
			wantLine: 6, wantCol: 3, wantPath: "$.storage.luks",
		},
		{
			name:     "too new for the Butane variant",
			doc:      "variant: fcos\nversion: 1.1.0\nkernel_arguments:\n  should_exist: [a]\n",
			wantErr:  config.ErrFieldTooNew,
			wantSev:  config.SeverityWarning,
			wantLine: 3, wantCol: 1, wantPath: "$.kernelArguments",
		},
		{
			name:     "decimal mode",
			doc:      header + "storage:\n  files:\n    - path: /a\n      mode: 644\n",
			wantErr:  ErrDecimalMode,
			wantSev:  config.SeverityWarning,
			wantLine: 6, wantCol: 13, wantPath: "$.storage.files.0.mode",
		},
		{
			name:     "local without a files directory",
			doc:      header + "storage:\n  files:\n    - path: /a\n      contents:\n        local: a.txt\n",
			wantErr:  ErrNoFilesDir,
			wantSev:  config.SeverityError,
			wantLine: 7, wantCol: 16, wantPath: "$.storage.files.0.contents.source",
		},
		{
			name:     "two sources",
			doc:      header + "storage:\n  files:\n    - path: /a\n      contents:\n        source: data:,x\n        inline: y\n",
			wantErr:  ErrTooManySources,
			wantSev:  config.SeverityError,
			wantLine: 8, wantCol: 9, wantPath: "$.storage.files.0.contents.source",
		},
		{
			name:     "Butane sugar not implemented",
			doc:      "variant: fcos\nversion: 1.7.0\nsystemd:\n  quadlets:\n    - name: a.container\n",
			wantErr:  ErrNotImplemented,
			wantSev:  config.SeverityError,
			wantLine: 4, wantCol: 3, wantPath: "$.systemd.quadlets",
		},
		{
			name:     "clevis in flatcar",
			doc:      "variant: flatcar\nversion: 1.1.0\nstorage:\n  luks:\n    - name: r\n      device: /dev/vdb\n      clevis:\n        tpm2: true\n",
			wantErr:  ErrClevisUnsupported,
			wantSev:  config.SeverityError,
			wantLine: 7, wantCol: 7, wantPath: "$.storage.luks.0.clevis",
		},
		{
			name:     "not a mapping",
			doc:      "- variant: flint\n",
			wantErr:  config.ErrType,
			wantSev:  config.SeverityError,
			wantLine: 1, wantCol: 1, wantPath: "$",
		},
		{
			name:     "two documents",
			doc:      header + "---\n" + header,
			wantErr:  ErrMultipleDocuments,
			wantSev:  config.SeverityError,
			wantLine: 3, wantCol: 1, wantPath: "$",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep := Translate("c.yaml", []byte(tt.doc), tt.opts)
			for _, d := range rep {
				if !errors.Is(d.Err, tt.wantErr) {
					continue
				}
				got := fmt.Sprintf("%s:%d:%d %s %s", d.File, d.Line, d.Column, d.Severity, d.Path)
				want := fmt.Sprintf("c.yaml:%d:%d %s %s", tt.wantLine, tt.wantCol, tt.wantSev, tt.wantPath)
				if got != want {
					t.Errorf("Translate(%q) diagnostic at %s, want %s (%s)", tt.doc, got, want, d)
				}
				return
			}
			t.Errorf("Translate(%q) = %v, want a %v diagnostic", tt.doc, rep, tt.wantErr)
		})
	}
}

const locateDoc = header + `storage:
  files:
    - path: /etc/a
      contents:
        inline: hello
passwd:
  users:
    - name: core
      ssh_authorized_keys_local: [core.pub]
`

// TestLocate checks the position map directly: copied fields map to themselves, generated
// fields to their sugar, and paths that translation did not produce to their nearest ancestor.
func TestLocate(t *testing.T) {
	res, rep := Translate("c.yaml", []byte(locateDoc), Options{FilesDir: testFilesDir})
	if res == nil || rep.HasErrors() {
		t.Fatalf("Translate: %v", rep)
	}
	tests := []struct {
		name     string
		path     config.Path
		onKey    bool
		wantLine int
		wantCol  int
	}{
		{name: "copied value", path: config.Path{"storage", "files", 0, "path"}, wantLine: 5, wantCol: 13},
		{name: "copied key", path: config.Path{"storage", "files", 0, "path"}, onKey: true, wantLine: 5, wantCol: 7},
		{name: "list entry", path: config.Path{"storage", "files", 0}, wantLine: 5, wantCol: 7},
		{name: "generated source", path: config.Path{"storage", "files", 0, "contents", "source"}, wantLine: 7, wantCol: 17},
		{name: "generated source key", path: config.Path{"storage", "files", 0, "contents", "source"}, onKey: true, wantLine: 7, wantCol: 9},
		{name: "generated compression", path: config.Path{"storage", "files", 0, "contents", "compression"}, wantLine: 7, wantCol: 17},
		{name: "key from a local file", path: config.Path{"passwd", "users", 0, "sshAuthorizedKeys", 1}, wantLine: 11, wantCol: 35},
		{name: "missing child", path: config.Path{"storage", "files", 0, "contents", "verification", "hash"}, wantLine: 7, wantCol: 9},
		{name: "missing list entry", path: config.Path{"storage", "files", 7, "path"}, wantLine: 5, wantCol: 5},
		{name: "root", path: nil, wantLine: 1, wantCol: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col, ok := res.Positions.Locate(tt.path, tt.onKey)
			if !ok || line != tt.wantLine || col != tt.wantCol {
				t.Errorf("Locate(%s, %v) = %d:%d %v, want %d:%d", tt.path, tt.onKey, line, col, ok, tt.wantLine, tt.wantCol)
			}
		})
	}
	// A diagnostic found on the output, as config.Validate makes them, lands in the YAML.
	synthetic := config.Report{{Severity: config.SeverityError, Path: config.Path{"storage", "files", 0, "contents", "source"}, Err: config.ErrInvalid}}
	synthetic.Locate("c.yaml", res.Positions)
	want := config.Diagnostic{Severity: config.SeverityError, File: "c.yaml", Line: 7, Column: 17,
		Path: config.Path{"storage", "files", 0, "contents", "source"}, Err: config.ErrInvalid}
	if diff := cmp.Diff(want, synthetic[0], cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("Report.Locate with Positions mismatch (-want +got):\n%s", diff)
	}
}

// TestValidationPositions checks that diagnostics of config.Validate on the output point at
// the YAML. A relative file path is an error from every spec version on.
func TestValidationPositions(t *testing.T) {
	doc := header + "storage:\n  files:\n    - path: etc/relative\n"
	_, rep := Translate("c.yaml", []byte(doc), Options{})
	var found bool
	for _, d := range rep {
		if d.Severity != config.SeverityError || len(d.Path) != 4 || d.Path[3] != "path" {
			continue
		}
		found = true
		if d.File != "c.yaml" || d.Line != 5 || d.Column != 13 {
			t.Errorf("Translate(%q) diagnostic %s, want it at c.yaml:5:13", doc, d)
		}
	}
	if !found {
		cfg := config.Config{Storage: config.Storage{Files: []config.File{{Node: config.Node{Path: "etc/relative"}}}}}
		if len(config.Validate(&cfg, config.Newest)) == 0 {
			t.Skip("config.Validate does not check file paths in this build")
		}
		t.Errorf("Translate(%q) = %v, want an error on the relative path", doc, rep)
	}
}
