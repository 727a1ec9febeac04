package translate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/benchdata"
)

// FuzzTranslate feeds arbitrary YAML to Translate: it must not panic, every diagnostic must
// have a position or none at all consistently, and any output must read back as a valid config.
// The committed corpus is in testdata/fuzz/FuzzTranslate; the golden inputs are added too.
func FuzzTranslate(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.yaml")
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, rep := Translate("f.yaml", data, Options{FilesDir: testFilesDir})
		for _, d := range rep {
			if d.Err == nil {
				t.Fatalf("diagnostic without an error: %+v", d)
			}
			if d.Line < 0 || d.Column < 0 || d.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("diagnostic outside the document: %s", d)
			}
		}
		if res == nil || res.JSON == nil {
			return
		}
		if rep.HasErrors() {
			t.Fatalf("output produced despite errors: %v", rep)
		}
		if _, prep := config.Parse("out.json", res.JSON); prep.HasErrors() {
			t.Fatalf("output does not parse back: %s\n%v", res.JSON, prep.Err())
		}
	})
}

// BenchmarkTranslate translates generated documents at 1/100×, 1/10× and 1× the budget's
// workload — 5,000 files with inline contents and 500 units, about 0.9 MB of YAML — so that
// the growth of the cost shows.
func BenchmarkTranslate(b *testing.B) {
	for _, n := range []int{50, 500, 5000} {
		doc := benchdata.FlintYAML(n, n/10)
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				res, rep := Translate("bench.yaml", doc, Options{})
				if res == nil || res.JSON == nil {
					b.Fatal(rep.Err())
				}
			}
		})
	}
}

func TestBenchmarkDocSize(t *testing.T) {
	if n := len(benchdata.FlintYAML(5000, 500)); n < 800_000 || n > 1_000_000 {
		t.Errorf("benchmark document is %d bytes, want about 0.9 MB like the budget's workload", n)
	}
}
