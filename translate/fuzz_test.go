package translate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
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

// BenchmarkTranslate translates a generated document the size of the budget's workload:
// 5,000 files with inline contents and 500 units (about 0.9 MB of YAML).
func BenchmarkTranslate(b *testing.B) {
	doc := benchmarkDoc(5000, 500)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		res, rep := Translate("bench.yaml", doc, Options{})
		if res == nil || res.JSON == nil {
			b.Fatal(rep.Err())
		}
	}
}

func benchmarkDoc(files, units int) []byte {
	var s strings.Builder
	s.WriteString("variant: flint\nversion: 1.0.0\nstorage:\n  files:\n")
	for i := range files {
		fmt.Fprintf(&s, "    - path: /etc/bench/f-%05d.conf\n      mode: 0644\n      contents:\n        inline: |\n", i)
		fmt.Fprintf(&s, "          key=value-%d\n", i)
		if i%10 == 0 {
			for j := range 6 {
				fmt.Fprintf(&s, "          line %d of a longer file that compresses well\n", j)
			}
		}
	}
	s.WriteString("systemd:\n  units:\n")
	for i := range units {
		fmt.Fprintf(&s, "    - name: bench-%04d.service\n      enabled: true\n      contents: |\n", i)
		fmt.Fprintf(&s, "        [Unit]\n        Description=Benchmark unit %d\n\n        [Service]\n        Type=oneshot\n        ExecStart=/usr/bin/true\n\n        [Install]\n        WantedBy=multi-user.target\n", i)
		fmt.Fprintf(&s, "      dropins:\n        - name: 10-env.conf\n          contents: |\n            [Service]\n            Environment=N=%d\n", i)
	}
	return []byte(s.String())
}

func TestBenchmarkDocSize(t *testing.T) {
	if n := len(benchmarkDoc(5000, 500)); n < 800_000 || n > 1_000_000 {
		t.Errorf("benchmark document is %d bytes, want about 0.9 MB like the budget's workload", n)
	}
}
