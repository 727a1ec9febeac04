package resource

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// fastFetcher retries quickly and gives up soon, so that failing cases end
// in well under a second.
func fastFetcher() *Fetcher {
	return &Fetcher{
		BackoffInitial:  time.Millisecond,
		BackoffMax:      5 * time.Millisecond,
		ResponseHeaders: 2 * time.Second,
		Total:           5 * time.Second,
		EC2MetadataURL:  metadataDisabled,
		GCEMetadataURL:  metadataDisabled,
		Dial:            loopbackOnly,
	}
}

// loopbackOnly refuses to dial anything but loopback addresses, so that no
// test can reach the outside world by mistake.
func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test dialled non-loopback address %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Spec(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256-" + hex.EncodeToString(sum[:])
}

func sha512Spec(data []byte) string {
	sum := sha512.Sum512(data)
	return "sha512-" + hex.EncodeToString(sum[:])
}

func TestParseHash(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		function string
		err      error
	}{
		{name: "sha512", spec: sha512Spec(nil), function: "sha512"},
		{name: "sha256", spec: sha256Spec(nil), function: "sha256"},
		{name: "no dash", spec: "sha512", err: ErrHashSpec},
		{name: "unknown function", spec: "md5-d41d8cd98f00b204e9800998ecf8427e", err: ErrHashFunction},
		{name: "sha512 short", spec: "sha512-abcd", err: ErrHashSize},
		{name: "sha256 with sha512 length", spec: "sha256" + strings.TrimPrefix(sha512Spec(nil), "sha512"), err: ErrHashSize},
		{name: "not hex", spec: "sha256-" + strings.Repeat("zz", 32), err: ErrHashSpec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			function, sum, err := ParseHash(tt.spec)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseHash(%q) error = %v, want %v", tt.spec, err, tt.err)
			}
			if err == nil && (function != tt.function || len(sum) == 0) {
				t.Errorf("ParseHash(%q) = %q, %x, want %q and a sum", tt.spec, function, sum, tt.function)
			}
		})
	}
}

func TestFetchData(t *testing.T) {
	content := []byte("hello, world\n")
	zipped := gzipped(t, content)
	tests := []struct {
		name string
		url  string
		opts Options
		want []byte
		err  error
	}{
		{name: "base64", url: "data:;base64," + base64.StdEncoding.EncodeToString(content), want: content},
		{name: "percent-encoded", url: "data:,hello%2C%20world%0A", want: content},
		{name: "media type ignored", url: "data:text/plain;charset=utf-8,hello%2C%20world%0A", want: content},
		{name: "empty payload", url: "data:,", want: []byte{}},
		{name: "empty source", url: "", want: nil},
		{name: "empty source with hash of nothing", url: "", opts: Options{Hash: sha256Spec(nil)}, want: nil},
		{name: "empty source with wrong hash", url: "", opts: Options{Hash: sha256Spec(content)}, err: ErrHashMismatch},
		{name: "gzip", url: "data:;base64," + base64.StdEncoding.EncodeToString(zipped), opts: Options{Compression: "gzip"}, want: content},
		{name: "gzip of plain bytes", url: "data:,plain%20text%20bytes", opts: Options{Compression: "gzip"}, err: ErrDecompress},
		{name: "gzip of short bytes", url: "data:,plain", opts: Options{Compression: "gzip"}, err: ErrDecompress},
		{name: "invalid compression", url: "data:,x", opts: Options{Compression: "xz"}, err: ErrCompressionInvalid},
		{name: "sha256 match", url: "data:,hello%2C%20world%0A", opts: Options{Hash: sha256Spec(content)}, want: content},
		{name: "sha256 mismatch", url: "data:,hello", opts: Options{Hash: sha256Spec(content)}, err: ErrHashMismatch},
		{name: "sha512 match", url: "data:,hello%2C%20world%0A", opts: Options{Hash: sha512Spec(content)}, want: content},
		{name: "sha512 mismatch", url: "data:,hello", opts: Options{Hash: sha512Spec(content)}, err: ErrHashMismatch},
		{
			name: "hash checked on decompressed bytes",
			url:  "data:;base64," + base64.StdEncoding.EncodeToString(zipped),
			opts: Options{Compression: "gzip", Hash: sha512Spec(content)}, want: content,
		},
		{
			name: "hash of compressed bytes rejected",
			url:  "data:;base64," + base64.StdEncoding.EncodeToString(zipped),
			opts: Options{Compression: "gzip", Hash: sha512Spec(zipped)}, err: ErrHashMismatch,
		},
		{name: "malformed hash", url: "data:,x", opts: Options{Hash: "sha512"}, err: ErrHashSpec},
		{name: "undecodable", url: "data:;base64,%%%", err: ErrDataURL},
		{name: "unsupported scheme", url: "ftp://host/file", err: ErrUnsupportedScheme},
		{name: "gzip with s3", url: "s3://bucket/key", opts: Options{Compression: "gzip"}, err: ErrCompressionUnsupported},
		{name: "gzip with arn", url: "arn:aws:s3:::bucket/key", opts: Options{Compression: "gzip"}, err: ErrCompressionUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fastFetcher().Fetch(t.Context(), tt.url, tt.opts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%q) error = %v, want %v", tt.url, err, tt.err)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestOffline(t *testing.T) {
	srv, count := countingServer(t)
	tests := []struct {
		name string
		url  string
		err  error
	}{
		{name: "data", url: "data:,x"},
		{name: "empty source", url: ""},
		{name: "http", url: srv.URL + "/config", err: ErrNeedsNetwork},
		{name: "https", url: "https://127.0.0.1:1/config", err: ErrNeedsNetwork},
		{name: "tftp", url: "tftp://127.0.0.1/config", err: ErrNeedsNetwork},
		{name: "s3", url: "s3://bucket/key", err: ErrNeedsNetwork},
		{name: "arn", url: "arn:aws:s3:::bucket/key", err: ErrNeedsNetwork},
		{name: "gs", url: "gs://bucket/object", err: ErrNeedsNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			f := fastFetcher()
			f.Offline = true
			f.NeedNet = func() { calls++ }
			f.Dial = func(context.Context, string, string) (net.Conn, error) {
				t.Errorf("offline Fetch(%q) dialled", tt.url)
				return nil, errors.New("offline")
			}
			_, err := f.Fetch(t.Context(), tt.url, Options{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("offline Fetch(%q) error = %v, want %v", tt.url, err, tt.err)
			}
			wantNet := tt.err != nil
			if f.NeededNetwork() != wantNet || (calls == 1) != wantNet {
				t.Errorf("offline Fetch(%q): NeededNetwork() = %v, NeedNet calls = %d, want %v", tt.url, f.NeededNetwork(), calls, wantNet)
			}
		})
	}
	if n := count.Load(); n != 0 {
		t.Errorf("offline fetches sent %d requests, want 0", n)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "https://example.com/a/b", want: "https://example.com/a/b"},
		{name: "user info", in: "https://user:pass@example.com/a", want: "https://example.com/a"},
		{name: "query and fragment", in: "https://example.com/a?sig=secret#frag", want: "https://example.com/a"},
		{name: "data URL", in: "data:,secret", want: "data:..."},
		{name: "s3", in: "s3://bucket/key?versionId=v1", want: "s3://bucket/key"},
		{name: "unparsable", in: "http://[::1", want: "<unparsable url>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
