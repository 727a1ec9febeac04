package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUnitFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []UnitSection
	}{
		{name: "empty", in: "", want: nil},
		{name: "sections and options", in: "[Unit]\nDescription=d\nAfter=a.target\n\n[Install]\nWantedBy=m.target\n",
			want: []UnitSection{
				{Name: "Unit", Options: []UnitOption{{"Description", "d"}, {"After", "a.target"}}},
				{Name: "Install", Options: []UnitOption{{"WantedBy", "m.target"}}},
			}},
		{name: "comments and spaces", in: "# top\n; top\n[Service]\n  # c\n\tExecStart = /bin/true  \n",
			want: []UnitSection{{Name: "Service", Options: []UnitOption{{"ExecStart", "/bin/true"}}}}},
		{name: "continuation", in: "[Service]\nExecStart=/bin/echo \\\n  a \\\n  b\nX=y\n",
			want: []UnitSection{{Name: "Service", Options: []UnitOption{{"ExecStart", "/bin/echo    a    b"}, {"X", "y"}}}}},
		{name: "continuation swallows a header", in: "[Unit]\nA=b\\\n[Install]\nX=y\n",
			want: []UnitSection{{Name: "Unit", Options: []UnitOption{{"A", "b [Install]"}, {"X", "y"}}}}},
		{name: "comment continuation", in: "[Unit]\n# a \\\nA=b\nC=d\n",
			want: []UnitSection{{Name: "Unit", Options: []UnitOption{{"C", "d"}}}}},
		{name: "text before the first section", in: "junk=1\n[Unit]\nA=b",
			want: []UnitSection{{Name: "Unit", Options: []UnitOption{{"A", "b"}}}}},
		{name: "empty section", in: "[Install]\n", want: []UnitSection{{Name: "Install"}}},
		{name: "CRLF", in: "[Unit]\r\nA=b\r\n", want: []UnitSection{{Name: "Unit", Options: []UnitOption{{"A", "b"}}}}},
		{name: "longest line", in: "[Unit]\nA=" + strings.Repeat("x", unitLineMax-3) + "\n",
			want: []UnitSection{{Name: "Unit", Options: []UnitOption{{"A", strings.Repeat("x", unitLineMax-3)}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUnitFile(tc.in)
			if err != nil {
				t.Fatalf("ParseUnitFile(%q) error %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got.Sections); diff != "" {
				t.Errorf("ParseUnitFile(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseUnitFileErrors(t *testing.T) {
	long := strings.Repeat("x", unitLineMax)
	tests := []struct {
		name string
		in   string
		want error
	}{
		{name: "unterminated header", in: "[Unit\nA=b\n", want: ErrUnitSectionEnd},
		{name: "garbage after header", in: "[Unit] x\n", want: ErrUnitSectionGarbage},
		{name: "option without equals", in: "[Unit]\nA\nB=c\n", want: ErrUnitOptionNewline},
		{name: "option without equals at the end", in: "[Unit]\nA", want: ErrUnitOptionEOF},
		{name: "line too long", in: "[Unit]\nA=" + long + "\n", want: ErrUnitLineTooLong},
		// The reference checks nothing before its first read, so the limit starts at the second byte.
		{name: "long line before any section", in: long + "x", want: ErrUnitLineTooLong},
		{name: "long comment", in: "[Unit]\n#" + long + "\n", want: ErrUnitLineTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUnitFile(tc.in)
			if !errors.Is(err, tc.want) {
				t.Errorf("ParseUnitFile(%q) = %v, %v, want error %v", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestParseUnitFileLongLineInLargeFile shows the reference's buffer-bound line check: a long
// line that starts just after a buffer refill is seen; one that starts near the end of a
// buffer, when fewer than unitLineMax bytes are left in it, passes.
func TestParseUnitFileLongLineInLargeFile(t *testing.T) {
	line := "A=" + strings.Repeat("z", 3000) + "\n"
	tests := []struct {
		name    string
		padding int // bytes of "B=c\n" options before the long line
		wantErr bool
	}{
		{name: "early in the first buffer", padding: 400, wantErr: true},
		{name: "late in the first buffer", padding: 3200, wantErr: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "[U]\n" + strings.Repeat("B=c\n", tc.padding/4) + line
			_, err := ParseUnitFile(in)
			if (err != nil) != tc.wantErr {
				t.Errorf("ParseUnitFile(<%d bytes>) error = %v, want error %v", len(in), err, tc.wantErr)
			}
		})
	}
}

func TestUnitFileInstallable(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"[Install]\nWantedBy=a.target\n", true},
		{"[Install]\n", false},
		{"[Unit]\nA=b\n", false},
		{"[ Install ]\nWantedBy=a.target\n", false},
		{"[Install]\n[Unit]\nA=b\n[Install]\nAlias=x.service\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f, err := ParseUnitFile(tc.in)
			if err != nil {
				t.Fatalf("ParseUnitFile(%q) error %v", tc.in, err)
			}
			if got := f.Installable(); got != tc.want {
				t.Errorf("ParseUnitFile(%q).Installable() = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	f, _ := ParseUnitFile("[Install]\nWantedBy=a\n[Unit]\nA=b\n[Install]\nAlias=c\n")
	want := []UnitOption{{"WantedBy", "a"}, {"Alias", "c"}}
	if diff := cmp.Diff(want, f.Options("Install")); diff != "" {
		t.Errorf("Options(Install) mismatch (-want +got):\n%s", diff)
	}
}

// FuzzUnitFile checks that the parser never panics or loops, that its verdict does not depend
// on a trailing comment line, and that every option it reports came from a line with '='.
func FuzzUnitFile(f *testing.F) {
	f.Add("[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\n")
	f.Fuzz(func(t *testing.T, in string) {
		u, err := ParseUnitFile(in)
		if err != nil {
			if u != nil {
				t.Fatalf("ParseUnitFile(%q) = %v with error %v, want nil", in, u, err)
			}
			return
		}
		n := 0
		for _, s := range u.Sections {
			n += len(s.Options)
		}
		if eq := strings.Count(in, "="); n > eq {
			t.Fatalf("ParseUnitFile(%q) has %d options from %d '='", in, n, eq)
		}
		if len(in) < unitLineMax && !strings.HasSuffix(in, `\`) {
			if _, err := ParseUnitFile(in + "\n# trailing\n"); err != nil {
				t.Fatalf("ParseUnitFile(%q + comment) error %v, the text alone parses", in, err)
			}
		}
	})
}
