package stages

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/flint-provision/flint/internal/benchdata"
	"github.com/flint-provision/flint/internal/rootfs"
)

// BenchmarkFetchOfflineFiles is the budget's workload: the fetch-offline and files stages
// writing 2,000 files and 50 units (and 10 users) into a directory, at 1/10×, 1× and 10× to
// show how the cost grows.
func BenchmarkFetchOfflineFiles(b *testing.B) {
	for _, scale := range []int{200, 2000, 20000} {
		b.Run(fmt.Sprintf("files=%d", scale), func(b *testing.B) {
			cfg := filepath.Join(b.TempDir(), "config.ign")
			os.WriteFile(cfg, benchdata.ApplyJSON("", scale, scale/40, 10), 0o644)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				for name, content := range map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "etc/group": "root:x:0:\n"} {
					os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
					os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
				}
				root, _ := rootfs.New(dir)
				env := &Env{Root: root, StateDir: b.TempDir(), SysRoot: b.TempDir(), Platform: "file", ConfigSource: cfg,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
				b.StartTimer()
				if err := Run(context.Background(), env, []string{"fetch-offline", "files"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
