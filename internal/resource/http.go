package resource

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/flint-provision/flint/config"
)

// DefaultAccept is the Accept header of every HTTP request: configs are
// preferred, anything else is accepted.
var DefaultAccept = "application/vnd.coreos.ignition+json;version=" + config.Newest.String() + ", */*;q=0.1"

// StatusError is an HTTP answer that is not a success. It unwraps to
// ErrNotFound for 404 and to ErrFailed otherwise, so callers test the kind
// with errors.Is and read the code with errors.As.
type StatusError struct {
	// Method and URL (redacted) of the request.
	Method, URL string
	// Code is the HTTP status code.
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v: %s %s: %d %s", e.Unwrap(), e.Method, e.URL, e.Code, http.StatusText(e.Code))
}

// Unwrap returns the sentinel error of the status.
func (e *StatusError) Unwrap() error {
	if e.Code == http.StatusNotFound {
		return ErrNotFound
	}
	return ErrFailed
}

// requestFunc builds the request of one attempt; S3 signs each attempt anew.
type requestFunc func(ctx context.Context) (*http.Request, error)

// clientKey captures the settings an http.Client is built from, so the
// client is rebuilt only when they change.
type clientKey struct {
	responseHeaders  time.Duration
	httpProxy, https string
	noProxy          string
	proxied          bool
	cas              [sha256.Size]byte
}

func (f *Fetcher) clientKey() clientKey {
	k := clientKey{responseHeaders: f.responseHeaders()}
	if f.Proxy != nil {
		k.proxied = true
		k.httpProxy, k.https = f.Proxy.HTTPProxy, f.Proxy.HTTPSProxy
		k.noProxy = strings.Join(f.Proxy.NoProxy, ",")
	}
	if len(f.CAs) > 0 {
		h := sha256.New()
		for _, ca := range f.CAs {
			fmt.Fprintf(h, "%d:", len(ca))
			h.Write(ca)
		}
		h.Sum(k.cas[:0])
	}
	return k
}

func (f *Fetcher) responseHeaders() time.Duration {
	if f.ResponseHeaders > 0 {
		return f.ResponseHeaders
	}
	return DefaultResponseHeaderTimeout
}

// httpClient returns the client for resource fetches: proxy and extra CAs
// from the Fetcher's settings, rebuilt when they changed.
func (f *Fetcher) httpClient() (*http.Client, error) {
	key := f.clientKey()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client != nil && f.clientOf == key {
		return f.client, nil
	}
	t := f.newTransport()
	if len(f.CAs) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		for i, ca := range f.CAs {
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("%w: bundle %d has no PEM certificate", ErrCertificate, i)
			}
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	if f.Proxy != nil {
		proxy, err := proxyFunc(f.Proxy)
		if err != nil {
			return nil, err
		}
		t.Proxy = proxy
	}
	if f.client != nil {
		f.client.CloseIdleConnections()
	}
	f.client = &http.Client{Transport: t, CheckRedirect: dropHeaders}
	f.clientOf = key
	return f.client, nil
}

// directClient returns the client for metadata services: never proxied,
// system roots only.
func (f *Fetcher) directClient() *http.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.direct == nil {
		f.direct = &http.Client{Transport: f.newTransport(), CheckRedirect: dropHeaders}
	}
	return f.direct
}

func (f *Fetcher) newTransport() *http.Transport {
	dial := f.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}).DialContext
	}
	return &http.Transport{
		DialContext:           dial,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: f.responseHeaders(),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// proxyFunc applies the standard proxy matching (the httpproxy package's,
// which net/http uses for the environment) to the config's settings.
// httpProxy also serves https URLs unless httpsProxy is set.
func proxyFunc(p *Proxy) (func(*http.Request) (*url.URL, error), error) {
	for _, raw := range []string{p.HTTPProxy, p.HTTPSProxy} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err == nil && (u.Scheme == "" || u.Host == "") {
			// "host:port" means an http proxy, as in the environment variables.
			u, err = url.Parse("http://" + raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: proxy: %w", ErrURL, redactErr(err))
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return nil, fmt.Errorf("%w: proxy %s: scheme must be http, https or socks5", ErrURL, Redact(raw))
		}
		if u.Host == "" {
			return nil, fmt.Errorf("%w: proxy %s has no host", ErrURL, Redact(raw))
		}
	}
	cfg := httpproxy.Config{HTTPProxy: p.HTTPProxy, HTTPSProxy: p.HTTPSProxy, NoProxy: strings.Join(p.NoProxy, ",")}
	if cfg.HTTPSProxy == "" {
		cfg.HTTPSProxy = cfg.HTTPProxy
	}
	match := cfg.ProxyFunc()
	return func(req *http.Request) (*url.URL, error) { return match(req.URL) }, nil
}

// dropHeaders removes every header from a redirected request: custom
// headers may carry credentials meant for the first host only.
func dropHeaders(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	req.Header = make(http.Header)
	return nil
}

// newRequest builds an HTTP request with the default headers, replaced by
// same-named custom ones.
func (f *Fetcher) newRequest(ctx context.Context, method string, u *url.URL, headers http.Header, body []byte) (*http.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrURL, redactErr(err))
	}
	ua := f.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", DefaultAccept)
	req.Header.Set("Accept-Encoding", "identity")
	for name, values := range headers {
		name = http.CanonicalHeaderKey(name)
		if name == "Host" && len(values) > 0 {
			req.Host = values[0]
			continue
		}
		req.Header[name] = slices.Clone(values)
	}
	return req, nil
}

// fetchHTTP runs attempts with the resource client until one succeeds, one
// fails for good, or the context ends.
func (f *Fetcher) fetchHTTP(ctx context.Context, newReq requestFunc, retryCodes []int, s *sink) error {
	client, err := f.httpClient()
	if err != nil {
		return err
	}
	return f.retry(ctx, client, newReq, bodyHandler(retryCodes, s))
}

func (f *Fetcher) backoff() (initial, limit time.Duration) {
	initial, limit = f.BackoffInitial, f.BackoffMax
	if initial <= 0 {
		initial = DefaultBackoffInitial
	}
	if limit <= 0 {
		limit = DefaultBackoffMax
	}
	return initial, max(initial, limit)
}

// responseHandler consumes one answer. It reports whether a failure is
// worth another attempt.
type responseHandler func(req *http.Request, resp *http.Response) (again bool, err error)

// retry is the attempt loop: transport errors, and answers the handler
// calls worth it, are tried again after a doubling delay; the context's end
// stops it.
func (f *Fetcher) retry(ctx context.Context, client *http.Client, newReq requestFunc, handle responseHandler) error {
	log := f.logger()
	delay, limit := f.backoff()
	for n := 1; ; n++ {
		req, err := newReq(ctx)
		if err != nil {
			return err
		}
		log.Info(fmt.Sprintf("%s %s: attempt #%d", req.Method, Redact(req.URL.String()), n))
		again, err := f.attempt(client, req, handle)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctxError(ctx, err)
		}
		if !again {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctxError(ctx, err)
		case <-t.C:
		}
		delay = min(2*delay, limit)
	}
}

// ctxError reports the end of the context, naming the last attempt's failure.
func ctxError(ctx context.Context, last error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (last attempt: %v)", ErrTimeout, last)
	}
	return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
}

// untrusted reports a server certificate that no trusted authority signed
// or that names another host: the config has to change, waiting will not
// help. (An expired or not yet valid certificate is retried: early in boot
// the clock may still be wrong.)
func untrusted(err error) bool {
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	return errors.As(err, &authority) || errors.As(err, &host)
}

// attempt runs one request; transport errors are worth another unless the
// server is not trusted.
func (f *Fetcher) attempt(client *http.Client, req *http.Request, handle responseHandler) (bool, error) {
	log := f.logger()
	resp, err := client.Do(req)
	if err != nil {
		err = redactErr(err)
		log.Info(fmt.Sprintf("%s error: %v", req.Method, err))
		return !untrusted(err), err
	}
	defer resp.Body.Close()
	log.Info(fmt.Sprintf("%s result: %s", req.Method, http.StatusText(resp.StatusCode)))
	again, err := handle(req, resp)
	// Drain a little so that the connection can be reused.
	io.CopyN(io.Discard, resp.Body, 4096)
	return again, err
}

// bodyHandler takes the body of a 200 (a 204 is empty), retries 5xx and
// retryCodes, and fails on anything else.
func bodyHandler(retryCodes []int, s *sink) responseHandler {
	return func(req *http.Request, resp *http.Response) (bool, error) {
		switch code := resp.StatusCode; {
		case code == http.StatusOK:
			again, err := s.copyFrom(resp.Body)
			if err != nil {
				return again, fmt.Errorf("%w: reading %s: %w", ErrFailed, Redact(req.URL.String()), err)
			}
			return false, nil
		case code == http.StatusNoContent:
			return false, s.empty()
		default:
			return slices.Contains(retryCodes, code) || code >= 500, statusError(req, code)
		}
	}
}

func statusError(req *http.Request, code int) *StatusError {
	return &StatusError{Method: req.Method, URL: Redact(req.URL.String()), Code: code}
}

// redactErr removes the URL's secrets from net/http's errors, which quote it.
func redactErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		c := *ue
		c.URL = Redact(ue.URL)
		return &c
	}
	return err
}
