package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/translate"
)

func TestSchemaCommand(t *testing.T) {
	newest, err := config.Schema(config.Newest)
	if err != nil {
		t.Fatal(err)
	}
	v32, err := config.Schema(config.Supported[2])
	if err != nil {
		t.Fatal(err)
	}
	flint, err := translate.Schema(translate.Variants[0])
	if err != nil {
		t.Fatal(err)
	}
	fcos15, err := translate.Schema(translate.Variant{Name: "fcos", Version: "1.5.0"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []byte // nil: nothing printed
	}{
		{name: "default newest", args: []string{"schema"}, wantCode: ExitOK, wantOut: newest},
		{name: "spec 3.2.0", args: []string{"schema", "--spec", "3.2.0"}, wantCode: ExitOK, wantOut: v32},
		{name: "legacy spec", args: []string{"schema", "--spec", "2.3.0"}, wantCode: ExitUsageIO},
		{name: "unknown spec", args: []string{"schema", "--spec", "3.7.0"}, wantCode: ExitUsageIO},
		{name: "unparsable spec", args: []string{"schema", "--spec", "three"}, wantCode: ExitUsageIO},
		{name: "argument", args: []string{"schema", "config.ign"}, wantCode: ExitUsageIO},
		{name: "flint variant", args: []string{"schema", "--variant", "flint", "--version", "1.0.0"}, wantCode: ExitOK, wantOut: flint},
		{name: "fcos variant", args: []string{"schema", "--variant", "fcos", "--version", "1.5.0"}, wantCode: ExitOK, wantOut: fcos15},
		{name: "variant without version", args: []string{"schema", "--variant", "flint"}, wantCode: ExitUsageIO},
		{name: "version without variant", args: []string{"schema", "--version", "1.0.0"}, wantCode: ExitUsageIO},
		{name: "variant and spec", args: []string{"schema", "--spec", "3.6.0", "--variant", "flint", "--version", "1.0.0"}, wantCode: ExitUsageIO},
		{name: "unknown variant version", args: []string{"schema", "--variant", "fcos", "--version", "1.8.0"}, wantCode: ExitUsageIO},
		{name: "unknown variant", args: []string{"schema", "--variant", "rhcos", "--version", "0.1.0"}, wantCode: ExitUsageIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("Main(%q) = %d, want %d (stderr: %s)", tt.args, code, tt.wantCode, stderr.String())
			}
			if !bytes.Equal(stdout.Bytes(), tt.wantOut) {
				t.Errorf("Main(%q) printed %d bytes, want %d", tt.args, stdout.Len(), len(tt.wantOut))
			}
			if (code != ExitOK) != (stderr.Len() > 0) {
				t.Errorf("Main(%q) = %d with stderr %q, want a message exactly when it fails", tt.args, code, stderr.String())
			}
		})
	}
}
