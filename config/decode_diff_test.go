package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	json "github.com/coreos/go-json"
	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeMatchesTree checks the streaming decoder against the parse-tree decoder it replaced
// (treeParse): for any input both must give the same config, the same declared version and
// the same diagnostics at the same positions. Inputs whose objects hold two names that are
// equal ignoring case are skipped: the tree picked among those in map order, so the old
// answer is not one answer.
func FuzzDecodeMatchesTree(f *testing.F) {
	for _, s := range []string{
		`{"ignition":{"version":"3.6.0"}}`,
		`{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/a","mode":420,"overwrite":true}]}}`,
		`{"ignition":{"version":"3.1.0"},"storage":{"files":[{"path":"/a","path":"/b","mode":"x"},{"path":1}]}}`,
		`{"ignition":{"version":"3.2.0"},"Storage":{"files":[{"PATH":"/a","mode":1.5,"x":[1,{"y":null}]}]}}`,
		`{"ignition":{"version":"3.3.0"},"storage":{"files":[]},"storage":{"directories":[{"path":"/d","mode":-1}]}}`,
		`{"ignition":{"version":"3.0.0"},"kernelArguments":{"shouldExist":["a"]},"passwd":{"users":[{"name":"\u00e9\ud83d\ude00\ud800x"}]}}`,
		`{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"https://x/y","httpHeaders":[{"name":"a"}]}]}}}`,
		`{"ignition":{"version":"3.5.0"},"storage":{"luks":[{"name":"a","device":"/dev/vdb","clevis":{"tpm2":true},"discard":true}]}}`,
		`{"ignition":{"version":"2.3.0"},"storage":{"files":[{"filesystem":"root","path":"/b","mode":420}]},"networkd":{"units":[{"name":"a.network"}]}}`,
		`{"ignition":{"version":"2.0.0"},"storage":{"filesystems":[{"name":"x","mount":{"device":"/dev/a","format":"ext4","create":{"force":true}}}]}}`,
		`{"ignition":{"version":3},"ignition":{"version":"3.6.0"}}`,
		`{"ignition":{"verſion":"3.0.0"}}`,
		` {"ignition" : {"version" : "3.6.0"} , "systemd" : {"units" : [ {"name":"a.service" , "enabled" : true } ] } } `,
		`{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/a","mode":99999999999999999999,"user":{"id":1e3}}]}}`,
		`{"a":1e999}`,
		`[1,2]`,
		`"x"`,
		`null`,
		"{\"a\":\"\xff\"}",
		"\t\n ",
		`{"a":}`,
	} {
		f.Add([]byte(s))
	}
	for _, data := range fuzzCorpus(f, "FuzzParse") {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if caseAmbiguous(data) {
			t.Skip("names equal ignoring case: the tree decoder's answer depends on map order")
		}
		gotP, got := Parse("fuzz.ign", data)
		wantP, want := treeParse("fuzz.ign", data)
		if (gotP == nil) != (wantP == nil) {
			t.Fatalf("Parse(%q) returned a config: %v, the tree decoder: %v", data, gotP != nil, wantP != nil)
		}
		if gotP != nil {
			if diff := cmp.Diff(wantP.Config, gotP.Config); diff != "" {
				t.Errorf("Parse(%q) config differs from the tree decoder's (-tree +stream):\n%s", data, diff)
			}
			if !gotP.Declared.Equal(wantP.Declared) {
				t.Errorf("Parse(%q) declared %v, the tree decoder %v", data, gotP.Declared, wantP.Declared)
			}
		}
		if diff := cmp.Diff(viewOf(want), viewOf(got)); diff != "" {
			t.Errorf("Parse(%q) diagnostics differ from the tree decoder's (-tree +stream):\n%s", data, diff)
		}
	})
}

// diagnosticView is a Diagnostic with its error as text, for comparing.
type diagnosticView struct {
	Severity     Severity
	File         string
	Line, Column int
	Path         string
	OnKey        bool
	Message      string
}

func viewOf(r Report) []diagnosticView {
	out := make([]diagnosticView, len(r))
	for i, d := range r {
		out[i] = diagnosticView{d.Severity, d.File, d.Line, d.Column, d.Path.String(), d.OnKey, d.Message()}
	}
	return out
}

// caseAmbiguous reports whether some object in data has two different names that are equal
// ignoring case.
func caseAmbiguous(data []byte) bool {
	var root json.Node
	if json.Unmarshal(data, &root) != nil {
		return false
	}
	var walk func(n json.Node) bool
	walk = func(n json.Node) bool {
		switch v := n.Value.(type) {
		case []json.Node:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]json.Node:
			seen := map[string]bool{}
			for k, e := range v {
				// Simple case folding maps every name to one of its lower-case forms; two
				// names equal under strings.EqualFold fold to the same string here.
				folded := foldForCompare(k)
				if seen[folded] {
					return true
				}
				seen[folded] = true
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(root)
}

// foldForCompare maps s to a canonical form under which strings.EqualFold-equal strings agree:
// each rune is replaced by the smallest rune of its case-folding orbit.
func foldForCompare(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(smallestFold(r))
	}
	return b.String()
}

// fuzzCorpus reads the committed corpus of fuzz test name, so another fuzz test can start from it.
func fuzzCorpus(tb testing.TB, name string) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range strings.Split(string(text), "\n") {
			lit, ok := strings.CutPrefix(line, "[]byte(")
			if !ok {
				continue
			}
			s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
			if err != nil {
				tb.Fatalf("%s: %v", file, err)
			}
			out = append(out, []byte(s))
		}
	}
	return out
}

func smallestFold(r rune) rune {
	low := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		low = min(low, f)
	}
	return low
}
