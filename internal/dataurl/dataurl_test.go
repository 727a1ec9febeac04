package dataurl

import (
	"bytes"
	"strings"
	"testing"

	lib "github.com/vincent-petithory/dataurl"
)

var samples = []string{
	"data:,", "data:,hello", "data:,hello%20world%0A", "data:,%zz", "data:,%2", "data:,a b", "data:,a#b",
	"data:;base64,", "data:;base64,aGVsbG8=", "data:;base64,aGVsbG8", "data:;base64,aGVs\nbG8=", "data:;base64,a!b",
	"data:text/plain,x", "data:text/plain;charset=utf-8,x", "data:text/plain;charset=utf-8;base64,eA==",
	"data:text/,x", "data:foo/bar,x", "data:x-foo/bar,x", "data:textual/x,x", "data:text/plain;charset=,x",
	"data:text/plain;charset=%41,x", "data:text/plain;charset=\"a,b\",x", "data:text/plain;base64;a=b,eA==",
	"data:text/plain;foo,x", "data:base64,eA==", "data:text/plain;;base64,eA==", "data:;base64=x,y",
	"data:text/plain", "data:", "DATA:,x", "data:,é", "data:;base64,====", "data:application/json,{}",
	"data:,%C3%A9%e2%82%ac", "data:,a+b%2Bc",
}

// same checks that Decode and Check agree with the library on s: same bytes, or same error.
func same(t *testing.T, s string) {
	t.Helper()
	want, wantErr := lib.DecodeString(s)
	got, err := Decode(s)
	switch {
	case wantErr != nil && (err == nil || err.Error() != wantErr.Error()):
		t.Errorf("Decode(%q) = %q, %v; want error %v", s, got, err, wantErr)
	case wantErr == nil && (err != nil || !bytes.Equal(got, want.Data)):
		t.Errorf("Decode(%q) = %q, %v; want %q", s, got, err, want.Data)
	}
	if cerr := Check(s); (cerr == nil) != (wantErr == nil) || cerr != nil && cerr.Error() != wantErr.Error() {
		t.Errorf("Check(%q) = %v, want %v", s, cerr, wantErr)
	}
}

func TestMatchesLibrary(t *testing.T) {
	for _, s := range samples {
		same(t, s)
	}
}

func FuzzMatchesLibrary(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.HasPrefix(s, "data:") {
			same(t, s)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, s := range []string{"data:,key%3Dvalue%0A", "data:;base64,aGVsbG8gd29ybGQK"} {
		b.Run("flint/"+s[:8], func(b *testing.B) {
			for b.Loop() {
				Decode(s)
			}
		})
		b.Run("library/"+s[:8], func(b *testing.B) {
			for b.Loop() {
				lib.DecodeString(s)
			}
		})
	}
}
