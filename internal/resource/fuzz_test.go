package resource

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"", "data:,x", "data:;base64,aGVsbG8=", "DATA:,x", "http://example.com/a", "https://u:p@h/x?q#f",
	"tftp://127.0.0.1:69/pxe", "s3://bucket/key?versionId=1", "arn:aws:s3:::bucket/key",
	"arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/k", "gs://bucket/o", "ftp://x", ":", "data",
}

// FuzzFetchOffline checks the scheme dispatch: offline, only data: URLs and
// the empty source may be served, nothing may dial, nothing may panic.
func FuzzFetchOffline(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawURL string) {
		fetcher := &Fetcher{Offline: true, Dial: func(context.Context, string, string) (net.Conn, error) {
			t.Fatalf("offline Fetch(%q) dialled", rawURL)
			return nil, nil
		}}
		_, err := fetcher.Fetch(t.Context(), rawURL, Options{})
		scheme, _, _ := strings.Cut(rawURL, ":")
		if rawURL != "" && !strings.EqualFold(scheme, "data") && !errors.Is(err, ErrNeedsNetwork) {
			t.Errorf("offline Fetch(%q) = %v, want %v", rawURL, err, ErrNeedsNetwork)
		}
	})
}

// FuzzParseS3 checks that any accepted S3 URL or ARN names a bucket and a
// key and maps to a request URL on the expected host.
func FuzzParseS3(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawURL string) {
		o, err := parseS3(rawURL)
		if err != nil {
			return
		}
		if o.bucket == "" || o.key == "" {
			t.Fatalf("parseS3(%q) = %+v, want a bucket and a key", rawURL, o)
		}
		fetcher := &Fetcher{}
		u, err := fetcher.s3URL(o, "us-east-1", true)
		if err != nil {
			t.Fatalf("s3URL(%+v) = %v", o, err)
		}
		if !strings.HasSuffix(u.Hostname(), ".amazonaws.com") && !strings.HasSuffix(u.Hostname(), ".amazonaws.com.cn") {
			t.Errorf("parseS3(%q) maps to host %q", rawURL, u.Host)
		}
	})
}
