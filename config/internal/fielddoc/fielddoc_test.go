package fielddoc

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    map[string]string
		wantErr bool
	}{
		{
			name: "type and fields",
			src: `package p
// Disk is a whole block device.
type Disk struct {
	// Absolute path
	// of the device.
	Device string
	// Erase it first.
	//
	// Default false.
	Wipe *bool
}`,
			want: map[string]string{
				"Disk":        "A whole block device.",
				"Disk.Device": "Absolute path of the device.",
				"Disk.Wipe":   "Erase it first.\n\nDefault false.",
			},
		},
		{
			name: "verb after the name, embedded field, grouped types",
			src: `package p
type (
	// Cex holds settings.
	Cex struct {
		Node
		// On.
		Enabled *bool
	}
	// Other has no struct.
	Other int
)`,
			want: map[string]string{"Cex": "Holds settings.", "Cex.Enabled": "On."},
		},
		{
			name: "comment not starting with the name",
			src: `package p
// The node.
type Node struct {
	// Path.
	Path string
}`,
			want: map[string]string{"Node": "The node.", "Node.Path": "Path."},
		},
		{
			name: "undocumented field",
			src: `package p
// Disk is a disk.
type Disk struct {
	Device string
}`,
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("types.go", []byte(tt.src))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoSource(t *testing.T) {
	docs := map[string]string{"B.X": "Second \"quoted\".", "A": "First.", "A.Y": "Third\n\nparagraph."}
	code, err := GoSource(docs)
	if err != nil {
		t.Fatalf("GoSource() error: %v", err)
	}
	if !strings.HasPrefix(string(code), Header+"\n") {
		t.Errorf("GoSource() starts %q, want the header %q", strings.SplitN(string(code), "\n", 2)[0], Header)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "docs_gen.go", code, 0); err != nil {
		t.Errorf("GoSource() is not Go: %v\n%s", err, code)
	}
	a, ay, bx := strings.Index(string(code), `"A":`), strings.Index(string(code), `"A.Y":`), strings.Index(string(code), `"B.X":`)
	if !(0 <= a && a < ay && ay < bx) {
		t.Errorf("GoSource() keys not sorted:\n%s", code)
	}
	again, _ := GoSource(docs)
	if string(again) != string(code) {
		t.Errorf("GoSource() differs between runs")
	}
}
