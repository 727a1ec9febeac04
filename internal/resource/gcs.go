package resource

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

const defaultGCSEndpoint = "https://storage.googleapis.com"

// fetchGCS gets gs://bucket/object through the GCS JSON API's media
// download, with the instance service account's token when there is one.
func (f *Fetcher) fetchGCS(ctx context.Context, rawURL string, s *sink) error {
	u, err := gcsURL(f.GCSEndpoint, rawURL)
	if err != nil {
		return err
	}
	token := f.gceToken(ctx)
	return f.fetchHTTP(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := f.newRequest(ctx, http.MethodGet, u, nil, nil)
		if err == nil && token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, err
	}, nil, s)
}

// gcsURL maps gs://bucket/object to
// <endpoint>/storage/v1/b/<bucket>/o/<object, slashes escaped>?alt=media.
func gcsURL(endpoint, rawURL string) (*url.URL, error) {
	src, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrURL, redactErr(err))
	}
	bucket, object := src.Host, strings.TrimPrefix(src.Path, "/")
	if bucket == "" || object == "" {
		return nil, fmt.Errorf("%w: gs URL needs a bucket and an object", ErrURL)
	}
	if endpoint == "" {
		endpoint = defaultGCSEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: GCS endpoint: %w", ErrURL, err)
	}
	prefix := strings.TrimSuffix(u.Path, "/") + "/storage/v1/b/"
	u.Path = prefix + bucket + "/o/" + object
	u.RawPath = (&url.URL{Path: prefix}).EscapedPath() + url.PathEscape(bucket) + "/o/" + url.PathEscape(object)
	u.RawQuery = "alt=media"
	return u, nil
}
