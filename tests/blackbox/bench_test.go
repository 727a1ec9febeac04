package blackbox

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flint-provision/flint/internal/benchdata"
	"github.com/flint-provision/flint/internal/rootfs"
	"github.com/flint-provision/flint/stages"
)

// BenchmarkApplyReference applies the design's reference config (one disk, 4 partitions, 3
// filesystems, 2,000 files, 50 units, 10 users) to a loop device and a target root, and
// reports each stage's time. mkfs dominates the disks stage; the other stages are flint's own.
func BenchmarkApplyReference(b *testing.B) {
	needRootB(b, "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "wipefs")
	per := map[string]time.Duration{}
	for b.Loop() {
		b.StopTimer()
		d := newDiskB(b, 512)
		root := targetB(b)
		cfg := filepath.Join(b.TempDir(), "config.ign")
		os.WriteFile(cfg, benchdata.ApplyJSON(d.dev, 2000, 50, 10), 0o644)
		r, _ := rootfs.New(root)
		env := &stages.Env{Root: r, StateDir: b.TempDir(), SysRoot: b.TempDir(), Platform: "file", ConfigSource: cfg,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		b.StartTimer()
		for _, s := range stages.Order {
			start := time.Now()
			if err := stages.Run(context.Background(), env, []string{s}); err != nil {
				b.Fatalf("%s: %v", s, err)
			}
			per[s] += time.Since(start)
		}
		b.StopTimer()
		unmountAll(root)
		d.detach()
		b.StartTimer()
	}
	for _, s := range stages.Order {
		b.ReportMetric(float64(per[s].Microseconds())/1000/float64(b.N), s+"-ms")
	}
}
