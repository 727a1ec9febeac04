// Package resource fetches the remote resources a config names: data:,
// http:, https:, tftp:, s3:, arn: (S3 ARNs) and gs: URLs.
//
// A Fetcher carries the settings a config's ignition section controls
// (timeouts, proxy, extra certificate authorities) plus the endpoints of the
// cloud services it talks to, which tests point at loopback servers. Fetch
// returns the bytes of a resource after decompressing and verifying them;
// FetchTo streams into a writer for large files. HTTP-like fetches retry on
// transport errors and 5xx answers with exponential backoff until the total
// deadline, as the Ignition runtime contract describes.
//
// In offline mode (the fetch-offline stage) only data: URLs and the empty
// source are served; everything else fails with ErrNeedsNetwork before any
// I/O, and the Fetcher records that the network is needed.
package resource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of fetching. The messages are the reference runtime's where it has one.
var (
	ErrNotFound               = errors.New("resource not found")
	ErrFailed                 = errors.New("failed to fetch resource")
	ErrTimeout                = errors.New("unable to fetch resource in time")
	ErrUnsupportedScheme      = errors.New("unsupported source scheme")
	ErrCompressionUnsupported = errors.New("compression is not supported with that scheme")
	ErrCompressionInvalid     = errors.New("invalid compression method")
	ErrNeedsNetwork           = errors.New("resource requires networking")
	ErrHashMismatch           = errors.New("hash mismatch")
	ErrHashSpec               = errors.New("malformed hash specifier")
	ErrHashFunction           = errors.New("unrecognized hash function")
	ErrHashSize               = errors.New("incorrect size for hash sum")
	ErrURL                    = errors.New("unable to parse url")
	ErrS3ARN                  = errors.New("invalid S3 ARN format")
	ErrS3VersionID            = errors.New("invalid S3 object VersionId")
	ErrCertificate            = errors.New("unable to parse certificate authority")
	ErrDecompress             = errors.New("unable to decompress resource")
)

// Defaults of the Fetcher's zero values, from the runtime contract.
const (
	DefaultResponseHeaderTimeout = 10 * time.Second
	DefaultBackoffInitial        = 200 * time.Millisecond
	DefaultBackoffMax            = 5 * time.Second
	DefaultMetadataTimeout       = 5 * time.Second
	DefaultUserAgent             = "flint"
	dialTimeout                  = 30 * time.Second
	keepAlive                    = 30 * time.Second
	tlsHandshakeTimeout          = 10 * time.Second
)

// Proxy is the proxy configuration of a config's ignition.proxy section.
// Environment variables are never consulted.
type Proxy struct {
	// HTTPProxy is used for http URLs, and for https URLs when HTTPSProxy is empty.
	HTTPProxy string
	// HTTPSProxy is used for https URLs.
	HTTPSProxy string
	// NoProxy lists hosts, domains and CIDR ranges reached directly.
	NoProxy []string
}

// Fetcher fetches resources. Its fields may change between fetches (the
// agent updates them from each config it merges) but not during one. Use it
// by pointer; the zero value is ready to use with the defaults.
type Fetcher struct {
	// ResponseHeaders bounds the wait for response headers of each HTTP
	// attempt; 0 means DefaultResponseHeaderTimeout.
	ResponseHeaders time.Duration
	// Total bounds a whole fetch including its retries; 0 means no limit
	// beyond the caller's context.
	Total time.Duration
	// Proxy, when set, proxies http and https fetches (including s3 and gs).
	Proxy *Proxy
	// CAs are PEM bundles trusted in addition to the system roots.
	CAs [][]byte
	// Offline makes every fetch that needs the network fail with
	// ErrNeedsNetwork without doing any I/O.
	Offline bool
	// NeedNet, when set, is called each time an offline fetch was refused.
	NeedNet func()
	// Logger receives one line per attempt; nil discards. URLs are logged
	// without user info and query, header values never.
	Logger *slog.Logger
	// UserAgent is sent on every HTTP request unless Options.Headers
	// overrides it; "" means DefaultUserAgent.
	UserAgent string
	// Dial, when set, opens every TCP connection (tests use it to keep
	// traffic on loopback, providers to pick a source port).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// BackoffInitial and BackoffMax shape the retry delays, which start at
	// BackoffInitial and double up to BackoffMax; 0 means the defaults.
	BackoffInitial, BackoffMax time.Duration
	// TFTPTimeout is the TFTP client's per-packet timeout; 0 means the
	// client's default (5 s).
	TFTPTimeout time.Duration
	// TFTPRetries is the TFTP client's attempts per packet; 0 means the
	// client's default (5).
	TFTPRetries int

	// S3Endpoint replaces https://<bucket>.s3.<region>.amazonaws.com: when
	// set, objects are requested path-style as <S3Endpoint>/<bucket>/<key>.
	S3Endpoint string
	// S3RegionHint is the region asked for a bucket's region; "" means the
	// ARN partition's default, us-east-1 for s3: URLs.
	S3RegionHint string
	// EC2MetadataURL is the instance metadata service consulted for
	// instance-role credentials; "" means http://169.254.169.254 and "-"
	// disables the lookup (anonymous S3 requests).
	EC2MetadataURL string
	// GCSEndpoint replaces https://storage.googleapis.com.
	GCSEndpoint string
	// GCEMetadataURL is the metadata server consulted for an OAuth token;
	// "" means http://169.254.169.254 and "-" disables the lookup.
	GCEMetadataURL string
	// MetadataTimeout bounds each credential lookup; 0 means
	// DefaultMetadataTimeout.
	MetadataTimeout time.Duration

	neededNet atomic.Bool

	mu       sync.Mutex
	client   *http.Client
	clientOf clientKey
	direct   *http.Client
	aws      cachedAWS
	gce      cachedGCE
}

// Options are the per-resource settings of a fetch.
type Options struct {
	// Headers are added to HTTP requests, replacing same-named defaults.
	Headers http.Header
	// Compression is "" or "gzip"; the fetched bytes are decompressed
	// before they are hashed and returned.
	Compression string
	// Hash is "sha512-<hex>" or "sha256-<hex>" over the decompressed
	// bytes; "" skips verification.
	Hash string
	// RetryCodes are HTTP statuses retried like 5xx (Azure: 404, 410, 429).
	RetryCodes []int
	// Method is the HTTP method; "" means GET.
	Method string
	// Body is sent with the HTTP request (for PUT and POST).
	Body []byte
}

// NeededNetwork reports whether an offline fetch was refused since the
// Fetcher was created.
func (f *Fetcher) NeededNetwork() bool { return f.neededNet.Load() }

// Fetch fetches the resource at rawURL and returns its bytes, decompressed
// and verified against opts.Hash. An empty rawURL yields no bytes.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, opts Options) ([]byte, error) {
	var buf bytes.Buffer
	err := f.fetch(ctx, rawURL, opts, &buf, func() error { buf.Reset(); return nil })
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FetchTo streams the resource at rawURL into w, decompressing and hashing
// on the way. Bytes reach w before the hash is checked, so w should be a
// temporary file that the caller renames into place only when FetchTo
// returns nil. When w is an *os.File (anything with Truncate and Seek), a
// transfer broken mid-body is retried from the start.
func (f *Fetcher) FetchTo(ctx context.Context, rawURL string, opts Options, w io.Writer) error {
	var reset func() error
	if rw, ok := w.(interface {
		Truncate(int64) error
		io.Seeker
	}); ok {
		reset = func() error {
			if err := rw.Truncate(0); err != nil {
				return err
			}
			_, err := rw.Seek(0, io.SeekStart)
			return err
		}
	}
	return f.fetch(ctx, rawURL, opts, w, reset)
}

// fetch dispatches on the URL scheme. reset, when not nil, empties w so
// that a body broken in transfer can be fetched again.
func (f *Fetcher) fetch(ctx context.Context, rawURL string, opts Options, w io.Writer, reset func() error) error {
	v, err := newVerifier(opts.Hash)
	if err != nil {
		return err
	}
	switch opts.Compression {
	case "", "gzip":
	default:
		return fmt.Errorf("%w %q", ErrCompressionInvalid, opts.Compression)
	}
	scheme, _, _ := strings.Cut(rawURL, ":")
	scheme = strings.ToLower(scheme)
	if rawURL == "" {
		return v.check()
	}
	if scheme != "data" && f.Offline {
		f.neededNet.Store(true)
		if f.NeedNet != nil {
			f.NeedNet()
		}
		return fmt.Errorf("%w: %s", ErrNeedsNetwork, Redact(rawURL))
	}
	if (scheme == "s3" || scheme == "arn") && opts.Compression != "" {
		return ErrCompressionUnsupported
	}
	if f.Total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Total)
		defer cancel()
	}
	s := &sink{w: w, reset: reset, v: v, gzip: opts.Compression == "gzip"}
	switch scheme {
	case "data":
		err = fetchData(rawURL, s)
	case "http", "https":
		var u *url.URL
		u, err = url.Parse(rawURL)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrURL, err)
		}
		err = f.fetchHTTP(ctx, func(ctx context.Context) (*http.Request, error) {
			return f.newRequest(ctx, opts.Method, u, opts.Headers, opts.Body)
		}, opts.RetryCodes, s)
	case "tftp":
		err = f.fetchTFTP(ctx, rawURL, s)
	case "s3", "arn":
		err = f.fetchS3(ctx, rawURL, s)
	case "gs":
		err = f.fetchGCS(ctx, rawURL, s)
	default:
		return fmt.Errorf("%w %q", ErrUnsupportedScheme, scheme)
	}
	if err != nil {
		return timeoutError(ctx, err)
	}
	return v.check()
}

// timeoutError turns the expiry of the total deadline into ErrTimeout.
func timeoutError(ctx context.Context, err error) error {
	if errors.Is(err, ErrTimeout) || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrTimeout, err)
}

// sink receives one transfer's body: it decompresses if asked, hashes, and
// writes. A transfer that broke can be restarted when reset is set.
type sink struct {
	w     io.Writer
	reset func() error
	v     *verifier
	gzip  bool
	dirty bool
}

// copyFrom copies one whole body from r. It reports whether a failure can
// be retried from scratch, which needs a resettable writer.
func (s *sink) copyFrom(r io.Reader) (retryable bool, err error) {
	if err := s.begin(); err != nil {
		return false, err
	}
	body := r
	if s.gzip {
		zr, err := newGzipReader(r)
		if err != nil {
			return s.reset != nil && !isFormatError(err), fmt.Errorf("%w: %w", ErrDecompress, err)
		}
		defer zr.Close()
		body = zr
	}
	_, err = io.Copy(io.MultiWriter(destination{s.w}, s.v), body)
	if err != nil {
		var we writeError
		if errors.As(err, &we) {
			return false, err
		}
		if isFormatError(err) {
			return false, fmt.Errorf("%w: %w", ErrDecompress, err)
		}
		return s.reset != nil, err
	}
	return false, nil
}

// empty records an empty body (HTTP 204): nothing is decompressed.
func (s *sink) empty() error {
	return s.begin()
}

// begin starts a transfer, undoing what an earlier broken one wrote.
func (s *sink) begin() error {
	if s.dirty {
		if s.reset == nil {
			return errors.New("cannot restart a partial transfer")
		}
		if err := s.reset(); err != nil {
			return err
		}
		s.v.restart()
	}
	s.dirty = true
	return nil
}

// writeError marks failures of the destination, which a retry cannot cure.
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// destination marks the errors of the writer it wraps as writeErrors.
type destination struct{ w io.Writer }

func (d destination) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		return n, writeError{err}
	}
	return n, nil
}

// logger returns the configured logger or one that discards.
func (f *Fetcher) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Redact returns rawURL fit for logs: without user info, query and
// fragment, and only the scheme of a data: URL.
func Redact(rawURL string) string {
	if len(rawURL) >= 5 && strings.EqualFold(rawURL[:5], "data:") {
		return "data:..."
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable url>"
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}
