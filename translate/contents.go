package translate

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/flint-provision/flint/config"
)

// Prefixes of the two data URL forms that inline contents become.
const (
	percentPrefix = "data:,"
	base64Prefix  = "data:;base64,"
)

// gzipOverhead is what compression must save beyond the smaller plain form before it is used:
// the bytes of `"gzip"` that the compression field adds to the output (Butane's rule).
const gzipOverhead = len("gzip")

// minGzipURL is the length of the shortest possible gzip data URL: a 10-byte header, an
// 8-byte trailer and at least 2 bytes of deflate data, base64-encoded. When a plain form is
// no longer than this plus gzipOverhead, compressing cannot win and is not tried.
var minGzipURL = len(base64Prefix) + base64.StdEncoding.EncodedLen(20)

// dataURL encodes contents as a data URL: the smaller of the percent-encoded and the base64
// form, or gzip+base64 when that is smaller still by more than gzipOverhead and mayCompress is
// set. percentOnly forces the percent-encoded form. gzipped reports that compression was used.
func dataURL(data []byte, percentOnly, mayCompress bool) (url string, gzipped bool) {
	url = plainDataURL(data, percentOnly)
	if !percentOnly && mayCompress {
		if gz, ok := gzipDataURL(data, len(url)); ok {
			return gz, true
		}
	}
	return url, false
}

// plainDataURL is the smaller of the percent-encoded and the base64 data URL of data (the
// percent-encoded one on a tie: it is readable), or always the percent-encoded one.
func plainDataURL(data []byte, percentOnly bool) string {
	escaped := percentLen(data)
	if percentOnly || len(percentPrefix)+escaped <= len(base64Prefix)+base64.StdEncoding.EncodedLen(len(data)) {
		return percentURL(data, escaped)
	}
	return base64URL(data)
}

// gzipDataURL is the gzip+base64 data URL of data when it beats a plain URL of length best by
// more than gzipOverhead.
func gzipDataURL(data []byte, best int) (string, bool) {
	if best <= minGzipURL+gzipOverhead {
		return "", false
	}
	gz := gzipBytes(data)
	if len(base64Prefix)+base64.StdEncoding.EncodedLen(len(gz))+gzipOverhead >= best {
		return "", false
	}
	return base64URL(gz), true
}

// compressJob is a resource whose inline or local contents may be smaller gzipped. Compressing
// is most of a translation's work, so it is done after the walk, on every CPU.
type compressJob struct {
	data []byte
	res  *config.Resource
}

// compressAll replaces each job's plain data URL with the gzip one where that is smaller.
// Each job writes only its own Resource, so the result does not depend on the scheduling.
func compressAll(jobs []compressJob) {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				if url, ok := gzipDataURL(j.data, len(*j.res.Source)); ok {
					*j.res.Source = url
					*j.res.Compression = "gzip"
				}
			}
		})
	}
	wg.Wait()
}

// unreserved marks the bytes that stay as they are in a percent-encoded data URL: RFC 2396's
// unreserved characters, the set other tools leave unescaped, so outputs match byte for byte.
var unreserved = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.!~*'()" {
		t[c] = true
	}
	return t
}()

// percentLen is the length of data percent-encoded.
func percentLen(data []byte) int {
	n := 0
	for _, c := range data {
		if unreserved[c] {
			n++
		} else {
			n += 3
		}
	}
	return n
}

const upperHex = "0123456789ABCDEF"

func percentURL(data []byte, escaped int) string {
	var b strings.Builder
	b.Grow(len(percentPrefix) + escaped)
	b.WriteString(percentPrefix)
	for _, c := range data {
		if unreserved[c] {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	return b.String()
}

func base64URL(data []byte) string {
	out := make([]byte, len(base64Prefix)+base64.StdEncoding.EncodedLen(len(data)))
	copy(out, base64Prefix)
	base64.StdEncoding.Encode(out[len(base64Prefix):], data)
	return string(out)
}

// gzipWriters reuses compressors: each holds about a megabyte of state, and a config may
// have thousands of files.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	return w
}}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	// Writing to a bytes.Buffer cannot fail.
	w.Write(data)
	w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// filesDir reads the files that local keys name, confined to one directory.
type filesDir struct {
	dir      string
	resolved string // dir with its symlinks resolved, computed on first use
	err      error
	once     sync.Once
}

// read returns the contents of rel, a path inside the files directory. The path must stay
// inside the directory both as written (no ".." escapes) and once symlinks are followed.
func (fd *filesDir) read(rel string) ([]byte, error) {
	if fd.dir == "" {
		return nil, ErrNoFilesDir
	}
	full := filepath.Join(fd.dir, filepath.FromSlash(rel))
	if !inside(filepath.Clean(fd.dir), full) {
		return nil, fmt.Errorf("%w: %s", ErrFilesDirEscape, rel)
	}
	fd.once.Do(func() { fd.resolved, fd.err = filepath.EvalSymlinks(fd.dir) })
	if fd.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLocalRead, fd.err)
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLocalRead, err)
	}
	if !inside(fd.resolved, real) {
		return nil, fmt.Errorf("%w: %s (a symlink leads to %s)", ErrFilesDirEscape, rel, real)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLocalRead, err)
	}
	return data, nil
}

// inside reports whether path is dir or below it; both are clean.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
