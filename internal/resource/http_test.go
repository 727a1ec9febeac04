package resource

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// countingServer answers 200 "ok" and counts its requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// scripted answers the n-th request with the n-th status (the last one
// repeats), with body on 200.
func scripted(t *testing.T, body []byte, statuses ...int) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		code := statuses[min(i, len(statuses)-1)]
		w.WriteHeader(code)
		if code == http.StatusOK {
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestFetchHTTPStatus(t *testing.T) {
	body := []byte(`{"ignition":{"version":"3.6.0"}}`)
	tests := []struct {
		name       string
		statuses   []int
		retryCodes []int
		total      time.Duration
		want       []byte
		err        error
		attempts   int64
	}{
		{name: "200", statuses: []int{200}, want: body, attempts: 1},
		{name: "204 is empty", statuses: []int{204}, want: nil, attempts: 1},
		{name: "404 not retried", statuses: []int{404}, err: ErrNotFound, attempts: 1},
		{name: "403 fails", statuses: []int{403}, err: ErrFailed, attempts: 1},
		{name: "other 2xx fails", statuses: []int{202}, err: ErrFailed, attempts: 1},
		{name: "500 then 200", statuses: []int{500, 200}, want: body, attempts: 2},
		{name: "flapping", statuses: []int{503, 502, 500, 504, 200}, want: body, attempts: 5},
		{name: "retry code 404", statuses: []int{404, 410, 429, 200}, retryCodes: []int{404, 410, 429}, want: body, attempts: 4},
		{name: "429 without retry code", statuses: []int{429, 200}, err: ErrFailed, attempts: 1},
		{name: "500 until deadline", statuses: []int{500}, total: 100 * time.Millisecond, err: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scripted(t, body, tt.statuses...)
			f := fastFetcher()
			if tt.total > 0 {
				f.Total = tt.total
			}
			got, err := f.Fetch(t.Context(), srv.URL+"/config", Options{RetryCodes: tt.retryCodes})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch() error = %v, want %v", err, tt.err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch() = %q, want %q", got, tt.want)
			}
			if tt.attempts > 0 && n.Load() != tt.attempts {
				t.Errorf("Fetch() made %d requests, want %d", n.Load(), tt.attempts)
			}
		})
	}
}

func TestFetchHTTPStatusError(t *testing.T) {
	srv, _ := scripted(t, nil, http.StatusMethodNotAllowed)
	_, err := fastFetcher().Fetch(t.Context(), srv.URL+"/x?token=secret", Options{})
	var serr *StatusError
	if !errors.As(err, &serr) {
		t.Fatalf("Fetch() error = %v, want a *StatusError", err)
	}
	if serr.Code != http.StatusMethodNotAllowed || strings.Contains(serr.URL, "secret") {
		t.Errorf("StatusError = %+v, want code 405 and a redacted URL", serr)
	}
}

func TestFetchHTTPTimeouts(t *testing.T) {
	// The server accepts connections and never answers.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name            string
		responseHeaders time.Duration
		total           time.Duration
	}{
		{name: "total deadline while waiting for headers", responseHeaders: time.Minute, total: 200 * time.Millisecond},
		{name: "response header timeouts retried until total", responseHeaders: 20 * time.Millisecond, total: 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fastFetcher()
			f.ResponseHeaders, f.Total = tt.responseHeaders, tt.total
			start := time.Now()
			_, err := f.Fetch(t.Context(), srv.URL, Options{})
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("Fetch() error = %v, want %v", err, ErrTimeout)
			}
			if d := time.Since(start); d > tt.total+2*time.Second {
				t.Errorf("Fetch() took %v, want about %v", d, tt.total)
			}
		})
	}
	t.Run("caller's deadline", func(t *testing.T) {
		f := fastFetcher()
		f.Total = 0
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if _, err := f.Fetch(ctx, srv.URL, Options{}); !errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch() error = %v, want %v", err, ErrTimeout)
		}
	})
	t.Run("caller cancels", func(t *testing.T) {
		f := fastFetcher()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, err := f.Fetch(ctx, srv.URL, Options{}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch() error = %v, want %v", err, context.Canceled)
		}
	})
	t.Run("connection refused retried until total", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		f := fastFetcher()
		f.Total = 100 * time.Millisecond
		if _, err := f.Fetch(t.Context(), "http://"+addr+"/", Options{}); !errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch() error = %v, want %v", err, ErrTimeout)
		}
	})
}

// headerRecorder records the headers of each request by path.
type headerRecorder struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (h *headerRecorder) get(path string) http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[path]
}

func TestFetchHTTPHeaders(t *testing.T) {
	rec := &headerRecorder{seen: map[string]http.Header{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		h := r.Header.Clone()
		h.Set("X-Host", r.Host)
		h.Set("X-Method", r.Method)
		body, _ := io.ReadAll(r.Body)
		h.Set("X-Body", string(body))
		rec.seen[r.URL.Path] = h
		rec.mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/target", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name    string
		path    string
		opts    Options
		user    string
		check   string
		want    map[string]string
		absent  []string
		ignored []string
	}{
		{
			name: "defaults", path: "/defaults", check: "/defaults",
			want: map[string]string{
				"User-Agent": DefaultUserAgent, "Accept": DefaultAccept, "Accept-Encoding": "identity", "X-Method": "GET",
			},
		},
		{
			name: "user agent field", path: "/ua", check: "/ua", user: "flint/1.2.3",
			want: map[string]string{"User-Agent": "flint/1.2.3"},
		},
		{
			name: "custom headers override defaults", path: "/custom", check: "/custom",
			opts: Options{Headers: http.Header{"accept": {"text/plain"}, "User-Agent": {"mine"}, "X-Token": {"t1"}}},
			want: map[string]string{"Accept": "text/plain", "User-Agent": "mine", "X-Token": "t1", "Accept-Encoding": "identity"},
		},
		{
			name: "host header", path: "/host", check: "/host",
			opts: Options{Headers: http.Header{"Host": {"config.example"}}},
			want: map[string]string{"X-Host": "config.example"},
		},
		{
			name: "put with body", path: "/put", check: "/put",
			opts: Options{Method: http.MethodPut, Body: []byte("payload"), Headers: http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"21600"}}},
			want: map[string]string{"X-Method": "PUT", "X-Body": "payload", "X-Aws-Ec2-Metadata-Token-Ttl-Seconds": "21600"},
		},
		{
			name: "redirect drops headers", path: "/redirect", check: "/target",
			opts:   Options{Headers: http.Header{"X-Token": {"t1"}, "Authorization": {"Bearer secret"}}},
			absent: []string{"X-Token", "Authorization", "Referer"},
			// Go's transport adds its own User-Agent and Accept-Encoding to
			// the now header-less request; ours must be gone.
			want: map[string]string{"Accept": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fastFetcher()
			f.UserAgent = tt.user
			got, err := f.Fetch(t.Context(), srv.URL+tt.path, tt.opts)
			if err != nil || string(got) != "ok" {
				t.Fatalf("Fetch(%s) = %q, %v, want ok", tt.path, got, err)
			}
			h := rec.get(tt.check)
			if h == nil {
				t.Fatalf("no request reached %s", tt.check)
			}
			for name, want := range tt.want {
				if got := h.Get(name); got != want {
					t.Errorf("request header %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range tt.absent {
				if _, ok := h[name]; ok {
					t.Errorf("request header %s = %q, want none", name, h.Get(name))
				}
			}
			if tt.name == "redirect drops headers" && h.Get("User-Agent") == DefaultUserAgent {
				t.Errorf("redirected request kept User-Agent %q", DefaultUserAgent)
			}
		})
	}
}

func TestFetchHTTPBody(t *testing.T) {
	content := bytes.Repeat([]byte("flint "), 10000)
	zipped := gzipped(t, content)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			w.Write(content)
		case "/gzip":
			w.Write(zipped)
		}
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name string
		path string
		opts Options
		want []byte
		err  error
	}{
		{name: "plain", path: "/plain", want: content},
		{name: "gzip", path: "/gzip", opts: Options{Compression: "gzip"}, want: content},
		{name: "gzip left alone", path: "/gzip", want: zipped},
		{name: "sha256 match", path: "/plain", opts: Options{Hash: sha256Spec(content)}, want: content},
		{name: "sha256 mismatch", path: "/plain", opts: Options{Hash: sha256Spec(zipped)}, err: ErrHashMismatch},
		{name: "sha512 match", path: "/plain", opts: Options{Hash: sha512Spec(content)}, want: content},
		{name: "sha512 mismatch", path: "/plain", opts: Options{Hash: sha512Spec(zipped)}, err: ErrHashMismatch},
		{name: "hash on decompressed bytes", path: "/gzip", opts: Options{Compression: "gzip", Hash: sha512Spec(content)}, want: content},
		{name: "hash of compressed bytes", path: "/gzip", opts: Options{Compression: "gzip", Hash: sha512Spec(zipped)}, err: ErrHashMismatch},
		{name: "gzip of plain bytes", path: "/plain", opts: Options{Compression: "gzip"}, err: ErrDecompress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fastFetcher().Fetch(t.Context(), srv.URL+tt.path, tt.opts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%s) error = %v, want %v", tt.path, err, tt.err)
			}
			if err == nil && !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch(%s) = %d bytes, want %d", tt.path, len(got), len(tt.want))
			}
			if err != nil && got != nil {
				t.Errorf("Fetch(%s) returned %d bytes with its error", tt.path, len(got))
			}
		})
	}
}

// brokenOnce sends half of content and drops the connection on its first
// request, and all of it afterwards.
func brokenOnce(t *testing.T, content []byte) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			w.Write(content)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(content))
		buf.Write(content[:len(content)/2])
		buf.Flush()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchBrokenBody(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 5000)
	t.Run("buffer is refilled", func(t *testing.T) {
		srv := brokenOnce(t, content)
		got, err := fastFetcher().Fetch(t.Context(), srv.URL, Options{Hash: sha256Spec(content)})
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("Fetch() = %d bytes, %v, want %d bytes", len(got), err, len(content))
		}
	})
	t.Run("file is truncated and refilled", func(t *testing.T) {
		srv := brokenOnce(t, content)
		file, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		if err := fastFetcher().FetchTo(t.Context(), srv.URL, Options{Hash: sha512Spec(content)}, file); err != nil {
			t.Fatalf("FetchTo() = %v", err)
		}
		got, err := os.ReadFile(file.Name())
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("FetchTo() wrote %d bytes (%v), want %d", len(got), err, len(content))
		}
	})
	t.Run("plain writer is not restarted", func(t *testing.T) {
		srv := brokenOnce(t, content)
		var w bytes.Buffer
		if err := fastFetcher().FetchTo(t.Context(), srv.URL, Options{}, io.Writer(&struct{ io.Writer }{&w})); !errors.Is(err, ErrFailed) {
			t.Errorf("FetchTo() = %v, want %v", err, ErrFailed)
		}
	})
}

func TestFetchToHashMismatch(t *testing.T) {
	srv, _ := countingServer(t)
	var w bytes.Buffer
	err := fastFetcher().FetchTo(t.Context(), srv.URL, Options{Hash: sha256Spec([]byte("other"))}, &w)
	if !errors.Is(err, ErrHashMismatch) {
		t.Errorf("FetchTo() = %v, want %v", err, ErrHashMismatch)
	}
}

func TestSecretsNotLogged(t *testing.T) {
	srv, _ := scripted(t, []byte("x"), 500, 200)
	var logs bytes.Buffer
	f := fastFetcher()
	f.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	u := strings.Replace(srv.URL, "http://", "http://user:userpass@", 1) + "/cfg?token=querysecret"
	if _, err := f.Fetch(t.Context(), u, Options{Headers: http.Header{"Authorization": {"Bearer headersecret"}}}); err != nil {
		t.Fatal(err)
	}
	// A refused connection's error quotes the URL too.
	f.Total = 50 * time.Millisecond
	_, err := f.Fetch(t.Context(), "http://user:userpass@127.0.0.1:1/cfg?token=querysecret", Options{})
	for _, secret := range []string{"userpass", "querysecret", "headersecret"} {
		if strings.Contains(logs.String(), secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("%q leaked:\nlogs: %s\nerror: %v", secret, logs.String(), err)
		}
	}
	for _, want := range []string{"GET " + srv.URL + "/cfg: attempt #1", "attempt #2", "GET result: Internal Server Error", "GET result: OK", "GET error:"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// certPEM is the PEM form of the test server's certificate.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestFetchHTTPS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	// Refused handshakes are the point here, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Run("with the CA", func(t *testing.T) {
		f := fastFetcher()
		f.CAs = [][]byte{certPEM(srv)}
		got, err := f.Fetch(t.Context(), srv.URL, Options{})
		if err != nil || string(got) != "secure" {
			t.Errorf("Fetch() = %q, %v, want secure", got, err)
		}
	})
	t.Run("without the CA", func(t *testing.T) {
		start := time.Now()
		_, err := fastFetcher().Fetch(t.Context(), srv.URL, Options{})
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("Fetch() error = %v, want an x509.UnknownAuthorityError", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Fetch() took %v retrying an untrusted server, want one attempt", d)
		}
	})
	t.Run("CA added later", func(t *testing.T) {
		f := fastFetcher()
		if _, err := f.Fetch(t.Context(), srv.URL, Options{}); err == nil {
			t.Fatal("Fetch() without the CA succeeded")
		}
		f.CAs = [][]byte{certPEM(srv)}
		if _, err := f.Fetch(t.Context(), srv.URL, Options{}); err != nil {
			t.Errorf("Fetch() after adding the CA = %v", err)
		}
	})
	t.Run("bad CA", func(t *testing.T) {
		f := fastFetcher()
		f.CAs = [][]byte{[]byte("not a certificate")}
		if _, err := f.Fetch(t.Context(), srv.URL, Options{}); !errors.Is(err, ErrCertificate) {
			t.Errorf("Fetch() error = %v, want %v", err, ErrCertificate)
		}
	})
}

func TestProxy(t *testing.T) {
	var proxied []string
	var mu sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.URL.String())
		mu.Unlock()
		io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct")
	}))
	t.Cleanup(direct.Close)
	// Resource hosts are fake names; dialling one reaches the direct server.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch {
		case addr == "proxy.test:3128":
			addr = proxy.Listener.Addr().String()
		case strings.HasSuffix(addr, ".test:80"):
			addr = direct.Listener.Addr().String()
		}
		return loopbackOnly(ctx, network, addr)
	}
	tests := []struct {
		name  string
		proxy *Proxy
		url   string
		want  string
		err   error
	}{
		{name: "no proxy configured", url: "http://config.test/a", want: "direct"},
		{name: "http proxy", proxy: &Proxy{HTTPProxy: proxy.URL}, url: "http://config.test/a", want: "via proxy"},
		{name: "noProxy host", proxy: &Proxy{HTTPProxy: proxy.URL, NoProxy: []string{"config.test"}}, url: "http://config.test/a", want: "direct"},
		{name: "noProxy domain", proxy: &Proxy{HTTPProxy: proxy.URL, NoProxy: []string{"other.test", ".test"}}, url: "http://config.test/a", want: "direct"},
		{name: "noProxy other host", proxy: &Proxy{HTTPProxy: proxy.URL, NoProxy: []string{"other.test"}}, url: "http://config.test/a", want: "via proxy"},
		{name: "noProxy star", proxy: &Proxy{HTTPProxy: proxy.URL, NoProxy: []string{"*"}}, url: "http://config.test/a", want: "direct"},
		{name: "https proxy only", proxy: &Proxy{HTTPSProxy: proxy.URL}, url: "http://config.test/a", want: "direct"},
		{name: "unparsable proxy URL", proxy: &Proxy{HTTPProxy: "http://[::1"}, url: "http://config.test/a", err: ErrURL},
		{name: "proxy without scheme", proxy: &Proxy{HTTPProxy: "proxy.test:3128"}, url: "http://config.test/a", want: "via proxy"},
		{name: "ftp proxy", proxy: &Proxy{HTTPSProxy: "ftp://proxy.test"}, url: "http://config.test/a", err: ErrURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fastFetcher()
			f.Dial = dial
			f.Proxy = tt.proxy
			got, err := f.Fetch(t.Context(), tt.url, Options{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%s) error = %v, want %v", tt.url, err, tt.err)
			}
			if err == nil && string(got) != tt.want {
				t.Errorf("Fetch(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"http://config.test/a", "http://config.test/a", "http://config.test/a"}, proxied); diff != "" {
		t.Errorf("proxied requests (-want +got):\n%s", diff)
	}
}

func TestProxyFuncHTTPSFallsBackToHTTPProxy(t *testing.T) {
	tests := []struct {
		name  string
		proxy Proxy
		want  string
	}{
		{name: "httpProxy serves https", proxy: Proxy{HTTPProxy: "http://p1:3128"}, want: "http://p1:3128"},
		{name: "httpsProxy wins", proxy: Proxy{HTTPProxy: "http://p1:3128", HTTPSProxy: "http://p2:3128"}, want: "http://p2:3128"},
		{name: "noProxy", proxy: Proxy{HTTPProxy: "http://p1:3128", NoProxy: []string{"example.com"}}, want: ""},
		{name: "noProxy CIDR", proxy: Proxy{HTTPProxy: "http://p1:3128", NoProxy: []string{"10.0.0.0/8"}}, want: "http://p1:3128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pf, err := proxyFunc(&tt.proxy)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "https://example.com/x", nil)
			u, err := pf(req)
			got := ""
			if u != nil {
				got = u.String()
			}
			if err != nil || got != tt.want {
				t.Errorf("proxy for %s = %q, %v, want %q", req.URL, got, err, tt.want)
			}
		})
	}
}
