package config

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/flint-provision/flint/internal/benchdata"
)

// BenchmarkParse parses and validates a generated config at 1×, 10× and 100× of a base size, so
// that the growth of the cost shows (it must stay linear). The 100× case is the budget's
// 10,000 files and 1,000 units. It also reports the heap the parsed result keeps alive.
func BenchmarkParse(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		data := benchdata.IgnitionJSON(100*scale, 10*scale)
		b.Run(fmt.Sprintf("files=%d/units=%d", 100*scale, 10*scale), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, rep := Parse("bench.ign", data); rep.HasErrors() {
					b.Fatalf("Parse: %v", rep.Errors()[:1])
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p, _ := Parse("bench.ign", data)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(p)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "live-MiB")
		})
	}
}
