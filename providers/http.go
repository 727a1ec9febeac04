package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/flint-provision/flint/internal/resource"
)

// Most platforms serve user data as one HTTP GET on a link-local metadata service. The
// platforms differ only in the URL, the headers, which codes are retried, what a 404 means and
// whether the body is encoded; httpSource captures exactly that.

// defaultMetadataURL is the link-local metadata address most clouds share.
const defaultMetadataURL = "http://169.254.169.254"

// httpSource is a user-data document on a metadata service.
type httpSource struct {
	// base is the default base URL (EndpointMetadata overrides it); path follows it.
	base, path string
	// headers are sent with the GET.
	headers http.Header
	// retry are the codes retried like 5xx.
	retry []int
	// notFoundIsEmpty makes a 404 mean "no user data"; otherwise 404 is an error.
	notFoundIsEmpty bool
	// decode undoes a platform encoding of the body (Oracle base64); nil means raw.
	decode func([]byte) ([]byte, error)
}

// url returns the document's URL in env.
func (s httpSource) url(env *Env) string {
	return env.endpoint(EndpointMetadata, s.base) + s.path
}

// fetch gets the document within the fetch deadline. An empty body, or a 404 where it
// means so, is ErrNoConfig.
func (s httpSource) fetch(ctx context.Context, env *Env) ([]byte, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	b, err := env.fetcher().Fetch(ctx, s.url(env), resource.Options{Headers: s.headers, RetryCodes: s.retry})
	if s.notFoundIsEmpty && errors.Is(err, resource.ErrNotFound) {
		env.log().Info("metadata service has no user data", "url", resource.Redact(s.url(env)))
		return nil, ErrNoConfig
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, ErrNoConfig
	}
	if s.decode != nil {
		return s.decode(b)
	}
	return b, nil
}

// httpProvider is a platform whose user data is one httpSource.
type httpProvider struct {
	id  string
	src httpSource
}

func (p httpProvider) ID() string { return p.id }

func (p httpProvider) FetchConfig(ctx context.Context, env *Env) ([]byte, error) {
	b, err := p.src.fetch(ctx, env)
	if err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, fmt.Errorf("%s: %w", p.id, err)
	}
	return b, err
}

// header builds an http.Header from name, value pairs.
func header(kv ...string) http.Header {
	h := make(http.Header, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// metadataGet fetches one metadata value and returns "" for a 404, so that optional fields
// stay empty.
func metadataGet(ctx context.Context, env *Env, url string, h http.Header) (string, error) {
	b, err := env.fetcher().Fetch(ctx, url, resource.Options{Headers: h})
	if errors.Is(err, resource.ErrNotFound) {
		return "", nil
	}
	return string(b), err
}
