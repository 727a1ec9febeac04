package pxe

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// loadFiles are the boot files of the load test: a kernel of a few MB and an initrd.
var loadFiles = map[string]int{"vmlinuz": 3 << 20, "initrd.img": 1 << 20}

// loadData is a data directory whose kernel and initrd (random, so nothing compresses or
// repeats) are served both from assets/ and from tftp/.
func loadData(t testing.TB) (string, map[string][32]byte) {
	dir := testData(t)
	sums := map[string][32]byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, size := range loadFiles {
		b := make([]byte, size)
		for i := 0; i+8 <= len(b); i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				b[i+j] = byte(v >> (8 * j))
			}
		}
		sums[name] = sha256.Sum256(b)
		for _, sub := range []string{AssetsDir, TFTPDir} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, sums
}

// loadTarget is a running server with the load test's files.
type loadTarget struct {
	base, tftpAddr string
	sums           map[string][32]byte
}

func startLoadTarget(t testing.TB) *loadTarget {
	dir, sums := loadData(t)
	s, ts := testServer(t, dir)
	return &loadTarget{base: ts.URL, tftpAddr: startTFTP(t, s), sums: sums}
}

// bootLoad runs n simulated machines at once; each fetches its script, then the kernel and
// the initrd over TFTP (1468-byte blocks, as PXE ROMs ask) and over HTTP, checking every byte.
// It returns the bytes moved and the first failure.
func bootLoad(lt *loadTarget, n int) (int64, error) {
	var moved int64
	var mu sync.Mutex
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- bootOne(lt.base, lt.tftpAddr, i, lt.sums, func(k int64) { mu.Lock(); moved += k; mu.Unlock() })
		}()
	}
	wg.Wait()
	close(errs)
	var failures []error
	for err := range errs {
		if err != nil {
			failures = append(failures, err)
		}
	}
	if len(failures) > 0 {
		return moved, fmt.Errorf("%d of %d machines failed, first: %w", len(failures), n, failures[0])
	}
	return moved, nil
}

func bootOne(base, tftpAddr string, i int, sums map[string][32]byte, count func(int64)) error {
	mac := fmt.Sprintf("52-54-00-10-%02x-%02x", i/256, i%256)
	resp, err := http.Get(base + "/ipxe?mac=" + mac + "&platform=efi")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("machine %d: /ipxe: %s", i, resp.Status)
	}
	for name, sum := range sums {
		c, err := newLoadClient(tftpAddr)
		if err != nil {
			return err
		}
		got, size, err := tftpGet(c, name)
		if err != nil {
			return fmt.Errorf("machine %d: tftp %s: %w", i, name, err)
		}
		if sha256.Sum256(got) != sum || size != int64(len(got)) {
			return fmt.Errorf("machine %d: tftp %s: %d bytes (tsize %d) differ from the file", i, name, len(got), size)
		}
		count(int64(len(got)))
		resp, err := http.Get(base + "/assets/" + name)
		if err != nil {
			return fmt.Errorf("machine %d: http %s: %w", i, name, err)
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || sha256.Sum256(buf.Bytes()) != sum {
			return fmt.Errorf("machine %d: http %s: %s, %d bytes, %v", i, name, resp.Status, buf.Len(), err)
		}
		count(int64(buf.Len()))
	}
	return nil
}

// newLoadClient is a client as a PXE ROM behaves: 1468-byte blocks, tsize asked, patient
// retries (a loaded 2-core machine may stall a transfer for a moment).
func newLoadClient(addr string) (*tftp.Client, error) {
	c, err := tftp.NewClient(addr)
	if err != nil {
		return nil, err
	}
	c.SetTimeout(3 * time.Second)
	c.SetRetries(10)
	c.SetBlockSize(1468)
	c.RequestTSize(true)
	return c, nil
}

func TestPXELoad(t *testing.T) {
	n := 50
	if testing.Short() {
		n = 10
	}
	lt := startLoadTarget(t)
	start := time.Now()
	moved, err := bootLoad(lt, n)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d machines: %.1f MB over TFTP and HTTP in %v, %.1f MB/s", n, float64(moved)/1e6, elapsed.Round(time.Millisecond), float64(moved)/1e6/elapsed.Seconds())
}

func BenchmarkPXELoad(b *testing.B) {
	lt := startLoadTarget(b)
	var moved int64
	start := time.Now()
	for b.Loop() {
		m, err := bootLoad(lt, 50)
		if err != nil {
			b.Fatal(err)
		}
		moved += m
	}
	b.ReportMetric(float64(moved)/1e6/time.Since(start).Seconds(), "MB/s")
}
